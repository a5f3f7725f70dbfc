#!/usr/bin/python3
"""rtpengine's side of tools/bench-transcode: CALLS bidirectional PCMU <-> Opus calls through
Debian's rtpengine (userspace, one thread) for SECONDS, set up over its ng control protocol
(offer from a PCMU-only side with codec transcode=opus, answer with Opus only), media paced at
20 ms from kernel sockets. Prints rtpengine's CPU time and calls per core.
usage: rtpengine_load.py RTPENGINE_PID CALLS SECONDS"""
import ctypes, math, os, re, socket, sys, time

NG = ("127.0.0.1", 22222)


def benc(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(benc(x) for x in v) + b"e"
    return b"d" + b"".join(benc(k) + benc(v[k]) for k in sorted(v)) + b"e"


def ng(sock, cookie, cmd):
    sock.sendto(cookie.encode() + b" " + benc(cmd), NG)
    data = sock.recv(65536)
    body = data.split(b" ", 1)[1]
    m = re.search(rb"3:sdp(\d+):", body)
    if m is None:
        raise SystemExit("rtpengine refused: %r" % body[:200])
    n = int(m.group(1))
    return body[m.end():m.end() + n].decode()


def opus_frames(n):
    lib = ctypes.CDLL("libopus.so.0")
    lib.opus_encoder_create.restype = ctypes.c_void_p
    lib.opus_encoder_create.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                        ctypes.POINTER(ctypes.c_int)]
    lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int16), ctypes.c_int,
                                ctypes.c_char_p, ctypes.c_int]
    lib.opus_encoder_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    err = ctypes.c_int()
    enc = lib.opus_encoder_create(48000, 1, 2048, ctypes.byref(err))
    lib.opus_encoder_ctl(enc, 4002, 32000)  # OPUS_SET_BITRATE
    out = []
    for f in range(n):
        pcm = (ctypes.c_int16 * 960)(*[int(9000 * math.sin(2 * math.pi * 440 * (f * 960 + i) / 48000))
                                       for i in range(960)])
        buf = ctypes.create_string_buffer(1500)
        m = lib.opus_encode(enc, pcm, 960, buf, 1500)
        out.append(buf.raw[:m])
    return out


def sdp(port, codecs):
    lines = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
             "m=audio %d RTP/AVP %s" % (port, " ".join(str(pt) for pt, _ in codecs))]
    lines += ["a=rtpmap:%d %s" % (pt, name) for pt, name in codecs]
    return "\r\n".join(lines + ["a=sendrecv", ""])


def cpu_s(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def setup(ctl, calls):
    legs = []
    for i in range(calls):
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        a.bind(("127.0.0.1", 0))
        b.bind(("127.0.0.1", 0))
        call = "xc%d" % i
        to_b = ng(ctl, "o%d" % i, {"command": "offer", "call-id": call, "from-tag": "a",
                                   "sdp": sdp(a.getsockname()[1], [(0, "PCMU/8000")]),
                                   "codec": {"transcode": ["opus"]}})
        to_a = ng(ctl, "a%d" % i, {"command": "answer", "call-id": call, "from-tag": "a",
                                   "to-tag": "b",
                                   "sdp": sdp(b.getsockname()[1], [(96, "opus/48000/2")])})
        if "opus" not in to_b:
            raise SystemExit("rtpengine did not offer opus: " + to_b)
        pa = int(re.search(r"m=audio (\d+)", to_a).group(1))
        pb = int(re.search(r"m=audio (\d+)", to_b).group(1))
        a.setblocking(False)
        b.setblocking(False)
        legs.append((a, pa, b, pb))
    return legs


def drain(s):
    n = 0
    while True:
        try:
            s.recv(2048)
            n += 1
        except BlockingIOError:
            return n


def main():
    pid, calls, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    ctl = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ctl.settimeout(2)
    legs = setup(ctl, calls)
    frames = opus_frames(50)
    ulaw = bytes((0xff - (i % 64)) for i in range(160))
    got = [0, 0]
    start = time.monotonic()
    c0 = None
    for f in range(int((seconds + 1) * 50)):
        if f == 50:
            c0, t0, got = cpu_s(pid), time.monotonic(), [0, 0]  # 1 s warm-up
        hdr_a = bytes([0x80, 0]) + (f & 0xffff).to_bytes(2, "big") + (f * 160).to_bytes(4, "big")
        hdr_b = bytes([0x80, 96]) + (f & 0xffff).to_bytes(2, "big") + (f * 960).to_bytes(4, "big")
        for i, (a, pa, b, pb) in enumerate(legs):
            a.sendto(hdr_a + (1000 + i).to_bytes(4, "big") + ulaw, ("127.0.0.1", pa))
            b.sendto(hdr_b + (2000 + i).to_bytes(4, "big") + frames[f % 50], ("127.0.0.1", pb))
            got[0] += drain(a)
            got[1] += drain(b)
        delay = start + (f + 1) * 0.02 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    used = cpu_s(pid) - c0
    wall = time.monotonic() - t0
    per_call = used / wall / calls
    # Packets each direction should have brought back after the warm-up (the last few may
    # still be in flight: half a percent is allowed before it counts as loss).
    expected = calls * (int((seconds + 1) * 50) - 50)
    loss = max(0.0, 100.0 * (1 - min(got) / expected)) if expected else 0.0
    print("rtpengine_calls=%d rtpengine_wall_s=%.1f rtpengine_cpu_s=%.3f "
          "rtpengine_received_pcmu=%d rtpengine_received_opus=%d rtpengine_loss_pct=%.2f"
          % (calls, wall, used, got[0], got[1], loss))
    if loss > 0.5:
        print("rtpengine: %.1f %% of the transcoded packets lost at %d calls: this is past what "
              "it sustains on one thread, so its figure is not at zero loss; the ratio below is "
              "not valid (run fewer --calls)" % (loss, calls))
    print("rtpengine_calls_per_core=%.0f" % (1 / per_call if per_call > 0 else 0))


main()
