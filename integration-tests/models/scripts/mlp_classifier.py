"""An MLP classifier: BatchNorm1d, Dropout, ReLU; Adam with StepLR; a state_dict round trip."""

import io

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR

IN_FEATURES = 20
HIDDEN = 32
CLASSES = 5


class MLP(nn.Module):
    def __init__(self, in_features, hidden, classes, p=0.0):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden, bias=False),  # BatchNorm follows
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(p),
            nn.Linear(hidden, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(p),
        )
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        return self.head(self.net(x))


def build_model():
    return MLP(IN_FEATURES, HIDDEN, CLASSES)


def make_data():
    torch.manual_seed(0)
    x = torch.randn(64, 4, 5)
    w = torch.randn(IN_FEATURES, CLASSES)
    y = (x.reshape(64, -1) @ w).argmax(dim=1)
    return x, y


def train(model, data, steps):
    x, y = data
    optimizer = optim.Adam(model.parameters(), lr=1e-2, betas=(0.9, 0.99))
    scheduler = StepLR(optimizer, step_size=4, gamma=0.5)
    criterion = nn.CrossEntropyLoss()
    losses = []
    model.train()
    for step in range(steps):
        start = (step * 16) % x.size(0)
        xb, yb = x[start:start + 16], y[start:start + 16]
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())

    # Save and reload the trained weights into a fresh model, as a checkpoint would.
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    restored = build_model().to(next(model.parameters()).dtype)
    restored.load_state_dict(torch.load(buffer))
    model.load_state_dict(restored.state_dict())
    return losses


def evaluate(model, data):
    x, y = data
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        accuracy = (logits.argmax(-1) == y).float().mean()
    return loss.item(), accuracy.item()
