"""Data-parallel training throughput of the same model in PyTorch DDP (gloo, CPU), for comparison
with `mpirun -np N strawberry bench train`: each of the N processes takes batch/N sequences of one
global batch, gradients are all-reduced by DDP, every process steps AdamW with clipping.

Run with `torchrun --nproc_per_node 2 bench/speed/pytorch_ddp_train.py --preset small`, as
bench/speed/compare_mpi.sh does; rank 0 prints one JSON line.
"""
import argparse
import json
import os
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from pytorch_train import PRESETS, VOCAB, Model


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--preset", default="small", choices=PRESETS)
    p.add_argument("--batch-size", type=int, default=8, help="global batch, shared by the processes")
    p.add_argument("--steps", type=int, default=10)
    a = p.parse_args()
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.set_num_threads(int(os.environ.get("THREADS_PER_RANK", "1")))
    c = PRESETS[a.preset]
    length = c["context"]
    torch.manual_seed(0)
    model = DistributedDataParallel(Model(c))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
    tokens = torch.randint(0, 256, (a.batch_size, length))
    share = tokens[a.batch_size * rank // world: a.batch_size * (rank + 1) // world]
    targets = (share + 1) % 256

    def step():
        logits = model(share)
        loss = F.cross_entropy(logits.view(-1, VOCAB), targets.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    step()
    dist.barrier()
    start = time.perf_counter()
    for _ in range(a.steps):
        step()
    dist.barrier()
    per_step = (time.perf_counter() - start) / a.steps
    if rank == 0:
        print(json.dumps({"preset": a.preset, "batch": a.batch_size, "length": length, "processes": world,
                          "torch": torch.__version__, "tokens_per_s": a.batch_size * length / per_step}))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
