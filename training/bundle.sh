#!/usr/bin/env bash
# Packs what a training run needs on a machine without network access: the training code (training/, from the
# committed tree) and the FER2013 train + public-test arrays (from ../shared/datasets/fer2013), xz -6, into
# training/emotrace-train.tar.xz (about 52 MB; the limit for carrying it to the GPU machine is 64 MiB).
#
#   bash training/bundle.sh [OUT.tar.xz]
#
# Unpacks to emotrace-train/{training/,fer2013/,GIT_COMMIT}. See training/README.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/training/emotrace-train.tar.xz}"
data="$root/../shared/datasets/fer2013"
for f in train-images.u8 train-labels.u8 public-test-images.u8 public-test-labels.u8; do
  [ -f "$data/$f" ] || { echo "error: $data/$f not found" >&2; exit 1; }
done
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/emotrace-train/fer2013"
git -C "$root" archive --format=tar HEAD training | tar -x -C "$stage/emotrace-train"
git -C "$root" rev-parse HEAD > "$stage/emotrace-train/GIT_COMMIT"
cp "$data"/{train,public-test}-{images,labels}.u8 "$data/README.md" "$stage/emotrace-train/fer2013/"
tar -C "$stage" -cf - emotrace-train | xz -6 -T2 > "$out"
size=$(stat -c %s "$out")
echo "wrote $out ($((size / 1024 / 1024)) MiB, commit $(cat "$stage/emotrace-train/GIT_COMMIT"))"
[ "$size" -le $((64 * 1024 * 1024)) ] || { echo "error: $out is over 64 MiB" >&2; exit 1; }
