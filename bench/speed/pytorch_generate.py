"""Decode throughput of the same model in PyTorch eager with a KV cache, for comparison with
`strawberry bench generate`. Greedy decoding of N tokens after a random prompt, float32 and
bfloat16 autocast, at several batch sizes. Run through bench/compare_generate.sh."""
import argparse
import json
import time

import torch
import torch.nn.functional as F

from pytorch_train import PRESETS, Model, rotate_half


@torch.no_grad()
def step(model, tokens, caches, pos):
    """One cached forward over `tokens` [B, t] starting at position `pos`; returns last logits."""
    b, t = tokens.shape
    x = model.embed(tokens)
    cos, sin = model.cos[pos:pos + t], model.sin[pos:pos + t]
    for block, cache in zip(model.blocks, caches):
        h = block.attn_norm(x)
        q = block.q(h).view(b, t, block.heads, block.head_dim).transpose(1, 2)
        k = block.k(h).view(b, t, block.kv_heads, block.head_dim).transpose(1, 2)
        v = block.v(h).view(b, t, block.kv_heads, block.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        cache["k"][:, :, pos:pos + t] = k
        cache["v"][:, :, pos:pos + t] = v
        keys, values = cache["k"][:, :, :pos + t], cache["v"][:, :, :pos + t]
        y = F.scaled_dot_product_attention(q, keys, values, is_causal=(t > 1), enable_gqa=True)
        x = x + block.o(y.transpose(1, 2).reshape(b, t, -1))
        h = block.mlp_norm(x)
        x = x + block.down(F.silu(block.gate(h)) * block.up(h))
    return F.linear(model.norm(x[:, -1]), model.embed.weight)


def measure(c, batch, prompt, tokens, bf16):
    torch.manual_seed(0)
    model = Model(c).eval()
    hd = c["dim"] // c["heads"]
    caches = [{"k": torch.zeros(batch, c["kv_heads"], c["context"], hd), "v": torch.zeros(batch, c["kv_heads"], c["context"], hd)}
              for _ in range(c["layers"])]
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        logits = step(model, torch.randint(0, 256, (batch, prompt)), caches, 0)
        start = time.perf_counter()
        for i in range(tokens):
            nxt = logits.argmax(-1, keepdim=True)
            logits = step(model, nxt, caches, prompt + i)
    return batch * tokens / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--preset", default="small", choices=PRESETS)
    p.add_argument("--batch", default="1,16,64")
    p.add_argument("--prompt", type=int, default=32)
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    c = PRESETS[a.preset]
    out = {"preset": a.preset, "torch": torch.__version__, "threads": a.threads, "float32": {}, "bf16": {}}
    for b in [int(x) for x in a.batch.split(",")]:
        out["float32"][b] = measure(c, b, a.prompt, a.tokens, False)
        out["bf16"][b] = measure(c, b, a.prompt, min(a.tokens, 16), True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
