"""How much of each model's accuracy lies where the written search could reach it: the fixed test
problems in bands of the thinking tokens the human-style search needs to first find the answer,
and per model and budget how many of each band it solves greedily (issue 17: a cap that no
selection among the model's own searches can lift shows up as bands no model ever solves).

Usage: python3 bench/experiments/search_length_bands.py OUT [BUDGETS=128,400] [EDGES=64,128,170,256,400]
OUT is any folder that bench/experiments/beyond_human_search.py reads (its private OUT/strawberry
writes the worked solutions). A problem is in the band (lo, hi] when the written search first
reaches the target after more than lo and at most hi thinking tokens.
"""
import pathlib
import sys

import beyond_human_search as searches


def bands(lengths, edges):
    bounds = [0] + edges + [float("inf")]
    return [(lo, hi, {i for i, n in enumerate(lengths) if lo < n <= hi}) for lo, hi in zip(bounds, bounds[1:])]


def main(out, budgets, edges):
    root = pathlib.Path(out)
    found = searches.reports(root)
    if not found:
        sys.exit(f"no finished seeds in {out}")
    for seed, models in sorted(found.items()):
        lengths = searches.search_lengths(root / "strawberry", models["SFT"]["task"], models["SFT"]["settings"])
        parts = bands(lengths, edges)
        names = ["SFT"] + sorted(set(models) - {"SFT"})
        print(f"\nseed {seed}: test problems solved, by the thinking tokens the written search needs\n")
        print("| model | budget | " + " | ".join(f"{lo}–{hi if hi != float('inf') else '∞'} ({len(s)})"
                                                 for lo, hi, s in parts) + " | all |")
        print("|---|---|" + "---|" * (len(parts) + 1))
        for name in names:
            solved = searches.single(models[name])
            for b in budgets:
                got = solved.get(b, set())
                print(f"| {name} | {b} | " + " | ".join(str(len(got & s)) for _, _, s in parts) + f" | {len(got)} |")


def numbers(text, what, least):
    """A comma-separated list of whole numbers of at least `least`, or an exit that says what was wrong."""
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        sys.exit(f"{what} must be whole numbers separated by commas, like 128,400; got '{text}'")
    if any(v < least for v in values):
        sys.exit(f"{what} must be {least} or more; got '{text}'")
    return values


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help") or len(args) > 3:
        sys.exit(__doc__)
    edges = numbers(args[2] if len(args) > 2 else "64,128,170,256,400", "EDGES", 1)
    if edges != sorted(set(edges)):
        sys.exit(f"EDGES must rise, each larger than the one before; got '{args[2]}'")
    main(args[0], numbers(args[1] if len(args) > 1 else "128,400", "BUDGETS", 0), edges)
