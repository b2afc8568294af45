"""A sequence-to-sequence nn.Transformer (encoder-decoder) learning to reverse sequences.

Teacher forcing with a causal target mask from generate_square_subsequent_mask, source and
target key padding masks, and a greedy decoding loop at evaluation.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, BOS, EOS = 0, 1, 2
VOCAB = 12
SRC_LEN = 6


class Seq2SeqTransformer(nn.Module):
    def __init__(self, d_model=16, nhead=2, layers=1, ff=32):
        super().__init__()
        self.d_model = d_model
        self.src_emb = nn.Embedding(VOCAB, d_model, padding_idx=PAD)
        self.tgt_emb = nn.Embedding(VOCAB, d_model, padding_idx=PAD)
        self.pos = nn.Embedding(16, d_model)
        # The encoder is passed in to turn off torch's nested-tensor fast path in eval.
        encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(d_model, nhead, ff, dropout=0.0, batch_first=True),
            layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False)
        self.transformer = nn.Transformer(d_model=d_model, nhead=nhead,
                                          num_decoder_layers=layers, dim_feedforward=ff,
                                          dropout=0.0, batch_first=True,
                                          custom_encoder=encoder)
        self.generator = nn.Linear(d_model, VOCAB)

    def embed(self, emb, tokens):
        positions = torch.arange(tokens.size(1), device=tokens.device)
        return emb(tokens) * math.sqrt(self.d_model) + self.pos(positions)[None]

    @staticmethod
    def padding_mask(tokens):
        # Additive float masks, the same type as the causal mask.
        return torch.zeros(tokens.shape).masked_fill(tokens == PAD, float("-inf"))

    def forward(self, src, tgt_in):
        tgt_mask = nn.Transformer.generate_square_subsequent_mask(tgt_in.size(1))
        src_pad = self.padding_mask(src)
        out = self.transformer(self.embed(self.src_emb, src), self.embed(self.tgt_emb, tgt_in),
                               tgt_mask=tgt_mask, src_key_padding_mask=src_pad,
                               tgt_key_padding_mask=self.padding_mask(tgt_in),
                               memory_key_padding_mask=src_pad, tgt_is_causal=True)
        return self.generator(out)


def build_model():
    torch.manual_seed(0)
    return Seq2SeqTransformer()


def make_data():
    n = 10
    body = torch.randint(3, VOCAB, (n, SRC_LEN))
    lengths = torch.tensor([6, 4, 5, 3, 6, 2, 6, 5, 4, 6])
    src = torch.full((n, SRC_LEN), PAD, dtype=torch.long)
    tgt = torch.full((n, SRC_LEN + 2), PAD, dtype=torch.long)
    for i in range(n):
        L = int(lengths[i])
        src[i, :L] = body[i, :L]
        tgt[i, 0] = BOS
        tgt[i, 1:L + 1] = body[i, :L].flip(0)
        tgt[i, L + 1] = EOS
    return src, tgt


def train(model, data, steps):
    src, tgt = data
    tgt_in, tgt_out = tgt[:, :-1], tgt[:, 1:]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.train()
    losses = []
    for _ in range(steps):
        logits = model(src, tgt_in)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), tgt_out.reshape(-1),
                               ignore_index=PAD)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        losses.append(loss.item())
    return losses


@torch.no_grad()
def greedy_decode(model, src, max_len):
    ys = torch.full((src.size(0), 1), BOS, dtype=torch.long)
    for _ in range(max_len - 1):
        logits = model(src, ys)
        next_token = logits[:, -1].argmax(dim=-1, keepdim=True)
        ys = torch.cat([ys, next_token], dim=1)
    return ys


def evaluate(model, data):
    src, tgt = data
    model.eval()
    with torch.no_grad():
        logits = model(src, tgt[:, :-1])
        loss = F.cross_entropy(logits.transpose(1, 2), tgt[:, 1:], ignore_index=PAD)
    decoded = greedy_decode(model, src[:3], 5)
    return loss.item(), decoded.tolist()
