#!/usr/bin/env python3
"""Live-mode figures of issues 8 and 18, measured on the real binary: the classroom clip (1080p and 720p) played in real
time, and `recordings/multi_face.jpg` looped at 30 FPS. Prints one line per run and a summary table.

Usage: python3 scripts/bench_live.py [--runs N] [--binary target/release/emotrace] [--loop-seconds S]
Needs the classroom clips (bash scripts/make_classroom_clip.sh) and a release build. Run it on an idle machine:
the figures are real-time rates, so any other load shows up as dropped frames.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time


def analyze(binary, args, timeout=None):
    """One paced run; its report with `cpu_share` added: the process's CPU time (user + system) over its wall time
    and the machine's cores (1.0: every core busy all along)."""
    cmd = [binary, "analyze", *args, "--realtime", "--no-record", "--json"]
    before, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True).stdout
    except subprocess.CalledProcessError as e:
        sys.exit(f"{' '.join(cmd)} failed: {e.stderr.strip()}")
    wall, after = time.monotonic() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    r = json.loads(out.strip().splitlines()[-1])
    r["cpu_share"] = cpu / wall / (os.cpu_count() or 1)
    return r


def looped(binary, image, seconds):
    """`analyze IMAGE --loop --realtime` for `seconds`, then SIGINT: the report is printed on interruption."""
    cmd = [binary, "analyze", image, "--loop", "--realtime", "--no-record", "--json"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(seconds)
    p.send_signal(2)
    out, err = p.communicate(timeout=30)
    lines = out.strip().splitlines()
    if not lines:
        sys.exit(f"{' '.join(cmd)}: no report ({err.strip()})")
    return json.loads(lines[-1])


def figures(r):
    p, c = r["pipeline"], r["coverage"]
    frames_in = max(p["frames_in"], 1)
    return {
        "input_fps": frames_in / max(r["elapsed_s"], 1e-9),
        "dropped_pct": 100.0 * p["frames_dropped"] / frames_in,
        "faces_p05": c["faces_per_frame_p05"],
        "faces_median": c["faces_per_frame_median"],
        "tracks": r["tracks"],
        "classify_hz_min": c["classify_hz_min"],
        "latency_p50_ms": p["latency_p50_ms"],
        "latency_p95_ms": p["latency_p95_ms"],
        "predicted_share": c["predicted_share"],
        "cpu_share": r.get("cpu_share", float("nan")),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--binary", default="target/release/emotrace")
    ap.add_argument("--loop-seconds", type=float, default=20.0)
    ap.add_argument("--only", choices=["1080p", "720p", "loop"], action="append")
    a = ap.parse_args()
    cases = {
        "1080p": lambda: analyze(a.binary, ["target/media/classroom_1080p.mp4"]),
        "720p": lambda: analyze(a.binary, ["target/media/classroom_720p.mp4"]),
        "loop": lambda: looped(a.binary, "recordings/multi_face.jpg", a.loop_seconds),
    }
    rows = {}
    for name in a.only or list(cases):
        for i in range(a.runs):
            f = figures(cases[name]())
            rows.setdefault(name, []).append(f)
            print(name, i, " ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in f.items()),
                  flush=True)
    print("\ncase    " + " ".join(f"{k:>15}" for k in next(iter(rows.values()))[0]))
    for name, fs in rows.items():
        med = {k: statistics.median(f[k] for f in fs) for k in fs[0]}
        print(f"{name:<7} " + " ".join(f"{v:>15.2f}" for v in med.values()))


if __name__ == "__main__":
    main()
