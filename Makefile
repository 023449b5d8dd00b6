# hearth's command surface. `make run` completes code with the default model; `make test` runs every test.
SHELL := /bin/bash
export CARGO_TARGET_DIR ?= $(HOME)/.cache/hearth/target
# Mesa's Vulkan loader complains on stderr when no session runtime dir exists (headless machines).
export XDG_RUNTIME_DIR ?= $(shell d=$${TMPDIR:-/tmp}/hearth-runtime-$$(id -u); mkdir -p -m 700 $$d; echo $$d)
MODEL ?= $(HOME)/.cache/hearth/models/SmolLM2-135M-Instruct.Q4_1.gguf
PROMPT ?= def fibonacci(n):
MAX_TOKENS ?= 48

.PHONY: run test test-native test-web model setup setup-web build bench lint

## Complete PROMPT with the default model (fetched on first use), streaming to the terminal.
run: setup model build
	$(CARGO_TARGET_DIR)/release/hearth complete --model "$(MODEL)" --prompt "$$(printf '%b' '$(PROMPT)')" --max-tokens $(MAX_TOKENS) --temperature 0

## All tests: native (wgpu on lavapipe or a GPU) then in headless Chromium (WebGPU).
test: test-native test-web

## GGUF reader, kernels vs their CPU twins, golden model tests, KV cache, tokenizer, CLI.
test-native: setup model
	cargo test --release

## Browser tests: wasm32 on WebGPU in headless Chromium, the real model from a loopback server.
test-web: setup-web model
	scripts/test-web.sh

## Download and verify the default model into ~/.cache/hearth/models (never into the repo).
model:
	@scripts/fetch-model.sh >/dev/null

## System packages: lavapipe (Vulkan on the CPU) for wgpu when there is no GPU. Idempotent.
setup:
	@scripts/setup.sh

## Browser-test tooling: Chromium + ChromeDriver, the wasm32 target, wasm-bindgen-cli. Idempotent.
setup-web:
	@scripts/setup.sh web

build:
	cargo build --release --bin hearth

## Kernel GB/s next to the adapter's read bandwidth; end-to-end prefill/decode tok/s (+ llama.cpp if installed).
bench: setup model
	cargo bench --bench kernels
	cargo bench --bench e2e

lint:
	cargo clippy --release --all-targets -- -D warnings
