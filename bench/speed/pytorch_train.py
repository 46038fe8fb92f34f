"""Training throughput of the same Llama-style model in PyTorch (eager, CPU), for comparison with
`strawberry bench train`. Prints tokens/s for float32 and for bfloat16 autocast.

Run through bench/compare_train.sh, which installs PyTorch from PyPI into bench/.venv and runs
both sides in one go on the same machine.
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {  # must match ModelConfig.presets in Sources/Model/ModelConfig.swift
    "tiny": dict(dim=96, layers=3, heads=4, kv_heads=2, ffn=256, context=256),
    "micro": dict(dim=128, layers=5, heads=4, kv_heads=2, ffn=352, context=256),
    "small": dict(dim=256, layers=4, heads=8, kv_heads=4, ffn=688, context=256),
    "base": dict(dim=384, layers=8, heads=6, kv_heads=2, ffn=1024, context=512),
}
VOCAB = 272


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.kv_heads = c["heads"], c["kv_heads"]
        self.head_dim = c["dim"] // c["heads"]
        self.attn_norm = nn.RMSNorm(c["dim"], eps=1e-5)
        self.q = nn.Linear(c["dim"], self.heads * self.head_dim, bias=False)
        self.k = nn.Linear(c["dim"], self.kv_heads * self.head_dim, bias=False)
        self.v = nn.Linear(c["dim"], self.kv_heads * self.head_dim, bias=False)
        self.o = nn.Linear(self.heads * self.head_dim, c["dim"], bias=False)
        self.mlp_norm = nn.RMSNorm(c["dim"], eps=1e-5)
        self.gate = nn.Linear(c["dim"], c["ffn"], bias=False)
        self.up = nn.Linear(c["dim"], c["ffn"], bias=False)
        self.down = nn.Linear(c["ffn"], c["dim"], bias=False)

    def forward(self, x, cos, sin):
        b, t, _ = x.shape
        h = self.attn_norm(x)
        q = self.q(h).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k(h).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v(h).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        x = x + self.o(y.transpose(1, 2).reshape(b, t, -1))
        h = self.mlp_norm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, c["dim"])
        self.blocks = nn.ModuleList(Block(c) for _ in range(c["layers"]))
        self.norm = nn.RMSNorm(c["dim"], eps=1e-5)
        hd = c["dim"] // c["heads"]
        inv = 10000.0 ** (-torch.arange(0, hd, 2).float() / hd)
        angles = torch.outer(torch.arange(c["context"]).float(), inv)
        angles = torch.cat((angles, angles), dim=-1)
        self.register_buffer("cos", angles.cos())
        self.register_buffer("sin", angles.sin())

    def forward(self, tokens):
        t = tokens.shape[1]
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x, self.cos[:t], self.sin[:t])
        return F.linear(self.norm(x), self.embed.weight)  # tied LM head


def measure(c, batch, length, steps, bf16):
    torch.manual_seed(0)
    model = Model(c)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
    tokens = torch.randint(0, 256, (batch, length))
    targets = (tokens + 1) % 256

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(tokens)
        loss = F.cross_entropy(logits.float().view(-1, VOCAB), targets.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    per_step = (time.perf_counter() - start) / steps
    return batch * length / per_step


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--preset", default="small", choices=PRESETS)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--length", type=int)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    c = PRESETS[a.preset]
    length = a.length or c["context"]
    result = {"preset": a.preset, "batch": a.batch_size, "length": length, "threads": a.threads,
              "torch": torch.__version__,
              "float32_tokens_per_s": measure(c, a.batch_size, length, a.steps, False),
              "bf16_tokens_per_s": measure(c, a.batch_size, length, a.steps, True)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
