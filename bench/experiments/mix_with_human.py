#!/usr/bin/env python3
"""Mixes expert iteration's kept samples 1:1 with human worked solutions, as ReST-EM and RAFT mix
a model's own verified samples with the data it started from.

Usage: mix_with_human.py KEPT.jsonl HUMAN.jsonl SEED [CUT_SHARE] > MIX.jsonl

Every kept line is written unchanged (a "budget_level" too: a model that reads its budget learns
it under that line, the human lines under a level drawn per batch); as many human lines, drawn
without replacement with SEED, follow, and CUT_SHARE of those (default 0.5; drawn with SEED too;
0 for a model that reads its budget, whose budget line already cuts) have their thinking cut after a uniformly drawn
number of characters (0 included; Strawberry's own vocabulary is one token per byte, so that is a
uniform token count), closed with a `</think>` marked `"thinking_cut": true` so it is not learned:
the cut `strawberry sft --cut-thinking 0.5` makes, fixed once instead of drawn per batch.
"""
import json
import random
import sys


def cut(line, rng):
    completion = line["completion"]
    start, end = completion.find("<think>"), completion.find("</think>")
    if start < 0 or end < 0:
        return line
    thinking = completion[start + len("<think>"):end]
    kept = rng.randrange(len(thinking)) if thinking else 0
    return {"prompt": line["prompt"], "thinking_cut": True,
            "completion": completion[:start] + "<think>" + thinking[:kept] + completion[end:]}


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__.strip().splitlines()[2])
    kept_path, human_path, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cut_share = float(sys.argv[4]) if len(sys.argv) == 5 else 0.5
    with open(kept_path) as f:
        kept = [json.loads(l) for l in f if l.strip()]
    with open(human_path) as f:
        human = [json.loads(l) for l in f if l.strip()]
    if len(human) < len(kept):
        sys.exit(f"{human_path} has {len(human)} lines, fewer than the {len(kept)} kept samples to mix with")
    rng = random.Random(seed)
    drawn = rng.sample(human, len(kept))
    for line in kept:
        print(json.dumps(line))
    for line in drawn:
        print(json.dumps(cut(line, rng) if rng.random() < cut_share else line))


if __name__ == "__main__":
    main()
