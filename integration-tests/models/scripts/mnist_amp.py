"""pytorch/examples mnist/main.py on small random digits, trained under bfloat16 CPU
autocast: argparse-style options (no_cuda, no_mps, amp), device selection through
torch.cuda.is_available / torch.backends.mps.is_available, the example's Net (conv, conv,
max_pool2d, flatten, fc, log_softmax), F.nll_loss, Adadelta + StepLR(gamma=0.7), and the
test loop with sum-reduced loss and `pred.eq(target.view_as(pred))`. Convolutions and
Linear layers run in bfloat16, nll_loss in float32 (torch's autocast lists); with the
model in float64 autocast leaves everything in float64."""

import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR

parser = argparse.ArgumentParser(description="PyTorch MNIST Example")
parser.add_argument("--lr", type=float, default=1.0, metavar="LR")
parser.add_argument("--gamma", type=float, default=0.7, metavar="M")
parser.add_argument("--no-cuda", action="store_true", default=False)
parser.add_argument("--no-mps", action="store_true", default=False)
parser.add_argument("--amp", action="store_true", default=True)
parser.add_argument("--seed", type=int, default=1, metavar="S")
args = parser.parse_args([])

use_cuda = not args.no_cuda and torch.cuda.is_available()
use_mps = not args.no_mps and torch.backends.mps.is_available()
if use_cuda:
    device = torch.device("cuda")
elif use_mps:
    device = torch.device("mps")
else:
    device = torch.device("cpu")
amp_dtype = torch.bfloat16 if device.type == "cpu" else torch.float16


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout1 = nn.Dropout(0.0)
        self.dropout2 = nn.Dropout(0.0)
        self.fc1 = nn.Linear(16 * 4 * 4, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def build_model():
    return Net().to(device)


def make_data():
    target = torch.arange(32) % 10
    data = torch.randn(32, 1, 12, 12) * 0.3
    rows = (target % 5) * 2
    cols = (target // 5) * 5
    for i in range(32):  # a bright block whose position encodes the digit
        data[i, 0, rows[i]:rows[i] + 3, cols[i]:cols[i] + 4] += 1.5
    return data, target


def train(model, data, steps):
    data, target = data
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=3, gamma=args.gamma)
    model.train()
    losses = []
    for step in range(steps):
        lo = (step % 2) * 16
        x, y = data[lo:lo + 16].to(device), target[lo:lo + 16].to(device)
        optimizer.zero_grad()
        with torch.autocast(device_type=device.type, dtype=amp_dtype, enabled=args.amp):
            output = model(x)
            loss = F.nll_loss(output, y)
        assert loss.dtype == (torch.float64 if x.dtype == torch.float64 else torch.float32)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step % 2 == 1:
            scheduler.step()
    return losses


def evaluate(model, data):
    data, target = data
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad(), torch.autocast(device_type=device.type, dtype=amp_dtype,
                                         enabled=args.amp):
        output = model(data.to(device))
        test_loss += F.nll_loss(output, target, reduction="sum").item()
        pred = output.argmax(dim=1, keepdim=True)
        correct += pred.eq(target.view_as(pred)).sum().item()
    return test_loss / len(target), correct
