#!/usr/bin/env bash
# A long lecture recording for the long-run benchmark (scripts/bench_lecture.py), made from the Solvay 1927 photo
# (29 faces; ../shared/media, from crates.io rustface 0.1.7, BSD-2-Clause), the room of the classroom clip
# (scripts/make_classroom_clip.sh) at its 1080p scale: the photo on a gray canvas scaled by 0.8, and a 1920x1080
# window panning slowly back and forth across it (140 px across in 60 s, 100 px down and back in 30 s, as a
# lecture-capture camera drifts). One minute is encoded (30 FPS, H.264 High without B-frames, what openh264
# decodes) and looped: the pan ends where it starts, so the copies join without a jump. Not committed: about 3 MB
# a minute.
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
[[ "$minutes" =~ ^[1-9][0-9]*$ ]] || { echo "make_lecture: MINUTES must be a whole number, got '$minutes'" >&2; exit 1; }
mkdir -p "$out"
name="lecture_${minutes}min_1080p.mp4"
if [ ! -s "$out/$name" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  ffmpeg -loglevel error -y -i "$photo" \
    -vf "pad=2600:1500:467:182:gray,scale=2080:1200:flags=bicubic,loop=loop=-1:size=1,setpts=N/30/TB,crop=1920:1080:'80-70*cos(2*PI*t/60)':'60-50*cos(2*PI*t/30)',format=yuv420p" \
    -t 60 -r 30 -c:v libx264 -profile:v high -bf 0 -preset veryfast -crf 20 -g 250 -an "$tmp/minute.mp4"
  for _ in $(seq "$minutes"); do echo "file '$tmp/minute.mp4'"; done > "$tmp/list.txt"
  ffmpeg -loglevel error -y -f concat -safe 0 -i "$tmp/list.txt" -c copy "$out/$name.tmp.mp4"
  mv "$out/$name.tmp.mp4" "$out/$name"
fi
echo "$out/$name"
