"""Test problems that the human-style search does not solve within a thinking budget, and how many
of them each model solves anyway (issue 5: RL "solves test problems the human strategy does not
solve within that budget").

Usage: python3 bench/beyond_human_search.py OUT [BUDGETS=64,128,200]
OUT is a folder of bench/experiment_rl_vs_sft.sh (either layout, with the control where it exists)
or of bench/experiments/experiment_expert_iteration.sh (every OUT/s<seed>/eval-<arm>, its `cut` model
as SFT) or of bench/experiments/experiment_programs.sh (every OUT/s<seed>/eval-<arm>, `sft` as SFT) or of
bench/experiments/experiment_anytime_grpo.sh (`start` as SFT),
holding its private OUT/strawberry. For each seed the script writes that seed's test problems with
their worked solutions (`strawberry data --split test --seed S`, the evaluator's problems in the
evaluator's order) and measures, in thinking tokens, where the search first reaches the target
(the end of its first "… yes" line; for programs, the first "… accept" line). A problem counts as beyond the human search at budget B when
that point lies past B: followed perfectly, the written search would not have found the answer.
"""
import json
import pathlib
import subprocess
import sys

# Thinking tokens are bytes (ThinkingLength.swift); these traces have no tool markers. Per task, the
# end of the line where the written search first reaches the answer.
FOUND = {"countdown": " yes\n", "programs": " accept\n"}


def single(report):
    return {c["budget"]: set(c["solved"]) for c in report["cells"] if c["strategy"] == "single"}


def reports(root):
    """{seed: {model name: report}} for SFT, after RL and the control."""
    found = {}
    for p in sorted(root.glob("s*/comparison.json")):
        entries = json.loads(p.read_text())["entries"]
        found[int(p.parent.name[1:])] = {"SFT": entries[0]["eval"], "after RL": entries[1]["eval"]}
    for p in sorted(root.glob("eval-rl-s*/eval.json")):
        seed = int(p.parent.name.rsplit("-s", 1)[1])
        sft = root / f"eval-sft-s{seed}" / "eval.json"
        if sft.exists():
            found[seed] = {"SFT": json.loads(sft.read_text()), "after RL": json.loads(p.read_text())}
    starts = ("cut", "sft", "start")
    for p in sorted(q for name in starts for q in root.glob(f"s*/eval-{name}/eval.json")):
        seed = int(p.parent.parent.name[1:])
        found[seed] = {"SFT": json.loads(p.read_text())}
        for q in sorted(p.parent.parent.glob("eval-*/eval.json")):
            if q.parent != p.parent:
                found[seed][q.parent.name[len("eval-"):]] = json.loads(q.read_text())
    for seed, models in found.items():
        control = root / f"eval-control-s{seed}" / "eval.json"
        if control.exists():
            models["control"] = json.loads(control.read_text())
    return found


def search_lengths(binary, task, settings):
    """Thinking tokens until the human search first finds the answer, per test problem."""
    if task not in FOUND:
        sys.exit(f"no written search to follow for the task '{task}'")
    text = subprocess.run([str(binary), "data", "--task", task, "--split", "test",
                           "--difficulty", str(settings["difficulty"]), "--n", str(settings["problems"]),
                           "--seed", str(settings["seed"] if settings.get("problemSeed") is None else settings["problemSeed"]),
                           "--max-thinking", "1000000"],
                          check=True, capture_output=True, text=True).stdout
    lengths = []
    for line in text.splitlines():
        thinking = json.loads(line)["completion"].split("<think>", 1)[1].split("</think>", 1)[0]
        end = thinking.find(FOUND[task])
        lengths.append(len(thinking[:end + len(FOUND[task])].encode()) if end >= 0 else float("inf"))
    if len(lengths) != settings["problems"]:
        sys.exit(f"expected {settings['problems']} test problems, `strawberry data` wrote {len(lengths)}")
    return lengths


def main(out, budgets):
    root = pathlib.Path(out)
    found = reports(root)
    if not found:
        sys.exit(f"no finished seeds in {out}")
    every = set.intersection(*(set(m) for m in found.values()))
    names = ["SFT"] + sorted(every - {"SFT"})
    print(f"\ntest problems the human search does not solve within the budget, and how many of them each model "
          f"solves greedily at that budget (seeds {sorted(found)})\n")
    print("| seed | budget | beyond the human search | " + " | ".join(f"{n} solves" for n in names) + " |")
    print("|---|---|---|" + "---|" * len(names))
    for seed, models in sorted(found.items()):
        lengths = search_lengths(root / "strawberry", models["SFT"]["task"], models["SFT"]["settings"])
        solved = {n: single(models[n]) for n in names}
        for b in budgets:
            beyond = {i for i, n in enumerate(lengths) if n > b}
            counts = {n: len(solved[n].get(b, set()) & beyond) for n in names}
            print(f"| {seed} | {b} | {len(beyond)} | " + " | ".join(str(counts[n]) for n in names) + " |")


if __name__ == "__main__":
    main(sys.argv[1], [int(b) for b in (sys.argv[2] if len(sys.argv) > 2 else "64,128,200").split(",")])
