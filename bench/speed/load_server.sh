#!/usr/bin/env bash
# Serves MODEL and loads it through the official openai client (pinned in bench/requirements/ci.txt, as CI
# uses) at several concurrency levels: continuous batching shows as throughput that grows with
# concurrency while latency grows less.
# Usage: bench/speed/load_server.sh MODEL [REQUESTS=64] [LEVELS=1,4,16,32] [SLOTS=16]
# STRAWBERRY_BINARY=PATH measures that binary instead of building .build/release/strawberry.
set -euo pipefail
cd "$(dirname "$0")/../.."
model=${1:?usage: bench/speed/load_server.sh MODEL [REQUESTS] [LEVELS] [SLOTS]}
source bench/lib/venv.sh && python=$(python_env ci)
source bench/lib/strawberry_binary.sh && bin=$(strawberry_binary)
port=$((20000 + RANDOM % 20000))
"$bin" serve --model "$model" --port "$port" --name load --slots "${4:-16}" 2>/tmp/load-serve.log &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
"$python" bench/speed/load_server.py "http://127.0.0.1:$port/v1" load "${2:-64}" "${3:-1,4,16,32}"
