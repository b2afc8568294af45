"""A tiny video classifier in the R(2+1)D / channel-separated style.

Clips are (N, C, T, H, W). A space-to-depth stem (F.pixel_unshuffle on the frames
folded into the batch), R(2+1)D blocks that factor a 3x3x3 Conv3d into a (1, 3, 3)
spatial and a (3, 1, 1) temporal convolution (stride and padding tuples), a grouped
Conv3d (dilated in time, padding="same") followed by nn.ChannelShuffle (ShuffleNet's
trick), BatchNorm3d, a padded MaxPool3d over space only and an AvgPool3d over time
(count_include_pad=False), AdaptiveAvgPool3d and a Dropout3d/Dropout head
(p=0). Trained with F.cross_entropy(label_smoothing=...) and SGD with Nesterov momentum
under CyclicLR (momentum cycled too), stepped per batch.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class SpatioTemporalConv(nn.Module):
    """A (2+1)D convolution: spatial (1, k, k) then temporal (k, 1, 1)."""

    def __init__(self, in_planes, out_planes, mid_planes, stride=1):
        super().__init__()
        self.spatial = nn.Conv3d(in_planes, mid_planes, kernel_size=(1, 3, 3),
                                 stride=(1, stride, stride), padding=(0, 1, 1), bias=False)
        self.bn = nn.BatchNorm3d(mid_planes)
        self.relu = nn.ReLU(inplace=True)
        self.temporal = nn.Conv3d(mid_planes, out_planes, kernel_size=(3, 1, 1),
                                  stride=(stride, 1, 1), padding=(1, 0, 0), bias=False)

    def forward(self, x):
        return self.temporal(self.relu(self.bn(self.spatial(x))))


class R2Plus1dBlock(nn.Module):
    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        # Keep the parameter count of a full 3x3x3 conv, as in the paper.
        mid = (in_planes * planes * 27) // (in_planes * 9 + 3 * planes)
        self.conv1 = SpatioTemporalConv(in_planes, planes, mid, stride)
        self.bn1 = nn.BatchNorm3d(planes)
        self.conv2 = SpatioTemporalConv(planes, planes, mid)
        self.bn2 = nn.BatchNorm3d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or in_planes != planes:
            self.downsample = nn.Sequential(
                nn.Conv3d(in_planes, planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm3d(planes),
            )

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ShuffleUnit3d(nn.Module):
    """Grouped 3x3x3 conv, channel shuffle, pointwise conv."""

    def __init__(self, channels, groups=4):
        super().__init__()
        # Dilated in time for a wider temporal context at the same cost.
        self.gconv = nn.Conv3d(channels, channels, kernel_size=3, padding="same",
                               dilation=(2, 1, 1), groups=groups, bias=False)
        self.bn1 = nn.BatchNorm3d(channels)
        self.shuffle = nn.ChannelShuffle(groups)
        self.pw = nn.Conv3d(channels, channels, kernel_size=1, bias=False)
        self.bn2 = nn.BatchNorm3d(channels)

    def forward(self, x):
        out = self.shuffle(F.relu(self.bn1(self.gconv(x))))
        return F.relu(x + self.bn2(self.pw(out)))


class VideoNet(nn.Module):
    def __init__(self, num_classes=4, width=8):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv3d(3 * 4, width, kernel_size=(3, 3, 3), padding=(1, 1, 1), bias=False),
            nn.BatchNorm3d(width),
            nn.ReLU(inplace=True),
        )
        self.pool1 = nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1))
        self.layer1 = R2Plus1dBlock(width, width)
        self.shuffle = ShuffleUnit3d(width, groups=4)
        self.tpool = nn.AvgPool3d(kernel_size=(3, 1, 1), stride=(2, 1, 1), padding=(1, 0, 0),
                                  count_include_pad=False)
        self.layer2 = R2Plus1dBlock(width, 2 * width, stride=2)
        self.avgpool = nn.AdaptiveAvgPool3d((1, 1, 1))
        self.drop3d = nn.Dropout3d(p=0.0)
        self.dropout = nn.Dropout(p=0.0)
        self.fc = nn.Linear(2 * width, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm3d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        # Space-to-depth on every frame: (N, C, T, H, W) -> (N, 4C, T, H/2, W/2).
        n, c, t, h, w = x.shape
        frames = x.transpose(1, 2).reshape(n * t, c, h, w)
        frames = F.pixel_unshuffle(frames, downscale_factor=2)
        x = frames.reshape(n, t, c * 4, h // 2, w // 2).transpose(1, 2)

        x = self.pool1(self.stem(x))
        x = self.layer1(x)                  # (N, w, T, H/4, W/4)
        x = self.tpool(self.shuffle(x))     # (N, w, T/2, H/4, W/4)
        x = self.drop3d(self.layer2(x))     # (N, 2w, T/4, ~H/8, ~W/8)
        x = self.avgpool(x).flatten(1)
        return self.fc(self.dropout(x))


def build_model():
    torch.manual_seed(0)
    return VideoNet()


def make_data():
    clips = torch.randn(8, 3, 8, 12, 12)
    # A learnable label: which quadrant of the first channel's temporal mean is brightest.
    energy = clips[:, 0].mean(1)
    quads = torch.stack([energy[:, :6, :6].mean((1, 2)), energy[:, :6, 6:].mean((1, 2)),
                         energy[:, 6:, :6].mean((1, 2)), energy[:, 6:, 6:].mean((1, 2))], 1)
    labels = quads.argmax(1)
    return clips, labels


def train(model, data, steps):
    clips, labels = data
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True,
                                weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.CyclicLR(optimizer, base_lr=0.01, max_lr=0.1,
                                                  step_size_up=3, mode="triangular2",
                                                  cycle_momentum=True, base_momentum=0.8,
                                                  max_momentum=0.9)
    batch_size = 4
    model.train()
    losses = []
    step = 0
    while step < steps:
        for start in range(0, clips.size(0), batch_size):
            if step == steps:
                break
            inputs = clips[start:start + batch_size]
            targets = labels[start:start + batch_size]
            outputs = model(inputs)
            loss = F.cross_entropy(outputs, targets, label_smoothing=0.1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            step += 1
    return losses


def evaluate(model, data):
    clips, labels = data
    model.eval()
    with torch.no_grad():
        outputs = model(clips)
        loss = F.cross_entropy(outputs, labels)
        _, predicted = outputs.max(1)
        correct = predicted.eq(labels).sum().item()
        probs = F.softmax(outputs, dim=1)
    return loss.item(), correct / labels.size(0), probs[:, 0].tolist()
