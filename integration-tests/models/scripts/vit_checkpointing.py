"""A timm-style hybrid ViT trained with activation checkpointing: a conv+BatchNorm stem,
patch embedding sized with `_pair`, cls token and position embedding, attention through
F.scaled_dot_product_attention, blocks run through checkpoint_sequential and the head
through checkpoint; a label-smoothing loss subclassing `_Loss`; weight-decay groups that
skip biases, norms (`_BatchNorm`), cls/pos tokens; parameters counted once by data_ptr;
cudnn switches, a disabled autocast/GradScaler pair and eval under fork_rng."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.loss import _Loss
from torch.nn.modules.utils import _pair
from torch.utils.checkpoint import checkpoint, checkpoint_sequential

torch.backends.cudnn.benchmark = True
torch.backends.cudnn.deterministic = False
use_amp = False  # bfloat16 autocast + GradScaler off: full-precision training
grad_checkpointing = True


class LabelSmoothingCrossEntropy(_Loss):
    """NLL loss with label smoothing (timm.loss.LabelSmoothingCrossEntropy)."""

    def __init__(self, smoothing=0.1):
        super().__init__()
        assert smoothing < 1.0
        self.smoothing = smoothing
        self.confidence = 1.0 - smoothing

    def forward(self, x, target):
        logprobs = F.log_softmax(x, dim=-1)
        nll_loss = -logprobs.gather(dim=-1, index=target.unsqueeze(1))
        nll_loss = nll_loss.squeeze(1)
        smooth_loss = -logprobs.mean(dim=-1)
        loss = self.confidence * nll_loss + self.smoothing * smooth_loss
        return loss.mean()


class PatchEmbed(nn.Module):
    def __init__(self, img_size=8, patch_size=4, in_chans=8, embed_dim=32):
        super().__init__()
        img_size, patch_size = _pair(img_size), _pair(patch_size)
        self.grid_size = (img_size[0] // patch_size[0], img_size[1] // patch_size[1])
        self.num_patches = self.grid_size[0] * self.grid_size[1]
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)  # NCHW -> NLC


class Attention(nn.Module):
    fused_attn = True

    def __init__(self, dim, num_heads=4, qkv_bias=False):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        if self.fused_attn:
            x = F.scaled_dot_product_attention(q, k, v, dropout_p=0.0)
        else:
            attn = (q * self.scale) @ k.transpose(-2, -1)
            x = attn.softmax(dim=-1) @ v
        return self.proj(x.transpose(1, 2).reshape(B, N, C))


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio=2.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        x = x + self.mlp(self.norm2(x))
        return x


class VisionTransformer(nn.Module):
    def __init__(self, num_classes=5, embed_dim=32, depth=4, num_heads=4):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8),
                                  nn.ReLU(inplace=True))
        self.patch_embed = PatchEmbed(embed_dim=embed_dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.randn(1, self.patch_embed.num_patches + 1,
                                                  embed_dim) * 0.02)
        self.blocks = nn.Sequential(*[Block(embed_dim, num_heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)
        self.head = nn.Linear(embed_dim, num_classes)
        self.grad_checkpointing = False
        nn.init.normal_(self.cls_token, std=1e-6)
        self.apply(self._init_weights)

    def _init_weights(self, m):
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)

    def no_weight_decay(self):
        return {"pos_embed", "cls_token"}

    def set_grad_checkpointing(self, enable=True):
        self.grad_checkpointing = enable

    def forward_features(self, x):
        x = self.patch_embed(self.stem(x))
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        x = x + self.pos_embed
        if self.grad_checkpointing and self.training:
            x = checkpoint_sequential(self.blocks, 2, x, use_reentrant=False)
            x = checkpoint(self.norm, x, use_reentrant=True)
        else:
            x = self.norm(self.blocks(x))
        return x

    def forward(self, x):
        return self.head(self.forward_features(x)[:, 0])


def param_groups_weight_decay(model, weight_decay=1e-5, no_weight_decay_list=()):
    no_weight_decay_list = set(no_weight_decay_list)
    norm_params = {id(p) for m in model.modules() if isinstance(m, (_BatchNorm, nn.LayerNorm))
                   for p in m.parameters(recurse=False)}
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if (param.ndim <= 1 or name.endswith(".bias") or name in no_weight_decay_list
                or id(param) in norm_params):
            no_decay.append(param)
        else:
            decay.append(param)
    return [{"params": no_decay, "weight_decay": 0.0},
            {"params": decay, "weight_decay": weight_decay}]


def build_model():
    model = VisionTransformer()
    model.set_grad_checkpointing(grad_checkpointing)
    return model


def make_data():
    x = torch.randn(16, 3, 8, 8)
    y = torch.randint(0, 5, (16,))
    x[torch.arange(16), y % 3, :2, :2] += 2.0  # a class-dependent patch to learn
    return x, y


def train(model, data, steps):
    x, y = data
    groups = param_groups_weight_decay(model, 0.05, model.no_weight_decay())
    optimizer = torch.optim.AdamW(groups, lr=3e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    scaler = torch.amp.GradScaler("cpu", enabled=use_amp)
    criterion = LabelSmoothingCrossEntropy(smoothing=0.1)
    losses = []
    model.train()
    for _ in range(steps):
        for xb, yb in ((x[:8], y[:8]), (x[8:], y[8:])):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=use_amp):
                loss = criterion(model(xb), yb)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            scaler.step(optimizer)
            scaler.update()
            losses.append(loss.item())
        scheduler.step()
    return losses[::2]


def evaluate(model, data):
    x, y = data
    model.eval()
    unique = {p.data_ptr(): p for p in model.parameters()}
    n_params = sum(p.numel() for p in unique.values())
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        logits = model(x)
        acc = (logits.argmax(-1) == y).float().mean().item()
        loss = F.cross_entropy(logits, y).item()
    assert math.isfinite(loss)
    return n_params, acc, loss
