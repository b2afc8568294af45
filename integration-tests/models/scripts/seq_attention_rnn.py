"""An attention seq2seq RNN (Bahdanau et al.) learning to reverse token sequences.

A bidirectional GRU encoder (time-major, fed a PackedSequence from pack_sequence) and a
GRUCell decoder unrolled by hand: at every step additive attention scores the encoder
outputs, padding positions are masked out before the softmax, and the context vector
(a batched matrix product) is fed to the cell with the previous token. Teacher forcing
follows a fixed schedule; evaluation decodes greedily.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_sequence, pad_packed_sequence, pad_sequence
from torch.optim.lr_scheduler import ReduceLROnPlateau

PAD, SOS, EOS = 0, 1, 2
VOCAB = 12


class Encoder(nn.Module):
    def __init__(self, vocab, emb_dim, enc_hid, dec_hid):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb_dim, padding_idx=PAD)
        self.rnn = nn.GRU(emb_dim, enc_hid, bidirectional=True)
        self.fc = nn.Linear(enc_hid * 2, dec_hid)

    def forward(self, src_seqs):
        packed = pack_sequence([self.embedding(s) for s in src_seqs], enforce_sorted=False)
        packed_outputs, hidden = self.rnn(packed)
        outputs, lengths = pad_packed_sequence(packed_outputs, padding_value=0.0)
        # outputs: (src_len, batch, 2 * enc_hid); hidden: (2, batch, enc_hid).
        # The decoder starts from both final states (forward and backward) combined.
        hidden = torch.tanh(self.fc(torch.cat((hidden[-2], hidden[-1]), dim=1)))
        return outputs, hidden, lengths


class Attention(nn.Module):
    def __init__(self, enc_hid, dec_hid, attn_dim):
        super().__init__()
        self.attn = nn.Linear(enc_hid * 2 + dec_hid, attn_dim)
        self.v = nn.Linear(attn_dim, 1, bias=False)

    def forward(self, hidden, encoder_outputs, mask):
        src_len = encoder_outputs.size(0)
        hidden = hidden.unsqueeze(1).repeat(1, src_len, 1)        # (batch, src_len, dec)
        encoder_outputs = encoder_outputs.permute(1, 0, 2)         # (batch, src_len, 2enc)
        energy = torch.tanh(self.attn(torch.cat((hidden, encoder_outputs), dim=2)))
        scores = self.v(energy).squeeze(2)
        scores = scores.masked_fill(mask == 0, -1e10)
        return F.softmax(scores, dim=1)


class Decoder(nn.Module):
    def __init__(self, vocab, emb_dim, enc_hid, dec_hid, attention):
        super().__init__()
        self.vocab = vocab
        self.attention = attention
        self.embedding = nn.Embedding(vocab, emb_dim, padding_idx=PAD)
        self.cell = nn.GRUCell(enc_hid * 2 + emb_dim, dec_hid)
        self.fc_out = nn.Linear(enc_hid * 2 + dec_hid + emb_dim, vocab)

    def forward(self, token, hidden, encoder_outputs, mask):
        embedded = self.embedding(token)                           # (batch, emb)
        a = self.attention(hidden, encoder_outputs, mask)          # (batch, src_len)
        context = torch.bmm(a.unsqueeze(1), encoder_outputs.permute(1, 0, 2)).squeeze(1)
        hidden = self.cell(torch.cat((embedded, context), dim=1), hidden)
        logits = self.fc_out(torch.cat((hidden, context, embedded), dim=1))
        return F.log_softmax(logits, dim=1), hidden, a


class Seq2Seq(nn.Module):
    def __init__(self, emb_dim=10, enc_hid=12, dec_hid=16, attn_dim=12):
        super().__init__()
        self.encoder = Encoder(VOCAB, emb_dim, enc_hid, dec_hid)
        self.decoder = Decoder(VOCAB, emb_dim, enc_hid, dec_hid,
                               Attention(enc_hid, dec_hid, attn_dim))

    @staticmethod
    def make_mask(lengths, max_len):
        return torch.arange(max_len)[None, :] < lengths[:, None]   # (batch, src_len)

    def forward(self, src_seqs, trg, teacher_forcing=True):
        encoder_outputs, hidden, lengths = self.encoder(src_seqs)
        mask = self.make_mask(lengths, encoder_outputs.size(0))
        token = trg[0]
        outputs = []
        for t in range(1, trg.size(0)):
            output, hidden, _ = self.decoder(token, hidden, encoder_outputs, mask)
            outputs.append(output)
            token = trg[t] if teacher_forcing else output.argmax(1)
        return torch.stack(outputs)                                # (trg_len-1, batch, V)


def build_model():
    torch.manual_seed(0)
    return Seq2Seq()


def make_data():
    lengths = [5, 3, 6, 4, 2, 6, 5, 3]
    body = torch.randint(3, VOCAB, (len(lengths), max(lengths)))
    sources = [body[i, :n] for i, n in enumerate(lengths)]
    targets = [torch.cat([torch.tensor([SOS]), s.flip(0), torch.tensor([EOS])])
               for s in sources]
    # The sources stay a list of 1-d tensors (packed by the encoder); the targets are
    # padded to (trg_len, batch), time-major like the encoder.
    return {"src": sources, "trg": pad_sequence(targets, padding_value=PAD)}


def train(model, data, steps):
    src, trg = data["src"], data["trg"]
    criterion = nn.NLLLoss(ignore_index=PAD)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=0)
    model.train()
    losses = []
    for step in range(steps):
        # Teacher forcing on two steps out of three: a fixed schedule.
        output = model(src, trg, teacher_forcing=step % 3 != 2)
        loss = criterion(output.view(-1, VOCAB), trg[1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_value_(model.parameters(), clip_value=0.5)
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        scheduler.step(loss.item())
        losses.append(loss.item())
    return losses


@torch.no_grad()
def greedy_decode(model, src_seqs, max_len=8):
    encoder_outputs, hidden, lengths = model.encoder(src_seqs)
    mask = model.make_mask(lengths, encoder_outputs.size(0))
    token = torch.full((len(src_seqs),), SOS, dtype=torch.long)
    tokens, attentions = [], []
    for _ in range(max_len):
        output, hidden, a = model.decoder(token, hidden, encoder_outputs, mask)
        token = output.argmax(1)
        tokens.append(token)
        attentions.append(a)
    return torch.stack(tokens, dim=1), torch.stack(attentions, dim=1)


def evaluate(model, data):
    src, trg = data["src"], data["trg"]
    model.eval()
    with torch.no_grad():
        output = model(src, trg, teacher_forcing=True)
        loss = F.nll_loss(output.view(-1, VOCAB), trg[1:].reshape(-1), ignore_index=PAD)
    decoded, attention = greedy_decode(model, src)
    # Attention over the padding must be zero: the weight left on real positions.
    on_tokens = attention.sum(-1).mean()
    return loss.item(), decoded.tolist(), attention[0, 0].tolist(), on_tokens.item()
