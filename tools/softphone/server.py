#!/usr/bin/python3
"""The lab softphone's HTTPS server (lab and demo only; Debian's /usr/bin/python3, stdlib + PyYAML
+ PyJWT).

Serves the bundled softphone page (index.html, phone.css, phone.js from --root, built into
build/<preset>/softphone by the `softphone` CMake target) and three lab endpoints:
  GET  /lab/config.json  the WSS URL, SIP domain, demo user names, echo extension, and the
                         realm's TURN REST credentials URL (turn_url, null without realms[].turn)
  GET  /lab/ca.crt       the lab CA certificate (to import into a browser)
  POST /lab/token        {"user": "alice"} -> {"token": JWT, ...}: a short-lived lab JWT for a
                         demo user, signed with the lab realm's HS256 secret. DEMO ONLY: it hands
                         a token to anyone who can reach it (the PBX's digest still guards
                         REGISTER). A real deployment's web application authenticates its user and
                         mints the token itself; this endpoint stands in for that in the lab.
The WSS URL, TLS certificate and JWT secret come from the Rampart configuration (the first realm
with a wss listener). It binds only to loopback or lab addresses (198.18.0.0/15).

usage: server.py --config etc/rampart.yaml --root build/ci/softphone [--address A] [--port 8444]
                 [--users-file build/lab/pbx/users.txt] [--domain pbx.lab] [--token-ttl 3600]
                 [--ca etc/lab-certs/ca.crt] [--ready-file PATH]
"""
import argparse
import http.server
import ipaddress
import json
import os
import re
import signal
import ssl
import sys
import threading
import time

import jwt
import yaml

LAB_NETS = [ipaddress.ip_network("198.18.0.0/15"), ipaddress.ip_network("127.0.0.0/8")]
STATIC = {"/": "index.html", "/index.html": "index.html", "/phone.css": "phone.css",
          "/phone.js": "phone.js", "/phone.js.map": "phone.js.map"}
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".js": "text/javascript; charset=utf-8", ".map": "application/json"}
USER_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
# connect-src also names the wss listener's HTTPS origin: the page fetches TURN credentials there.
CSP = ("default-src 'self'; connect-src 'self' wss: {turn}; media-src 'self' blob: mediastream:; "
       "img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")


def wss_realm(cfg):
    for realm in cfg.get("realms", []):
        for lst in realm.get("signalling", []):
            if lst.get("transport") == "wss":
                return realm, lst
    raise SystemExit("softphone server: no realm with a wss listener in the configuration")


def resolve(path, cfg_dir):
    return path if os.path.isabs(path) else os.path.join(cfg_dir, path)


