"""A character-level LSTM language model (Embedding, 2-layer batch_first LSTM, Linear)."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import clip_grad_norm_
from torch.optim.lr_scheduler import _LRScheduler

TEXT = "hello world, this is a tiny corpus for a tiny character model. " * 4


class WarmupCosine(_LRScheduler):
    """Linear warmup, then cosine decay: a custom scheduler as projects write them."""

    def __init__(self, optimizer, warmup, total, last_epoch=-1):
        self.warmup = warmup
        self.total = total
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        step = self.last_epoch
        if step < self.warmup:
            return [base_lr * (step + 1) / self.warmup for base_lr in self.base_lrs]
        progress = (step - self.warmup) / max(1, self.total - self.warmup)
        return [base_lr * 0.5 * (1.0 + math.cos(math.pi * progress))
                for base_lr in self.base_lrs]


class CharLSTM(nn.Module):
    def __init__(self, vocab_size, embed_dim=16, hidden_size=24, num_layers=2):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, batch_first=True,
                            dropout=0.0)
        self.fc = nn.Linear(hidden_size, vocab_size)

    def forward(self, idx, hidden=None):
        x = self.embed(idx)
        out, hidden = self.lstm(x, hidden)
        return self.fc(out), hidden


def vocabulary():
    chars = sorted(set(TEXT))
    return {c: i for i, c in enumerate(chars)}


def build_model():
    return CharLSTM(len(vocabulary()))


def make_data():
    stoi = vocabulary()
    ids = torch.tensor([stoi[c] for c in TEXT], dtype=torch.long)
    seq_len = 16
    n = (ids.numel() - 1) // seq_len
    inputs = ids[: n * seq_len].view(n, seq_len)
    targets = ids[1: n * seq_len + 1].view(n, seq_len)
    return inputs, targets


def train(model, data, steps):
    inputs, targets = data
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    scheduler = WarmupCosine(optimizer, warmup=3, total=steps)
    model.train()
    losses = []
    for step in range(steps):
        xb = inputs[step % 4::4]
        yb = targets[step % 4::4]
        logits, _ = model(xb)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), yb.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses


@torch.no_grad()
def evaluate(model, data):
    inputs, targets = data
    model.eval()
    # Carry the hidden state across two halves of each sequence (truncated BPTT style).
    half = inputs.size(1) // 2
    logits1, hidden = model(inputs[:, :half])
    h, c = hidden
    logits2, _ = model(inputs[:, half:], (h.detach(), c.detach()))
    logits = torch.cat([logits1, logits2], dim=1)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
    accuracy = (logits.argmax(-1) == targets).float().mean()
    # Greedy generation from the first character.
    idx = inputs[:1, :1]
    state = None
    generated = []
    for _ in range(10):
        out, state = model(idx, state)
        idx = out[:, -1].argmax(-1, keepdim=True)
        generated.append(idx.item())
    return loss.item(), accuracy.item(), generated
