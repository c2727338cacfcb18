#!/usr/bin/env python3
"""Figures of issue 22 (`live --listen`), measured on the real binary running headless with `--realtime`:

  latency   markers posted during a run: time from the POST to its answer, which comes after the marker is stored
            and flushed (so an upper bound of post-to-stored); p50/p95 over --markers posts, one every 200 ms
  load      the clip played twice alternately, with no client and with --clients readers of /events?faces=1: processed
            frames (the stored session's count), the pipeline's latency p95 (GET /session, median of the polls) and
            the server's CPU time per processed frame (its cost, which a loaded machine's noise does not hide)
  stall     one client that connects to /events?faces=1 and stops reading: how long until the server has dropped its
            connection (no longer in `ss`), and the server's RSS over the run (every 0.5 s), beside the same run
            without that client (both not recording, so that the store's growth does not hide the API's)

Usage: python3 scripts/bench_listen.py [latency|load|stall|all] [--clip FILE] [--clients 10] [--runs 2]
       [--binary target/release/emotrace]
The load figures are real-time rates: run it on an idle machine. Standard library only.
"""
import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request


def start(binary, clip, store, extra=()):
    """`live CLIP --realtime --headless --listen 127.0.0.1:0`; (process, base URL)."""
    cmd = [binary, "--store", store, "live", clip, "--realtime", "--headless", "--listen", "127.0.0.1:0", *extra]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in p.stderr:
        if "listening on http://" in line:
            url = line.split("listening on ")[1].split()[0]
            threading.Thread(target=lambda: [None for _ in p.stderr], daemon=True).start()
            return p, url
    sys.exit(f"{' '.join(cmd)}: ended without listening ({p.wait()})")


def get_json(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)


def post_marker(url, label):
    req = urllib.request.Request(url + "/markers", data=json.dumps({"label": label}).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=30) as r:
        json.load(r)
    return (time.perf_counter() - t0) * 1000.0


def reader(url, path, counts, key):
    """Reads an SSE stream to its end, counting `data:` lines."""
    host, port = url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    conn.request("GET", path)
    for raw in conn.getresponse():
        if raw.startswith(b"data:"):
            counts[key] = counts.get(key, 0) + 1


def stored_frames(binary, store):
    out = subprocess.run([binary, "--store", store, "sessions", "--json"], capture_output=True, text=True, check=True)
    s = json.loads(out.stdout)["sessions"][0]
    return s["frames"]


def latency(args):
    with tempfile.TemporaryDirectory() as store:
        p, url = start(args.binary, args.clip, store, ["--loop"])
        time.sleep(2)
        times = []
        for i in range(args.markers):
            times.append(post_marker(url, f"m{i}"))
            time.sleep(0.2)
        p.send_signal(2)
        p.wait()
    times.sort()
    p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
    print(f"latency: {len(times)} markers, POST to stored answer p50 {statistics.median(times):.1f} ms, "
          f"p95 {p95:.1f} ms, max {times[-1]:.1f} ms")


def one_load_run(args, clients):
    with tempfile.TemporaryDirectory() as store:
        p, url = start(args.binary, args.clip, store)
        counts, threads = {}, []
        for i in range(clients):
            t = threading.Thread(target=reader, args=(url, "/events?faces=1", counts, i), daemon=True)
            t.start()
            threads.append(t)
        p95s = []
        cpu = 0.0
        while p.poll() is None:
            try:
                p95s.append(get_json(url + "/session")["pipeline"]["latency_p95_ms"])
            except OSError:
                pass
            cpu = max(cpu, cpu_s(p.pid))
            time.sleep(0.5)
        for t in threads:
            t.join(timeout=10)
        frames = stored_frames(args.binary, store)
        return frames, statistics.median(p95s[2:] or p95s or [0]), counts, cpu * 1000.0 / max(frames, 1)


