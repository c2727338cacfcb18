#!/usr/bin/python3
"""A local RTSP server that serves video files as if they were IP cameras.

For the tests and benchmarks of emotrace's RTSP input (issue 19): it stands in for a network camera, so that
the input can be tested on a machine without one. It is built on GStreamer's RTSP server (libgstrtspserver,
through PyGObject) and runs with the system Python (/usr/bin/python3), not a virtual environment.

It binds 127.0.0.1 only: the RTSP socket, and the UDP sockets for RTP/RTCP when a client asks for UDP transport.
Use 127.0.0.1 in the URLs rather than "localhost" (which may resolve to ::1 first).

Usage:
    scripts/rtsp_server.py --serve wolfgang=../shared/media/WolfgangLanger_Pexels.mp4 [--serve NAME=FILE ...]
                           [--port PORT] [--loop] [--user U --password P] [--verbose]

    --serve NAME=FILE  mount FILE (H.264 or H.265 video in MP4/MOV) at rtsp://127.0.0.1:PORT/NAME; repeatable.
                       The video is served as it is in the file, without transcoding
                       (filesrc ! qtdemux ! h264parse ! rtph264pay config-interval=-1, SPS/PPS before every IDR);
                       audio tracks are left out. It is paced in real time by the file's timestamps, as a camera
                       would send it. Every client connection gets its own pipeline, starting at the beginning of
                       the file; at its end the server ends the stream (ffmpeg then exits with every frame read).
                       The SDP has a=framerate from the container (none for some variable-rate files) and
                       a=range:npt=0-DURATION.
    --loop             repeat every file forever (a long "live camera" stream), by segment seeks: timestamps keep
                       increasing across the joins, and the frame interval at a join is the file's own (the first
                       frame of a pass follows the last frame of the one before by that frame's duration).
    --port PORT        the RTSP port; 0 (the default) picks a free one.
    --user/--password  require HTTP Basic authentication with these credentials; anything else gets
                       401 Unauthorized. Clients can put them in the URL: rtsp://U:P@127.0.0.1:PORT/NAME.
    --verbose          log client connections to stderr.

Once the server listens, it prints one line to stdout (flushed), which a harness can wait for to read the port:
    READY rtsp://127.0.0.1:PORT
A path that is not mounted gets 404 Not Found. SIGTERM or SIGINT closes the clients and exits with status 0.
The listening socket has SO_REUSEADDR (GLib's bind), so a server can be started again on the same port right
after one was killed mid-stream.

Needs (Debian): python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
gstreamer1.0-plugins-bad (h264parse and h265parse are in -bad; qtdemux and the RTP payloaders in -good).
"""

import argparse
import os
import random
import signal
import sys
import threading
import time

try:
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer
except (ImportError, ValueError) as error:
    sys.exit(
        f"rtsp_server: {error}; install the Debian packages python3-gi gir1.2-gst-rtsp-server-1.0 "
        "gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad, and run with /usr/bin/python3"
    )

# Parser and payloader for each video codec the server can pass through, by caps name.
CODECS = {
    "video/x-h264": ("h264parse", "rtph264pay"),
    "video/x-h265": ("h265parse", "rtph265pay"),
}


def log(message):
    print(f"rtsp_server: {message}", file=sys.stderr, flush=True)


def probe_video_caps(path, timeout_s=10):
    """The caps name of the first video track of PATH (demuxed by qtdemux), e.g. "video/x-h264"."""
    pipeline = Gst.Pipeline.new("probe")
    src = Gst.ElementFactory.make("filesrc")
    demux = Gst.ElementFactory.make("qtdemux")
    src.set_property("location", path)
    pipeline.add(src)
    pipeline.add(demux)
    src.link(demux)
    found = []

    def on_pad(_demux, pad):
        caps = pad.get_current_caps() or pad.query_caps(None)
        found.append(caps.get_structure(0).get_name())
        sink = Gst.ElementFactory.make("fakesink")
        pipeline.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))

    done = threading.Event()
    demux.connect("pad-added", on_pad)
    demux.connect("no-more-pads", lambda _demux: done.set())
    pipeline.set_state(Gst.State.PAUSED)
    bus = pipeline.get_bus()
    error = None
    deadline = time.monotonic() + timeout_s
    while not done.is_set():
        if time.monotonic() > deadline:
            error = "timed out reading it"
            break
        message = bus.timed_pop_filtered(20 * Gst.MSECOND, Gst.MessageType.ERROR)
        if message is not None:
            error = message.parse_error()[0].message
            break
    pipeline.set_state(Gst.State.NULL)
    video = [name for name in found if name.startswith("video/")]
    if not video:
        raise ValueError(error or f"no video track (tracks: {', '.join(found) or 'none'})")
    return video[0]


