"""A small ResNet: residual BasicBlocks, BatchNorm2d, AdaptiveAvgPool2d, kaiming init.

Training idioms: a device picked the usual way, gradient accumulation over two
micro-batches, SGD with CosineAnnealingLR, and a checkpoint (model and optimizer
state_dicts written to a file) from which training resumes.
"""

import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False),
                nn.BatchNorm2d(planes),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class ResNet(nn.Module):
    def __init__(self, num_blocks=(1, 1), num_classes=5):
        super().__init__()
        self.in_planes = 8
        self.conv1 = nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(8, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(16, num_blocks[1], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(16 * BasicBlock.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, planes, num_blocks, stride):
        layers = []
        for s in [stride] + [1] * (num_blocks - 1):
            layers.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes * BasicBlock.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.fc(x)


def build_model():
    torch.manual_seed(0)
    model = ResNet().to(device)
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert n_params > 0
    return model


def make_data():
    images = torch.randn(16, 3, 12, 12)
    labels = torch.randint(0, 5, (16,))
    return images, labels


def _make_optimizer(model):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
    return optimizer, scheduler


def _run(model, optimizer, scheduler, images, labels, steps, accum=2):
    model.train()
    losses = []
    micro = images.size(0) // accum
    for _ in range(steps):
        optimizer.zero_grad()
        total = 0.0
        for i in range(accum):
            xb = images[i * micro:(i + 1) * micro].to(device)
            yb = labels[i * micro:(i + 1) * micro].to(device)
            loss = F.cross_entropy(model(xb), yb) / accum
            loss.backward()
            total += loss.item()
        optimizer.step()
        scheduler.step()
        losses.append(total)
    return losses


def train(model, data, steps):
    images, labels = data
    optimizer, scheduler = _make_optimizer(model)
    first = steps // 2
    losses = _run(model, optimizer, scheduler, images, labels, first)

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "checkpoint.pt")
        torch.save({
            "epoch": first,
            "model_state_dict": model.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(),
            "scheduler_state_dict": scheduler.state_dict(),
            "losses": losses,
        }, path)
        checkpoint = torch.load(path, map_location=device)

    # Resume into fresh objects, as a restarted job would.
    dtype = next(model.parameters()).dtype
    resumed = ResNet().to(device=device, dtype=dtype)
    resumed.load_state_dict(checkpoint["model_state_dict"])
    optimizer, scheduler = _make_optimizer(resumed)
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    scheduler.load_state_dict(checkpoint["scheduler_state_dict"])
    losses = list(checkpoint["losses"])
    losses += _run(resumed, optimizer, scheduler, images, labels, steps - checkpoint["epoch"])
    model.load_state_dict(resumed.state_dict())
    return losses


def evaluate(model, data):
    images, labels = data
    model.eval()
    with torch.no_grad():
        logits = model(images.to(device))
        probs = logits.softmax(dim=-1)
        top2 = probs.topk(2, dim=-1).indices
        hit2 = (top2 == labels.unsqueeze(1)).any(dim=1).float().mean()
    return F.cross_entropy(logits, labels).item(), hit2.item(), probs.max().item()
