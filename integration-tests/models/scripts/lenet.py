"""LeNet-5 on 28x28 single-channel images; SGD with momentum and Nesterov, MultiStepLR."""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class LeNet5(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2),
            nn.Tanh(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Linear(16 * 5 * 5, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):
        x = self.features(x)
        x = self.flatten(x)
        return self.classifier(x)


def build_model():
    return LeNet5()


def make_data():
    images = torch.rand(32, 1, 28, 28)
    labels = torch.randint(0, 10, (32,))
    return images, labels


def train(model, data, steps):
    images, labels = data
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                          weight_decay=5e-4)
    scheduler = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[5, 8], gamma=0.1)
    model.train()
    losses = []
    for step in range(steps):
        xb = images[(step % 2) * 16:(step % 2 + 1) * 16]
        yb = labels[(step % 2) * 16:(step % 2 + 1) * 16]
        optimizer.zero_grad(set_to_none=True)
        out = model(xb)
        loss = F.cross_entropy(out, yb)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses


def evaluate(model, data):
    images, labels = data
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, images.size(0), 8):
            pred = model(images[i:i + 8]).argmax(dim=1)
            correct += (pred == labels[i:i + 8]).sum().item()
    return correct / images.size(0)
