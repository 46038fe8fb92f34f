"""Self-correction per model and budget, from eval.json files written by `strawberry eval` (the
`selfCorrection` tally of each cell): slips per arithmetic step, false "… yes" claims per problem,
solutions passed by ("… no" on the target), the share of those mistakes after which the thinking
still found the target, and the search length against the worked solution's on the problems both
found (below 1: shorter than the human search).

    python3 bench/experiments/self_correction.py [--strategy single] NAME=EVAL [NAME=EVAL ...]

Each EVAL is an eval.json or the folder holding one. Standard library only.
"""
import argparse
import json
import os
import sys


def load(path):
    if os.path.isdir(path):
        path = os.path.join(path, "eval.json")
    with open(path) as f:
        return json.load(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("evals", nargs="+", help="NAME=EVAL")
    parser.add_argument("--strategy", default="single")
    args = parser.parse_args()
    print("| model | budget | slips per step | false claims per problem | solutions passed by | mistakes recovered from | search length ÷ worked solution's (problems) |")
    print("|---|---|---|---|---|---|---|")
    for item in args.evals:
        name, _, path = item.rpartition("=")
        report = load(path)
        for cell in report["cells"]:
            if cell["strategy"] != args.strategy:
                continue
            s = cell.get("selfCorrection")
            if s is None:
                sys.exit(f"{path}: no selfCorrection in its cells (evaluate again with this version of strawberry)")
            mistakes = s["slips"] + s["falseClaims"] + s["misses"]
            recovery = f"{s['recovered'] / mistakes:.2f} ({s['recovered']}/{mistakes})" if mistakes else "–"
            ratio = (f"{s['stepsToSolution'] / s['humanStepsToSolution']:.3f} ({s['searchesFound']})"
                     if s["humanStepsToSolution"] else "–")
            print(f"| {name or path} | {cell['budget']} | {s['slips'] / max(s['steps'], 1):.4f} | "
                  f"{s['falseClaims'] / max(s['samples'], 1):.3f} | {s['misses'] / max(s['samples'], 1):.3f} | {recovery} | {ratio} |")


if __name__ == "__main__":
    main()