class Lab:
    def __init__(self, args):
        cfg_path = os.path.abspath(args.config)
        cfg_dir = os.path.dirname(cfg_path)
        with open(cfg_path) as f:
            cfg = yaml.safe_load(f)
        realm, lst = wss_realm(cfg)
        addr = str(lst["address"])
        host = f"[{addr}]" if ":" in addr else addr
        self.wss = args.wss or f"wss://{host}:{int(lst['port'])}/"
        # The realm's TURN REST endpoint (same listener as WSS), when it serves one.
        turn = realm.get("turn")
        self.https_origin = f"https://{host}:{int(lst['port'])}"
        self.turn_url = (self.https_origin + turn.get("path", "/turn-credentials")) if turn else None
        tls = realm.get("tls", {})
        self.cert = args.cert or resolve(tls["certificate"], cfg_dir)
        self.key = args.key or resolve(tls["private_key"], cfg_dir)
        jw = realm.get("jwt", {})
        keys = [k for k in jw.get("keys", []) if k.get("alg") == "HS256" and k.get("secret_file")]
        if not keys:
            raise SystemExit(f"softphone server: realm {realm['name']} has no HS256 key to mint lab tokens")
        with open(resolve(keys[0]["secret_file"], cfg_dir), "rb") as f:
            self.secret = f.read().strip()
        self.kid = keys[0].get("kid")
        self.issuer = jw.get("issuer")
        self.audience = jw.get("audience")
        self.ttl = min(args.token_ttl, int(jw.get("max_lifetime_s", args.token_ttl)))
        self.address = args.address or addr
        self.domain = args.domain
        self.users_file = args.users_file
        self.ca = args.ca or os.path.join(os.path.dirname(self.cert), "ca.crt")
        self.root = os.path.abspath(args.root)
        self.tokens = 0

    def users(self):
        if not self.users_file or not os.path.exists(self.users_file):
            return None
        with open(self.users_file) as f:
            return [line.split()[0] for line in f if line.strip() and not line.startswith("#")]

    def mint(self, user):
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.audience, "sub": user, "scope": "register call",
                  "iat": now, "nbf": now, "exp": now + self.ttl, "lab": True}
        claims = {k: v for k, v in claims.items() if v is not None}
        headers = {"kid": self.kid} if self.kid else None
        self.tokens += 1
        return jwt.encode(claims, self.secret, algorithm="HS256", headers=headers), claims


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "rampart-lab-softphone"
    sys_version = ""
    lab = None  # set in main
    timeout = 30  # seconds a connection may sit idle

    def log_message(self, fmt, *a):
        sys.stderr.write(f"softphone: {self.client_address[0]} {fmt % a}\n")

    def send(self, code, body, ctype="application/json", extra=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", CSP.format(turn=self.lab.https_origin))
        self.send_header("Strict-Transport-Security", "max-age=300")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        lab = self.lab
        path = self.path.split("?", 1)[0]
        if path in STATIC:
            name = STATIC[path]
            full = os.path.join(lab.root, name)
            if not os.path.isfile(full):
                self.send(404, {"error": f"{name} is not built (cmake --build: target softphone)"})
                return
            with open(full, "rb") as f:
                self.send(200, f.read(), TYPES[os.path.splitext(name)[1]])
        elif path == "/lab/config.json":
            self.send(200, {"wss": lab.wss, "domain": lab.domain, "users": lab.users() or [],
                            "echo": "600", "token_url": "/lab/token", "ca_url": "/lab/ca.crt",
                            "turn_url": lab.turn_url, "lab_only": True})
        elif path == "/lab/ca.crt":
            if not os.path.isfile(lab.ca):
                self.send(404, {"error": "no lab CA (tools/bootstrap makes it)"})
                return
            with open(lab.ca, "rb") as f:
                self.send(200, f.read(), "application/x-x509-ca-cert",
                          {"Content-Disposition": 'attachment; filename="rampart-lab-ca.crt"'})
        elif path == "/healthz":
            self.send(200, {"ok": True, "tokens_minted": lab.tokens})
        else:
            self.send(404, {"error": "not found"})

    def do_POST(self):
        lab = self.lab
        if self.path.split("?", 1)[0] != "/lab/token":
            self.send(404, {"error": "not found"})
            return
        try:
            n = int(self.headers.get("Content-Length", "0"))
            if n > 4096:
                raise ValueError("body too large")
            req = json.loads(self.rfile.read(n) or b"{}")
            user = str(req.get("user", ""))
        except (ValueError, TypeError, AttributeError) as e:
            self.send(400, {"error": f"bad request: {e}"})
            return
        if not USER_RE.match(user):
            self.send(400, {"error": "user must match [A-Za-z0-9_.-]{1,32}"})
            return
        allowed = lab.users()
        if allowed is not None and user not in allowed:
            self.send(403, {"error": f"{user} is not a lab demo user"})
            return
        token, claims = lab.mint(user)
        self.send(200, {"token": token, "sub": user, "expires_in": lab.ttl, "exp": claims["exp"],
                        "lab_only": True})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", required=True, help="Rampart configuration (WSS URL, TLS, JWT key)")
    ap.add_argument("--root", required=True, help="folder with index.html, phone.css, phone.js")
    ap.add_argument("--address", help="bind address (default: the wss listener's)")
    ap.add_argument("--port", type=int, default=8444)
    ap.add_argument("--wss", help="WSS URL for the page (default: from the configuration)")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--ca", help="lab CA certificate served at /lab/ca.crt")
    ap.add_argument("--domain", default="pbx.lab")
    ap.add_argument("--users-file", help="lines 'user password': the demo users tokens are minted for")
    ap.add_argument("--token-ttl", type=int, default=3600)
    ap.add_argument("--ready-file", help="written with the URL once listening")
    args = ap.parse_args()
    lab = Lab(args)
    ip = ipaddress.ip_address(lab.address)
    if not any(ip in net for net in LAB_NETS):
        raise SystemExit(f"softphone server: {ip} is not a lab address (198.18.0.0/15, 127/8); refusing")
    Handler.lab = lab
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(lab.cert, lab.key)
    httpd = Server((lab.address, args.port), Handler)
    # The TLS handshake happens on the first read, in the connection's own thread, so a client
    # that stalls in its handshake holds no other client up.
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
    host = f"[{lab.address}]" if ":" in lab.address else lab.address
    url = f"https://{host}:{args.port}/"
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=httpd.shutdown).start())
    print(f"softphone: serving {lab.root} at {url} (WSS {lab.wss}; lab tokens at {url}lab/token)",
          file=sys.stderr, flush=True)
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write(url + "\n")
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
