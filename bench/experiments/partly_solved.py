#!/usr/bin/env python3
"""Keeps the harvested samples of problems that not every sample solved, as ReST-EM keeps only
problems solved 1 to 7 times out of 8: a problem every sample solves is one the model already
does, and its shortest correct sample is mostly the written search again.

Usage: partly_solved.py KEPT.jsonl LIMIT > PARTLY.jsonl

KEPT.jsonl is `strawberry distill`'s distill.jsonl (each line's "solved_samples": how many of the
problem's samples the verifier accepted); the lines with fewer than LIMIT are written unchanged,
and the count kept goes to stderr. LIMIT = the samples per problem is ReST-EM's filter; a smaller
LIMIT keeps only the harder problems (5 of 8 samples: those solved at most 4 times).
"""
import json
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[4])
    path, limit = sys.argv[1], sys.argv[2]
    if not limit.isdigit() or int(limit) < 1:
        sys.exit(f"LIMIT must be a whole number of samples, 1 or more, not '{limit}'")
    limit = int(limit)
    try:
        f = open(path)
    except OSError as error:
        sys.exit(f"cannot read '{path}': {error.strerror}")
    kept = total = 0
    with f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            total += 1
            try:
                solved = json.loads(line).get("solved_samples")
            except (ValueError, AttributeError):
                sys.exit(f"{path}:{number}: not a JSON object")
            if not isinstance(solved, int):
                sys.exit(f"{path}:{number}: no \"solved_samples\" (written by a distill from before it was recorded)")
            if solved < limit:
                kept += 1
                sys.stdout.write(line if line.endswith("\n") else line + "\n")
    print(f"kept {kept} of {total} problems (solved by fewer than {limit} of their samples)", file=sys.stderr)


if __name__ == "__main__":
    main()
