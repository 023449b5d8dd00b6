#!/usr/bin/env bash
# Browser tests: the wasm build on WebGPU (SwiftShader in headless Chromium), with the real model
# served on loopback. Needs chromium + chromium-driver, wasm-pack and wasm-bindgen-cli matching
# Cargo.lock (scripts/setup.sh web).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${HEARTH_TEST_PORT:-8766}"
MODELS="${HEARTH_MODEL_DIR:-$HOME/.cache/hearth/models}"
python3 scripts/serve.py "$PORT" "/=$MODELS" &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 50); do curl -sf -o /dev/null -r 0-0 "http://127.0.0.1:$PORT/SmolLM2-135M-Instruct.Q4_1.gguf" && break; sleep 0.1; done
export HEARTH_MODEL_URL="http://127.0.0.1:$PORT/SmolLM2-135M-Instruct.Q4_1.gguf"
export HEARTH_QWEN_URL="http://127.0.0.1:$PORT/Qwen2.5-Coder-0.5B-Instruct.gguf"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-1200}"
# wasm-pack test = cargo test on wasm32 with wasm-bindgen-test-runner driving ChromeDriver; the
# flags make it use the installed ChromeDriver and wasm-bindgen (nothing is downloaded) and
# webdriver.json for Chromium's binary and WebGPU flags.
wasm-pack test --headless --chrome --chromedriver "$CHROMEDRIVER" --mode no-install --release . \
  --test web --test store --test cpu_web -- --nocapture
# The relaxed-SIMD kernels (the `relaxed-simd` feature, what hearth_cpu*_relaxed.js run): their
# twin tests and the same bits as simd128's, in the same Chromium.
wasm-pack test --headless --chrome --chromedriver "$CHROMEDRIVER" --mode no-install --release . \
  --features relaxed-simd --test cpu_web -- --nocapture q8_dot
