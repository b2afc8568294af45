"""Less common vision layers in one model, as found in real projects.

A spatial transformer (F.affine_grid + F.grid_sample) in front of a SegNet-style
encoder/decoder (MaxPool2d(return_indices=True) + MaxUnpool2d), InstanceNorm2d and
LocalResponseNorm, a PixelShuffle upsampler, ViT-style patch tokens from nn.Unfold, and
per-pixel classification with F.cross_entropy over (N, C, H, W) with a weight tensor.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class STN(nn.Module):
    def __init__(self):
        super().__init__()
        self.loc = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
                                 nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(16, 6))
        self.loc[-1].weight.data.zero_()
        self.loc[-1].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))

    def forward(self, x):
        theta = self.loc(x).view(-1, 2, 3)
        grid = F.affine_grid(theta, list(x.size()), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros",
                             align_corners=False)


class SegNetLite(nn.Module):
    def __init__(self, classes=3):
        super().__init__()
        self.stn = STN()
        self.enc = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.InstanceNorm2d(8, affine=True),
                                 nn.ReLU(), nn.LocalResponseNorm(3))
        self.pool = nn.MaxPool2d(2, 2, return_indices=True)
        self.unpool = nn.MaxUnpool2d(2, 2)
        self.dec = nn.Conv2d(8, 8, 3, padding=1)
        self.shuffle_head = nn.Sequential(nn.Conv2d(8, 4 * 4, 3, padding=1),
                                          nn.PixelShuffle(2), nn.ReLU())  # 16 ch -> 4 ch, 2x
        self.patches = nn.Unfold(kernel_size=4, stride=4)
        self.token_proj = nn.Linear(3 * 4 * 4, 8)
        self.classifier = nn.Conv2d(8 + 4 + 8, classes, 1)

    def forward(self, x):
        x = self.stn(x)
        N, _, H, W = x.shape
        e = self.enc(x)
        p, idx = self.pool(e)
        d = F.relu(self.dec(self.unpool(p, idx, output_size=e.size())))
        s = self.shuffle_head(p)                                   # (N, 4, H, W)
        tokens = self.token_proj(self.patches(x).transpose(1, 2))  # (N, L, 8)
        t = tokens.transpose(1, 2).reshape(N, 8, H // 4, W // 4)
        t = F.interpolate(t, size=(H, W), mode="nearest")
        return self.classifier(torch.cat([d, s, t], dim=1))


def build_model():
    torch.manual_seed(0)
    return SegNetLite()


def make_data():
    images = torch.rand(4, 3, 8, 8)
    masks = (images.mean(1) * 3).long().clamp(0, 2)
    return images, masks


def train(model, data, steps):
    images, masks = data
    class_weight = torch.tensor([1.0, 2.0, 0.5], dtype=images.dtype)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    model.train()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), masks, weight=class_weight)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def evaluate(model, data):
    images, masks = data
    model.eval()
    with torch.no_grad():
        pred = model(images).argmax(1)
        ious = []
        for c in range(3):
            inter = ((pred == c) & (masks == c)).sum().item()
            union = ((pred == c) | (masks == c)).sum().item()
            ious.append(inter / union if union else 1.0)
    return ious
