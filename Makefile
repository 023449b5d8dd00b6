# hearth's command surface. `make app` serves the offline code-completion PWA; `make test` runs every test.
SHELL := /bin/bash
export CARGO_TARGET_DIR ?= $(HOME)/.cache/hearth/target
# Mesa's Vulkan loader complains on stderr when no session runtime dir exists (headless machines).
export XDG_RUNTIME_DIR ?= $(shell d=$${TMPDIR:-/tmp}/hearth-runtime-$$(id -u); mkdir -p -m 700 $$d; echo $$d)
MODEL ?= $(HOME)/.cache/hearth/models/SmolLM2-135M-Instruct.Q4_1.gguf
PROMPT ?= def fibonacci(n):
MAX_TOKENS ?= 48
MODEL_DIR := $(dir $(MODEL))
PORT ?= 8080
FUZZ_TOOLCHAIN := $(shell sed -n 's/^channel = "\(.*\)"/\1/p' fuzz/rust-toolchain.toml)
FUZZ_SECONDS ?= 60
# Leak detection off: it scanned the heap after every input and made the GGUF target 10× slower.
FUZZ_FLAGS := -rss_limit_mb=4096 -timeout=30 -detect_leaks=0
FUZZ := CARGO_TARGET_DIR=$(HOME)/.cache/hearth/fuzz-target cargo +$(FUZZ_TOOLCHAIN) fuzz
APP_DIR ?= dist

.PHONY: bench-ab bench-load-memory test-device-lost bench-keys bench-start bench-threads test-threads soak test-soak test-abort test-fuzz fuzz-long fuzz-cmin fuzz-seeds setup-fuzz lint-wasm setup-wasm bench-web app run test test-native test-web test-wasm test-package test-network test-app model setup setup-web build web build-app bench lint

## The app: build the npm package and the PWA, fetch the default model, serve on http://127.0.0.1:$(PORT).
app: build-app model
	@echo "hearth is at http://127.0.0.1:$(PORT)/  (Ctrl-C stops the server)"
	HEARTH_ISOLATE=1 python3 scripts/serve.py $(PORT) /=$(APP_DIR) /models=$(MODEL_DIR)

## Complete PROMPT with the default model (fetched on first use), streaming to the terminal.
run: setup model build
	$(CARGO_TARGET_DIR)/release/hearth complete --model "$(MODEL)" --prompt "$$(printf '%b' '$(PROMPT)')" --max-tokens $(MAX_TOKENS) --temperature 0

## All tests: native (wgpu on lavapipe or a GPU) then in headless Chromium (WebGPU).
test: test-native test-web test-fuzz

## GGUF reader, kernels vs their CPU twins, golden model tests, KV cache, tokenizer, CLI.
test-native: setup model
	cargo test --release

## Each fuzz target (GGUF file, tokenizer text, request JSON) for FUZZ_SECONDS from the committed
## corpus; a crash fails (its input is left in fuzz/artifacts/). New inputs go to a scratch dir.
test-fuzz: setup-fuzz model
	@for t in gguf tokenizer request; do \
	  d=$$(mktemp -d) && $(FUZZ) run $$t $$d fuzz/corpus/$$t -- $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done

## A long run of one target, e.g. `make fuzz-long T=gguf N=10000000`; new inputs go into fuzz/corpus/T.
fuzz-long: setup-fuzz model
	$(FUZZ) run $(T) fuzz/corpus/$(T) -- $(FUZZ_FLAGS) -runs=$(N) -print_final_stats=1

## Minimise a target's corpus in place before committing it: `make fuzz-cmin T=gguf`.
fuzz-cmin: setup-fuzz
	$(FUZZ) cmin $(T) fuzz/corpus/$(T) -- $(FUZZ_FLAGS)

## The GGUF target's seed files: tiny models written by the test that loads them.
fuzz-seeds:
	HEARTH_WRITE_SEEDS=$(CURDIR)/fuzz/corpus/gguf cargo test --release --test hostile tiny_models

setup-fuzz:
	@scripts/setup.sh fuzz

## Browser tests in headless Chromium (WebGPU): the wasm engine and store, the npm package, the PWA.
test-web: test-wasm test-package test-threads test-network test-abort test-soak test-device-lost test-app

## wasm-bindgen-test: golden tokens on WebGPU, the IndexedDB store (resume, corruption, offline).
test-wasm: setup-web model
	scripts/test-web.sh

## playwright-core: the npm package from a page (Worker, streaming, abort, offline reload).
test-package: setup-web web model
	node tests/browser/package.test.mjs

