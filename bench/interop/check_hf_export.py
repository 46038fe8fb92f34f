"""Loads a `strawberry export --format hf` folder with Hugging Face transformers and checks that
the tokenizer gives Strawberry's token ids, the chat template opens the thinking, and the model
gives Strawberry's logits (max |diff| <= 1e-4, float32). Run through bench/check_hf_export.sh."""
import json
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def main(folder):
    probe = json.load(open(f"{folder}/strawberry_probe.json"))
    tokenizer = AutoTokenizer.from_pretrained(folder)
    ids = tokenizer(probe["text"], add_special_tokens=False)["input_ids"]
    assert ids == probe["token_ids"], f"token ids differ:\n{ids}\n{probe['token_ids']}"
    text = "naïve café 東京 🍓"
    assert tokenizer.decode(tokenizer(text, add_special_tokens=False)["input_ids"]) == text, "UTF-8 does not round-trip"
    # The template opens the thinking and drops earlier turns' thinking; enable_thinking=False skips it.
    chat = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)
    assert chat == "<|user|>hi<|assistant|><think>", chat
    turns = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "<think>x</think>y"},
             {"role": "user", "content": "z"}]
    chat = tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True)
    assert chat == "<|user|>hi<|assistant|>y<|end|><|user|>z<|assistant|><think>", chat
    chat = tokenizer.apply_chat_template(turns[:1], tokenize=False, add_generation_prompt=True, enable_thinking=False)
    assert chat == "<|user|>hi<|assistant|><think></think>", chat
    generation = json.load(open(f"{folder}/generation_config.json"))
    assert generation["eos_token_id"] == tokenizer.convert_tokens_to_ids("<|end|>"), generation
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0]
    ours = torch.tensor(probe["logits"], dtype=torch.float32).view(len(ids), probe["vocab_size"])
    diff = (logits - ours).abs().max().item()
    print(json.dumps({"tokens": len(ids), "max_abs_logit_diff": diff}))
    assert diff <= 1e-4, f"logits differ by {diff}"
    print("OK: transformers reproduces Strawberry's tokens and logits")


if __name__ == "__main__":
    main(sys.argv[1])
