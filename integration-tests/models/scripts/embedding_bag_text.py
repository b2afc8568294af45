"""A bag-of-embeddings text classifier fed by a DataLoader over a TensorDataset."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

VOCAB = 50
CLASSES = 4


class TextClassifier(nn.Module):
    def __init__(self, vocab_size=VOCAB, embed_dim=12, num_classes=CLASSES):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, mode="mean")
        self.fc = nn.Linear(embed_dim, num_classes)
        self.init_weights()

    def init_weights(self):
        initrange = 0.5
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.fc.weight.data.uniform_(-initrange, initrange)
        self.fc.bias.data.zero_()

    def forward(self, text, offsets=None):
        return self.fc(self.embedding(text, offsets))


def build_model():
    return TextClassifier()


def make_data():
    docs = torch.randint(0, VOCAB, (40, 6))
    labels = (docs[:, 0] % CLASSES).long()
    return docs, labels


def _flatten_batch(docs):
    # Ragged batches as 1-d text + offsets, the way torchtext tutorials feed EmbeddingBag.
    lengths = [3 + (i % 4) for i in range(docs.size(0))]
    text = torch.cat([doc[:n] for doc, n in zip(docs, lengths)])
    offsets = torch.tensor([0] + lengths[:-1]).cumsum(dim=0)
    return text, offsets


def train(model, data, steps):
    docs, labels = data
    loader = DataLoader(TensorDataset(docs, labels), batch_size=8, shuffle=False,
                        drop_last=True)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=2.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 3, gamma=0.7)
    losses = []
    step = 0
    while step < steps:
        model.train()
        for batch_docs, batch_labels in loader:
            if step == steps:
                break
            text, offsets = _flatten_batch(batch_docs)
            optimizer.zero_grad()
            loss = criterion(model(text, offsets), batch_labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            optimizer.step()
            losses.append(loss.item())
            step += 1
        scheduler.step()
    return losses


def evaluate(model, data):
    docs, labels = data
    loader = DataLoader(TensorDataset(docs, labels), batch_size=16)
    model.eval()
    total_acc, total_count, total_loss = 0, 0, 0.0
    with torch.no_grad():
        for batch_docs, batch_labels in loader:
            logits = model(batch_docs)  # 2-d input: fixed-length bags, no offsets
            total_loss += F.cross_entropy(logits, batch_labels, reduction="sum").item()
            total_acc += (logits.argmax(1) == batch_labels).sum().item()
            total_count += batch_labels.size(0)
    return total_acc / total_count, total_loss / total_count
