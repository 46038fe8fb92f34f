"""SFT vs the model RL made from it, over seeds, on the same test problems.

Reads either layout of bench/experiment_rl_vs_sft.sh: grpo-tight's OUT/eval-sft-s<seed>/eval.json and
OUT/eval-rl-s<seed>/eval.json, or expert-iteration's OUT/s<seed>/comparison.json
(its first entry is the SFT model, its second the self-distilled one), with sft-control's
OUT/eval-control-s<seed>/eval.json as a third row where it exists. Prints greedy accuracy at
each budget as mean ± sd (min–max) over seeds, the per-seed gain, and — where the reports list
the problems each model solved — how many test problems the new model solves that SFT does not
(and the reverse) at each budget.
"""
import json
import pathlib
import statistics
import sys


def cells(report):
    return {c["budget"]: c for c in report["cells"] if c["strategy"] == "single"}


def load(path):
    return cells(json.loads(path.read_text()))


def seed_runs(root):
    """{seed: (sft cells, new cells)} from whichever layout OUT has."""
    found = {}
    for p in root.glob("s*/comparison.json"):
        entries = json.loads(p.read_text())["entries"]
        found[int(p.parent.name[1:])] = (cells(entries[0]["eval"]), cells(entries[1]["eval"]))
    for p in root.glob("eval-rl-s*/eval.json"):
        seed = p.parent.name.rsplit("-s", 1)[1]
        sft = root / f"eval-sft-s{seed}" / "eval.json"
        if sft.exists():
            found[int(seed)] = (load(sft), load(p))
    return found


def fmt(values):
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {sd:.3f} ({min(values):.2f}–{max(values):.2f})"


def main(out):
    found = seed_runs(pathlib.Path(out))
    seeds = sorted(found)
    if not seeds:
        sys.exit(f"no finished seeds in {out}")
    sft = {s: found[s][0] for s in seeds}
    rl = {s: found[s][1] for s in seeds}
    budgets = sorted(set.intersection(*(set(sft[s]) & set(rl[s]) for s in seeds)))
    print(f"\ngreedy accuracy on the test problems, seeds {seeds}, mean ± sd (min–max)\n")
    print("| model | " + " | ".join(f"budget {b}" for b in budgets) + " |")
    print("|---|" + "---|" * len(budgets))
    rows = [("human-trace SFT", sft), ("after RL", rl)]
    controls = {s: pathlib.Path(out) / f"eval-control-s{s}" / "eval.json" for s in seeds}
    control = {s: load(p) for s, p in controls.items() if p.exists()}
    if len(control) == len(seeds):
        rows.append(("control: as many SFT steps on human traces", control))
    for name, by_seed in rows:
        print(f"| {name} | " + " | ".join(fmt([by_seed[s][b]["accuracy"] for s in seeds]) for b in budgets) + " |")
    for name, by_seed in rows[1:]:
        print(f"| {name.split(':')[0]} − SFT (per seed) | " + " | ".join(
            fmt([by_seed[s][b]["accuracy"] - sft[s][b]["accuracy"] for s in seeds]) for b in budgets) + " |")
    print("| thinking tokens, SFT → after RL | " + " | ".join(
        f"{statistics.mean(sft[s][b]['meanThinkingTokens'] for s in seeds):.0f} → "
        f"{statistics.mean(rl[s][b]['meanThinkingTokens'] for s in seeds):.0f}" for b in budgets) + " |")
    if all(sft[s][b].get("solved") is not None and rl[s][b].get("solved") is not None for s in seeds for b in budgets):
        print("\nproblems solved by one model and not the other, per seed (after RL only / SFT only)\n")
        print("| seed | " + " | ".join(f"budget {b}" for b in budgets) + " |")
        print("|---|" + "---|" * len(budgets))
        for s in seeds:
            cells = []
            for b in budgets:
                a, c = set(rl[s][b]["solved"]), set(sft[s][b]["solved"])
                cells.append(f"{len(a - c)} / {len(c - a)}")
            print(f"| {s} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
