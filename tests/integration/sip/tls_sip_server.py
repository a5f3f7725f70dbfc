#!/usr/bin/python3
"""tls_sip_server.py CERT KEY SECONDS ADDR:PORT...: a minimal SIP-over-TLS server for tests.

Listens on every ADDR:PORT with one certificate, for at most SECONDS. Each connection prints
one JSON line: the port, the SNI name the client sent (null: none), and the first line of the
first SIP request, or the TLS error when the handshake failed (e.g. the client refused the
certificate). OPTIONS is answered 200, anything else 501, so a client's health check sees it up.
"""
import json
import socket
import ssl
import sys
import threading
import time

lock = threading.Lock()


def emit(obj):
    with lock:
        print(json.dumps(obj), flush=True)


def answer(request):
    lines = request.split("\r\n")
    method = lines[0].split(" ", 1)[0]
    keep = [h for h in lines[1:] if h.split(":", 1)[0].strip().lower()
            in ("via", "from", "to", "call-id", "cseq")]
    status = "200 OK" if method == "OPTIONS" else "501 Not Implemented"
    return ("SIP/2.0 %s\r\n%s\r\nContent-Length: 0\r\n\r\n" % (status, "\r\n".join(keep))).encode()


def serve_one(ctx, conn, port):
    names = []
    ctx.sni_callback = lambda _sock, name, _ctx: names.append(name)
    conn.settimeout(5)
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError) as e:
        emit({"port": port, "sni": names[0] if names else None, "error": str(e)})
        conn.close()
        return
    data = b""
    try:
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = tls.recv(4096)
            if not chunk:
                break
            data += chunk
        text = data.decode("utf-8", "replace")
        emit({"port": port, "sni": names[0] if names else None, "request": text.split("\r\n")[0]})
        if text:
            tls.sendall(answer(text))
            time.sleep(0.2)
    except (ssl.SSLError, OSError) as e:
        emit({"port": port, "sni": names[0] if names else None, "error": str(e)})
    finally:
        tls.close()


def listen(cert, key, addr, port, deadline):
    srv = socket.create_server((addr, port))
    srv.settimeout(0.5)
    while time.monotonic() < deadline:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(cert, key)
        serve_one(ctx, conn, port)
    srv.close()


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    cert, key, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    deadline = time.monotonic() + seconds
    threads = []
    for spec in sys.argv[4:]:
        addr, _, port = spec.rpartition(":")
        t = threading.Thread(target=listen, args=(cert, key, addr, int(port), deadline))
        t.start()
        threads.append(t)
    emit({"listening": sys.argv[4:]})
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