class LoopRetimer:
    """Makes the joins of a looped file exact.

    At a non-flushing segment seek, GStreamer starts the next pass at the running time of the demuxer's last
    position, which is not where the video's last frame ends: 17 ms too early for WolfgangLanger_Pexels.mp4 (the
    frames of two passes overlap, and a client sees timestamps go backwards), 3.3 ms too late for
    single_face.mp4. This probe on the demuxed video measures the first pass (earliest PTS to the end of the
    latest frame, PTS plus duration) and rewrites the base of each later pass's SEGMENT event to
    first base + passes * that span, so that frame intervals stay the file's own across the joins.
    """

    def __init__(self):
        self.pushing = False
        self.reset()

    def reset(self):
        self.passes = 0
        self.first_base = None
        self.min_pts = None
        self.max_end = None

    def probe(self, pad, info):
        if info.type & Gst.PadProbeType.BUFFER:
            buffer = info.get_buffer()
            if self.passes == 0 and self.first_base is not None and buffer.pts != Gst.CLOCK_TIME_NONE:
                duration = buffer.duration if buffer.duration != Gst.CLOCK_TIME_NONE else 0
                self.min_pts = buffer.pts if self.min_pts is None else min(self.min_pts, buffer.pts)
                end = buffer.pts + duration
                self.max_end = end if self.max_end is None else max(self.max_end, end)
            return Gst.PadProbeReturn.OK
        event = info.get_event()
        if event.type == Gst.EventType.FLUSH_STOP:
            self.reset()
        elif event.type == Gst.EventType.SEGMENT and not self.pushing:
            segment = event.parse_segment()
            if self.first_base is None:
                self.first_base = segment.base
            elif self.max_end is not None:
                self.passes += 1
                segment.base = self.first_base + self.passes * (self.max_end - self.min_pts)
                fixed = Gst.Event.new_segment(segment)
                fixed.set_seqnum(event.get_seqnum())
                self.pushing = True
                try:
                    pad.push_event(fixed)
                finally:
                    self.pushing = False
                return Gst.PadProbeReturn.DROP
        return Gst.PadProbeReturn.OK


class FileFactory(GstRtspServer.RTSPMediaFactory):
    """Serves the video track of one file, a new pipeline for each client."""

    def __init__(self, path, caps_name, loop):
        super().__init__()
        self.path = path
        self.parser, self.payloader = CODECS[caps_name]
        self.caps_name = caps_name
        self.loop = loop
        self.set_shared(False)
        if loop:
            self.connect("media-configure", self.on_media_configure)

    def do_create_element(self, _url):
        bin_ = Gst.Bin.new(None)
        src = Gst.ElementFactory.make("filesrc")
        src.set_property("location", self.path)
        demux = Gst.ElementFactory.make("qtdemux")
        queue = Gst.ElementFactory.make("queue")
        parse = Gst.ElementFactory.make(self.parser)
        pay = Gst.ElementFactory.make(self.payloader, "pay0")
        pay.set_property("pt", 96)
        pay.set_property("config-interval", -1)
        for element in (src, demux, queue, parse, pay):
            bin_.add(element)
        src.link(demux)
        queue.link(parse)
        parse.link(pay)
        queue_sink = queue.get_static_pad("sink")

        def on_pad(_demux, pad):
            caps = pad.get_current_caps() or pad.query_caps(None)
            if caps.get_structure(0).get_name() == self.caps_name and not queue_sink.is_linked():
                pad.link(queue_sink)

        demux.connect("pad-added", on_pad)
        if self.loop:
            queue.get_static_pad("src").add_probe(
                Gst.PadProbeType.BUFFER | Gst.PadProbeType.EVENT_DOWNSTREAM | Gst.PadProbeType.EVENT_FLUSH,
                LoopRetimer().probe,
            )
        return bin_

    # Looping: a flushing segment seek to 0 once the pipeline has prerolled, then a non-flushing segment seek
    # to 0 at each SEGMENT_DONE; the pipeline never sees EOS and its running time keeps increasing (LoopRetimer
    # makes the joins exact). The client's PLAY (Range: npt=0-) causes no seek of its own: the media is at 0.
    def on_media_configure(self, _factory, media):
        media.connect("prepared", self.on_prepared)
        media.connect("handle-message", self.on_message)

    @staticmethod
    def on_prepared(media):
        media.get_element().seek(
            1.0,
            Gst.Format.TIME,
            Gst.SeekFlags.FLUSH | Gst.SeekFlags.SEGMENT,
            Gst.SeekType.SET,
            0,
            Gst.SeekType.NONE,
            -1,
        )

    @staticmethod
    def on_message(media, message):
        if message.type == Gst.MessageType.SEGMENT_DONE:
            media.get_element().seek(
                1.0, Gst.Format.TIME, Gst.SeekFlags.SEGMENT, Gst.SeekType.SET, 0, Gst.SeekType.NONE, -1
            )
        return False


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Local RTSP server (127.0.0.1 only) serving video files as cameras, for emotrace's tests."
    )
    parser.add_argument("--port", type=int, default=0, help="RTSP port; 0 (default) picks a free one")
    parser.add_argument(
        "--serve", action="append", default=[], metavar="NAME=FILE", help="mount FILE at /NAME (repeatable)"
    )
    parser.add_argument("--loop", action="store_true", help="repeat the files forever")
    parser.add_argument("--user", help="require HTTP Basic authentication with this user name")
    parser.add_argument("--password", help="... and this password")
    parser.add_argument("--verbose", "-v", action="store_true", help="log client connections to stderr")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be 0..65535, got {args.port}")
    if not args.serve:
        parser.error("give at least one --serve NAME=FILE")
    if (args.user is None) != (args.password is None):
        parser.error("--user and --password go together")
    mounts = []
    for item in args.serve:
        name, sep, path = item.partition("=")
        name = name.strip("/")
        if not sep or not name or not path or any(c.isspace() or c in "?#;" for c in name):
            parser.error(f"--serve wants NAME=FILE with a plain NAME, got '{item}'")
        if not os.path.isfile(path):
            parser.error(f"--serve {name}: no such file: {path}")
        if name in (m[0] for m in mounts):
            parser.error(f"--serve: /{name} given twice")
        mounts.append((name, os.path.abspath(path)))
    args.mounts = mounts
    return args


