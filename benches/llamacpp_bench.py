#!/usr/bin/env python3
"""llama.cpp side of benches/e2e.rs: the same GGUF, the same prompt ids, the same counts.
Usage: llamacpp_bench.py MODEL IDS_JSON N_DECODE THREADS  → one JSON line of timings."""
import json, sys, time

import numpy as np
from llama_cpp import Llama

model, ids_path, n_decode, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ids = json.load(open(ids_path))
t0 = time.perf_counter()
n_ctx = max(1024, len(ids) + n_decode + 8)  # 1024 unless the prompt is long
llm = Llama(model_path=model, n_ctx=n_ctx, n_batch=512, n_threads=threads, n_threads_batch=threads, verbose=False, logits_all=False)
load_s = time.perf_counter() - t0
llm.eval(ids[:8]); llm.reset()  # warm-up
t0 = time.perf_counter()
llm.eval(ids)
prefill_s = time.perf_counter() - t0
t0 = time.perf_counter()
n_vocab = llm.n_vocab()
for _ in range(n_decode):
    logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(n_vocab,))  # last position
    llm.eval([int(np.argmax(logits))])
decode_s = time.perf_counter() - t0
print(json.dumps({"threads": threads, "load_s": load_s, "prefill_tok_s": len(ids) / prefill_s, "decode_tok_s": n_decode / decode_s}))
