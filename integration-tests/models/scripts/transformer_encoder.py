"""A sequence classifier on nn.TransformerEncoder with a padding mask and mean pooling."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=64):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)

    def forward(self, x):
        # x: (batch, seq, d_model)
        return x + self.pe[: x.size(1)].transpose(0, 1)


class TransformerClassifier(nn.Module):
    def __init__(self, vocab_size=20, d_model=16, nhead=4, num_layers=2, num_classes=3):
        super().__init__()
        self.d_model = d_model
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=0)
        self.pos = PositionalEncoding(d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=32, dropout=0.0,
                                           activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=num_layers,
                                             enable_nested_tensor=False)
        self.classifier = nn.Linear(d_model, num_classes)

    def forward(self, tokens):
        pad = tokens == 0
        x = self.pos(self.embedding(tokens) * math.sqrt(self.d_model))
        x = self.encoder(x, src_key_padding_mask=pad)
        keep = (~pad).unsqueeze(-1).float()
        pooled = (x * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1.0)
        return self.classifier(pooled)


def build_model():
    return TransformerClassifier()


def make_data():
    tokens = torch.randint(1, 20, (12, 10))
    lengths = torch.tensor([10, 7, 5, 10, 3, 8, 9, 10, 6, 4, 10, 2])
    positions = torch.arange(10).unsqueeze(0)
    tokens = tokens.masked_fill(positions >= lengths.unsqueeze(1), 0)
    labels = (tokens.sum(dim=1) % 3).long()
    return tokens, labels


def train(model, data, steps):
    tokens, labels = data
    # SGD, not Adam: the key projection's bias has a zero gradient (softmax ignores a
    # shift shared by all keys), and Adam would turn that rounding noise into full steps.
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer,
                                                  lambda step: min(1.0, (step + 1) / 4))
    model.train()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(tokens), labels, label_smoothing=0.1)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses


def evaluate(model, data):
    tokens, labels = data
    model.eval()
    with torch.no_grad():
        logits = model(tokens)
    return F.cross_entropy(logits, labels).item(), (logits.argmax(-1) == labels).sum().item()
