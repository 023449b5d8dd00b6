#!/usr/bin/env python3
"""A deliberately bad model server for tests/browser/network.test.mjs. Usage:
flaky_server.py PORT FILE. It serves FILE (version A) and a version B of the same length with one
byte flipped far into the file (another ETag), at /MODE/TAG/NAME. TAG only makes each scenario's
URL its own. The MODEs:

  ok        a good server: ETag, Range, Content-Length
  drop      each response breaks the connection after a random (seeded) number of bytes
  flaky500  every other request is a 500; the others break off like `drop`
  norange   ignores Range (always 200 with the whole file); the first response breaks off
  changed   the first response is A and breaks off; from then on the file is B (new ETag)
  resized   the first response is A and breaks off; from then on the file is A + 4 KiB (same ETag)
  always500 every request is a 503
  missing   every request is a 404
  nolength  like ok, but no Content-Length or Content-Range length (the size is unknown)
  switch    like ok, serving A until POST /flip/TAG, then B (a file replaced between two loads)

GET /stats returns {TAG: {requests, ranged, statuses, starts, served}} (`starts`: each body's
first byte; `served`: bytes written to the socket, some of which a broken connection loses); POST
/reset forgets them. Cross-origin headers expose ETag, as a CDN configured for resuming does."""
import hashlib, http.server, json, random, re, socketserver, sys, threading

DROP_MIN, DROP_MAX = 5 << 20, 40 << 20


class State:
    def __init__(self, path):
        self.a = open(path, "rb").read()
        b = bytearray(self.a)
        b[len(b) * 3 // 4] ^= 0x01  # inside the tensor data: the file still parses
        self.b = bytes(b)
        self.bigger = self.a + bytes(4096)
        self.lock = threading.Lock()
        self.stats = {}
        self.flipped = set()

    def record(self, tag, ranged):
        with self.lock:
            s = self.stats.setdefault(tag, {"requests": 0, "ranged": 0, "statuses": [], "starts": [], "served": 0})
            s["requests"] += 1
            s["ranged"] += int(ranged)
            return s["requests"], s

    def served(self, s, n):
        with self.lock:
            s["served"] += n


def etag(data):
    return '"' + hashlib.sha256(data).hexdigest()[:16] + '"'


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def cors(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Headers", "Range")
        self.send_header("Access-Control-Expose-Headers", "Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified")
        self.send_header("Cache-Control", "no-cache")

    def do_OPTIONS(self):
        self.send_response(204)
        self.cors()
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        with STATE.lock:
            if self.path == "/reset":
                STATE.stats.clear()
                STATE.flipped.clear()
            elif self.path.startswith("/flip/"):
                STATE.flipped.add(self.path[len("/flip/"):])
        self.send_response(204)
        self.cors()
        self.send_header("Content-Length", "0")
        self.end_headers()

    def plain(self, status, body=b""):
        self.send_response(status)
        self.cors()
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def do_HEAD(self):
        self.plain(200)

    def do_GET(self):
        if self.path == "/stats":
            with STATE.lock:
                return self.plain(200, json.dumps(STATE.stats).encode())
        m = re.match(r"^/([a-z0-9]+)/([A-Za-z0-9_-]+)/[^/]+$", self.path)
        if not m:
            return self.plain(404)
        mode, tag = m.groups()
        rng = re.match(r"bytes=(\d+)-$", self.headers.get("Range", ""))
        n, s = STATE.record(tag, rng is not None)
        # A seeded break-off point per request: the same run every time.
        cut = random.Random(f"{tag}/{n}").randrange(DROP_MIN, DROP_MAX)
        data, honour_range, drop, length = STATE.a, True, None, True
        if mode == "ok":
            pass
        elif mode == "drop":
            drop = cut
        elif mode == "flaky500":
            if n % 2 == 1:
                s["statuses"].append(500)
                return self.plain(500, b"try again")
            drop = cut
        elif mode == "norange":
            honour_range = False
            drop = cut if n == 1 else None
        elif mode in ("changed", "resized"):
            if n == 1:
                drop = cut
            else:
                data = STATE.b if mode == "changed" else STATE.bigger
        elif mode == "always500":
            s["statuses"].append(503)
            return self.plain(503, b"unavailable")
        elif mode == "missing":
            s["statuses"].append(404)
            return self.plain(404, b"no such model")
        elif mode == "nolength":
            length = False
        elif mode == "switch":
            data = STATE.b if tag in STATE.flipped else STATE.a
        else:
            return self.plain(404)
        tag_value = etag(STATE.a) if mode == "resized" else etag(data)
        start = int(rng.group(1)) if rng and honour_range else 0
        if start >= len(data):
            s["statuses"].append(416)
            self.send_response(416)
            self.cors()
            self.send_header("Content-Range", f"bytes */{len(data)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status = 206 if start > 0 or (rng and honour_range) else 200
        s["statuses"].append(status)
        s["starts"].append(start)
        self.send_response(status)
        self.cors()
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("ETag", tag_value)
        self.send_header("Accept-Ranges", "bytes" if honour_range else "none")
        if length:
            self.send_header("Content-Length", str(len(data) - start))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        elif status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/*")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        end = len(data) if drop is None else min(len(data), start + drop)
        pos = start
        try:
            while pos < end:
                k = self.wfile.write(data[pos:min(end, pos + (1 << 20))])
                STATE.served(s, k)
                pos += k
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return
        if drop is not None and end < len(data):
            # Break the connection mid-body: the client sees fewer bytes than Content-Length.
            try:
                self.connection.shutdown(2)
            except OSError:
                pass

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    STATE = State(sys.argv[2])
    print(json.dumps({"a": hashlib.sha256(STATE.a).hexdigest(), "b": hashlib.sha256(STATE.b).hexdigest(),
                      "bigger": hashlib.sha256(STATE.bigger).hexdigest(), "size": len(STATE.a)}), flush=True)
    Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
