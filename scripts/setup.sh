#!/usr/bin/env bash
# Install what hearth needs, idempotently. Always: a Vulkan driver (lavapipe when there is no GPU)
# for native wgpu. With `wasm` (building the npm package and the app): the wasm32 target, the
# nightly pinned in fuzz/rust-toolchain.toml with rust-src (the wasm threads build),
# wasm-bindgen-cli at the exact version Cargo.lock pins, wasm-pack, and the npm packages of
# package-lock.json (esbuild, CodeMirror, playwright-core, wllama). With `web`: all that plus
# Chromium + ChromeDriver for the browser tests (WebGPU on SwiftShader). With `fuzz`: the nightly
# pinned in fuzz/rust-toolchain.toml and cargo-fuzz (the fuzz targets; `make test-fuzz`). With
# `bench`: llama-cpp-python for the benchmarks that run llama.cpp beside hearth.
# Usage: scripts/setup.sh [wasm|web|fuzz|bench]
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || need+=(mesa-vulkan-drivers)
command -v python3 >/dev/null || need+=(python3 python3-pip)
web=false; wasm=false
if [ "${1:-}" = fuzz ]; then
  nightly=$(sed -n 's/^channel = "\(.*\)"/\1/p' fuzz/rust-toolchain.toml)
  rustup toolchain list | grep -q "^$nightly" || rustup toolchain install "$nightly" --profile minimal
  if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz 0.13.2 (a few minutes, once) ..." >&2
    cargo install --quiet --locked cargo-fuzz --version 0.13.2
  fi
  exit 0
fi
if [ "${1:-}" = bench ]; then
  # The llama.cpp side of the benchmarks (benches/llamacpp_bench.py, llamacpp_drift.py,
  # fim_bench.py): llama-cpp-python built here with AVX2 kernels (several minutes, once). Not
  # -DGGML_NATIVE: on a CPU reporting AMX (this VM) that build crashed in its first eval.
  if ! python3 -c 'import llama_cpp, numpy' 2>/dev/null; then
    echo "building llama-cpp-python 0.3.36 (several minutes, once) ..." >&2
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" \
      python3 -m pip install --quiet --no-cache-dir llama-cpp-python==0.3.36 numpy
  fi
  exit 0
fi
case "${1:-}" in web) web=true; wasm=true ;; wasm) wasm=true ;; esac
if $web; then
  [ -x /usr/lib/chromium/chromium ] || need+=(chromium)
  [ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
  command -v curl >/dev/null || need+=(curl)
fi
if $wasm; then
  command -v npm >/dev/null || need+=(nodejs npm)
fi
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing ${need[*]} ..." >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
$wasm || exit 0
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
# The wasm threads build (hearth_cpu_threads): the pinned nightly, its std rebuilt with atomics.
nightly=$(sed -n 's/^channel = "\(.*\)"/\1/p' fuzz/rust-toolchain.toml)
if ! rustup "+$nightly" component list --installed 2>/dev/null | grep -qx rust-src \
   || ! rustup "+$nightly" target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "installing $nightly with rust-src and wasm32 (the wasm threads build) ..." >&2
  rustup toolchain install "$nightly" --profile minimal --component rust-src --target wasm32-unknown-unknown
fi
ver=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -qF "$ver"; then
  echo "installing wasm-bindgen-cli $ver (a few minutes, once) ..." >&2
  cargo install --quiet wasm-bindgen-cli --version "$ver"
fi
if ! wasm-pack --version 2>/dev/null | grep -qF "0.15.1"; then
  echo "installing wasm-pack 0.15.1 (≈15 minutes, once) ..." >&2
  cargo install --quiet wasm-pack --version 0.15.1
fi
if [ ! -x node_modules/.bin/esbuild ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
