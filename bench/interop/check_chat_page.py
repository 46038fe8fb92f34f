"""Drives the chat page in Debian's headless Chromium (through Playwright from PyPI): types a
question, picks an effort, sends it, waits for the streamed answer and its token counts, checks
the thinking block and answer, and saves a screenshot.

    python check_chat_page.py URL SCREENSHOT
"""
import sys

from playwright.sync_api import sync_playwright

url, shot = sys.argv[1], sys.argv[2]
question = "Use the numbers 14 5 6 to make 13 with + - * /, each number once."
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 900, "height": 760})
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(url)
    page.fill("#prompt", question)
    page.select_option("#effort", "medium")
    page.click("#send")
    page.wait_for_function("document.querySelector('.counts') && document.querySelector('.counts').textContent.length > 0",
                           timeout=60_000)
    thinking = page.inner_text("details.thinking pre")
    answer = page.inner_text(".answer")
    counts = page.inner_text(".counts")
    summary = page.inner_text("details.thinking summary")
    # The thinking block collapses like any <details>.
    page.click("details.thinking summary")
    collapsed = not page.eval_on_selector("details.thinking", "d => d.open")
    page.click("details.thinking summary")
    page.screenshot(path=shot)
    browser.close()
assert thinking.strip(), "the thinking block is empty"
assert answer.strip(), "the answer is empty"
assert "reasoning tokens" in counts and summary.startswith("Thought for"), (counts, summary)
assert collapsed, "the thinking block did not collapse"
assert not failed, f"requests failed: {failed}"
print(f"thinking: {len(thinking)} characters; answer: {answer.strip()!r}; {counts}")