def load(args):
    rows = {0: [], args.clients: []}
    for _ in range(args.runs):
        for n in (0, args.clients):
            frames, p95, counts, cpu_ms = one_load_run(args, n)
            rows[n].append((frames, p95, cpu_ms))
            got = sorted(counts.values())
            print(f"load: {n:2d} clients: {frames} frames processed, latency p95 {p95:.1f} ms, "
                  f"{cpu_ms:.1f} CPU-ms per frame" + (f", events per client {got[0]}-{got[-1]}" if got else ""))
    base = statistics.mean(r[0] for r in rows[0])
    loaded = statistics.mean(r[0] for r in rows[args.clients])
    cpu_base = statistics.mean(r[2] for r in rows[0])
    cpu_loaded = statistics.mean(r[2] for r in rows[args.clients])
    print(f"load: processed frames with {args.clients} clients / without: {loaded / base:.3f} "
          f"({100 * (loaded / base - 1):+.1f}%); CPU per frame with / without: {cpu_loaded / cpu_base:.3f} "
          f"({100 * (cpu_loaded / cpu_base - 1):+.1f}%); latency p95 "
          f"{[round(r[1]) for r in rows[args.clients]]} ms with clients, {[round(r[1]) for r in rows[0]]} without")


def cpu_s(pid):
    """CPU seconds (user + system) the process has used so far; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def connected(port, client_port):
    out = subprocess.run(["ss", "-tnH", "state", "established", f"( sport = :{port} and dport = :{client_port} )"],
                         capture_output=True, text=True).stdout
    return bool(out.strip())


def stall_run(args, stalled):
    """One --loop run of --stall-s seconds, with or without a client that stops reading: (seconds until the server
    dropped that client or None, RSS samples in kB every 0.5 s)."""
    with tempfile.TemporaryDirectory() as store:
        # Not recording: the stored session grows with every frame and would hide what the API holds.
        p, url = start(args.binary, args.clip, store, ["--loop", "--no-record"])
        port = int(url.rsplit(":", 1)[1])
        s = client_port = None
        if stalled:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", port))
            s.sendall(b"GET /events?faces=1 HTTP/1.1\r\nHost: x\r\n\r\n")
            s.recv(1024)
            client_port = s.getsockname()[1]
        t0 = time.monotonic()
        rss = []
        dropped = None
        while time.monotonic() - t0 < args.stall_s:
            rss.append(rss_kb(p.pid))
            if stalled and dropped is None and not connected(port, client_port):
                dropped = time.monotonic() - t0
            time.sleep(0.5)
        p.send_signal(2)
        p.wait()
        if s is not None:
            s.close()
    return dropped, rss


def stall(args):
    """A client that stops reading, against a run without it (the session itself grows: RSS is compared)."""
    for stalled in (False, True):
        dropped, rss = stall_run(args, stalled)
        third = max(1, len(rss) // 3)
        what = "no client" if not stalled else (
            "a client that stopped reading was dropped after "
            + ("not within %ds" % args.stall_s if dropped is None else "%.1f s" % dropped))
        print(f"stall: {what}; server RSS {rss[0] // 1024} MB at the start, median "
              f"{statistics.median(rss[:third]) // 1024} MB in the first third, "
              f"{statistics.median(rss[-third:]) // 1024} MB in the last, max {max(rss) // 1024} MB over {args.stall_s} s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", nargs="?", default="all", choices=["latency", "load", "stall", "all"])
    ap.add_argument("--binary", default="target/release/emotrace")
    ap.add_argument("--clip", default="target/media/classroom_720p.mp4")
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--markers", type=int, default=100)
    ap.add_argument("--stall-s", type=int, default=30)
    args = ap.parse_args()
    if not os.path.exists(args.clip):
        sys.exit(f"{args.clip} missing: bash scripts/make_classroom_clip.sh")
    for what in ["latency", "load", "stall"] if args.what == "all" else [args.what]:
        globals()[what](args)


if __name__ == "__main__":
    main()