def main(argv):
    args = parse_args(argv)
    Gst.init(None)
    missing = [e for pair in CODECS.values() for e in pair + ("qtdemux",) if Gst.ElementFactory.find(e) is None]
    if missing:
        sys.exit(
            f"rtsp_server: GStreamer elements missing: {', '.join(sorted(set(missing)))} "
            "(apt-get install gstreamer1.0-plugins-good gstreamer1.0-plugins-bad)"
        )

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    server.set_backlog(64)

    # UDP transport: RTP/RTCP sockets on 127.0.0.1 too (by default they bind the wildcard address). The pool
    # starts at a random even port so that servers running side by side rarely try the same ports first (a port
    # that is taken is skipped).
    pool = GstRtspServer.RTSPAddressPool()
    first = random.randrange(20000, 58000, 2)
    pool.add_range("127.0.0.1", "127.0.0.1", first, first + 2000, 0)

    role = "user"
    if args.user is not None:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, role)
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
        # No default token: a client without these credentials is anonymous and gets 401.
        server.set_auth(auth)

    mount_points = server.get_mount_points()
    for name, path in args.mounts:
        try:
            caps_name = probe_video_caps(path)
        except ValueError as error:
            sys.exit(f"rtsp_server: --serve {name}: cannot read {path}: {error}")
        if caps_name not in CODECS:
            sys.exit(f"rtsp_server: --serve {name}: {path}: video is {caps_name}; only H.264 and H.265 are served")
        factory = FileFactory(path, caps_name, args.loop)
        factory.set_address_pool(pool)
        if args.user is not None:
            factory.add_role_from_structure(
                Gst.Structure.new_from_string(
                    f"{role}, {GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS}=(boolean)true, "
                    f"{GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT}=(boolean)true"
                )
            )
        mount_points.add_factory("/" + name, factory)
        if args.verbose:
            log(f"/{name}: {path} ({caps_name}{', looped' if args.loop else ''})")

    if args.verbose:

        def on_client(_server, client):
            connection = client.get_connection()
            log(f"client connected from {connection.get_ip() if connection else '?'}")
            client.connect("closed", lambda _c: log("client closed"))

        server.connect("client-connected", on_client)

    loop = GLib.MainLoop()
    if server.attach(None) == 0:
        sys.exit(f"rtsp_server: cannot listen on 127.0.0.1:{args.port} (port in use?)")
    port = server.get_bound_port()

    def ready():
        print(f"READY rtsp://127.0.0.1:{port}", flush=True)
        return False

    stopping = []

    def stop(signum):
        if not stopping:
            stopping.append(signum)
            if args.verbose:
                log(f"signal {signum}, stopping")
            loop.quit()
        return True

    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signum, stop, signum)
    # The socket listens already (attach); READY is printed once the main loop runs and can answer.
    GLib.idle_add(ready)
    loop.run()

    # Close the clients (their sessions and pipelines go with them), then run the loop briefly for the cleanup.
    server.client_filter(lambda _server, _client: GstRtspServer.RTSPFilterResult.REMOVE)
    context = loop.get_context()
    deadline = GLib.get_monotonic_time() + 500_000
    while context.pending() and GLib.get_monotonic_time() < deadline:
        context.iteration(False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
