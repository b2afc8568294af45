"""Train a small CNN to tell circles, squares, triangles and crosses apart.

The images (28x28, one channel) are drawn with numpy from a fixed seed: each shape gets
a random size, position, rotation and brightness, on a noisy background. The model
(two Conv2d/ReLU/MaxPool2d blocks and two Linear layers) is trained with an ember
optimizer on batches from ``ember.utils.data.DataLoader``; a text progress bar shows the
running loss and accuracy, every epoch ends with the held-out accuracy, and a checkpoint
is written with ``ember.save`` so a later run with ``--resume`` continues from it.
With matplotlib installed the loss curve is saved as a PNG.

Run it with::

    python -m ember_optim.examples.train_shapes            # 30-60 s on 2 cores
    python -m ember_optim.examples.train_shapes --epochs 7 --resume   # two more epochs

It needs ember-data, ember-conv, ember-layers and ember-losses besides ember-optim.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

import numpy as np

# OpenMP threads that spin while waiting starve each other on a busy machine; waiting
# passively keeps the kernels' thread pool cheap. It must be set before the cpu backend
# loads its kernels, which happens at the first tensor operation.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import ember  # noqa: E402

CLASSES = ("circle", "square", "triangle", "cross")
SIZE = 28


def draw_shapes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random shape images and their labels.

    Returns:
        images of shape ``(n, 1, 28, 28)`` (float32, roughly zero mean) and labels of
        shape ``(n,)`` (int64, an index into :data:`CLASSES`).

    >>> images, labels = draw_shapes(8, seed=0)
    >>> images.shape, labels.shape, images.dtype
    ((8, 1, 28, 28), (8,), dtype('float32'))
    """
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(CLASSES), n)
    col = lambda values: values.reshape(n, 1, 1)  # noqa: E731  (per-image parameters)
    radius = col(rng.uniform(6.0, 10.0, n))
    cx = col(rng.uniform(10.0, 18.0, n))
    cy = col(rng.uniform(10.0, 18.0, n))
    angle = col(rng.uniform(0.0, 2 * math.pi, n))
    brightness = col(rng.uniform(0.7, 1.0, n))

    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64) + 0.5
    dx, dy = xx - cx, yy - cy
    # coordinates in each shape's own rotated frame
    u = dx * np.cos(angle) + dy * np.sin(angle)
    v = -dx * np.sin(angle) + dy * np.cos(angle)
    masks = {
        "circle": dx**2 + dy**2 <= radius**2,
        "square": (np.abs(u) <= 0.8 * radius) & (np.abs(v) <= 0.8 * radius),
        "triangle": (v >= -radius / 2) & (v <= radius - math.sqrt(3) * np.abs(u)),
        "cross": (((np.abs(u) <= 0.28 * radius) & (np.abs(v) <= radius))
                  | ((np.abs(v) <= 0.28 * radius) & (np.abs(u) <= radius))),
    }
    shape_mask = np.zeros((n, SIZE, SIZE), dtype=bool)
    for k, name in enumerate(CLASSES):
        pick = (labels == k).reshape(n, 1, 1)
        shape_mask |= pick & masks[name]
    images = shape_mask * brightness + rng.normal(0.0, 0.1, (n, SIZE, SIZE))
    images = (images - 0.25) / 0.45
    return images.astype(np.float32).reshape(n, 1, SIZE, SIZE), labels.astype(np.int64)


def build_model() -> Any:
    """The CNN: ``(N, 1, 28, 28)`` images to ``(N, 4)`` class scores."""
    nn = ember.nn
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),      # 8 x 14 x 14
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),     # 16 x 7 x 7
        nn.Flatten(), nn.Linear(16 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, len(CLASSES)),
    )


def progress_bar(out: TextIO, epoch: int, epochs: int, step: int, steps: int, loss: float,
                 acc: float, width: int = 24) -> None:
    """Redraw the one-line progress bar (``\\r`` returns to the line's start)."""
    filled = int(width * step / max(steps, 1))
    bar = "#" * filled + "." * (width - filled)
    out.write(f"\repoch {epoch}/{epochs} [{bar}] {step}/{steps} "
              f"loss {loss:.4f} acc {100 * acc:5.1f}%")
    out.flush()


def evaluate(model: Any, loader: Any) -> float:
    """The accuracy of ``model`` over ``loader`` (in eval mode, without gradients)."""
    model.eval()
    correct = total = 0
    with ember.no_grad():
        for images, labels in loader:
            pred = model(images).argmax(1)
            correct += int((pred == labels).sum().item())
            total += int(labels.shape[0])
    model.train()
    return correct / max(total, 1)


