"""Load on a running `strawberry serve` through the official openai client: for each
concurrency level, REQUESTS chat completions from that many threads at once; prints requests/s,
completion tokens/s, latency p50/p95 and how many were refused (429).

    python load_server.py BASE_URL MODEL [REQUESTS=64] [LEVELS=1,4,16,32] [EFFORT=medium]
"""
import concurrent.futures
import statistics
import sys
import time

import openai
from openai import OpenAI

base_url, model = sys.argv[1], sys.argv[2]
requests = int(sys.argv[3]) if len(sys.argv) > 3 else 64
levels = [int(x) for x in (sys.argv[4] if len(sys.argv) > 4 else "1,4,16,32").split(",")]
effort = sys.argv[5] if len(sys.argv) > 5 else "medium"
client = OpenAI(base_url=base_url, api_key="none", max_retries=0, timeout=300)
problems = [f"Use the numbers {a} {b} {c} to make {t} with + - * /, each number once."
            for a, b, c, t in [(14, 5, 6, 13), (2, 10, 12, 144), (8, 16, 8, 192), (3, 7, 9, 30)]]


def one(i):
    start = time.perf_counter()
    try:
        r = client.chat.completions.create(model=model, messages=[{"role": "user", "content": problems[i % len(problems)]}],
                                           reasoning_effort=effort, seed=i, temperature=1.0)
        return time.perf_counter() - start, r.usage.completion_tokens, False
    except openai.RateLimitError:
        return time.perf_counter() - start, 0, True


print(f"| concurrency | requests/s | completion tokens/s | latency p50 | latency p95 | refused (429) |")
print(f"|---|---|---|---|---|---|")
for level in levels:
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(level) as pool:
        results = list(pool.map(one, range(requests)))
    wall = time.perf_counter() - start
    done = [r for r in results if not r[2]]
    latencies = sorted(r[0] for r in done)
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    tokens = sum(r[1] for r in done)
    print(f"| {level} | {len(done) / wall:.1f} | {tokens / wall:,.0f} | {statistics.median(latencies):.3f} s | {p95:.3f} s "
          f"| {len(results) - len(done)} |")
