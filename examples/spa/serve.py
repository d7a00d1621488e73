#!/usr/bin/env python3
"""Static server for the example SPA (Python standard library only).

Serves index.html (also at /callback and /signed-out, the SPA's redirect targets),
app.js, style.css, and /config.json built from the command line, so the same files
work against any tessera and any API address.

    python3 serve.py --issuer http://127.0.0.1:8080 --client-id CLIENT_ID \
        --api-url http://127.0.0.1:5174 --listen 127.0.0.1:5173
"""

import argparse
import json
import pathlib
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HERE = pathlib.Path(__file__).resolve().parent
FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/callback": ("index.html", "text/html; charset=utf-8"),
    "/signed-out": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}


def origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def make_handler(config, csp):
    config_bytes = json.dumps(config).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            path = urlsplit(self.path).path
            if path == "/favicon.ico":
                self.send_response(204)
                self.end_headers()
                return
            if path == "/config.json":
                body, ctype = config_bytes, "application/json"
            elif path in FILES:
                name, ctype = FILES[path]
                body = (HERE / name).read_bytes()
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            # The authorization code arrives in the query: never send it on as a Referer.
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("Content-Security-Policy", csp)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            sys.stderr.write("spa: " + (fmt % args) + "\n")

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issuer", required=True, help="tessera's issuer URL")
    parser.add_argument("--client-id", required=True, help="the SPA's public client id")
    parser.add_argument("--api-url", required=True, help="where api.py listens")
    parser.add_argument("--listen", default="127.0.0.1:5173", help="host:port (127.0.0.1:5173)")
    parser.add_argument("--scope", default="openid email", help='scope asked for ("openid email")')
    args = parser.parse_args()

    host, port = args.listen.rsplit(":", 1)
    server = ThreadingHTTPServer((host, int(port)), None)
    self_origin = f"http://{args.listen}"
    config = {
        "issuer": args.issuer.rstrip("/"),
        "client_id": args.client_id,
        "scope": args.scope,
        "api_url": args.api_url.rstrip("/"),
        "redirect_uri": f"{self_origin}/callback",
        "post_logout_redirect_uri": f"{self_origin}/signed-out",
    }
    # Script only from this origin, no inline script, and fetch only to tessera and the API.
    csp = (
        "default-src 'self'; "
        f"connect-src 'self' {origin(args.issuer)} {origin(args.api_url)}; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    server.RequestHandlerClass = make_handler(config, csp)
    print(f"example SPA on {self_origin}/ (redirect_uri {config['redirect_uri']})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
