"""A convolutional autoencoder: Conv2d/BatchNorm2d down, ConvTranspose2d and Upsample up."""

import torch
import torch.nn as nn
import torch.optim as optim


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)  # BatchNorm follows
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x):
        x = self.act(self.bn1(self.conv1(x)))
        return self.act(self.conv2(x))


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.deconv = nn.ConvTranspose2d(16, 8, kernel_size=4, stride=2, padding=1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.conv = nn.Conv2d(8, 3, kernel_size=3, padding=1)

    def forward(self, z):
        z = torch.relu(self.deconv(z))
        z = self.up(z)
        return torch.sigmoid(self.conv(z))


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = Decoder()

    def forward(self, x):
        return self.decoder(self.encoder(x))


def build_model():
    return AutoEncoder()


def make_data():
    return torch.rand(8, 3, 16, 16)


def train(model, data, steps):
    criterion = nn.MSELoss()
    optimizer = optim.RMSprop(model.parameters(), lr=1e-3)
    model.train()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        recon = model(data)
        assert recon.shape == data.shape
        loss = criterion(recon, data)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def evaluate(model, data):
    model.eval()
    with torch.no_grad():
        recon = model(data)
        per_image = ((recon - data) ** 2).mean(dim=(1, 2, 3))
    return per_image.tolist()
