#!/usr/bin/python3
"""Seeds for xc_rtcp_fuzz: 4 bytes naming the SSRC asked about, then a compound RTCP packet
(RFC 3550): SR and RR with report blocks, SDES, BYE, APP, feedback, padding, and broken ones
(bad lengths, wrong version, padding in the middle, SDES first, truncated).
Run from this directory: ./make_rtcp_corpus.py (writes rtcp_corpus/)."""
import os, struct

OURS, PEER = 0x5eed0001, 0xa1b2c3d4


def hdr(pt, count, body, pad=0):
    size = 4 + len(body) + pad
    first = 0x80 | (0x20 if pad else 0) | count
    return struct.pack("!BBH", first, pt, size // 4 - 1) + body + \
        (bytes(pad - 1) + bytes([pad]) if pad else b"")


def block(ssrc, frac=12, lost=5, ext=70000, jit=40, lsr=0x12345678, dlsr=65536):
    return struct.pack("!IB", ssrc, frac) + (lost & 0xffffff).to_bytes(3, "big") + \
        struct.pack("!IIII", ext, jit, lsr, dlsr)


def sr(blocks):
    info = struct.pack("!IIIIII", PEER, 3900000000, 0x80000000, 123456, 500, 80000)
    return hdr(200, len(blocks), info + b"".join(blocks))


def rr(blocks):
    return hdr(201, len(blocks), struct.pack("!I", PEER) + b"".join(blocks))


def sdes(text=b"peer@lab"):
    chunk = struct.pack("!IBB", PEER, 1, len(text)) + text + b"\0"
    chunk += bytes(-len(chunk) % 4)
    return hdr(202, 1, chunk)


seeds = {
    "sr_block_sdes": sr([block(OURS)]) + sdes(),
    "sr_no_block": sr([]) + sdes(),
    "rr_two_blocks": rr([block(0x99), block(OURS, lost=-2)]) + sdes(),
    "rr_bye": rr([block(OURS)]) + hdr(203, 1, struct.pack("!I", PEER)),
    "rr_app_fb": rr([]) + hdr(204, 0, struct.pack("!I4s", PEER, b"name")) +
                 hdr(205, 1, struct.pack("!II", PEER, OURS)),
    "rr_padded_last": rr([block(OURS)]) + hdr(202, 0, b"", pad=4),
    "pad_in_middle": hdr(201, 0, struct.pack("!I", PEER), pad=4) + sdes(),
    "sdes_first": sdes() + rr([]),
    "bad_length": rr([block(OURS)])[:-4] + sdes(),
    "too_many_blocks": hdr(201, 31, struct.pack("!I", PEER) + block(OURS)),
    "version1": bytes([0x41]) + rr([])[1:],
    "truncated": sr([block(OURS)])[:13],
    "no_lsr": rr([block(OURS, lsr=0, dlsr=0)]),
}
os.makedirs("rtcp_corpus", exist_ok=True)
for name, pkt in seeds.items():
    with open(os.path.join("rtcp_corpus", name), "wb") as f:
        f.write(struct.pack("!I", OURS) + pkt)
