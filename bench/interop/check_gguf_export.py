"""Loads `strawberry export --format gguf` files with llama.cpp (llama-cpp-python from PyPI) and
compares them with Strawberry's probe: token ids, logits at every position, and the greedy
continuation, for each of model-f32.gguf, model-f16.gguf and model-q8_0.gguf that the folder has.
Every precision must give the same token ids; F32 the same logits within 1e-3; F32 and F16 the
same greedy continuation. Q8_0 rounds every weight to 1/254 of its block's largest, so its logits
must be within 5% of the logits' span, and the tokens of its greedy continuation that agree are
counted (on an untrained model, whose logits are nearly flat, it may leave the path; on a trained
one it should not). The chat template stored in the file, rendered by llama-cpp-python's Jinja
formatter for the probe's user message, must give the probe's prompt ending in `<think>` (the
thinking is opened for the model, as Strawberry's engine does). The Modelfile must name a file
that is there.

    python check_gguf_export.py DIR
"""
import json
import os
import re
import sys

import numpy as np
from llama_cpp import Llama
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

folder = sys.argv[1]
probe = json.load(open(f"{folder}/strawberry_probe.json"))
ids, vocab = probe["token_ids"], probe["vocab_size"]
ours = np.array(probe["logits"], dtype=np.float32).reshape(len(ids), vocab)
checked = 0
for precision in ("f32", "f16", "q8_0"):
    path = f"{folder}/model-{precision}.gguf"
    if not os.path.exists(path):
        continue
    # type_k/type_v 0: a float32 KV cache (llama.cpp defaults to float16).
    llm = Llama(model_path=path, n_ctx=256, logits_all=True, verbose=False, n_threads=2, type_k=0, type_v=0)
    tokens = llm.tokenize(probe["text"].encode(), add_bos=False, special=True)
    assert tokens == ids, f"{precision}: token ids differ\n{tokens}\n{ids}"
    llm.reset()
    llm.eval(tokens)
    theirs = np.array(llm.scores[: len(tokens)], dtype=np.float32)
    diff = float(np.abs(theirs - ours).max())
    spread = float(ours.max() - ours.min())
    greedy = []
    for token in llm.generate(tokens, top_k=1, temp=0.0, reset=True):
        greedy.append(token)
        if len(greedy) == len(probe["greedy_ids"]):
            break
    same = greedy == probe["greedy_ids"]
    agree = next((i for i, (x, y) in enumerate(zip(greedy, probe["greedy_ids"])) if x != y), len(greedy))
    print(f"{precision}: {os.path.getsize(path):,} bytes; same {len(ids)} token ids; logits max |diff| {diff:.2e} "
          f"(logits span {spread:.1f}); greedy continuation of {len(greedy)} tokens "
          f"{'identical' if same else f'the same for {agree}'}: {llm.detokenize(greedy).decode(errors='replace')!r}")
    if precision == "q8_0":
        assert diff <= 0.05 * spread, f"q8_0 logits differ by {diff}, more than 5% of their span {spread}"
    else:
        assert same, f"{precision}: greedy continuation differs\n{greedy}\n{probe['greedy_ids']}"
    if precision == "f32":
        assert diff <= 1e-3, f"f32 logits differ by {diff}"
    if checked == 0:
        template = llm.metadata["tokenizer.chat_template"]
        eos = llm.detokenize([llm.token_eos()], special=True).decode()
        rendered = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token="")(
            messages=[{"role": "user", "content": "Use 3 7 12 to make 33."}]).prompt
        expected = probe["text"][: probe["text"].index("<think>") + len("<think>")]
        assert rendered == expected, f"the stored chat template renders {rendered!r}, not {expected!r}"
        print(f"chat template: renders the prompt and opens <think> ({rendered[-40:]!r})")
    checked += 1
assert checked, f"no model-*.gguf in {folder}"
source = re.search(r"^FROM \./(\S+)$", open(f"{folder}/Modelfile").read(), re.M)
assert source and os.path.exists(f"{folder}/{source.group(1)}"), "the Modelfile names no file of the export"
print("ok")
