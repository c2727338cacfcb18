#!/usr/bin/env python3
"""Long-recording benchmark of `emotrace analyze` (issue 18): memory, steadiness, and a kill with resume.

Usage: python3 scripts/bench_lecture.py VIDEO [--bin PATH] [--window-min 5] [--no-resume]

VIDEO is a long lecture recording, e.g. the one `scripts/make_lecture.sh 30` makes (30 minutes of 1080p at 30 FPS
with the 29 faces of the classroom clip). Two runs, each in a store of its own under a temporary folder:

1. uninterrupted, at default settings: the run's FPS, its peak resident memory (VmHWM), and the FPS over the first
   and the last `--window-min` minutes of video (from the session's stored frame count, polled every 2 s, and the
   wall clock);
2. killed (SIGKILL) once about half of the frames are stored, then the same command again, which resumes the
   interrupted session: one session, whose observation count is compared with run 1's.

Prints one JSON object with every figure on stdout (progress on stderr). Figures are for this machine at the time
of the run: compare them as ratios (last window over first, resumed over uninterrupted).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
POLL_S = 2.0


def sessions(binary, store):
    out = subprocess.run([binary, "--store", store, "sessions", "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        return []
    return json.loads(out.stdout).get("sessions", [])


def peak_rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def run(binary, store, video, kill_at=None):
    """Runs analyze; samples (wall s, stored frames) and peak RSS. With kill_at, SIGKILLs it at that many frames."""
    cmd = [binary, "--store", store, "analyze", video, "--json"]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples, peak = [(0.0, 0)], 0.0
    while proc.poll() is None:
        time.sleep(POLL_S)
        rss = peak_rss_mb(proc.pid)
        peak = max(peak, rss or 0.0)
        s = sessions(binary, store)
        if s:
            frames = s[0]["frames"]
            samples.append((time.monotonic() - t0, frames))
            print(f"  {samples[-1][0]:7.1f} s  {frames} frames  peak RSS {peak:.0f} MB", file=sys.stderr)
            if kill_at is not None and frames >= kill_at:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return None, samples, peak
    out, err = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"bench_lecture: {' '.join(cmd)} failed ({proc.returncode}): {err.strip()}")
    report = json.loads(out)
    samples.append((time.monotonic() - t0, report["frames"]))
    return report, samples, peak


def time_at(samples, frames):
    """Wall time at which `frames` frames were stored (linear between samples)."""
    for (t0, f0), (t1, f1) in zip(samples, samples[1:]):
        if f1 >= frames:
            return t0 + (t1 - t0) * (frames - f0) / max(f1 - f0, 1)
    return samples[-1][0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("video")
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "target", "release", "emotrace"))
    ap.add_argument("--window-min", type=float, default=5.0)
    ap.add_argument("--no-resume", action="store_true", help="skip the kill-and-resume run")
    a = ap.parse_args()
    result = {"video": a.video}
    with tempfile.TemporaryDirectory() as tmp:
        print("uninterrupted run", file=sys.stderr)
        report, samples, peak = run(a.bin, os.path.join(tmp, "whole"), a.video)
        frames, fps = report["frames"], report["source"]["fps"] or 30.0
        window = min(int(a.window_min * 60 * fps), frames // 2)
        first = window / max(time_at(samples, window), 1e-9)
        last = window / max(samples[-1][0] - time_at(samples, frames - window), 1e-9)
        result["uninterrupted"] = {
            "frames": frames,
            "observations": report["observations"],
            "tracks": report["tracks"],
            "fps": report["fps"],
            "real_time_factor": report["fps"] / fps,
            "peak_rss_mb": peak,
            "window_frames": window,
            "first_window_fps": first,
            "last_window_fps": last,
            "last_over_first": last / first,
            "schedule": report["schedule"],
        }
        if not a.no_resume:
            print("killed at half, then resumed", file=sys.stderr)
            store = os.path.join(tmp, "resumed")
            _, _, _ = run(a.bin, store, a.video, kill_at=frames // 2)
            killed = sessions(a.bin, store)[0]
            again, _, _ = run(a.bin, store, a.video)
            final = sessions(a.bin, store)
            result["resumed"] = {
                "killed_at_frames": killed["frames"],
                "killed_status": killed["status"],
                "sessions": len(final),
                "session_frames": final[0]["frames"],
                "observations": final[0]["observations"],
                "status": final[0]["status"],
                "observations_over_uninterrupted": final[0]["observations"] / max(report["observations"], 1),
                "same_session": again["session"] == killed["id"],
            }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
