"""Loads `strawberry export --format gguf` files with llama.cpp (llama-cpp-python from PyPI) and
compares them with Strawberry's probe: token ids, logits at every position (F32), and the greedy
continuation (F32 and F16).

    python check_gguf_export.py DIR
"""
import json
import sys

import numpy as np
from llama_cpp import Llama

folder = sys.argv[1]
probe = json.load(open(f"{folder}/strawberry_probe.json"))
ids, vocab = probe["token_ids"], probe["vocab_size"]
ours = np.array(probe["logits"], dtype=np.float32).reshape(len(ids), vocab)
for precision in ("f32", "f16"):
    # type_k/type_v 0: a float32 KV cache (llama.cpp defaults to float16).
    llm = Llama(model_path=f"{folder}/model-{precision}.gguf", n_ctx=256, logits_all=True, verbose=False, n_threads=2,
                type_k=0, type_v=0)
    tokens = llm.tokenize(probe["text"].encode(), add_bos=False, special=True)
    assert tokens == ids, f"{precision}: token ids differ\n{tokens}\n{ids}"
    llm.reset()
    llm.eval(tokens)
    theirs = np.array(llm.scores[: len(tokens)], dtype=np.float32)
    diff = float(np.abs(theirs - ours).max())
    greedy = []
    for token in llm.generate(tokens, top_k=1, temp=0.0, reset=True):
        greedy.append(token)
        if len(greedy) == len(probe["greedy_ids"]):
            break
    same = greedy == probe["greedy_ids"]
    print(f"{precision}: same {len(ids)} token ids; logits max |diff| {diff:.2e}; greedy continuation of "
          f"{len(greedy)} tokens {'identical' if same else 'DIFFERS'}: {llm.detokenize(greedy).decode(errors='replace')!r}")
    assert same, f"{precision}: greedy continuation differs\n{greedy}\n{probe['greedy_ids']}"
    if precision == "f32":
        assert diff <= 1e-3, f"f32 logits differ by {diff}"
print("ok")
