"""A 1-d convolutional multi-label classifier: Conv1d over embeddings, GroupNorm, Mish,
AdaptiveMaxPool1d, BCEWithLogitsLoss with pos_weight; Adagrad with ReduceLROnPlateau."""

import torch
import torch.nn as nn
from torch.nn.utils import parameters_to_vector


class TextCNN(nn.Module):
    def __init__(self, vocab=40, embed=10, channels=12, labels=4, kernel_sizes=(2, 3)):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.convs = nn.ModuleList([
            nn.Sequential(nn.Conv1d(embed, channels, k, padding=k // 2),
                          nn.GroupNorm(3, channels), nn.Mish(),
                          nn.AdaptiveMaxPool1d(1))
            for k in kernel_sizes
        ])
        self.dropout = nn.Dropout(0.0)
        self.out = nn.Linear(channels * len(kernel_sizes), labels)

    def forward(self, tokens):
        x = self.embedding(tokens).permute(0, 2, 1)  # (N, C, L) for Conv1d
        feats = [conv(x).squeeze(-1) for conv in self.convs]
        return self.out(self.dropout(torch.cat(feats, dim=1)))


def build_model():
    torch.manual_seed(0)
    return TextCNN()


def make_data():
    tokens = torch.randint(0, 40, (24, 9))
    labels = torch.stack([(tokens == k).any(dim=1) for k in (1, 5, 9, 13)], dim=1).float()
    return tokens, labels


def train(model, data, steps):
    tokens, labels = data
    pos_weight = (labels.numel() - labels.sum(0)) / labels.sum(0).clamp(min=1)
    criterion = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    optimizer = torch.optim.Adagrad(model.parameters(), lr=0.05)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5,
                                                           patience=1)
    start = parameters_to_vector(model.parameters()).detach().clone()
    losses = []
    for step in range(steps):
        model.train()
        half = slice(0, 12) if step % 2 == 0 else slice(12, 24)
        loss = criterion(model(tokens[half]), labels[half])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            val = criterion(model(tokens), labels)
        scheduler.step(val)
        losses.append(loss.item())
    moved = (parameters_to_vector(model.parameters()) - start).norm()
    assert moved > 0
    return losses


def evaluate(model, data):
    tokens, labels = data
    model.eval()
    with torch.no_grad():
        probs = torch.sigmoid(model(tokens))
        predicted = (probs > 0.5).float()
        exact = (predicted == labels).all(dim=1).float().mean()
        per_label = (predicted == labels).float().mean(dim=0)
    return exact.item(), per_label.tolist()
