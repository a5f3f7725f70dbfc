#!/usr/bin/python3
"""Connection storms against a TLS/WSS listener from one source address; prints one JSON line.

usage: conn_storm.py MODE SRC_IP HOST:PORT COUNT [HOLD_S]
  hold     open COUNT TCP connections as fast as possible and send nothing (a WebSocket
           connection storm); after HOLD_S report how many the server had already closed
  tls      COUNT full TLS handshakes one after another, each on a new connection
  badjwt   COUNT WebSocket upgrades over TLS with a forged token; counts HTTP 401 answers
Each connection attempt is bounded (2 s); the report counts what happened.
"""
import json
import socket
import ssl
import sys
import time


def connect(src, host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    s.bind((src, 0))
    s.connect((host, port))
    return s


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def closed_by_peer(s):
    s.settimeout(0.05)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def hold(src, host, port, count, secs):
    socks, failed = [], 0
    for _ in range(count):
        try:
            socks.append(connect(src, host, port))
        except OSError:
            failed += 1
    time.sleep(secs)
    closed = sum(1 for s in socks if closed_by_peer(s))
    for s in socks:
        s.close()
    return {"opened": len(socks), "connect_failed": failed, "closed_by_server": closed}


def handshakes(src, host, port, count):
    ok = refused = 0
    ctx = tls_context()
    for _ in range(count):
        try:
            with ctx.wrap_socket(connect(src, host, port)) as t:
                ok += 1
                t.close()
        except (OSError, ssl.SSLError):
            refused += 1
    return {"handshakes": ok, "refused": refused}


def bad_tokens(src, host, port, count):
    answers = {}
    ctx = tls_context()
    req = ("GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Protocol: sip\r\nOrigin: https://app.rampart.test\r\n"
           "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged\r\n\r\n" % host)
    for _ in range(count):
        try:
            with ctx.wrap_socket(connect(src, host, port)) as t:
                t.sendall(req.encode())
                line = t.recv(200).decode(errors="replace").split("\r\n", 1)[0]
                code = line.split(" ")[1] if line.startswith("HTTP/") else "none"
        except (OSError, ssl.SSLError, IndexError):
            code = "refused"
        answers[code] = answers.get(code, 0) + 1
    return {"answers": answers}


def main():
    mode, src, dst, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    host, port = dst.rsplit(":", 1)
    port = int(port)
    if mode == "hold":
        out = hold(src, host, port, count, float(sys.argv[5]) if len(sys.argv) > 5 else 1)
    elif mode == "tls":
        out = handshakes(src, host, port, count)
    else:
        out = bad_tokens(src, host, port, count)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
