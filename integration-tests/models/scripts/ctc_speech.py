"""A small speech-recognition model trained with CTC.

Dilated Conv1d residual blocks with a gated tanh/sigmoid unit and weight_norm
parametrization, PReLU, an LSTMCell unrolled by hand over time, log_softmax over
(T, N, C) and nn.CTCLoss with per-sample input and target lengths; also a
knowledge-distillation KL term against a fixed teacher distribution.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import weight_norm

FEATS, CLASSES = 6, 7  # class 0 is the CTC blank


class GatedBlock(nn.Module):
    def __init__(self, channels, dilation):
        super().__init__()
        self.filter = weight_norm(nn.Conv1d(channels, channels, 3, padding=dilation,
                                            dilation=dilation))
        self.gate = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.res = nn.Conv1d(channels, channels, 1)

    def forward(self, x):
        h = torch.tanh(self.filter(x)) * torch.sigmoid(self.gate(x))
        return x + self.res(h)


class SpeechModel(nn.Module):
    def __init__(self, channels=12, hidden=16):
        super().__init__()
        self.inp = nn.Conv1d(FEATS, channels, 1)
        self.blocks = nn.Sequential(GatedBlock(channels, 1), GatedBlock(channels, 2))
        self.act = nn.PReLU(channels)
        self.cell = nn.LSTMCell(channels, hidden)
        self.proj = nn.Linear(hidden, CLASSES)
        self.hidden = hidden

    def forward(self, feats):
        # feats: (N, T, FEATS) -> log-probs (T, N, CLASSES)
        x = self.act(self.blocks(self.inp(feats.transpose(1, 2))))
        x = x.permute(2, 0, 1)  # (T, N, C)
        h = x.new_zeros(x.size(1), self.hidden)
        c = x.new_zeros(x.size(1), self.hidden)
        outputs = []
        for t in range(x.size(0)):
            h, c = self.cell(x[t], (h, c))
            outputs.append(self.proj(h))
        return F.log_softmax(torch.stack(outputs), dim=-1)


def build_model():
    torch.manual_seed(0)
    return SpeechModel()


def make_data():
    feats = torch.randn(4, 14, FEATS)
    input_lengths = torch.tensor([14, 12, 14, 10])
    targets = torch.randint(1, CLASSES, (4, 5))
    target_lengths = torch.tensor([5, 3, 4, 2])
    teacher = F.softmax(torch.randn(14, 4, CLASSES) * 2, dim=-1)
    return feats, input_lengths, targets, target_lengths, teacher


def train(model, data, steps):
    feats, input_lengths, targets, target_lengths, teacher = data
    ctc = nn.CTCLoss(blank=0, reduction="mean", zero_infinity=True)
    kl = nn.KLDivLoss(reduction="batchmean")
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.95)
    model.train()
    losses = []
    for _ in range(steps):
        log_probs = model(feats)
        loss = ctc(log_probs, targets, input_lengths, target_lengths)
        loss = loss + 0.1 * kl(log_probs, teacher)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=2.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses


def greedy_ctc(log_probs):
    best = log_probs.argmax(-1).t()  # (N, T)
    decoded = []
    for seq in best.tolist():
        out, prev = [], 0
        for s in seq:
            if s != prev and s != 0:
                out.append(s)
            prev = s
        decoded.append(out)
    return decoded


def evaluate(model, data):
    feats, input_lengths, targets, target_lengths, _ = data
    model.eval()
    with torch.no_grad():
        log_probs = model(feats)
        loss = F.ctc_loss(log_probs, targets, input_lengths, target_lengths,
                          reduction="sum")
    return loss.item(), greedy_ctc(log_probs)
