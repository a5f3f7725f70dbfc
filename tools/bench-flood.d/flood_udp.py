#!/usr/bin/python3
"""SIP INVITE flood over UDP from several source addresses, paced in 5 ms slices; prints one
JSON line {"sent", "secs", "rate"} at the end. Each message has its own Call-ID and branch; the
request URI names USER, which no route of the systems under test accepts.

usage: flood_udp.py DST_IP DST_PORT RATE SECS USER SRC_IP...
"""
import json
import socket
import sys
import time

TEMPLATE = ("INVITE sip:{user}@{dst}:{port} SIP/2.0\r\n"
            "Via: SIP/2.0/UDP {src}:{sport};branch=z9hG4bKfl{n}\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:flood@{src}>;tag=f{n}\r\n"
            "To: <sip:{user}@{dst}>\r\n"
            "Call-ID: fl{n}@{src}\r\n"
            "CSeq: 1 INVITE\r\n"
            "Contact: <sip:flood@{src}:{sport}>\r\n"
            "Content-Length: 0\r\n\r\n")


def main():
    dst, port, rate, secs, user = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    socks = []
    for src in sys.argv[6:]:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setblocking(False)
        s.bind((src, 0))
        socks.append((s, src, s.getsockname()[1]))
    n = sent = 0
    t0 = time.monotonic()
    while True:
        now = time.monotonic() - t0
        if now >= secs:
            break
        due = int(min(now + 0.005, secs) * rate)   # messages due by the end of this slice
        while sent < due:
            s, src, sport = socks[n % len(socks)]
            n += 1
            try:
                s.sendto(TEMPLATE.format(user=user, dst=dst, port=port, src=src, sport=sport, n=n).encode(),
                         (dst, port))
                sent += 1
            except BlockingIOError:
                break        # socket buffer full: this slice sends no more (counted as not sent)
            if time.monotonic() - t0 - now > 0.02:
                break        # falling behind: the achieved rate shows it
        left = 0.005 - (time.monotonic() - t0 - now)
        if left > 0:
            time.sleep(left)
    took = time.monotonic() - t0
    print(json.dumps({"sent": sent, "secs": round(took, 3), "rate": round(sent / took, 1)}), flush=True)


if __name__ == "__main__":
    main()