def save_loss_curve(history: Sequence[float], path: str) -> bool:
    """Plot the per-step training loss to ``path``; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    steps = np.arange(1, len(history) + 1)
    window = min(20, len(history))
    smooth = np.convolve(history, np.ones(window) / window, mode="valid")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(steps, history, linewidth=0.8, alpha=0.4, label="per step")
    ax.plot(steps[window - 1:], smooth, linewidth=1.5, label=f"mean of {window}")
    ax.legend()
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.set_yscale("log")
    ax.set_title("ember: shapes CNN")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command-line options (``argv`` None: ``sys.argv``)."""
    p = argparse.ArgumentParser(prog="python -m ember_optim.examples.train_shapes",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=5, help="train until this many epochs")
    p.add_argument("--train-size", type=int, default=6000)
    p.add_argument("--test-size", type=int, default=1000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps-per-epoch", type=int, default=None,
                   help="stop each epoch after this many steps (quick runs)")
    p.add_argument("--num-workers", type=int, default=0, help="DataLoader worker processes")
    p.add_argument("--threads", type=int, default=None, help="ember.set_num_threads")
    p.add_argument("--out-dir", default="train_shapes_out",
                   help="where the checkpoint and the loss curve go")
    p.add_argument("--resume", action="store_true",
                   help="continue from the checkpoint in --out-dir")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> float:
    """Train (or resume), report, save; returns the final held-out accuracy."""
    args = parse_args(argv)
    if args.threads:
        ember.set_num_threads(args.threads)
    data = ember.utils.data
    start = time.perf_counter()
    os.makedirs(args.out_dir, exist_ok=True)
    ckpt_path = os.path.join(args.out_dir, "checkpoint.pt")

    train_x, train_y = draw_shapes(args.train_size, seed=args.seed)
    test_x, test_y = draw_shapes(args.test_size, seed=args.seed + 1)
    train_set = data.TensorDataset(ember.from_numpy(train_x), ember.from_numpy(train_y))
    test_set = data.TensorDataset(ember.from_numpy(test_x), ember.from_numpy(test_y))
    shuffle_gen = ember.Generator()
    train_loader = data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                                   generator=shuffle_gen, num_workers=args.num_workers,
                                   persistent_workers=args.num_workers > 0)
    test_loader = data.DataLoader(test_set, batch_size=256)

    ember.manual_seed(args.seed)
    model = build_model()
    optimizer = ember.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = ember.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.3)
    loss_fn = ember.nn.CrossEntropyLoss()
    first_epoch, history = 1, []
    if args.resume:
        if not os.path.exists(ckpt_path):
            raise SystemExit(f"--resume: no checkpoint at {ckpt_path}")
        ckpt = ember.load(ckpt_path)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        first_epoch, history = ckpt["epoch"] + 1, list(ckpt["history"])
        out.write(f"resumed from {ckpt_path} after epoch {ckpt['epoch']} "
                  f"(held-out accuracy then {100 * ckpt['test_acc']:.1f}%)\n")

    n_params = sum(p.numel() for p in model.parameters())
    out.write(f"{args.train_size} training / {args.test_size} held-out images of "
              f"{', '.join(CLASSES)}; CNN with {n_params} parameters, Adam lr {args.lr}\n")
    test_acc = evaluate(model, test_loader) if first_epoch > args.epochs else 0.0
    for epoch in range(first_epoch, args.epochs + 1):
        shuffle_gen.manual_seed(args.seed * 1000 + epoch)  # a resumed run sees the same order
        steps = len(train_loader)
        if args.steps_per_epoch is not None:
            steps = min(steps, args.steps_per_epoch)
        run_loss = run_correct = run_seen = 0.0
        for step, (images, labels) in enumerate(train_loader, start=1):
            optimizer.zero_grad()
            logits = model(images)
            loss = loss_fn(logits, labels)
            loss.backward()
            optimizer.step()
            value = float(loss.item())
            history.append(value)
            run_loss += value * labels.shape[0]
            run_correct += float((logits.argmax(1) == labels).sum().item())
            run_seen += labels.shape[0]
            progress_bar(out, epoch, args.epochs, step, steps, run_loss / run_seen,
                         run_correct / run_seen)
            if step >= steps:
                break
        scheduler.step()
        test_acc = evaluate(model, test_loader)
        out.write(f"  held-out acc {100 * test_acc:5.1f}%\n")
        ember.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "epoch": epoch,
                    "history": history, "test_acc": test_acc}, ckpt_path)

    out.write(f"final held-out accuracy: {100 * test_acc:.1f}% on {args.test_size} images "
              f"({time.perf_counter() - start:.1f} s); checkpoint: {ckpt_path}\n")
    plot_path = os.path.join(args.out_dir, "loss_curve.png")
    if history and save_loss_curve(history, plot_path):
        out.write(f"loss curve: {plot_path}\n")
    return test_acc


if __name__ == "__main__":
    main()
