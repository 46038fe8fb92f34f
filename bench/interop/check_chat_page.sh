#!/usr/bin/env bash
# Checks the web chat page in headless Chromium (Debian's `chromium`, installed if missing),
# driven by Playwright (pinned in bench/requirements/page.txt): serves MODEL, asks a question on the
# page, waits for the streamed thinking and answer, checks them and saves a screenshot.
# Usage: bench/interop/check_chat_page.sh MODEL [SCREENSHOT=runs/chat-page.png]
set -euo pipefail
cd "$(dirname "$0")/../.."
model=${1:?usage: bench/interop/check_chat_page.sh MODEL [SCREENSHOT]}
shot=${2:-runs/chat-page.png}
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
source bench/lib/venv.sh && python=$(python_env page)
swift build -c release --product strawberry >/dev/null 2>&1
port=$((20000 + RANDOM % 20000))
.build/release/strawberry serve --model "$model" --port "$port" --name page-check 2>/tmp/chat-page-serve.log &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
mkdir -p "$(dirname "$shot")"
"$python" bench/interop/check_chat_page.py "http://127.0.0.1:$port/" "$shot"
echo "screenshot: $shot"
