"""Does a model that reads its thinking budget (`sft --budget-tags`) use it? Per seed:

(a) tag swap: at a forced budget of --forced (128), accuracy with its own budget line minus with
    the line of --swap-tag (400), paired on the same problems, exact McNemar p;
(b) unforced: thinking tokens per problem against the budget line shown, with the budget itself
    set high (each line's evaluation in eval-free-LEVEL/), Spearman's rho pooled over problems and
    lines, and the mean thinking and the accuracy per line.

    python3 bench/experiments/budget_awareness.py RUN1 RUN2 RUN3

Each RUN holds eval-own/eval.json (budgets with their own lines, including --forced),
eval-swap/eval.json (--forced budget, --budget-tag --swap-tag) and eval-free-LEVEL/eval.json per
line, as bench/experiments/experiment_budget_tags.sh writes them. Standard library only.
"""
import argparse
import glob
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from paired_comparison import cells, load, mcnemar, problem_set  # noqa: E402


def ranks(values):
    """Ranks from 1, ties given their average rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    result = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            result[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return result


def spearman(x, y):
    rx, ry = ranks(x), ranks(y)
    mx, my = statistics.mean(rx), statistics.mean(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sx = sum((a - mx) ** 2 for a in rx) ** 0.5
    sy = sum((b - my) ** 2 for b in ry) ** 0.5
    return cov / (sx * sy) if sx and sy else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--forced", type=int, default=128)
    parser.add_argument("--swap-tag", type=int, default=400)
    parser.add_argument("--strategy", default="single")
    parser.add_argument("--levels", help="comma-separated lines to include in (b) (default: every eval-free-* found)")
    args = parser.parse_args()
    wanted = None if args.levels is None else {int(v) for v in args.levels.split(",")}
    print(f"| seed run | (a) acc. line {args.forced} | acc. line {args.swap_tag} | difference (points) | McNemar p (b/c) "
          f"| (b) Spearman rho | mean thinking per line | accuracy per line, unforced |")
    print("|---|---|---|---|---|---|---|---|")
    diffs, rhos = [], []
    for run in args.runs:
        own, swap = load(os.path.join(run, "eval-own")), load(os.path.join(run, "eval-swap"))
        if problem_set(own) != problem_set(swap):
            sys.exit(f"{run}: eval-own and eval-swap met different problems")
        if swap["settings"].get("budgetTag") != args.swap_tag:
            sys.exit(f"{run}/eval-swap was shown line {swap['settings'].get('budgetTag')}, not {args.swap_tag}")
        a, b = cells(own, args.strategy)[args.forced], cells(swap, args.strategy)[args.forced]
        sa, sb = set(a["solved"]), set(b["solved"])
        diff = 100 * (a["accuracy"] - b["accuracy"])
        diffs.append(diff)
        free, accuracy = {}, {}
        for path in filter(os.path.isdir, glob.glob(os.path.join(run, "eval-free-*"))):
            report = load(path)
            if problem_set(report) != problem_set(own):
                sys.exit(f"{path} met other problems than {run}/eval-own")
            level = report["settings"]["budgetTag"]
            if wanted is None or level in wanted:
                free[level] = report["cells"][0]["thinkingPerProblem"]
                accuracy[level] = report["cells"][0]["accuracy"]
        levels = sorted(free)
        x = [level for level in levels for _ in free[level]]
        y = [t for level in levels for t in free[level]]
        rho = spearman(x, y) if len(levels) > 1 else float("nan")
        rhos.append(rho)
        means = ", ".join(f"{level}: {statistics.mean(free[level]):.0f}" for level in levels)
        accuracies = ", ".join(f"{level}: {accuracy[level]:.3f}" for level in levels)
        print(f"| {run} | {a['accuracy']:.3f} | {b['accuracy']:.3f} | {diff:+.1f} | "
              f"{mcnemar(len(sa - sb), len(sb - sa)):.3f} ({len(sa - sb)}/{len(sb - sa)}) | {rho:.3f} | {means} | {accuracies} |")
    if len(diffs) > 1:
        print(f"mean (a) {statistics.mean(diffs):+.1f} ± {statistics.stdev(diffs):.1f} points; "
              f"mean (b) rho {statistics.mean(rhos):.3f} ± {statistics.stdev(rhos):.3f}")
    print("b/c: problems solved only with its own line / only with the swapped line.")


if __name__ == "__main__":
    main()
