"""A client of `emotrace live --listen`, as stimulus software or a dashboard would be one: reads `GET /events`
(and a second stream with `?faces=1`), validates every event against the JSON Schema in the repository, and posts
markers while the session runs.

Usage: listen_client.py BASE_URL SCHEMA.json
Prints one JSON object:
  markers   [{"seen_t_ms": newest frame seen before the post, "answer": the POST's answer}] (no time; then at_ms)
  marker_events  [{"event": the marker event, "frame_before_t_ms": t_ms of the frame event just before it}]
  refused   HTTP statuses of an empty label, a time after the newest frame, a bad query
  session   GET /session while running
  frames, frames_with_faces, detailed_frames, detailed_faces, first, last (event types), stop (session_stop)
Exits 1 (with the errors on stderr) when an event does not validate.
"""

import http.client
import json
import sys
import threading
import urllib.error
import urllib.request
from urllib.parse import urlparse

import jsonschema

base, schema_path = sys.argv[1].rstrip("/"), sys.argv[2]
schema = json.load(open(schema_path))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
invalid = []


def events(path):
    """The events of one SSE stream, as parsed JSON, until the server ends it."""
    u = urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    conn.request("GET", path, headers={"Accept": "text/event-stream"})
    resp = conn.getresponse()
    assert resp.status == 200, resp.status
    assert resp.getheader("Content-Type", "").startswith("text/event-stream"), resp.getheader("Content-Type")
    data = []
    for raw in resp:
        line = raw.decode("utf-8").rstrip("\r\n")
        if line.startswith("data:"):
            data.append(line[5:][1:] if line[5:].startswith(" ") else line[5:])
        elif line == "" and data:
            event = json.loads("\n".join(data))
            data = []
            errors = list(validator.iter_errors(event))
            if errors:
                invalid.append(f"{event.get('type')}: {errors[0].message}")
            yield event


def request(method, path, body=None):
    """(status, parsed JSON answer) of one request."""
    req = urllib.request.Request(base + path, method=method)
    if body is not None:
        req.data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


detailed = {"frames": 0, "faces": 0}


def read_detailed():
    for e in events("/events?faces=1"):
        if e["type"] == "frame":
            detailed["frames"] += 1
            detailed["faces"] += len(e["observations"])


reader = threading.Thread(target=read_detailed)
reader.start()

out = {"markers": [], "marker_events": [], "refused": {}, "frames": 0, "frames_with_faces": 0}
types = []
face_frame_ts = []
last_t = None
for e in events("/events"):
    types.append(e["type"])
    if e["type"] == "frame":
        out["frames"] += 1
        last_t = e["t_ms"]
        if e["faces"] > 0:
            out["frames_with_faces"] += 1
            face_frame_ts.append(last_t)
        if out["frames_with_faces"] == 10 and not out["markers"]:
            status, answer = request("POST", "/markers", {"label": "stimulus 1"})
            assert status == 201, (status, answer)
            out["markers"].append({"seen_t_ms": last_t, "answer": answer})
        elif out["frames_with_faces"] == 40 and len(out["markers"]) == 1:
            status, answer = request("POST", "/markers", {"label": "onset", "at_ms": face_frame_ts[5]})
            assert status == 201, (status, answer)
            out["markers"].append({"seen_t_ms": last_t, "answer": answer})
            out["refused"]["empty"] = request("POST", "/markers", {"label": "  "})[0]
            out["refused"]["future"] = request("POST", "/markers", {"label": "x", "at_ms": 10**9})[0]
            out["refused"]["unknown_field"] = request("POST", "/markers", {"label": "x", "when": 3})[0]
            out["refused"]["query"] = request("GET", "/events?faces=maybe")[0]
            out["refused"]["path"] = request("GET", "/nothing")[0]
            out["session"] = request("GET", "/session")[1]
    elif e["type"] == "marker":
        out["marker_events"].append({"event": e, "frame_before_t_ms": last_t})
    elif e["type"] == "session_stop":
        out["stop"] = e
reader.join()
out["first"], out["last"] = types[0], types[-1]
out["detailed_frames"], out["detailed_faces"] = detailed["frames"], detailed["faces"]
for line in invalid[:5]:
    print(line, file=sys.stderr)
print(json.dumps(out))
sys.exit(1 if invalid else 0)
