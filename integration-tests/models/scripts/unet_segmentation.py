"""A small U-Net for binary segmentation, the way the popular PyTorch ports write it.

Encoder blocks of Conv2d(bias=False) + BatchNorm2d + ReLU with MaxPool2d between them; a
decoder that upsamples once with ConvTranspose2d (the skip is F.pad-ded to the odd size
the pooling floored away) and once with F.interpolate(mode="nearest") + Conv2d (the skip
is center-cropped, as in the original paper); skip connections through torch.cat. The
loss is a hand-written soft Dice loss plus F.binary_cross_entropy_with_logits, trained
with Adam and CosineAnnealingWarmRestarts stepped with fractional epochs; evaluation
reports IoU and Dice of the thresholded prediction.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class DoubleConv(nn.Module):
    """(conv => BN => ReLU) * 2"""

    def __init__(self, in_channels, out_channels, mid_channels=None):
        super().__init__()
        if not mid_channels:
            mid_channels = out_channels
        self.double_conv = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(mid_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.double_conv(x)


class Down(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.maxpool_conv = nn.Sequential(nn.MaxPool2d(2), DoubleConv(in_channels, out_channels))

    def forward(self, x):
        return self.maxpool_conv(x)


def center_crop(skip, target):
    _, _, h, w = skip.shape
    th, tw = target.shape[2:]
    top, left = (h - th) // 2, (w - tw) // 2
    return skip[:, :, top:top + th, left:left + tw]


class UpTranspose(nn.Module):
    """Learned 2x upsampling; the smaller map is padded to the skip's size."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
        self.conv = DoubleConv(in_channels, out_channels)

    def forward(self, x1, x2):
        x1 = self.up(x1)
        diff_y = x2.size()[2] - x1.size()[2]
        diff_x = x2.size()[3] - x1.size()[3]
        x1 = F.pad(x1, [diff_x // 2, diff_x - diff_x // 2,
                        diff_y // 2, diff_y - diff_y // 2])
        x = torch.cat([x2, x1], dim=1)
        return self.conv(x)


class UpNearest(nn.Module):
    """Nearest-neighbour 2x upsampling; the larger skip is cropped to the map's size."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.reduce = nn.Conv2d(in_channels, in_channels // 2, kernel_size=1)
        self.conv = DoubleConv(in_channels, out_channels, in_channels // 2)

    def forward(self, x1, x2):
        x1 = self.reduce(F.interpolate(x1, scale_factor=2, mode="nearest"))
        x = torch.cat([center_crop(x2, x1), x1], dim=1)
        return self.conv(x)


class UNet(nn.Module):
    def __init__(self, n_channels=3, n_classes=1, base=8):
        super().__init__()
        self.n_channels = n_channels
        self.n_classes = n_classes
        self.inc = DoubleConv(n_channels, base)
        self.down1 = Down(base, base * 2)
        self.down2 = Down(base * 2, base * 4)
        self.up1 = UpTranspose(base * 4, base * 2)
        self.up2 = UpNearest(base * 2, base)
        self.outc = nn.Conv2d(base, n_classes, kernel_size=1)

    def forward(self, x):
        x1 = self.inc(x)        # H
        x2 = self.down1(x1)     # H // 2
        x3 = self.down2(x2)     # H // 4
        x = self.up1(x3, x2)    # H // 2 (padded)
        x = self.up2(x, x1)     # 2 * (H // 2), skip cropped
        return self.outc(x)


def dice_loss(logits, target, smooth=1.0):
    probs = torch.sigmoid(logits)
    dims = (2, 3)
    intersection = (probs * target).sum(dim=dims)
    cardinality = probs.sum(dim=dims) + target.sum(dim=dims)
    dice = (2.0 * intersection + smooth) / (cardinality + smooth)
    return 1.0 - dice.mean()


def build_model():
    torch.manual_seed(0)
    return UNet()


def make_data():
    # Odd sizes on purpose: pooling floors 19 -> 9 -> 4, so both skip paths need matching.
    images = torch.randn(4, 3, 19, 19)
    blob = images[:, :1] + 0.5 * images[:, 1:2]
    masks = (F.avg_pool2d(blob, 3, stride=1, padding=1) > 0).float()
    return images, masks


def train(model, data, steps):
    images, masks = data
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-5)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=2, T_mult=2,
                                                                     eta_min=1e-4)
    batch_size = 2
    iters = images.size(0) // batch_size
    model.train()
    losses = []
    epoch = 0
    while len(losses) < steps:
        for i in range(iters):
            if len(losses) == steps:
                break
            xb = images[i * batch_size:(i + 1) * batch_size]
            yb = masks[i * batch_size:(i + 1) * batch_size]
            logits = model(xb)
            yb = center_crop(yb, logits)
            loss = F.binary_cross_entropy_with_logits(logits, yb) + dice_loss(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step(epoch + i / iters)
            losses.append(loss.item())
        epoch += 1
    return losses


@torch.no_grad()
def evaluate(model, data):
    images, masks = data
    model.eval()
    logits = model(images)
    target = center_crop(masks, logits)
    pred = (logits > 0).float()
    inter = (pred * target).sum(dim=(1, 2, 3))
    union = ((pred + target) > 0).float().sum(dim=(1, 2, 3))
    iou = (inter + 1e-6) / (union + 1e-6)
    dice = 1.0 - dice_loss(logits, target)
    return iou.mean().item(), dice.item(), torch.sigmoid(logits).mean().item()
