"""How far expert iteration's kept samples stray from the human search (issue 17, item 3).

For each kept Countdown sample in a distill.jsonl: the numbers in the order its first line states
("Target 12 from 15 11 8."), the human search written in that order (Countdown's worked solution:
pairs in list order, larger number first, + - * /, skipping x1, /1, a-a and inexact division), and
whether the sample walks that search's path: the same kinds of line with the same operations in
the same order (`a+b=c, left …`, `a-b=c no`, `back to …`), whatever its arithmetic (a slip changes
the numbers, not the path; a sample the budget cut: a prefix of the path).
Also the share of samples that restate the numbers in the order the problem lists them, and how
good the chosen order is: the human search's length (lines) in that order against its mean over
every order of the same numbers (below 1: the kept samples chose orders that find the answer sooner).

    python3 bench/experiments/kept_diversity.py RUN/ei/distill.jsonl [more.jsonl …]

Standard library only.
"""
import itertools
import json
import re
import sys


def join(a, op, b):
    wrap = lambda s: s if s.isdigit() else f"({s})"
    return f"{wrap(a)}{op}{wrap(b)}"


def human_thinking(numbers, target):
    """The worked solution's thinking for `numbers` searched in the order given."""
    lines = []

    def solve(items):
        for i in range(len(items)):
            for j in range(i + 1, len(items)):
                x, y = (items[i], items[j]) if items[i][0] >= items[j][0] else (items[j], items[i])
                rest = [items[k] for k in range(len(items)) if k not in (i, j)]
                for op in "+-*/":
                    if op == "+":
                        r = x[0] + y[0]
                    elif op == "-":
                        if x[0] <= y[0]:
                            continue
                        r = x[0] - y[0]
                    elif op == "*":
                        if y[0] <= 1:
                            continue
                        r = x[0] * y[0]
                    else:
                        if y[0] <= 1 or x[0] % y[0]:
                            continue
                        r = x[0] // y[0]
                    item = (r, join(x[1], op, y[1]))
                    if not rest:
                        lines.append(f"{x[0]}{op}{y[0]}={r} {'yes' if r == target else 'no'}\n")
                        if r == target:
                            return item
                    else:
                        left = " ".join(str(v[0]) for v in [item] + rest)
                        lines.append(f"{x[0]}{op}{y[0]}={r}, left {left}\n")
                        found = solve([item] + rest)
                        if found:
                            return found
                        lines.append("back to " + " ".join(str(v[0]) for v in items) + "\n")
        return None

    found = solve([(n, str(n)) for n in numbers])
    if not found:
        return None
    head = f"Target {target} from {' '.join(map(str, numbers))}.\n"
    return head + "".join(lines) + f"Check: {found[1]} = {target}, each number once.\n"


def path(thinking):
    """The search's path: per line its kind and operation, numbers left out."""
    steps = []
    for line in thinking.split("\n")[1:]:
        m = re.match(r"\d+([-+*/])\d+=", line)
        if m:
            kind = "left" if ", left" in line else "yes" if line.endswith(" yes") else "no" if line.endswith(" no") else "?"
            steps.append(m.group(1) + kind)
        elif line.startswith("back to"):
            steps.append("back")
        elif line:
            steps.append("other")
    return steps


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for file in sys.argv[1:]:
        same = kept = listed = 0
        ratios = []
        for line in open(file):
            example = json.loads(line)
            completion = example["completion"]
            m = re.match(r"<think>Target (\d+) from ([\d ]+)\.\n", completion)
            listed_numbers = re.search(r"numbers ([\d ]+) to make (\d+)", example["prompt"])
            if not m or not listed_numbers:
                continue
            kept += 1
            target, stated = int(m.group(1)), [int(n) for n in m.group(2).split()]
            given = [int(n) for n in listed_numbers.group(1).split()]
            listed += stated == given
            thinking = completion[len("<think>"):completion.index("</think>")] if "</think>" in completion else completion[7:]
            human = human_thinking(stated, target)
            lengths = [len(path(h)) for h in (human_thinking(list(o), target) for o in set(itertools.permutations(stated))) if h]
            if human is not None and lengths:
                ratios.append(len(path(human)) / (sum(lengths) / len(lengths)))
            if human is not None:
                walked, human_path = path(thinking), path(human)
                if example.get("thinking_cut"):
                    # The cut may end inside a line: compare whole lines only.
                    walked = path(thinking[:thinking.rfind("\n") + 1])
                    same += human_path[:len(walked)] == walked
                else:
                    same += human_path == walked
        print(f"{file}: {kept} kept samples; {100 * same / max(kept, 1):.1f}% walk the human search's path in their stated order, "
              f"{100 * listed / max(kept, 1):.1f}% state the numbers as listed; their order's search is "
              f"{sum(ratios) / max(len(ratios), 1):.3f} of the mean over all orders")


if __name__ == "__main__":
    main()
