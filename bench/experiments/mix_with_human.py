#!/usr/bin/env python3
"""Mixes expert iteration's kept samples 1:1 with human worked solutions, as ReST-EM and RAFT mix
a model's own verified samples with the data it started from.

Usage: mix_with_human.py KEPT.jsonl HUMAN.jsonl SEED > MIX.jsonl

Every kept line is written unchanged; as many human lines, drawn without replacement with SEED,
follow, and half of those (drawn with SEED too) have their thinking cut after a uniformly drawn
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
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[2])
    kept_path, human_path, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
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
        print(json.dumps(cut(line, rng) if rng.random() < 0.5 else line))


if __name__ == "__main__":
    main()
