#!/usr/bin/env python3
"""A static server on loopback for the app and the browser tests: several directories mounted
at URL prefixes, HTTP Range (resumable model downloads), CORS, and the right MIME types for
wasm and JS modules. Usage: serve.py PORT [PREFIX=DIR ...]   e.g. serve.py 8080 /=www /models=~/m
With no mounts it serves the current directory at /. HEARTH_ISOLATE=1 adds COOP/COEP headers.
For start-up benchmarks (benches/start.mjs): HEARTH_GZIP=1 gzips wasm, JS, HTML and CSS as a web
server would; HEARTH_RATE=BYTES_PER_S and HEARTH_LATENCY_MS slow every response (a phone's network)."""
import gzip, http.server, io, os, re, sys, time, urllib.parse

RATE = float(os.environ.get("HEARTH_RATE") or 0)  # bytes/s per response; 0: as fast as loopback
LATENCY = float(os.environ.get("HEARTH_LATENCY_MS") or 0) / 1000
GZIP = {".wasm", ".js", ".mjs", ".html", ".css"} if os.environ.get("HEARTH_GZIP") else set()
_gzipped = {}  # (path, mtime) -> bytes

MOUNTS = []  # (prefix, dir), longest prefix first


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript",
                      ".webmanifest": "application/manifest+json", ".gguf": "application/octet-stream"}

    def translate_path(self, path):
        path = urllib.parse.unquote(path.split("?", 1)[0].split("#", 1)[0])
        for prefix, root in MOUNTS:
            if path == prefix.rstrip("/") or path.startswith(prefix.rstrip("/") + "/") or prefix == "/":
                rest = path[len(prefix.rstrip("/")):].lstrip("/")
                parts = [p for p in rest.split("/") if p not in ("", ".", "..")]
                return os.path.join(root, *parts)
        return os.path.join(MOUNTS[-1][1], "__missing__")

    def end_headers(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Expose-Headers", "Content-Length, Content-Range, Accept-Ranges")
        self.send_header("Accept-Ranges", "bytes")
        # Always revalidate: the service worker, not the HTTP cache, decides what is offline.
        self.send_header("Cache-Control", "no-cache")
        if os.environ.get("HEARTH_ISOLATE"):
            # Cross-origin isolation: SharedArrayBuffer, so wasm threads (wllama's) can run.
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
            self.send_header("Cross-Origin-Resource-Policy", "cross-origin")
        super().end_headers()

    def do_GET(self):
        m = re.match(r"bytes=(\d+)-(\d*)$", self.headers.get("Range", ""))
        path = self.translate_path(self.path)
        if LATENCY:
            time.sleep(LATENCY)
        if not m and os.path.splitext(path)[1] in GZIP and os.path.isfile(path) and "gzip" in self.headers.get("Accept-Encoding", ""):
            return self.send_gzipped(path)
        if not m or not os.path.isfile(path):
            return super().do_GET()
        size = os.path.getsize(path)
        start, end = int(m.group(1)), int(m.group(2) or size - 1)
        if start >= size:
            self.send_error(416)
            return
        end = min(end, size - 1)
        self.send_response(206)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        with open(path, "rb") as f:
            f.seek(start)
            left = end - start + 1
            while left > 0:
                chunk = f.read(min(left, 1 << 20))
                if not chunk:
                    break
                try:
                    self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    return
                left -= len(chunk)

    def send_gzipped(self, path):
        key = (path, os.path.getmtime(path))
        if key not in _gzipped:
            with open(path, "rb") as f:
                _gzipped[key] = gzip.compress(f.read(), 6)
        body = _gzipped[key]
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.copyfile(io.BytesIO(body), self.wfile)

    def copyfile(self, source, outputfile):
        try:
            if not RATE:
                return super().copyfile(source, outputfile)
            t0 = time.monotonic()
            sent = 0
            while chunk := source.read(16384):
                outputfile.write(chunk)
                sent += len(chunk)
                ahead = sent / RATE - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (an aborted download): nothing to report

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1])
    for spec in sys.argv[2:] or ["/=."]:
        prefix, _, d = spec.partition("=")
        MOUNTS.append((prefix if prefix.startswith("/") else "/" + prefix, os.path.abspath(os.path.expanduser(d))))
    MOUNTS.sort(key=lambda m: -len(m[0]))
    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
