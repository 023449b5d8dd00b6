#!/usr/bin/env bash
# Build the npm package into pkg/: the wasm (wasm-pack, --target web) plus the JS API, types,
# package.json and README from pkg-config/. Usage: scripts/build-web.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-pkg}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hearth/target}"
wasm-pack --quiet build --target web --release --no-pack --no-typescript --out-dir "$out" --out-name hearth . 1>&2
version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
cp pkg-config/*.js pkg-config/index.d.ts pkg-config/README.md "$out"/
sed "s/@VERSION@/$version/" pkg-config/package.json > "$out/package.json"
rm -f "$out/.gitignore"
echo "built $out/ ($(du -sh "$out" | cut -f1))" >&2
