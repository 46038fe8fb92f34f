"""Mean and spread over seeds of the runs bench/experiment_thinking.sh made.

Reads OUT/<style>-s<seed>/eval-sft.json and eval-rl.json and prints one Markdown table per
strategy: accuracy at each thinking budget, as mean ± standard deviation (min–max) over seeds.
"""
import json
import pathlib
import statistics
import sys


def cells(path):
    report = json.loads(path.read_text())
    return {(c["strategy"], c["budget"]): c["accuracy"] for c in report["cells"]}


def main(out):
    root = pathlib.Path(out)
    rows = {}  # (label, strategy, budget) -> [accuracy per seed]
    for run in sorted(p for p in root.iterdir() if p.is_dir()):
        style = run.name.rsplit("-s", 1)[0]
        for stage, name in (("sft", "eval-sft.json"), ("rl", "eval-rl.json")):
            f = run / name
            if not f.exists():
                continue
            label = "answer only" if style == "none" else f"{style} traces, {'SFT' if stage == 'sft' else 'SFT+RL'}"
            for (strategy, budget), acc in cells(f).items():
                rows.setdefault((label, strategy, budget), []).append(acc)
    strategies = sorted({k[1] for k in rows})
    for strategy in strategies:
        labels = sorted({k[0] for k in rows if k[1] == strategy}, key=lambda l: (l != "answer only", l))
        budgets = sorted({k[2] for k in rows if k[1] == strategy})
        print(f"\n{strategy}: accuracy on 100 test problems, mean ± sd (min–max) over seeds\n")
        print("| model | seeds | " + " | ".join(f"budget {b}" for b in budgets) + " |")
        print("|---|---|" + "---|" * len(budgets))
        for label in labels:
            values = [rows.get((label, strategy, b), []) for b in budgets]
            n = max(len(v) for v in values)
            def fmt(v):
                if not v:
                    return "–"
                sd = statistics.stdev(v) if len(v) > 1 else 0.0
                return f"{statistics.mean(v):.3f} ± {sd:.3f} ({min(v):.2f}–{max(v):.2f})"
            print(f"| {label} | {n} | " + " | ".join(fmt(v) for v in values) + " |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/experiment")
