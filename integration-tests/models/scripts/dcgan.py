"""A DCGAN-style pair: ConvTranspose2d generator, spectral-normalized discriminator.

Alternating updates with two Adam optimizers (betas=(0.5, 0.999)), fake images detached
for the discriminator step, BCEWithLogitsLoss against ones/zeros targets, weights_init
applied with model.apply. The latent noise is part of the data so both runs see the same.
"""

import torch
import torch.nn as nn
from torch.nn.utils import spectral_norm

NZ, NGF, NDF = 8, 8, 8


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1 and hasattr(m, "weight"):
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(NZ, NGF * 2, 4, 1, 0, bias=False),   # 1 -> 4
            nn.BatchNorm2d(NGF * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 2, NGF, 4, 2, 1, bias=False),  # 4 -> 8
            nn.BatchNorm2d(NGF),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF, 1, 4, 2, 1, bias=False),        # 8 -> 16
            nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            spectral_norm(nn.Conv2d(1, NDF, 4, 2, 1)),               # 16 -> 8
            nn.LeakyReLU(0.2, inplace=True),
            spectral_norm(nn.Conv2d(NDF, NDF * 2, 4, 2, 1)),         # 8 -> 4
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 2, 1, 4, 1, 0),                          # 4 -> 1
        )

    def forward(self, x):
        return self.main(x).view(-1)


class GAN(nn.Module):
    def __init__(self):
        super().__init__()
        self.netG = Generator()
        self.netD = Discriminator()
        self.netG.apply(weights_init)
        self.netD.apply(weights_init)


def build_model():
    torch.manual_seed(0)
    return GAN()


def make_data():
    real = torch.rand(8, 1, 16, 16) * 2 - 1
    noise = torch.randn(6, 8, NZ, 1, 1)  # one batch of latent vectors per step
    return real, noise


def train(model, data, steps):
    real, noise = data
    netG, netD = model.netG, model.netD
    criterion = nn.BCEWithLogitsLoss()
    optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real_label, fake_label = 1.0, 0.0
    losses = []
    model.train()
    for step in range(steps):
        z = noise[step % noise.size(0)]
        # (1) discriminator: maximize log(D(x)) + log(1 - D(G(z)))
        netD.zero_grad()
        label = torch.full((real.size(0),), real_label)
        errD_real = criterion(netD(real), label)
        errD_real.backward()
        fake = netG(z)
        label.fill_(fake_label)
        errD_fake = criterion(netD(fake.detach()), label)
        errD_fake.backward()
        errD = errD_real + errD_fake
        optimizerD.step()
        # (2) generator: maximize log(D(G(z)))
        netG.zero_grad()
        label.fill_(real_label)
        errG = criterion(netD(fake), label)
        errG.backward()
        optimizerG.step()
        losses.append(errD.item())
        losses.append(errG.item())
    return losses


def evaluate(model, data):
    real, noise = data
    model.eval()
    with torch.no_grad():
        fake = model.netG(noise[0])
        d_real = torch.sigmoid(model.netD(real)).mean()
        d_fake = torch.sigmoid(model.netD(fake)).mean()
    return d_real.item(), d_fake.item(), fake.std().item()
