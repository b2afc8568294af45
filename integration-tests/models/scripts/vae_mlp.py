"""A variational autoencoder on flattened 8x8 images (Kingma & Welling).

An ELU/Softplus MLP encoder gives the mean and log-variance of the latent code, the
reparameterization trick samples it, and a sigmoid decoder reconstructs the pixels. The
loss is the summed binary cross-entropy plus the analytic KL divergence to N(0, I). The
noise of the reparameterization comes with the data (one fixed ``eps`` per step) so that
both runs see the same samples; ``torch.randn_like`` is what the model draws without it.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import ExponentialLR

IMAGE = 8
LATENT = 4
NOISE_DRAWS = 4


class VAE(nn.Module):
    def __init__(self, in_dim=IMAGE * IMAGE, hidden=32, latent=LATENT):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(in_dim, hidden), nn.ELU(),
            nn.Linear(hidden, hidden), nn.Softplus(),
        )
        self.fc_mu = nn.Linear(hidden, latent)
        self.fc_logvar = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(
            nn.Linear(latent, hidden), nn.ELU(alpha=0.5),
            nn.Linear(hidden, in_dim),
        )

    def encode(self, x):
        h = self.encoder(x.view(x.size(0), -1))
        return self.fc_mu(h), self.fc_logvar(h)

    def reparameterize(self, mu, logvar, eps=None):
        std = torch.exp(0.5 * logvar)
        if eps is None:
            eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        return torch.sigmoid(self.decoder(z))

    def forward(self, x, eps=None):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar, eps)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, IMAGE * IMAGE), reduction="sum")
    # KL(q(z|x) || N(0, I)) in closed form (appendix B of the paper).
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def build_model():
    torch.manual_seed(0)
    return VAE()


def make_data():
    n = 32
    # Blobby images in [0, 1]: a bright square at a random corner plus faint noise.
    images = 0.1 * torch.rand(n, 1, IMAGE, IMAGE)
    corners = torch.randint(0, 4, (n,))
    for i in range(n):
        r, c = divmod(int(corners[i]), 2)
        images[i, 0, 4 * r:4 * r + 4, 4 * c:4 * c + 4] += 0.85
    eps = torch.randn(NOISE_DRAWS, n, LATENT)
    return images, eps


def train(model, data, steps):
    images, eps = data
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, amsgrad=True)
    scheduler = ExponentialLR(optimizer, gamma=0.9)
    model.train()
    losses = []
    batch = 16
    for step in range(steps):
        start = (step % 2) * batch
        x = images[start:start + batch]
        noise = eps[step % NOISE_DRAWS, start:start + batch]
        recon, mu, logvar = model(x, eps=noise)
        loss = loss_function(recon, x, mu, logvar)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item() / len(x))
    return losses


@torch.no_grad()
def sample(model, n):
    """Decode draws from the prior (not used by the comparison: torch's noise)."""
    z = torch.randn(n, LATENT)
    return model.decode(z).view(n, 1, IMAGE, IMAGE)


def evaluate(model, data):
    images, eps = data
    model.eval()
    with torch.no_grad():
        flat = images.view(images.size(0), -1)
        recon, mu, logvar = model(images, eps=eps[0])
        elbo_loss = loss_function(recon, images, mu, logvar).item() / len(images)
        # Reconstruction from the posterior mean, without noise.
        mean_recon = model.decode(mu)
        mse = F.mse_loss(mean_recon, flat).item()
        bce = F.binary_cross_entropy(mean_recon, flat, reduction="none").sum(1).mean().item()
        kl_per_dim = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).mean(0)
    return elbo_loss, mse, bce, kl_per_dim.tolist()
