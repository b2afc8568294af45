"""A MobileNetV3-flavoured network with an EMA copy of the weights.

Depthwise-separable convolutions (groups=channels), padding="same" and
padding_mode="reflect", Hardswish, squeeze-excitation (AdaptiveAvgPool2d + Hardsigmoid),
BatchNorm2d(momentum=None) (cumulative averages), AdaptiveAvgPool2d to a size that does
not divide the input, bilinear (align_corners=True) and bicubic interpolation; AdamW with
SequentialLR(LinearLR warmup, CosineAnnealingLR); an exponential moving average of the
weights kept in a copy.deepcopy of the model and evaluated.
"""

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


class SqueezeExcite(nn.Module):
    def __init__(self, channels, reduction=4):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, channels // reduction, 1)
        self.fc2 = nn.Conv2d(channels // reduction, channels, 1)
        self.gate = nn.Hardsigmoid()

    def forward(self, x):
        s = self.gate(self.fc2(F.relu(self.fc1(self.pool(x)))))
        return x * s


class InvertedResidual(nn.Module):
    def __init__(self, cin, cexp, cout, stride):
        super().__init__()
        self.use_res = stride == 1 and cin == cout
        self.block = nn.Sequential(
            nn.Conv2d(cin, cexp, 1, bias=False),
            nn.BatchNorm2d(cexp, momentum=None),
            nn.Hardswish(),
            nn.Conv2d(cexp, cexp, 3, stride=stride, padding=1, groups=cexp, bias=False,
                      padding_mode="reflect"),
            nn.BatchNorm2d(cexp, momentum=None),
            nn.Hardswish(),
            SqueezeExcite(cexp),
            nn.Conv2d(cexp, cout, 1, bias=False),
            nn.BatchNorm2d(cout, momentum=None),
        )

    def forward(self, x):
        out = self.block(x)
        # An activation after the residual sum (as in ResNet): without it the last
        # BatchNorm's bias would reach only the next block's BatchNorm, which removes it.
        return F.hardswish(x + out) if self.use_res else out


class MobileNetish(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding="same", bias=False),
                                  nn.BatchNorm2d(8, momentum=None), nn.Hardswish())
        self.blocks = nn.Sequential(InvertedResidual(8, 16, 8, 1),
                                    InvertedResidual(8, 24, 12, 2))
        self.pool = nn.AdaptiveAvgPool2d(3)  # 5x5 -> 3x3: overlapping windows
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(12 * 9, 16), nn.Hardswish(),
                                  nn.Linear(16, classes))

    def forward(self, x):
        x = F.interpolate(x, scale_factor=1.25, mode="bilinear", align_corners=True)
        x = self.blocks(self.stem(x))
        x = F.interpolate(x, size=(5, 5), mode="bicubic", align_corners=False)
        return self.head(self.pool(x))


def build_model():
    torch.manual_seed(0)
    return MobileNetish()


def make_data():
    return torch.randn(8, 3, 8, 8), torch.randint(0, 4, (8,))


@torch.no_grad()
def update_ema(ema, model, decay):
    for ema_p, p in zip(ema.parameters(), model.parameters()):
        ema_p.mul_(decay).add_(p.detach(), alpha=1 - decay)
    for ema_b, b in zip(ema.buffers(), model.buffers()):
        ema_b.copy_(b)


def train(model, data, steps):
    images, labels = data
    ema = copy.deepcopy(model)
    for p in ema.parameters():
        p.requires_grad_(False)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.05)
    warmup = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.2, total_iters=3)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps - 3)
    scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, [warmup, cosine],
                                                      milestones=[3])
    model.train()
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(model(images), labels, label_smoothing=0.05)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        update_ema(ema, model, decay=0.8)
        losses.append(loss.item())
    model.ema = ema  # registered as a submodule: the state_dict now holds the EMA weights
    return losses


def evaluate(model, data):
    images, labels = data
    ema = model.ema
    model.eval()  # recursively, the EMA copy too
    assert not ema.training
    with torch.no_grad():
        out = model(images)
        ema_out = ema(images)
    return (F.cross_entropy(out, labels).item(), F.cross_entropy(ema_out, labels).item(),
            (ema_out.argmax(-1) == labels).float().mean().item())
