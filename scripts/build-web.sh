#!/usr/bin/env bash
# Build the npm package into pkg/: two wasm builds plus the JS API, types, package.json and README
# from pkg-config/. Usage: scripts/build-web.sh [OUT_DIR]
#   hearth.js + hearth_bg.wasm          WebGPU and CPU backends (burn/wgpu inside)
#   hearth_cpu.js + hearth_cpu_bg.wasm  CPU backend only: what a browser without WebGPU downloads
#   hearth_cpu_threads.js + …_bg.wasm   the same on a pool of Workers (cross-origin isolated pages)
#   hearth_cpu_relaxed.js, hearth_cpu_threads_relaxed.js   the CPU builds with relaxed-SIMD dot
#                                       products (the `relaxed-simd` feature), for engines that have it
# pkg-config/local.js loads one of them at run time. All lose wasm-bindgen's name section (function
# names, 5.8 MB of the first); the CPU builds also go through wasm-opt -O3 (npm `binaryen`, about a
# minute each, kept by the input's sha256 in $CARGO_TARGET_DIR/wasm-opt-cache so that an unchanged
# build is not optimised again). HEARTH_WASM_OPT=0 skips wasm-opt (a faster edit-build loop).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-pkg}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hearth/target}"
wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/hearth.wasm"
mkdir -p "$out"
bindgen() { # bindgen NAME: the wasm just built, as $out/NAME.js + $out/NAME_bg.wasm
  wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "$out" --out-name "$1" "$wasm"
}
opt() { # opt NAME [FLAGS...]: wasm-opt -O3 FLAGS on $out/NAME_bg.wasm in place, cached
  [ "${HEARTH_WASM_OPT:-1}" = 0 ] && return
  local f="$out/$1_bg.wasm" cache="$CARGO_TARGET_DIR/wasm-opt-cache" key
  shift
  key=$( (sha256sum < "$f"; echo "$* $(node_modules/.bin/wasm-opt --version)") | sha256sum | cut -c1-64)
  mkdir -p "$cache"
  find "$cache" -name '*.wasm' -mtime +7 -delete
  if [ ! -f "$cache/$key.wasm" ]; then
    node_modules/.bin/wasm-opt -O3 "$@" "$f" -o "$cache/$key.tmp"
    mv "$cache/$key.tmp" "$cache/$key.wasm"
  fi
  cp "$cache/$key.wasm" "$f"
}
cargo build --quiet --release --lib --target wasm32-unknown-unknown
bindgen hearth
cargo build --quiet --release --lib --target wasm32-unknown-unknown --no-default-features
bindgen hearth_cpu
opt hearth_cpu
cargo build --quiet --release --lib --target wasm32-unknown-unknown --no-default-features --features relaxed-simd
bindgen hearth_cpu_relaxed
opt hearth_cpu_relaxed --enable-relaxed-simd
# The threads build: the CPU backend on rayon over Web Workers (wasm-bindgen-rayon), shared memory
# up to 4 GiB. std must be rebuilt with atomics: the pinned nightly and -Z build-std, in its own
# target dir (other flags, other std).
nightly=$(sed -n 's/^channel = "\(.*\)"/\1/p' fuzz/rust-toolchain.toml)
mt="-C target-feature=+atomics,+bulk-memory,+mutable-globals -C link-arg=--shared-memory -C link-arg=--import-memory"
mt="$mt -C link-arg=--max-memory=4294967296 -C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size"
mt="$mt -C link-arg=--export=__tls_align -C link-arg=--export=__tls_base"
threads_build() { # threads_build FEATURES
  RUSTFLAGS="$mt" cargo "+$nightly" build --quiet --release --lib --target wasm32-unknown-unknown \
    --no-default-features --features "$1" -Z build-std=panic_abort,std --target-dir "$CARGO_TARGET_DIR/wasm-threads" \
    2> >(grep -v 'unstable feature specified\|not stably supported\|^ *|\|^ *= note\|^$\|generated 1 warning' >&2)
}
wasm="$CARGO_TARGET_DIR/wasm-threads/wasm32-unknown-unknown/release/hearth.wasm"
rm -rf "$out/snippets"
threads_build threads
bindgen hearth_cpu_threads # + snippets/: wasm-bindgen-rayon's Worker script
opt hearth_cpu_threads
threads_build threads,relaxed-simd
bindgen hearth_cpu_threads_relaxed
opt hearth_cpu_threads_relaxed --enable-relaxed-simd
version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
cp pkg-config/*.js pkg-config/index.d.ts pkg-config/README.md "$out"/
sed "s/@VERSION@/$version/" pkg-config/package.json > "$out/package.json"
rm -f "$out/.gitignore"
for f in "$out"/*.wasm; do echo "  $(basename "$f"): $(( $(stat -c %s "$f") / 1024 )) KiB, $(( $(gzip -9c "$f" | wc -c) / 1024 )) KiB gzipped" >&2; done
echo "built $out/ ($(du -sh "$out" | cut -f1))" >&2
