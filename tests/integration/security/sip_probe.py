#!/usr/bin/python3
"""One SIP request over UDP from a chosen source address; prints the final status or "none".

usage: sip_probe.py SRC_IP DST_IP:PORT METHOD [USER_AGENT] [WAIT_S]
An OPTIONS (or REGISTER/INVITE without a body) as a scanner or a plain client would send it;
provisional responses are skipped. "none" when nothing final arrives within WAIT_S (default 1).
"""
import random
import socket
import sys
import time


def main():
    src, dst, method = sys.argv[1], sys.argv[2], sys.argv[3]
    ua = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
    wait = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0
    host, port = dst.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    lport = s.getsockname()[1]
    tag = "%08x" % random.getrandbits(32)
    lines = [
        "%s sip:100@%s SIP/2.0" % (method, host),
        "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport" % (src, lport, tag),
        "From: <sip:probe@%s>;tag=%s" % (src, tag),
        "To: <sip:100@%s>" % host,
        "Call-ID: %s@%s" % (tag, src),
        "CSeq: 1 %s" % method,
        "Max-Forwards: 70",
    ]
    if ua:
        lines.append("User-Agent: " + ua)
    lines += ["Content-Length: 0", "", ""]
    s.sendto("\r\n".join(lines).encode(), (host, int(port)))
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = s.recv(65535).decode(errors="replace")
        except socket.timeout:
            break
        status = data.split(" ", 2)[1] if data.startswith("SIP/2.0 ") else ""
        if status.isdigit() and int(status) >= 200:
            print(status)
            return
    print("none")


if __name__ == "__main__":
    main()
