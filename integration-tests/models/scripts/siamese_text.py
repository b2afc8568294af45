"""A siamese sentence encoder for metric learning.

Embedding with max_norm (renormalized in place on lookup), a bidirectional LSTM with
proj_size and an explicit initial state, a GRU over its outputs, F.normalize, and three
objectives: TripletMarginLoss, CosineEmbeddingLoss, and a Bilinear scorer with
MarginRankingLoss.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self, vocab=25, embed=8, hidden=10, proj=6):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed, max_norm=1.0)
        self.lstm = nn.LSTM(embed, hidden, num_layers=1, batch_first=True,
                            bidirectional=True, proj_size=proj)
        self.gru = nn.GRU(2 * proj, hidden, batch_first=True)
        self.num_directions = 2
        self.hidden, self.proj = hidden, proj

    def forward(self, tokens):
        B = tokens.size(0)
        weight = next(self.parameters())  # init_hidden as in word_language_model
        h0 = weight.new_zeros(self.num_directions, B, self.proj)
        c0 = weight.new_zeros(self.num_directions, B, self.hidden)
        out, (h_n, c_n) = self.lstm(self.embedding(tokens), (h0, c0))
        _, h = self.gru(out)
        return F.normalize(h[-1], dim=-1)


class Siamese(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.scorer = nn.Bilinear(10, 10, 1)

    def forward(self, a, b):
        return self.scorer(self.encoder(a), self.encoder(b)).squeeze(-1)


def build_model():
    torch.manual_seed(0)
    return Siamese()


def make_data():
    anchor = torch.randint(0, 25, (6, 7))
    positive = anchor.clone()
    positive[:, -2:] = torch.randint(0, 25, (6, 2))
    negative = torch.randint(0, 25, (6, 7))
    return anchor, positive, negative


def train(model, data, steps):
    anchor, positive, negative = data
    triplet = nn.TripletMarginLoss(margin=0.5, p=2)
    cosine = nn.CosineEmbeddingLoss(margin=0.1)
    ranking = nn.MarginRankingLoss(margin=0.2)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=5e-3, momentum=0.5)
    model.train()
    losses = []
    for _ in range(steps):
        ea, ep, en = (model.encoder(t) for t in (anchor, positive, negative))
        ones = torch.ones(anchor.size(0))
        loss = triplet(ea, ep, en)
        loss = loss + cosine(torch.cat([ea, ea]), torch.cat([ep, en]), torch.cat([ones, -ones]))
        loss = loss + ranking(model(anchor, positive), model(anchor, negative), ones)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def evaluate(model, data):
    anchor, positive, negative = data
    model.eval()
    with torch.no_grad():
        ea, ep, en = (model.encoder(t) for t in (anchor, positive, negative))
        d_pos = F.pairwise_distance(ea, ep)
        d_neg = F.pairwise_distance(ea, en)
        sim = F.cosine_similarity(ea, ep, dim=-1)
    return (d_pos < d_neg).float().mean().item(), sim.tolist()
