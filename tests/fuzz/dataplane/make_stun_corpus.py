#!/usr/bin/python3
"""Writes the seed corpus of dp_stun_fuzz (input format at the top of stun_fuzz.cc).

Raw seeds carry complete, authenticated ICE checks made here by hand (HMAC-SHA1 with the
harness's password, CRC-32 FINGERPRINT); signed seeds let the target build requests with
libnice from attribute lists.
"""
import hashlib
import hmac
import os
import struct
import zlib

here = os.path.dirname(os.path.abspath(__file__))
UFRAG, PWD, RUFRAG = 'rAmP', 'rampartIcePassword1234', 'brWs'
COOKIE = 0x2112A442


def attr(t, v):
    return struct.pack('!HH', t, len(v)) + v + b'\0' * ((4 - len(v) % 4) % 4)


def check(n, user=UFRAG + ':' + RUFRAG, pwd=PWD, use_candidate=False, controlled=False,
          fingerprint=True, mtype=0x0001, integrity=True, priority=True):
    tid = bytes([n]) * 12
    body = attr(0x0006, user.encode())
    if priority:
        body += attr(0x0024, struct.pack('!I', 0x6e0001ff))
    body += attr(0x8029 if controlled else 0x802A, struct.pack('!Q', 0x0102030405060708))
    if use_candidate:
        body += attr(0x0025, b'')
    body += attr(0xC057, b'\0\x01\0\x0a')  # GOOG-NETWORK-INFO, as Chrome sends (optional)
    if integrity:
        hdr = struct.pack('!HHI', mtype, len(body) + 24, COOKIE) + tid
        body += attr(0x0008, hmac.new(pwd.encode(), hdr + body, hashlib.sha1).digest())
    if fingerprint:
        hdr = struct.pack('!HHI', mtype, len(body) + 8, COOKIE) + tid
        crc = (zlib.crc32(hdr + body) ^ 0x5354554E) & 0xffffffff
        body += attr(0x8028, struct.pack('!I', crc))
    return struct.pack('!HHI', mtype, len(body), COOKIE) + tid + body


def rec(selector, payload):
    assert len(payload) < 256
    return bytes([selector, len(payload)]) + payload


rtp = bytes([0x80, 0, 0, 1, 0, 0, 0, 160, 0, 0, 0x12, 0x34]) + bytes(60)
dtls = bytes([22, 0xfe, 0xfd]) + bytes(10) + bytes(20)
KNOWN = 1  # setup byte: the peers' MACs are known
seeds = {
    # Raw, hand-signed checks.
    'valid_check': bytes([KNOWN]) + rec(0, check(1)),
    'nominate_then_media': bytes([KNOWN]) + rec(0, check(2, use_candidate=True)) + rec(0, rtp) +
    rec(16, rtp) + rec(0, dtls),
    'nominate_v6': bytes([KNOWN]) + rec(3, check(3, use_candidate=True)) + rec(3, rtp),
    'renominate_other_port': bytes([KNOWN]) + rec(0, check(4, use_candidate=True)) +
    rec(1, check(5, use_candidate=True)) + rec(0, rtp) + rec(16, rtp),
    'unresolved_neighbour': bytes([0]) + rec(0, check(6, use_candidate=True)) + rec(16, rtp),
    'bad_integrity': bytes([KNOWN]) + rec(0, check(7, pwd='wrongwrongwrongwrongwrong')),
    'unknown_ufrag': bytes([KNOWN]) + rec(2, check(8, user='nope:' + RUFRAG, use_candidate=True)),
    'role_conflict': bytes([KNOWN]) + rec(0, check(9, controlled=True)),
    'no_fingerprint': bytes([KNOWN]) + rec(0, check(10, fingerprint=False)),
    'no_integrity': bytes([KNOWN]) + rec(0, check(11, integrity=False)),
    'no_priority': bytes([KNOWN]) + rec(0, check(12, priority=False)),
    'response_class': bytes([KNOWN]) + rec(0, check(13, mtype=0x0101)),
    'no_ice_state': bytes([KNOWN | 2]) + rec(0, check(14)),
    'await_keys': bytes([KNOWN | 8]) + rec(0, check(15, use_candidate=True)) + rec(0, rtp) +
    rec(16, rtp),
    'unpaired_any_remote': bytes([KNOWN | 4 | 16]) +
    rec(0, check(16, user=UFRAG + ':whoever', use_candidate=True)) + rec(0, rtp),
    'consent_expiry': bytes([KNOWN]) + rec(0, check(17, use_candidate=True)) + rec(8, rtp) +
    rec(0, check(18)) + rec(8, rtp),
    'dtls_before_selection': bytes([KNOWN]) + rec(0, dtls) + rec(2, dtls),
    # Signed by the target with libnice: [control][type16 len8 value]...
    'signed_check': bytes([KNOWN]) +
    rec(4, bytes([0]) + b'\x00\x24\x04\x6e\x00\x01\xff' + b'\x80\x2a\x08' + bytes(8)),
    'signed_nominate': bytes([KNOWN]) +
    rec(4, bytes([0x80]) + b'\x00\x24\x04\x6e\x00\x01\xff' + b'\x80\x2a\x08' + bytes(8)),
    'signed_unknown_attr': bytes([KNOWN]) +
    rec(4, bytes([0]) + b'\x00\x24\x04\x6e\x00\x01\xff' + b'\x80\x2a\x08' + bytes(8) +
        b'\x00\x22\x08' + bytes(8)),
    'signed_other_method': bytes([KNOWN]) + rec(4, bytes([4]) + b'\x80\x2a\x08' + bytes(8)),
    'signed_wrong_key': bytes([KNOWN]) + rec(4, bytes([0x90]) + b'\x80\x2a\x08' + bytes(8)),
    'signed_no_username': bytes([KNOWN]) + rec(4, bytes([8])),
    'signed_indication': bytes([KNOWN]) + rec(4, bytes([1])),
    'garbage': bytes([KNOWN]) + rec(0, bytes([0, 1, 0, 4]) + bytes(20)) +
    rec(0, bytes([1, 1]) + bytes(30)) + rec(0, bytes(19)),
}
out = os.path.join(here, 'stun_corpus')
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
print('%d seeds in %s' % (len(seeds), out))
