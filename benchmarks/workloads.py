"""The benchmark workloads: each builds the same computation in torch and in ember.

``build()`` returns ``(torch_fn, ember_fn, inner)``: two zero-argument callables doing one
unit of work each, and how many units make one timed sample. It raises :class:`Skip` when
an ember plugin the workload needs is not installed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


class Skip(Exception):
    """The workload cannot run here (the reason is the message)."""


@dataclass
class Workload:
    description: str
    build: Callable[[], tuple[Callable[[], Any], Callable[[], Any], int]]


def _need(*names: str) -> None:
    import ember

    for name in names:
        obj: Any = ember
        try:
            for part in name.split("."):
                obj = getattr(obj, part)
        except AttributeError as exc:
            raise Skip(str(exc).split(":")[0]) from None


def _copy_weights(torch_model: Any, ember_model: Any) -> None:
    import ember

    state = {k: ember.tensor(v.detach().numpy()) for k, v in torch_model.state_dict().items()}
    ember_model.load_state_dict(state)


def _both(factory: Callable[[Any], Any]) -> tuple[Any, Any]:
    import torch

    import ember

    torch.manual_seed(0)
    tm = factory(torch)
    em = factory(ember)
    _copy_weights(tm, em)
    return tm, em


def _train_step(lib: Any, model: Any, loss_fn: Any, opt: Any, x: Any, y: Any
                ) -> Callable[[], Any]:
    def step() -> Any:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


# ----------------------------------------------------------------------------- tiny ops


def _tiny_add() -> tuple[Callable[[], Any], Callable[[], Any], int]:
    import torch

    import ember

    ta, tb = torch.ones(4), torch.ones(4)
    ea, eb = ember.ones(4), ember.ones(4)
    return (lambda: ta + tb), (lambda: ea + eb), 2000


def _tiny_add_grad() -> tuple[Callable[[], Any], Callable[[], Any], int]:
    import torch

    import ember

    ta, tb = torch.ones(4, requires_grad=True), torch.ones(4)
    ea, eb = ember.ones(4, requires_grad=True), ember.ones(4)
    return (lambda: ta * tb + 1), (lambda: ea * eb + 1), 1000


def _chain_backward() -> tuple[Callable[[], Any], Callable[[], Any], int]:
    import torch

    import ember

    def make(lib: Any) -> Callable[[], Any]:
        x = lib.ones(8, requires_grad=True)

        def run() -> None:
            y = x
            for _ in range(1000):
                y = y * 1.0001
            y.sum().backward()

        return run

    return make(torch), make(ember), 1


# ----------------------------------------------------------------------------- models


def _mlp() -> tuple[Callable[[], Any], Callable[[], Any], int]:
    _need("nn.Linear", "nn.ReLU", "nn.CrossEntropyLoss", "optim.SGD")
    import torch

    import ember

    def factory(lib: Any) -> Any:
        nn = lib.nn
        return nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
                             nn.Linear(1024, 10))

    tm, em = _both(factory)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 784)).astype(np.float32)
    y = rng.integers(0, 10, 256)
    tstep = _train_step(torch, tm, torch.nn.CrossEntropyLoss(), torch.optim.SGD(
        tm.parameters(), lr=0.01, momentum=0.9), torch.tensor(x), torch.tensor(y))
    estep = _train_step(ember, em, ember.nn.CrossEntropyLoss(), ember.optim.SGD(
        em.parameters(), lr=0.01, momentum=0.9), ember.tensor(x), ember.tensor(y))
    return tstep, estep, 1


def _block() -> tuple[Callable[[], Any], Callable[[], Any], int]:
    _need("nn.Linear", "nn.LayerNorm", "nn.GELU")
    import torch

    import ember

    def factory(lib: Any) -> Any:
        nn = lib.nn
        return nn.Sequential(nn.Linear(1024, 1024), nn.LayerNorm(1024), nn.GELU(),
                             nn.Linear(1024, 1024))

    tm, em = _both(factory)
    x = np.random.default_rng(0).standard_normal((256, 1024)).astype(np.float32)
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)

    def run(model: Any, inp: Any) -> Callable[[], Any]:
        def f() -> None:
            model(inp).sum().backward()

        return f

    return run(tm, tx), run(em, ex), 1


def _conv() -> tuple[Callable[[], Any], Callable[[], Any], int]:
    _need("nn.Conv2d")
    import torch

    import ember

    tm, em = _both(lambda lib: lib.nn.Conv2d(64, 64, 3, padding=1))
    x = np.random.default_rng(0).standard_normal((32, 64, 64, 64)).astype(np.float32)
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)

    def run(model: Any, inp: Any) -> Callable[[], Any]:
        def f() -> None:
            model(inp).sum().backward()

        return f

    return run(tm, tx), run(em, ex), 1


def _cnn() -> tuple[Callable[[], Any], Callable[[], Any], int]:
    _need("nn.Conv2d", "nn.BatchNorm2d", "nn.MaxPool2d", "nn.Linear", "nn.CrossEntropyLoss",
          "optim.SGD")
    import torch

    import ember

    def factory(lib: Any) -> Any:
        nn = lib.nn
        layers: list[Any] = []
        chans = [3, 32, 64, 128]
        for cin, cout in zip(chans[:-1], chans[1:], strict=True):
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                       nn.MaxPool2d(2)]
        layers += [nn.Flatten(), nn.Linear(128 * 4 * 4, 10)]
        return nn.Sequential(*layers)

    tm, em = _both(factory)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    tstep = _train_step(torch, tm, torch.nn.CrossEntropyLoss(),
                        torch.optim.SGD(tm.parameters(), lr=0.01), torch.tensor(x),
                        torch.tensor(y))
    estep = _train_step(ember, em, ember.nn.CrossEntropyLoss(),
                        ember.optim.SGD(em.parameters(), lr=0.01), ember.tensor(x),
                        ember.tensor(y))
    return tstep, estep, 1


def _lstm() -> tuple[Callable[[], Any], Callable[[], Any], int]:
    _need("nn.LSTM", "optim.SGD")
    import torch

    import ember

    tm, em = _both(lambda lib: lib.nn.LSTM(128, 256, num_layers=2))
    x = np.random.default_rng(0).standard_normal((64, 32, 128)).astype(np.float32)
    tx, ex = torch.tensor(x), ember.tensor(x)

    def run(lib: Any, model: Any, inp: Any) -> Callable[[], Any]:
        opt = lib.optim.SGD(model.parameters(), lr=0.01)

        def f() -> None:
            opt.zero_grad()
            model(inp)[0].sum().backward()
            opt.step()

        return f

    return run(torch, tm, tx), run(ember, em, ex), 1


def _transformer() -> tuple[Callable[[], Any], Callable[[], Any], int]:
    _need("nn.TransformerEncoder", "nn.TransformerEncoderLayer", "optim.SGD")
    import torch

    import ember

    def factory(lib: Any) -> Any:
        layer = lib.nn.TransformerEncoderLayer(256, 4, 1024, dropout=0.0, batch_first=True)
        return lib.nn.TransformerEncoder(layer, 4, enable_nested_tensor=False)

    tm, em = _both(factory)
    x = np.random.default_rng(0).standard_normal((16, 128, 256)).astype(np.float32)
    tx, ex = torch.tensor(x), ember.tensor(x)

    def run(lib: Any, model: Any, inp: Any) -> Callable[[], Any]:
        opt = lib.optim.SGD(model.parameters(), lr=0.01)

        def f() -> None:
            opt.zero_grad()
            model(inp).sum().backward()
            opt.step()

        return f

    return run(torch, tm, tx), run(ember, em, ex), 1


def _loader() -> tuple[Callable[[], Any], Callable[[], Any], int]:
    _need("utils.data.DataLoader", "utils.data.TensorDataset")
    import torch
    import torch.utils.data as tud

    import ember

    rng = np.random.default_rng(0)
    x = rng.standard_normal((100_000, 16)).astype(np.float32)
    y = rng.integers(0, 10, 100_000)
    tl = tud.DataLoader(tud.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=256)
    ed = ember.utils.data
    el = ed.DataLoader(ed.TensorDataset(ember.tensor(x), ember.tensor(y)), batch_size=256)

    def drain(loader: Any) -> Callable[[], None]:
        def f() -> None:
            for _ in loader:
                pass

        return f

    return drain(tl), drain(el), 1


WORKLOADS: dict[str, Workload] = {
    "tiny_add": Workload("tiny add (4 elements), no autograd", _tiny_add),
    "tiny_add_grad": Workload("tiny mul+add (4 elements), recording autograd", _tiny_add_grad),
    "chain_backward": Workload("1,000-op autograd chain, forward+backward", _chain_backward),
    "mlp": Workload("MLP 784-1024-1024-10, batch 256, SGD training step", _mlp),
    "block": Workload("Linear-LayerNorm-GELU-Linear 1024, batch 256, fwd+bwd", _block),
    "conv": Workload("Conv2d 64->64 3x3 on 64x64, batch 32, fwd+bwd", _conv),
    "cnn": Workload("small CNN (3 conv blocks) 32x32, batch 64, SGD step", _cnn),
    "lstm": Workload("2-layer LSTM 128->256, seq 64, batch 32, SGD step", _lstm),
    "transformer": Workload("4-layer TransformerEncoder d256, seq 128, batch 16, SGD step",
                            _transformer),
    "loader": Workload("DataLoader over 100k-sample TensorDataset, batch 256", _loader),
}
