#!/usr/bin/env bash
# A classroom clip for benchmarks and tests, made from the Solvay 1927 photo (29 faces; ../shared/media, from
# crates.io rustface 0.1.7, BSD-2-Clause): the photo on a gray canvas, a 2400x1350 window panning slowly across it
# (20 px/s right, 8 px/s down in photo pixels), scaled to 1920x1080 (median YuNet box about 45 px, faces about 38 px)
# and to 1280x720 (faces about 25 px), 30 FPS, 10 s, H.264 High without B-frames (what openh264 decodes).
#
# Usage: scripts/make_classroom_clip.sh [OUT_DIR]   (default target/media; needs ffmpeg with libx264)
# Writes OUT_DIR/classroom_1080p.mp4 and OUT_DIR/classroom_720p.mp4; skips a file that is already there.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$here/target/media}"
photo="$here/../shared/media/solvay-1927-boxed.png"
[ -f "$photo" ] || { echo "make_classroom_clip: $photo not found" >&2; exit 1; }
command -v ffmpeg >/dev/null || { echo "make_classroom_clip: ffmpeg is not installed (apt-get install ffmpeg)" >&2; exit 1; }
mkdir -p "$out"
for size in 1920x1080 1280x720; do
  name="classroom_${size#*x}p.mp4"
  [ -s "$out/$name" ] && continue
  ffmpeg -loglevel error -y -loop 1 -framerate 30 -t 10 -i "$photo" \
    -vf "pad=2600:1500:467:182:gray,crop=2400:1350:'100+20*t':'75+8*t',scale=${size%x*}:${size#*x}:flags=bicubic,format=yuv420p" \
    -c:v libx264 -profile:v high -bf 0 -preset veryfast -crf 20 -r 30 -an "$out/$name.$$.tmp.mp4"
  # A per-process name, renamed in one step: two runs at once (tests in one binary) each write their own file.
  mv -f "$out/$name.$$.tmp.mp4" "$out/$name"
done
echo "$out/classroom_1080p.mp4"
