#!/usr/bin/python3
"""A browser's ICE checks, hand-made (RFC 5389/8445: HMAC-SHA1 MESSAGE-INTEGRITY, CRC-32
FINGERPRINT), for ice_test.sh. The product answers with libnice's codec; this client shares no
code with it.

usage: stun_peer.py check --bind IP:PORT --to IP:PORT --user L:R --pwd P [--use-candidate]
       stun_peer.py flood --bind IP:PORT --to IP:PORT --user L:R --pwd P --count N
check: sends one Binding request (retried 3 times), prints the verified answer:
       "success mapped=IP:PORT" or "error code=N", exit 1 when nothing valid came back.
flood: sends N requests as fast as it can and prints "replies=K" after 1 s of listening.
"""
import argparse
import hashlib
import hmac
import os
import socket
import struct
import sys
import time
import zlib

COOKIE = 0x2112A442


def attr(t, v):
    return struct.pack('!HH', t, len(v)) + v + b'\0' * ((4 - len(v) % 4) % 4)


def request(user, pwd, use_candidate):
    tid = os.urandom(12)
    body = attr(0x0006, user.encode())
    body += attr(0x0024, struct.pack('!I', 0x6e0001ff))            # PRIORITY
    body += attr(0x802A, struct.pack('!Q', 0x0102030405060708))    # ICE-CONTROLLING
    if use_candidate:
        body += attr(0x0025, b'')                                   # USE-CANDIDATE
    hdr = struct.pack('!HHI', 0x0001, len(body) + 24, COOKIE) + tid
    body += attr(0x0008, hmac.new(pwd.encode(), hdr + body, hashlib.sha1).digest())
    hdr = struct.pack('!HHI', 0x0001, len(body) + 8, COOKIE) + tid
    crc = (zlib.crc32(hdr + body) ^ 0x5354554E) & 0xffffffff
    body += attr(0x8028, struct.pack('!I', crc))
    return tid, struct.pack('!HHI', 0x0001, len(body), COOKIE) + tid + body


def attrs(msg):
    out, off = [], 20
    while off + 4 <= len(msg):
        t, n = struct.unpack('!HH', msg[off:off + 4])
        out.append((t, off, msg[off + 4:off + 4 + n]))
        off += 4 + n + (4 - n % 4) % 4
    return out


def verify(msg, tid, pwd):
    """Returns a description of a valid answer to `tid`, or None."""
    if len(msg) < 20 or msg[8:20] != tid or struct.unpack('!I', msg[4:8])[0] != COOKIE:
        return None
    mtype = struct.unpack('!H', msg[:2])[0]
    found = {t: (off, v) for t, off, v in attrs(msg)}
    if 0x8028 not in found:
        return None
    off, v = found[0x8028]
    crc = (zlib.crc32(msg[:off]) ^ 0x5354554E) & 0xffffffff
    if struct.unpack('!I', v)[0] != crc:
        return None
    if 0x0008 in found:
        off, v = found[0x0008]
        hdr = msg[:2] + struct.pack('!H', off + 24 - 20) + msg[4:20]
        if hmac.new(pwd.encode(), hdr + msg[20:off], hashlib.sha1).digest() != v:
            return None
    elif mtype == 0x0101:
        return None  # a success response must be signed
    if mtype == 0x0101 and 0x0020 in found:
        v = found[0x0020][1]
        port = struct.unpack('!H', v[2:4])[0] ^ (COOKIE >> 16)
        if v[1] == 1:
            ip = socket.inet_ntoa(struct.pack('!I', struct.unpack('!I', v[4:8])[0] ^ COOKIE))
        else:
            key = struct.pack('!I', COOKIE) + tid
            ip = socket.inet_ntop(socket.AF_INET6, bytes(a ^ b for a, b in zip(v[4:20], key)))
        return 'success mapped=%s:%d' % (ip, port)
    if mtype == 0x0111 and 0x0009 in found:
        v = found[0x0009][1]
        return 'error code=%d' % (v[2] * 100 + v[3])
    return None


def endpoint(s):
    host, port = s.rsplit(':', 1)
    return host.strip('[]'), int(port)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('mode', choices=['check', 'flood'])
    p.add_argument('--bind', required=True)
    p.add_argument('--to', required=True)
    p.add_argument('--user', required=True)
    p.add_argument('--pwd', required=True)
    p.add_argument('--use-candidate', action='store_true')
    p.add_argument('--count', type=int, default=100)
    a = p.parse_args()
    bind, to = endpoint(a.bind), endpoint(a.to)
    s = socket.socket(socket.AF_INET6 if ':' in bind[0] else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(bind)
    if a.mode == 'check':
        s.settimeout(1.0)
        for _ in range(3):
            tid, req = request(a.user, a.pwd, a.use_candidate)
            s.sendto(req, to)
            try:
                while True:
                    data, src = s.recvfrom(2048)
                    got = verify(data, tid, a.pwd)
                    if got and src[1] == to[1]:
                        print(got)
                        return 0
            except socket.timeout:
                continue
        print('no valid answer')
        return 1
    for _ in range(a.count):
        s.sendto(request(a.user, a.pwd, True)[1], to)
    s.settimeout(0.2)
    replies, deadline = 0, time.time() + 1.0
    while time.time() < deadline:
        try:
            s.recvfrom(2048)
            replies += 1
        except socket.timeout:
            pass
    print('replies=%d' % replies)
    return 0


if __name__ == '__main__':
    sys.exit(main())
