#!/usr/bin/env bash
# Browser tests: the wasm build on WebGPU (SwiftShader in headless Chromium), with the real model
# served on loopback. Needs chromium + chromium-driver and wasm-bindgen-cli matching Cargo.lock.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${HEARTH_TEST_PORT:-8766}"
MODELS="${HEARTH_MODEL_DIR:-$HOME/.cache/hearth/models}"
python3 scripts/serve.py "$PORT" "/=$MODELS" &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 50); do curl -sf -o /dev/null -r 0-0 "http://127.0.0.1:$PORT/SmolLM2-135M-Instruct.Q4_1.gguf" && break; sleep 0.1; done
export HEARTH_MODEL_URL="http://127.0.0.1:$PORT/SmolLM2-135M-Instruct.Q4_1.gguf"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-1200}"
cargo test --release --target wasm32-unknown-unknown --test web --test store --test cpu_web -- --nocapture
