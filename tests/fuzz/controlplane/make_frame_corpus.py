#!/usr/bin/python3
"""Writes the seed corpora of cp_ws_frame_fuzz (client-to-server WebSocket frames after the
upgrade: masked text messages, fragments, control frames, close codes, bad headers) and
cp_dns_reply_fuzz (a type byte, then a DNS reply: NAPTR, SRV, A, AAAA, compressed names,
truncated). Standard library only."""
import os, struct

here = os.path.dirname(os.path.abspath(__file__))
MASK = b"\x11\x22\x33\x44"


def frame(opcode, payload, fin=True, masked=True, rsv=0, length=None):
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload) if length is None else length
    if n < 126:
        head = bytes([b0, (0x80 if masked else 0) | n])
    elif n < 65536:
        head = bytes([b0, (0x80 if masked else 0) | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, (0x80 if masked else 0) | 127]) + struct.pack(">Q", n)
    if not masked:
        return head + payload
    return head + MASK + bytes(c ^ MASK[i % 4] for i, c in enumerate(payload))


register = (b"REGISTER sip:pbx.lab SIP/2.0\r\nVia: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK1\r\n"
            b"From: <sip:alice@pbx.lab>;tag=1\r\nTo: <sip:alice@pbx.lab>\r\nCall-ID: c1\r\n"
            b"CSeq: 1 REGISTER\r\nContact: <sip:a@df7jal23ls0d.invalid;transport=ws>\r\n"
            b"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n")

ws = {
    "text_register": frame(1, register),
    "two_messages": frame(1, register) + frame(1, register),
    "fragmented": frame(1, register[:40], fin=False) + frame(0, register[40:80], fin=False)
    + frame(0, register[80:]),
    "ping_between_fragments": frame(1, register[:40], fin=False) + frame(9, b"hi")
    + frame(0, register[40:]),
    "pong": frame(10, b"") + frame(1, register),
    "close_normal": frame(8, struct.pack(">H", 1000) + b"bye"),
    "close_bad_code": frame(8, struct.pack(">H", 1005)),
    "close_one_byte": frame(8, b"\x03"),
    "binary": frame(2, register),
    "unmasked": frame(1, register, masked=False),
    "rsv_bits": frame(1, register, rsv=4),
    "reserved_opcode": frame(3, b"x") + frame(0xB, b"y"),
    "control_fragmented": frame(9, b"ping", fin=False),
    "control_too_long": frame(9, b"p" * 126),
    "continuation_first": frame(0, register),
    "length_126": frame(1, b"A" * 300),
    "length_64bit_lie": frame(1, b"A" * 10, length=1 << 40)[:14] + b"A" * 10,
    "oversized": frame(1, b"B" * 5000),
    "bad_utf8": frame(1, b"\xff\xfe\xfd"),
    "truncated_header": b"\x81",
}

def name(*labels):
    return b"".join(bytes([len(l)]) + l for l in labels) + b"\x00"

def reply(qname, qtype, answers, rcode=0):
    head = struct.pack(">HHHHHH", 0x1234, 0x8180 | rcode, 1, len(answers), 0, 0)
    body = qname + struct.pack(">HH", qtype, 1)
    for rtype, ttl, rdata in answers:
        body += b"\xc0\x0c" + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata
    return head + body

host = name(b"pbx", b"rcg", b"test")
srv_name = name(b"_sip", b"_udp", b"pbx", b"rcg", b"test")
srv = lambda prio, weight, port, target: struct.pack(">HHH", prio, weight, port) + target
naptr = (struct.pack(">HH", 10, 20) + b"\x01s" + b"\x07SIP+D2U" + b"\x00" +
         name(b"_sip", b"_udp", b"pbx", b"rcg", b"test"))
dns = {
    "naptr": b"\x00" + reply(host, 35, [(35, 300, naptr)]),
    "srv_two": b"\x01" + reply(srv_name, 33, [(33, 60, srv(10, 60, 5060, name(b"a", b"rcg", b"test"))),
                                             (33, 30, srv(10, 40, 5062, b"\xc0\x0c"))]),
    "a": b"\x02" + reply(host, 1, [(1, 120, bytes([198, 18, 3, 2])), (1, 5, bytes([198, 18, 3, 3]))]),
    "aaaa": b"\x03" + reply(host, 28, [(28, 120, bytes(range(16)))]),
    "nxdomain": b"\x02" + reply(host, 1, [], rcode=3),
    "truncated": b"\x01" + reply(srv_name, 33, [(33, 60, srv(1, 1, 1, b"\x01a\x00"))])[:40],
    "pointer_loop": b"\x02" + struct.pack(">HHHHHH", 1, 0x8180, 1, 1, 0, 0) + b"\xc0\x0c" +
    struct.pack(">HH", 1, 1) + b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + b"\x01\x02\x03\x04",
}

for folder, seeds in (("ws_frame_corpus", ws), ("dns_reply_corpus", dns)):
    path = os.path.join(here, folder)
    os.makedirs(path, exist_ok=True)
    for k, v in seeds.items():
        with open(os.path.join(path, k), "wb") as f:
            f.write(v)
    print(f"{len(seeds)} seeds in {path}")
