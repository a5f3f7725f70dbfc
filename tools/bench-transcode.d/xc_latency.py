#!/usr/bin/python3
"""One-way latency of a transcoded stream, for tools/bench-transcode --latency.

send: paced 20 ms PCMU packets (a 440 Hz tone, so the Opus encoder never goes quiet) from
      LOCAL to REMOTE for SECONDS; prints one JSON line with each packet's send time.
recv: Opus packets on LOCAL until SECONDS pass with nothing left to read; prints one JSON line
      with each RTP packet's kernel receive time (SO_TIMESTAMPNS) and sequence number.
report SEND_JSON RECV_JSON: pairs the k-th packet sent with the k-th received (the transcoder
      sends one 20 ms frame for each 20 ms frame it gets, in order) and prints p50/p99/max of
      the difference: what a frame of audio waits from the sender's socket to the receiver's,
      codec work, the two ring hops and the resampler's buffering included.
Both sides run on the same host, so the clocks are the same (CLOCK_REALTIME).
"""
import json
import math
import socket
import struct
import sys
import time

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def addr(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def ulaw(sample):
    """G.711 mu-law of one 16-bit sample (ITU-T G.711, with the 0x84 bias)."""
    sign = 0x80 if sample < 0 else 0
    mag = min(abs(sample), 32635) + 0x84
    exp = max(0, mag.bit_length() - 8)
    return ~(sign | (exp << 4) | ((mag >> (exp + 3)) & 0x0F)) & 0xFF


def send(local, remote, seconds):
    tone = bytes(ulaw(int(8000 * math.sin(2 * math.pi * 440 * i / 8000))) for i in range(8000))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(addr(local))
    dst = addr(remote)
    sent = []
    start = time.monotonic()
    for k in range(int(seconds * 50)):
        due = start + k * 0.02
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        off = (k * 160) % 8000          # 8000 is a whole number of frames: no frame wraps
        payload = tone[off:off + 160]
        hdr = struct.pack("!BBHII", 0x80, 0, k & 0xFFFF, (k * 160) & 0xFFFFFFFF, 0x5EED)
        sent.append(time.time_ns())
        s.sendto(hdr + payload, dst)
    print(json.dumps({"sent": sent}))


def recv(local, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.bind(addr(local))
    s.settimeout(1.0)
    got = []
    end = time.monotonic() + seconds + 3
    while time.monotonic() < end:
        try:
            data, anc, _, _ = s.recvmsg(2048, socket.CMSG_SPACE(16))
        except socket.timeout:
            if got:
                break
            continue
        t = time.time_ns()
        for level, kind, value in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(value) >= 16:
                sec, nsec = struct.unpack("qq", value[:16])
                t = sec * 1_000_000_000 + nsec
        # RTCP on the same port (the transcoder's own SR for the leg, RFC 5761 ranges) is not
        # a media packet.
        if len(data) >= 12 and not 192 <= data[1] <= 223:
            got.append([t, struct.unpack("!H", data[2:4])[0]])
    print(json.dumps({"received": got}))


def percentile(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else 0


def report(send_json, recv_json):
    sent = json.load(open(send_json))["sent"]
    got = json.load(open(recv_json))["received"]
    n = min(len(sent), len(got))
    delays = [(got[k][0] - sent[k]) / 1000 for k in range(n)]
    in_order = all((got[k + 1][1] - got[k][1]) & 0xFFFF == 1 for k in range(len(got) - 1))
    print(f"xc_sent={len(sent)} xc_received={len(got)} xc_in_order={int(in_order)} "
          f"xc_oneway_p50_us={percentile(delays, 50):.0f} "
          f"xc_oneway_p99_us={percentile(delays, 99):.0f} xc_oneway_max_us={max(delays or [0]):.0f}")


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "send" and len(sys.argv) == 5:
        send(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    elif mode == "recv" and len(sys.argv) == 4:
        recv(sys.argv[2], float(sys.argv[3]))
    elif mode == "report" and len(sys.argv) == 4:
        report(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: xc_latency.py send LOCAL REMOTE SECONDS | recv LOCAL SECONDS | "
                 "report SEND_JSON RECV_JSON")


if __name__ == "__main__":
    main()