## The CPU backend on wasm threads (cross-origin isolated page, no WebGPU): build choice, same tokens, abort.
test-threads: setup-web web model
	node tests/browser/threads.test.mjs

## playwright-core: the package against a flaky model server and a full disk (resume, restart, sha256, quota).
test-network: setup-web web model
	node tests/browser/network.test.mjs

## playwright-core: loads and completions aborted at seeded random points (download, verify, upload, completion).
test-abort: setup-web web model
	node tests/browser/abort.test.mjs

## playwright-core: a long session in a Worker (typing real files, random aborts, CPU and WebGPU): every request
## returns or aborts, memory flat, greedy probes unchanged. `make soak` is the 1,000-request run for the README.
test-soak: setup-web web model
	node tests/browser/soak.test.mjs

soak: setup-web web model
	HEARTH_SOAK_N=1000 node tests/browser/soak.test.mjs

## playwright-core: the GPU process crashed (DevTools) under a WebGPU engine, Worker and page: the next
## request reloads the model from IndexedDB onto a new device and returns the golden tokens.
test-device-lost: setup-web web model
	node tests/browser/device_lost.test.mjs

## playwright-core: the PWA end to end (download, offline reload, ghost text, Tab); first its context
## window (www/context.js) in plain node.
test-app: setup-web build-app model
	node tests/browser/context.test.mjs
	node tests/browser/app.test.mjs

## The npm package (ESM + wasm + types) in pkg/.
web: setup-wasm
	scripts/build-web.sh pkg

## The PWA in $(APP_DIR)/ (app bundle, service worker, manifest, icons, the package under pkg/).
build-app: web
	rm -rf $(APP_DIR) && mkdir -p $(APP_DIR) && cp -r pkg $(APP_DIR)/pkg
	node scripts/build-app.mjs $(APP_DIR)

## Download and verify both catalog models (SmolLM2, Qwen2.5-Coder) into ~/.cache/hearth/models (never into the repo).
model:
	@scripts/fetch-model.sh all >/dev/null

## System packages: lavapipe (Vulkan on the CPU) for wgpu when there is no GPU. Idempotent.
setup:
	@scripts/setup.sh

## Build tooling for the package and the app: wasm32 target, wasm-bindgen-cli, wasm-pack, npm packages.
setup-wasm:
	@scripts/setup.sh wasm

## Browser tooling: Chromium + ChromeDriver, the wasm32 target, wasm-bindgen-cli, wasm-pack, npm packages. Idempotent.
setup-web:
	@scripts/setup.sh web

build:
	cargo build --release --bin hearth

## Kernel GB/s next to the adapter's read bandwidth; end-to-end prefill/decode tok/s (+ llama.cpp if installed).
bench: setup model
	cargo bench --bench kernels
	cargo bench --bench e2e

## Peak memory of a model load (cold and cached), hearth WebGPU / CPU next to wllama, both catalog models.
bench-load-memory: setup-web web model
	node benches/load_memory.mjs

## In headless Chromium: hearth (WebGPU, CPU) vs wllama on the same GGUF and prompt; a Markdown table.
bench-web: web model
	node benches/browser.mjs

## In headless Chromium at phone size: the PWA's cold and warm start (open → ready → first suggestion), and each
## wasm build's size and fetch + compile, on loopback and on an emulated 4G link. A Markdown table.
bench-start: build-app model
	node benches/start.mjs

## In headless Chromium without WebGPU: hearth's CPU backend and wllama at 1 and 2 threads, idle and with one core
## busy with another process. A Markdown table.
bench-threads: web model
	node benches/threads.mjs

## Two builds of the CPU backend side by side in one page, alternated: A=<a copy of pkg/ from before a
## change> against pkg/ (B). Prefill and decode tok/s and B/A, and whether they gave the same tokens.
bench-ab: web model
	node benches/ab.mjs

## In headless Chromium without WebGPU: textwrap.py typed back a key at a time, the app's suggestion after each pause,
## hearth (CPU backend) against wllama on the same GGUF and threads, both models. A Markdown table.
bench-keys: web model
	node benches/keys.mjs

lint:
	cargo clippy --release --all-targets -- -D warnings

## Clippy on the wasm32 build too (fetch, store, web API, simd128 kernels); not in CI (a cold check of every dependency).
lint-wasm: setup-wasm
	cargo clippy --release --target wasm32-unknown-unknown --lib --tests -- -D warnings
