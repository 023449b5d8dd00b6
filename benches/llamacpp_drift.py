#!/usr/bin/env python3
"""llama.cpp's own distance from the float64 reference: teacher-forced over a golden fixture
(tests/fixtures/*.json) on the same GGUF, as tests/golden.rs measures hearth's int8 CPU path:
the worst |Δlogit| over each position's reference top 5, and how often the reference's top-1 is
llama.cpp's top-1. llama.cpp's CPU backend quantizes activations to 8 bits (q8_0/q8_K) too, so
this is the yardstick for hearth's INT8 limits.
Usage: llamacpp_drift.py FIXTURE.json MODEL.gguf [THREADS]  → one line of figures."""
import json, sys

import numpy as np
from llama_cpp import Llama

fixture, model = sys.argv[1], sys.argv[2]
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
g = json.load(open(fixture))
llm = Llama(model_path=model, n_ctx=1024, n_batch=512, n_threads=threads, n_threads_batch=threads, logits_all=True, verbose=False)
worst, agree, total = 0.0, 0, 0
for p in g["prompts"]:
    seq = p["prompt_ids"] + p["reference_greedy_ids"]
    llm.reset()
    llm.eval(seq)
    scores = np.array(llm.scores[: len(seq)])
    for pos in p["positions"]:
        row = scores[pos["pos"]]
        top = [(int(i), float(v)) for i, v in pos["top5"]]
        worst = max(worst, max(abs(float(row[i]) - v) for i, v in top))
        agree += int(np.argmax(row)) == max(top, key=lambda t: t[1])[0]
        total += 1
print(f"{model}: llama.cpp worst top-5 logit difference vs float64 reference {worst:.3e}; top-1 agreement {agree}/{total} ({100 * agree / total:.1f}%)")
