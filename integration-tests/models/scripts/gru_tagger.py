"""A bidirectional GRU sequence tagger on variable-length sentences.

A Dataset subclass and a collate_fn padding with pad_sequence feed a DataLoader; the model
packs the padded batch with pack_padded_sequence, unpacks with pad_packed_sequence, and
the loss ignores the padding through ignore_index.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence
from torch.utils.data import DataLoader, Dataset

VOCAB = 30
TAGS = 5
PAD_TAG = -100


class TaggingDataset(Dataset):
    def __init__(self, tokens, lengths):
        self.tokens = tokens
        self.lengths = lengths

    def __len__(self):
        return len(self.lengths)

    def __getitem__(self, i):
        n = int(self.lengths[i])
        words = self.tokens[i, :n]
        tags = words % TAGS
        return words, tags


def collate(batch):
    words, tags = zip(*batch)
    lengths = torch.tensor([len(w) for w in words])
    words = pad_sequence(list(words), batch_first=True, padding_value=0)
    tags = pad_sequence(list(tags), batch_first=True, padding_value=PAD_TAG)
    return words, tags, lengths


class GRUTagger(nn.Module):
    def __init__(self, vocab=VOCAB, embed=12, hidden=16, tags=TAGS):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed, padding_idx=0)
        self.gru = nn.GRU(embed, hidden, num_layers=1, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, tags)

    def forward(self, words, lengths):
        emb = self.embedding(words)
        packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
        packed_out, h_n = self.gru(packed)
        out, _ = pad_packed_sequence(packed_out, batch_first=True,
                                     total_length=words.size(1))
        return F.log_softmax(self.out(out), dim=-1)


def build_model():
    torch.manual_seed(0)
    return GRUTagger()


def make_data():
    tokens = torch.randint(1, VOCAB, (12, 9))
    lengths = torch.tensor([9, 4, 7, 2, 9, 5, 6, 3, 8, 9, 1, 5])
    return tokens, lengths


def train(model, data, steps):
    tokens, lengths = data
    loader = DataLoader(TaggingDataset(tokens, lengths), batch_size=4, shuffle=False,
                        collate_fn=collate)
    criterion = nn.NLLLoss(ignore_index=PAD_TAG)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    while len(losses) < steps:
        model.train()
        for words, tags, batch_lengths in loader:
            scores = model(words, batch_lengths)
            loss = criterion(scores.view(-1, TAGS), tags.view(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            if len(losses) == steps:
                break
    return losses


def evaluate(model, data):
    tokens, lengths = data
    loader = DataLoader(TaggingDataset(tokens, lengths), batch_size=6, collate_fn=collate)
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for words, tags, batch_lengths in loader:
            pred = model(words, batch_lengths).argmax(-1)
            mask = tags != PAD_TAG
            correct += (pred[mask] == tags[mask]).sum().item()
            total += mask.sum().item()
    return correct / total
