"""A model against its control, seed by seed, on the same test problems: accuracy per budget
(mean ± sd over seeds), the paired difference per seed, and an exact McNemar test on the problems
one solves and the other does not (per seed and pooled over seeds).

    python3 bench/experiments/paired_comparison.py [--strategy single] MODEL1:CONTROL1 MODEL2:CONTROL2 ...

Each MODEL/CONTROL is an eval.json or a run folder holding one (`strawberry eval` writes it;
evaluate with the same --problem-seed and -n everywhere so every model meets the same problems).
Standard library only.
"""
import argparse
import json
import math
import os
import statistics
import sys


def load(path):
    if os.path.isdir(path):
        path = os.path.join(path, "eval.json")
    with open(path) as f:
        return json.load(f)


def problem_set(report):
    s = report["settings"]
    seed = s.get("problemSeed")
    return (report["task"], s["difficulty"], s["problems"], s["seed"] if seed is None else seed)


def cells(report, strategy):
    return {c["budget"]: c for c in report["cells"] if c["strategy"] == strategy}


def mcnemar(b, c):
    """Two-sided exact McNemar p-value: b and c are the discordant counts."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def mean_sd(values):
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pairs", nargs="+", help="MODEL:CONTROL, one per seed")
    parser.add_argument("--strategy", default="single")
    args = parser.parse_args()
    pairs = []
    for pair in args.pairs:
        if ":" not in pair:
            sys.exit(f"'{pair}' is not MODEL:CONTROL")
        model, control = pair.split(":", 1)
        a, b = load(model), load(control)
        if problem_set(a) != problem_set(b):
            sys.exit(f"{model} and {control} were evaluated on different problems: {problem_set(a)} vs {problem_set(b)}; "
                     "evaluate both with the same --problem-seed and -n")
        pairs.append((a, b))
    budgets = sorted(set.intersection(*[set(cells(a, args.strategy)) & set(cells(b, args.strategy)) for a, b in pairs]))
    if not budgets:
        sys.exit(f"no budget has strategy '{args.strategy}' in every report")
    print(f"{len(pairs)} seed(s), strategy {args.strategy}, {pairs[0][0]['settings']['problems']} problems per seed")
    print("| budget | model | control | model − control per seed (points) | McNemar p per seed (b/c) | pooled p |")
    print("|---|---|---|---|---|---|")
    for budget in budgets:
        ours, theirs, diffs, tests = [], [], [], []
        pooled_b = pooled_c = 0
        for a, b in pairs:
            ca, cb = cells(a, args.strategy)[budget], cells(b, args.strategy)[budget]
            sa, sb = set(ca.get("solved") or []), set(cb.get("solved") or [])
            ours.append(ca["accuracy"])
            theirs.append(cb["accuracy"])
            diffs.append(100 * (ca["accuracy"] - cb["accuracy"]))
            only_a, only_b = len(sa - sb), len(sb - sa)
            pooled_b += only_a
            pooled_c += only_b
            tests.append(f"{mcnemar(only_a, only_b):.3f} ({only_a}/{only_b})")
        pooled = f"{mcnemar(pooled_b, pooled_c):.3f} ({pooled_b}/{pooled_c})"
        spread = " / ".join(f"{d:+.1f}" for d in diffs)
        summary = f"{statistics.mean(diffs):+.1f}" + (f" ± {statistics.stdev(diffs):.1f}" if len(diffs) > 1 else "")
        print(f"| {budget} | {mean_sd(ours)} | {mean_sd(theirs)} | {summary} ({spread}) | {'; '.join(tests)} | {pooled} |")
    print("b/c: problems only the model solves / only the control solves.")


if __name__ == "__main__":
    main()
