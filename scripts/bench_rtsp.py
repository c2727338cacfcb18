#!/usr/bin/env python3
"""RTSP benchmarks of issue 19, on the real binary and GStreamer's RTSP server (scripts/rtsp_server.py, 127.0.0.1):

1. `live`: the 720p 29-face classroom clip served over RTSP and analysed as a live source (`analyze rtsp://...`,
   which records like `live` without the screen): input FPS, share of frames dropped, share of frames with all
   29 faces, capture-to-result latency p50/p95 (the pipeline's figures over its last window).
2. `cycles N`: the server killed (SIGKILL) and started again on the same port N times while one `analyze` runs on
   a looping stream: one session, its gaps, and the analyser's RSS, threads and open sockets before and after
   (from /proc), which must stay flat.

Usage: python3 scripts/bench_rtsp.py live [--clip target/media/classroom_720p.mp4]
       python3 scripts/bench_rtsp.py cycles [N] [--play-s 2]
Needs a release build (target/release/emotrace), the classroom clip (bash scripts/make_classroom_clip.sh) and
GStreamer's RTSP server (see scripts/rtsp_server.py). Run on an idle machine: live figures are real-time rates.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/emotrace")
SERVER = os.path.join(ROOT, "scripts/rtsp_server.py")


def start_server(serve, port=0, loop=False):
    args = ["/usr/bin/python3", SERVER, "--port", str(port), "--serve", serve] + (["--loop"] if loop else [])
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline().strip()
    if not line.startswith("READY "):
        sys.exit(f"server did not start: {line} {p.stderr.read()}")
    return p, int(line.rsplit(":", 1)[1])


def proc_facts(pid):
    """RSS in MB, threads, open sockets of a running process."""
    status = open(f"/proc/{pid}/status").read()
    rss = int(next(l for l in status.splitlines() if l.startswith("VmRSS:")).split()[1]) / 1024
    threads = int(next(l for l in status.splitlines() if l.startswith("Threads:")).split()[1])
    sockets = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            sockets += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return rss, threads, sockets


def live(clip):
    server, port = start_server(f"c={clip}")
    try:
        with tempfile.TemporaryDirectory() as store:
            t0 = time.monotonic()
            out = subprocess.run([BIN, "--store", store, "analyze", f"rtsp://127.0.0.1:{port}/c", "--json"],
                                 capture_output=True, text=True, check=True).stdout
            wall = time.monotonic() - t0
            r = json.loads(out)
            sid = r["session"]
            csv = subprocess.run([BIN, "--store", store, "export", "--format", "csv", sid],
                                 capture_output=True, text=True, check=True).stdout.splitlines()[1:]
    finally:
        server.terminate()
        server.wait()
    per_frame = {}
    for line in csv:
        cols = line.split(",")
        per_frame[cols[2]] = per_frame.get(cols[2], 0) + 1
    frames = r["frames"]
    full = sum(1 for n in per_frame.values() if n >= 29)
    p = r["pipeline"]
    seen = p["frames_processed"] + p["frames_dropped"]
    print(f"{os.path.basename(clip)} over RTSP, live: {seen} frames in {wall:.1f} s; processed {frames}, "
          f"dropped {p['frames_dropped']} ({100 * p['frames_dropped'] / max(seen, 1):.1f}%); "
          f"29 faces in {100 * full / max(frames, 1):.1f}% of processed frames; "
          f"latency p50 {p['latency_p50_ms']:.0f} ms, p95 {p['latency_p95_ms']:.0f} ms (last window); "
          f"input {p['input_fps']:.1f} FPS; tracks {r['tracks']}")


def cycles(n, play_s):
    clip = os.path.join(os.path.dirname(ROOT), "shared/media/WolfgangLanger_Pexels.mp4")
    serve = f"w={clip}"
    server, port = start_server(serve, loop=True)
    with tempfile.TemporaryDirectory() as store:
        a = subprocess.Popen([BIN, "--store", store, "analyze", f"rtsp://127.0.0.1:{port}/w", "--json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(5)
        if a.poll() is not None:
            sys.exit(f"analyze ended early: {a.stderr.read().strip()}")
        before = proc_facts(a.pid)
        t0 = time.monotonic()
        for i in range(n):
            server.kill()
            server.wait()
            server, _ = start_server(serve, port=port, loop=True)
            time.sleep(1.2 + play_s)  # the first reconnection attempt comes 1 s after the loss
        time.sleep(3)
        after = proc_facts(a.pid)
        a.send_signal(signal.SIGINT)
        out, err = a.communicate(timeout=60)
        server.terminate()
        server.wait()
        r = json.loads(out)
        sessions = json.loads(subprocess.run([BIN, "--store", store, "sessions", "--json"], capture_output=True,
                                             text=True, check=True).stdout)["sessions"]
    if len(sessions) != 1:
        for s in sessions:
            print("  session", s["id"], s["status"], s["frames"], s["source"], s.get("error"))
    gaps = r["source_gaps"]
    lost = sum((g["back_ms"] or g["lost_ms"]) - g["lost_ms"] for g in gaps) / 1000
    print(f"{n} kill-and-restart cycles in {time.monotonic() - t0:.0f} s: {len(sessions)} session(s), "
          f"{len(gaps)} gaps ({lost:.1f} s lost), {r['frames']} frames, {r['tracks']} track(s), status {r['status']}")
    if len(gaps) != n:
        print("  gaps:", [(g["lost_ms"], g["back_ms"], g["reason"], g["failed_attempts"], g.get("last_failure"))
                          for g in gaps])
    print(f"  before: RSS {before[0]:.0f} MB, {before[1]} threads, {before[2]} sockets; "
          f"after: RSS {after[0]:.0f} MB, {after[1]} threads, {after[2]} sockets")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="what", required=True)
    l = sub.add_parser("live")
    l.add_argument("--clip", default=os.path.join(ROOT, "target/media/classroom_720p.mp4"))
    c = sub.add_parser("cycles")
    c.add_argument("n", type=int, nargs="?", default=50)
    c.add_argument("--play-s", type=float, default=2.0)
    a = p.parse_args()
    if a.what == "live":
        live(a.clip)
    else:
        cycles(a.n, a.play_s)


if __name__ == "__main__":
    main()
