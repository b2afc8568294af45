"""Model compression idioms: magnitude pruning, lottery-ticket rewinding, parametrizations.

A small conv + MLP classifier whose square mixing layer is kept symmetric by a custom
parametrization (parametrize.register_parametrization) and whose recurrent-style
transition is kept orthogonal (parametrizations.orthogonal). Training follows the
lottery-ticket recipe: the initial state_dict is kept, the dense model is trained, the
conv is pruned with prune.l1_unstructured and then by whole channels with
prune.ln_structured (a PruningContainer), the classifier layers together with
prune.global_unstructured, the surviving weights (now `weight_orig`) are rewound to
their initial values, the sparse model is retrained (clip_grad_value_, Adam +
PolynomialLR) in two halves whose snapshots are averaged through parameters_to_vector /
vector_to_parameters, and the pruning is made permanent with prune.remove. The sparsity
is read off model.named_buffers(); the state_dict makes a round trip through
torch.save/torch.load into a fresh model with the same parametrizations, and evaluation
runs under torch.inference_mode() and parametrize.cached().
"""

import io

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.parametrize as parametrize
import torch.nn.utils.prune as prune
from torch.nn.utils import parameters_to_vector, vector_to_parameters
from torch.nn.utils.parametrizations import orthogonal


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)


class Net(nn.Module):
    def __init__(self, in_channels=2, hidden=16, num_classes=3):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, 4, kernel_size=3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc1 = nn.Linear(4 * 2 * 2, hidden)
        self.mix = nn.Linear(hidden, hidden)
        self.transition = nn.Linear(hidden, hidden, bias=False)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.conv(x))).flatten(1)
        h = torch.tanh(self.fc1(x))
        h = h + torch.tanh(self.mix(h))
        h = torch.tanh(self.transition(h))
        return self.fc2(h)


def make_net():
    net = Net()
    parametrize.register_parametrization(net.mix, "weight", Symmetric())
    orthogonal(net.transition)
    return net


def build_model():
    torch.manual_seed(0)
    return make_net()


def make_data():
    x = torch.randn(24, 2, 6, 6)
    score = torch.stack([x[:, 0].mean((1, 2)), x[:, 1].mean((1, 2)),
                         x[:, 0, :3].mean((1, 2)) - x[:, 1, 3:].mean((1, 2))], 1)
    y = score.argmax(1)
    return x, y


def _fit(model, x, y, steps, lr):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.PolynomialLR(optimizer, total_iters=steps, power=2.0)
    model.train()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.5)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses


def sparsity(model):
    zeros = total = 0
    for name, buf in model.named_buffers():
        if name.endswith("weight_mask"):
            zeros += int(torch.sum(buf == 0))
            total += buf.nelement()
    return zeros / max(total, 1)


def train(model, data, steps):
    x, y = data
    # Lottery ticket: remember the initialization before any training.
    init_state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    dense_steps = steps // 2
    losses = _fit(model, x, y, dense_steps, lr=1e-2)

    # Unstructured, then one whole output channel on top (a PruningContainer).
    prune.l1_unstructured(model.conv, name="weight", amount=0.25)
    prune.ln_structured(model.conv, name="weight", amount=1, n=2, dim=0)
    parameters_to_prune = ((model.fc1, "weight"), (model.fc2, "weight"))
    prune.global_unstructured(parameters_to_prune, pruning_method=prune.L1Unstructured,
                              amount=0.4)
    assert 0.4 < sparsity(model) < 0.5, sparsity(model)

    # Rewind the surviving weights to their initial values; the masks stay.
    with torch.no_grad():
        for name, param in model.named_parameters():
            param.copy_(init_state[name.replace("weight_orig", "weight")])

    # Retrain the ticket in two halves and average the two snapshots (a poor man's SWA).
    sparse_steps = steps - dense_steps
    losses += _fit(model, x, y, sparse_steps // 2, lr=1e-2)
    snapshot = parameters_to_vector(model.parameters()).detach().clone()
    losses += _fit(model, x, y, sparse_steps - sparse_steps // 2, lr=5e-3)
    averaged = 0.5 * (snapshot + parameters_to_vector(model.parameters()).detach())
    vector_to_parameters(averaged, model.parameters())

    for module, name in ((model.conv, "weight"),) + parameters_to_prune:
        prune.remove(module, name)
    assert not any(name.endswith("_mask") for name, _ in model.named_buffers())

    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    restored = make_net().to(next(model.parameters()).dtype)
    restored.load_state_dict(torch.load(buffer))
    model.load_state_dict(restored.state_dict())
    return losses


def evaluate(model, data):
    x, y = data
    model.eval()
    with torch.inference_mode(), parametrize.cached():
        logits = model(x)
        loss = F.cross_entropy(logits, y).item()
        acc = (logits.argmax(1) == y).float().mean().item()
        w = model.transition.weight
        ortho_err = (w @ w.T - torch.eye(w.size(0), dtype=w.dtype)).abs().max().item()
        mix = model.mix.weight
        sym_err = (mix - mix.T).abs().max().item()
        zero_frac = (model.fc1.weight == 0).float().mean().item()
    return loss, acc, ortho_err < 1e-4, sym_err, zero_frac
