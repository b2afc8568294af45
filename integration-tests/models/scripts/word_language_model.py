"""pytorch/examples' word_language_model, shortened: RNNModel with the RNN type chosen by
name, tied weights, batchify/get_batch, repackage_hidden for truncated BPTT, and a manual
SGD update through ``p.data.add_(p.grad, alpha=-lr)`` instead of an optimizer."""

import math

import torch
import torch.nn as nn

NTOKEN, BPTT, BATCH = 30, 6, 4


class RNNModel(nn.Module):
    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.0, tie_weights=False):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ["LSTM", "GRU"]:
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            nonlinearity = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}[rnn_type]
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            if nhid != ninp:
                raise ValueError("When using the tied flag, nhid must be equal to emsize")
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return nn.functional.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == "LSTM":
            return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                    weight.new_zeros(self.nlayers, bsz, self.nhid))
        return weight.new_zeros(self.nlayers, bsz, self.nhid)


class TwoLanguageModels(nn.Module):
    """An LSTM model with tied weights and a ReLU-RNN one, trained side by side."""

    def __init__(self):
        super().__init__()
        self.lstm = RNNModel("LSTM", NTOKEN, 12, 12, 2, tie_weights=True)
        self.rnn = RNNModel("RNN_RELU", NTOKEN, 10, 14, 1)


def build_model():
    torch.manual_seed(0)
    return TwoLanguageModels()


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def get_batch(source, i):
    seq_len = min(BPTT, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def make_data():
    return (torch.arange(200) * 7 % NTOKEN + torch.randint(0, 2, (200,))) % NTOKEN


def train(model, data, steps):
    train_data = batchify(data, BATCH)
    criterion = nn.NLLLoss()
    lr, clip = 2.0, 0.25
    losses = []
    for lm in (model.lstm, model.rnn):
        lm.train()
        hidden = lm.init_hidden(BATCH)
        for batch, i in enumerate(range(0, train_data.size(0) - 1, BPTT)):
            if batch == steps // 2:
                break
            inputs, targets = get_batch(train_data, i)
            lm.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = lm(inputs, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(lm.parameters(), clip)
            for p in lm.parameters():
                p.data.add_(p.grad, alpha=-lr)
            losses.append(loss.item())
    return losses


def evaluate(model, data):
    source = batchify(data, 2)
    results = []
    for lm in (model.lstm, model.rnn):
        lm.eval()
        total_loss = 0.0
        hidden = lm.init_hidden(2)
        with torch.no_grad():
            for i in range(0, source.size(0) - 1, BPTT):
                inputs, targets = get_batch(source, i)
                output, hidden = lm(inputs, hidden)
                hidden = repackage_hidden(hidden)
                total_loss += len(inputs) * nn.functional.nll_loss(output, targets).item()
        results.append(math.exp(total_loss / (len(source) - 1)))
    return results
