"""Load on a running `strawberry serve` through the official openai client: for each
concurrency level, REQUESTS chat completions from that many threads at once; prints requests/s,
completion tokens/s, latency p50/p95, how many were refused (429) and the client's own CPU time
per request.

    python load_server.py BASE_URL MODEL [REQUESTS=64] [LEVELS=1,4,16,32] [EFFORT=medium] [CLIENT=openai]

CLIENT=http sends the same requests with the standard library's http.client (one kept-alive
connection per thread) instead: the openai client costs ~5 ms of CPU per request, which on a
2-core machine is taken from the server it measures.
"""
import concurrent.futures
import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse

import openai
from openai import OpenAI

base_url, model = sys.argv[1], sys.argv[2]
requests = int(sys.argv[3]) if len(sys.argv) > 3 else 64
levels = [int(x) for x in (sys.argv[4] if len(sys.argv) > 4 else "1,4,16,32").split(",")]
effort = sys.argv[5] if len(sys.argv) > 5 else "medium"
client_kind = sys.argv[6] if len(sys.argv) > 6 else "openai"
if client_kind not in ("openai", "http"):
    sys.exit(f"CLIENT must be openai or http, not {client_kind!r}")
raw_http = client_kind == "http"
client = OpenAI(base_url=base_url, api_key="none", max_retries=0, timeout=300)
url = urllib.parse.urlsplit(base_url)
connections = threading.local()
problems = [f"Use the numbers {a} {b} {c} to make {t} with + - * /, each number once."
            for a, b, c, t in [(14, 5, 6, 13), (2, 10, 12, 144), (8, 16, 8, 192), (3, 7, 9, 30)]]


def one_http(i):
    """The same request as `one`, through http.client on this thread's kept-alive connection."""
    start = time.perf_counter()
    if not hasattr(connections, "value"):
        connections.value = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": problems[i % len(problems)]}],
                       "reasoning_effort": effort, "seed": i, "temperature": 1.0})
    connections.value.request("POST", url.path + "/chat/completions", body, {"Content-Type": "application/json"})
    response = connections.value.getresponse()
    reply = json.loads(response.read())
    if response.status == 429:
        return time.perf_counter() - start, 0, True
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {reply}")
    return time.perf_counter() - start, reply["usage"]["completion_tokens"], False


def one(i):
    if raw_http:
        return one_http(i)
    start = time.perf_counter()
    try:
        r = client.chat.completions.create(model=model, messages=[{"role": "user", "content": problems[i % len(problems)]}],
                                           reasoning_effort=effort, seed=i, temperature=1.0)
        return time.perf_counter() - start, r.usage.completion_tokens, False
    except openai.RateLimitError:
        return time.perf_counter() - start, 0, True


print(f"| concurrency | requests/s | completion tokens/s | latency p50 | latency p95 | refused (429) | client CPU per request |")
print(f"|---|---|---|---|---|---|---|")
for level in levels:
    start, cpu = time.perf_counter(), time.process_time()
    with concurrent.futures.ThreadPoolExecutor(level) as pool:
        results = list(pool.map(one, range(requests)))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    done = [r for r in results if not r[2]]
    latencies = sorted(r[0] for r in done)
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    tokens = sum(r[1] for r in done)
    print(f"| {level} | {len(done) / wall:.1f} | {tokens / wall:,.0f} | {statistics.median(latencies):.3f} s | {p95:.3f} s "
          f"| {len(results) - len(done)} | {1000 * cpu / len(results):.1f} ms |")
