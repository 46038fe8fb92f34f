"""Table of bench/experiment_tight_budget.sh: SFT vs SFT+RL (rollouts at a tight budget).

Reads OUT/eval-sft-s<seed>/eval.json and OUT/eval-rl-s<seed>/eval.json and prints greedy accuracy
at each budget as mean ± sd (min–max) over seeds, the per-seed gain of RL, and — where the reports
list the problems each model solved — how many test problems SFT+RL solves that SFT does not
(and the reverse) at each budget.
"""
import json
import pathlib
import statistics
import sys


def load(path):
    report = json.loads(path.read_text())
    return {c["budget"]: c for c in report["cells"] if c["strategy"] == "single"}


def fmt(values):
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {sd:.3f} ({min(values):.2f}–{max(values):.2f})"


def main(out):
    root = pathlib.Path(out)
    seeds = sorted(int(p.name.rsplit("-s", 1)[1]) for p in root.glob("eval-rl-s*") if (p / "eval.json").exists()
                   and (root / f"eval-sft-s{p.name.rsplit('-s', 1)[1]}" / "eval.json").exists())
    if not seeds:
        sys.exit(f"no finished seeds in {out}")
    sft = {s: load(root / f"eval-sft-s{s}" / "eval.json") for s in seeds}
    rl = {s: load(root / f"eval-rl-s{s}" / "eval.json") for s in seeds}
    budgets = sorted(set.intersection(*(set(sft[s]) & set(rl[s]) for s in seeds)))
    print(f"\ngreedy accuracy on the test problems, seeds {seeds}, mean ± sd (min–max)\n")
    print("| model | " + " | ".join(f"budget {b}" for b in budgets) + " |")
    print("|---|" + "---|" * len(budgets))
    for name, runs in (("human-trace SFT", sft), ("SFT + RL at the tight budget", rl)):
        print(f"| {name} | " + " | ".join(fmt([runs[s][b]["accuracy"] for s in seeds]) for b in budgets) + " |")
    print("| RL − SFT (per seed) | " + " | ".join(
        fmt([rl[s][b]["accuracy"] - sft[s][b]["accuracy"] for s in seeds]) for b in budgets) + " |")
    print("| thinking tokens, SFT → SFT+RL | " + " | ".join(
        f"{statistics.mean(sft[s][b]['meanThinkingTokens'] for s in seeds):.0f} → "
        f"{statistics.mean(rl[s][b]['meanThinkingTokens'] for s in seeds):.0f}" for b in budgets) + " |")
    if all(sft[s][b].get("solved") is not None and rl[s][b].get("solved") is not None for s in seeds for b in budgets):
        print("\nproblems solved by one model and not the other, per seed (SFT+RL only / SFT only)\n")
        print("| seed | " + " | ".join(f"budget {b}" for b in budgets) + " |")
        print("|---|" + "---|" * len(budgets))
        for s in seeds:
            cells = []
            for b in budgets:
                a, c = set(rl[s][b]["solved"]), set(sft[s][b]["solved"])
                cells.append(f"{len(a - c)} / {len(c - a)}")
            print(f"| {s} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/tight-budget")
