"""A small language model on library attention: nn.MultiheadAttention with a boolean causal
mask in one block, F.scaled_dot_product_attention(is_causal=True) in the other, tied
input/output embeddings, and a OneCycleLR schedule."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class MHABlock(nn.Module):
    def __init__(self, d, nhead):
        super().__init__()
        self.norm1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, nhead, dropout=0.0, batch_first=True)
        self.norm2 = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.SiLU(), nn.Linear(2 * d, d))

    def forward(self, x):
        T = x.size(1)
        causal = torch.triu(torch.ones(T, T, dtype=torch.bool, device=x.device), diagonal=1)
        h = self.norm1(x)
        a, _ = self.attn(h, h, h, attn_mask=causal, need_weights=False)
        x = x + a
        return x + self.ff(self.norm2(x))


class SDPABlock(nn.Module):
    def __init__(self, d, nhead):
        super().__init__()
        self.nhead = nhead
        self.norm1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.norm2 = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(approximate="tanh"),
                                nn.Linear(2 * d, d))

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.norm1(x)).chunk(3, dim=-1)
        q, k, v = (t.reshape(B, T, self.nhead, C // self.nhead).permute(0, 2, 1, 3)
                   for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        y = y.permute(0, 2, 1, 3).reshape(B, T, C)
        x = x + self.proj(y)
        return x + self.ff(self.norm2(x))


class AttentionLM(nn.Module):
    def __init__(self, vocab=23, d=16, nhead=2, max_len=16):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.zeros(1, max_len, d))
        self.blocks = nn.ModuleList([MHABlock(d, nhead), SDPABlock(d, nhead)])
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.tok.weight  # weight tying
        nn.init.normal_(self.pos, std=0.02)

    def forward(self, idx):
        x = self.tok(idx) + self.pos[:, : idx.size(1)]
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))


def build_model():
    torch.manual_seed(0)
    model = AttentionLM()
    assert model.head.weight is model.tok.weight
    return model


def make_data():
    base = torch.randint(0, 23, (8, 1))
    seq = (base * torch.arange(1, 14)) % 23
    return seq[:, :-1].contiguous(), seq[:, 1:].contiguous()


def train(model, data, steps):
    x, y = data
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=steps)
    model.train()
    losses = []
    for _ in range(steps):
        logits = model(x)
        B, T, V = logits.shape
        loss = F.cross_entropy(logits.view(B * T, V), y.view(B * T))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses


def evaluate(model, data):
    x, y = data
    model.eval()
    with torch.no_grad():
        logits = model(x)
        ppl = torch.exp(F.cross_entropy(logits.transpose(1, 2), y))
        acc = (logits.argmax(-1) == y).float().mean()
    return ppl.item(), acc.item()
