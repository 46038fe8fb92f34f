"""The official `openai` Python client against a running `strawberry serve`.

Run by ServingTests (OpenAIClientTests) with the server's base URL and API key:
    python openai_client_check.py http://127.0.0.1:PORT/v1 KEY MODEL
Checks a plain call, a streamed call reassembled to the same completion, that
reasoning_effort changes the reasoning token count, per-request budgets and logprobs, the
Responses API plain and streamed, and that errors raise the client's matching exception classes. Prints one line per check; exits non-zero on the first failure.
"""
import sys

import openai
from openai import OpenAI

base_url, key, model = sys.argv[1], sys.argv[2], sys.argv[3]
# The timeout only stops a hung server: on a busy CI machine (the suite beside other CPU-heavy jobs) one
# call once took over 60 seconds, so it is far above any call's time alone (under a second).
client = OpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=600)
messages = [{"role": "user", "content": "Use the numbers 3 5 7 to make 22 with + - * /, each number once."}]


def reasoning_of(message):
    extra = getattr(message, "model_extra", None) or {}
    return extra.get("reasoning_content")


# A plain call.
plain = client.chat.completions.create(model=model, messages=messages, seed=5, temperature=1.0)
choice = plain.choices[0]
assert plain.object == "chat.completion" and plain.model == model
assert isinstance(choice.message.content, str) and choice.finish_reason in ("stop", "length")
assert isinstance(reasoning_of(choice.message), str)
reasoning_tokens = plain.usage.completion_tokens_details.reasoning_tokens
assert 0 < reasoning_tokens <= plain.usage.completion_tokens
assert plain.usage.total_tokens == plain.usage.prompt_tokens + plain.usage.completion_tokens
print(f"plain call: {reasoning_tokens} reasoning tokens, answer {choice.message.content!r}")

# A streamed call, reassembled, equals the plain one with the same seed.
content, reasoning, finish, usage = "", "", None, None
stream = client.chat.completions.create(model=model, messages=messages, seed=5, temperature=1.0, stream=True,
                                        stream_options={"include_usage": True})
for chunk in stream:
    if chunk.usage is not None:
        usage = chunk.usage
    for c in chunk.choices:
        content += c.delta.content or ""
        reasoning += (c.delta.model_extra or {}).get("reasoning_content") or ""
        finish = c.finish_reason or finish
assert content == choice.message.content, (content, choice.message.content)
assert reasoning == reasoning_of(choice.message)
assert finish == choice.finish_reason
assert usage is not None and usage.completion_tokens_details.reasoning_tokens == reasoning_tokens
print(f"streamed call: same completion, {len(reasoning)} reasoning characters")

# reasoning_effort changes the reasoning token count.
counts = {}
for effort in ("low", "medium"):
    r = client.chat.completions.create(model=model, messages=messages, seed=7, temperature=1.0, reasoning_effort=effort)
    counts[effort] = r.usage.completion_tokens_details.reasoning_tokens
assert counts["low"] < counts["medium"], counts
print(f"reasoning_effort: {counts}")

# An exact thinking budget through extra_body (vLLM's name), effort "none", and logprobs.
for budget in (0, 3):
    r = client.chat.completions.create(model=model, messages=messages, seed=7, temperature=1.0,
                                       extra_body={"thinking_token_budget": budget})
    assert r.usage.completion_tokens_details.reasoning_tokens <= budget, (budget, r.usage)
r = client.chat.completions.create(model=model, messages=messages, seed=7, reasoning_effort="none")
assert r.usage.completion_tokens_details.reasoning_tokens == 0, r.usage
r = client.chat.completions.create(model=model, messages=messages, seed=7, logprobs=True, top_logprobs=2)
assert r.choices[0].logprobs is not None and all(t.logprob <= 0 for t in r.choices[0].logprobs.content)
assert all(len(t.top_logprobs) == 2 and t.top_logprobs[0].logprob >= t.top_logprobs[1].logprob
           for t in r.choices[0].logprobs.content)
print(f"thinking_token_budget, effort none, {len(r.choices[0].logprobs.content)} answer logprobs with 2 alternatives each")

# The Responses API: reasoning and message items, and a stream that adds up to the same response.
prompt = messages[0]["content"]
resp = client.responses.create(model=model, input=prompt, reasoning={"effort": "low"}, temperature=1.0,
                               extra_body={"seed": 5})
assert resp.object == "response" and resp.status in ("completed", "incomplete"), resp
kinds = [item.type for item in resp.output]
assert kinds == ["reasoning", "message"], kinds
assert resp.usage.output_tokens_details.reasoning_tokens > 0 and resp.usage.input_tokens > 0, resp.usage
text, reasoning_text, done = "", "", None
with client.responses.stream(model=model, input=prompt, reasoning={"effort": "low"}, temperature=1.0,
                             extra_body={"seed": 5}) as events:
    for event in events:
        if event.type == "response.output_text.delta":
            text += event.delta
        elif event.type == "response.reasoning_text.delta":
            reasoning_text += event.delta
        elif event.type in ("response.completed", "response.incomplete"):
            done = event.response  # an answer cut at the server's answer cap is incomplete
assert text == resp.output_text == done.output_text, (text, resp.output_text, done.output_text)
assert reasoning_text == resp.output[0].content[0].text, (reasoning_text, resp.output[0])
none = client.responses.create(model=model, input=[{"role": "user", "content": [{"type": "input_text", "text": prompt}]}],
                               reasoning={"effort": "none"}, max_output_tokens=16)
assert none.usage.output_tokens_details.reasoning_tokens == 0, none.usage
try:
    client.responses.create(model=model, input=prompt, previous_response_id="resp_x")
    raise AssertionError("previous_response_id was accepted")
except openai.BadRequestError as e:
    assert e.body.get("param") == "previous_response_id", e.body
print(f"responses: plain and streamed agree ({len(text)} answer characters), effort none, refusals")

# Errors raise the matching exception classes.
def raises(kind, **kwargs):
    try:
        client.chat.completions.create(**{"model": model, "messages": messages, **kwargs})
    except kind as e:
        assert isinstance(e.body, dict) and "message" in e.body, e.body
        return e
    raise AssertionError(f"expected {kind.__name__} for {kwargs}")

raises(openai.NotFoundError, model="no-such-model")
raises(openai.BadRequestError, messages=[])
e = raises(openai.BadRequestError, n=99)
assert e.body.get("param") == "n", e.body
e = raises(openai.BadRequestError, tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}])
assert e.body.get("param") == "tools" and e.body.get("code") == "unsupported_parameter", e.body
wrong = OpenAI(base_url=base_url, api_key="wrong-key", max_retries=0)
try:
    wrong.chat.completions.create(model=model, messages=messages)
    raise AssertionError("a wrong key was accepted")
except openai.AuthenticationError:
    pass
print("errors: NotFoundError, BadRequestError, AuthenticationError raised as expected")
print("ok")
