#!/usr/bin/env bash
# A long lecture recording for the long-run benchmark (scripts/bench_lecture.py), made from the Solvay 1927 photo
# (29 faces; ../shared/media, from crates.io rustface 0.1.7, BSD-2-Clause) as scripts/make_classroom_clip.sh makes
# the 10 s classroom clip: the photo on a gray canvas, a 2400x1350 window panning slowly back and forth across it
# (a 5-minute period across, 7 minutes down: faces move as in a lecture-capture camera that drifts), scaled to
# 1920x1080, 30 FPS, H.264 High without B-frames (what openh264 decodes). Not committed: about 10 MB a minute.
#
# Usage: scripts/make_lecture.sh [MINUTES] [OUT_DIR]   (default 30 minutes, target/media; needs ffmpeg with libx264)
# Writes OUT_DIR/lecture_${MINUTES}min_1080p.mp4; skips a file that is already there.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
minutes="${1:-30}"
out="${2:-$here/target/media}"
photo="$here/../shared/media/solvay-1927-boxed.png"
[ -f "$photo" ] || { echo "make_lecture: $photo not found" >&2; exit 1; }
command -v ffmpeg >/dev/null || { echo "make_lecture: ffmpeg is not installed (apt-get install ffmpeg)" >&2; exit 1; }
mkdir -p "$out"
name="lecture_${minutes}min_1080p.mp4"
if [ ! -s "$out/$name" ]; then
  ffmpeg -loglevel error -y -loop 1 -framerate 30 -t "$((minutes * 60))" -i "$photo" \
    -vf "pad=2600:1500:467:182:gray,crop=2400:1350:'100-90*cos(2*PI*t/300)':'75-60*cos(2*PI*t/420)',scale=1920:1080:flags=bicubic,format=yuv420p" \
    -c:v libx264 -profile:v high -bf 0 -preset veryfast -crf 20 -g 250 -r 30 -an "$out/$name.tmp.mp4"
  mv "$out/$name.tmp.mp4" "$out/$name"
fi
echo "$out/$name"
