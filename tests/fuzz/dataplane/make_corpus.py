#!/usr/bin/env python3
"""Writes the seed corpora of the dataplane fuzz targets (re-run after ABI changes)."""
import os, struct

here = os.path.dirname(os.path.abspath(__file__))

def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def eth(t): return b'\x02\x52\x4d\0\0\x01' + b'\x02\xaa\0\0\0\x02' + struct.pack('!H', t)

def udp4(payload, sport=4000, dport=20000):
    u = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0xb8, 20 + len(u), 1, 0x4000, 64, 17, 0,
                     bytes([198, 18, 2, 2]), bytes([198, 18, 2, 1]))
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return eth(0x0800) + ip + u

def udp6(payload):
    u = struct.pack('!HHHH', 4000, 20000, 8 + len(payload), 0) + payload
    src = bytes.fromhex('20010002000000020000000000000002')
    dst = bytes.fromhex('20010002000000020000000000000001')
    return eth(0x86dd) + struct.pack('!IHBB', 6 << 28, len(u), 17, 64) + src + dst + u

rtp = bytes([0x80, 0, 0, 1, 0, 0, 0, 160, 0, 0, 0x12, 0x34]) + bytes(160)
rtcp = bytes([0x80, 201, 0, 1, 0, 0, 0x12, 0x34])
stun = bytes([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42]) + bytes(12)
dtls = bytes([22, 0xfe, 0xfd]) + bytes(10) + bytes(20)
arp = eth(0x0806) + struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) + b'\x02\xaa\0\0\0\x02' + \
      bytes([198, 18, 2, 2]) + bytes(6) + bytes([198, 18, 2, 1])
ns_body = bytes([135, 0, 0, 0, 0, 0, 0, 0]) + bytes.fromhex('20010002000000020000000000000001') + \
          bytes([1, 1]) + b'\x02\xaa\0\0\0\x02'
ns = eth(0x86dd) + struct.pack('!IHBB', 6 << 28, len(ns_body), 58, 255) + \
     bytes.fromhex('20010002000000020000000000000002') + \
     bytes.fromhex('ff0200000000000000000001ff000001') + ns_body
packets = {'udp4_rtp': udp4(rtp), 'udp4_rtcp': udp4(rtcp), 'udp4_stun': udp4(stun),
           'udp4_dtls': udp4(dtls), 'udp6_rtp': udp6(rtp), 'arp_request': arp, 'nd_ns': ns,
           'truncated_ip': udp4(rtp)[:30], 'bad_udp_len': udp4(rtp)[:38] + b'\xff\xff' + udp4(rtp)[40:]}
os.makedirs(os.path.join(here, 'packet_corpus'), exist_ok=True)
for k, v in packets.items():
    open(os.path.join(here, 'packet_corpus', k), 'wb').write(v)

# Commands: MsgHeader(type u16, size u16, seq u32, flow u64) padded to 256-byte slots.
SLOT = 256
def hdr(t, size, seq, flow=0): return struct.pack('<HHIQ', t, size, seq, flow)
def slot(b): return b + bytes(SLOT - len(b))
def hello(seq, major=1):
    sizes = [0, 64, 136, 240, 240, 16, 16, 24, 112, 16, 24, 32, 32]
    body = struct.pack('<HHIQ', major, 1, 1, 0) + struct.pack('<13H', *sizes) + bytes(6)
    return slot(hdr(1, 16 + len(body), seq) + body)
def endpoint(ip, port): return ip + bytes(16 - len(ip)) + struct.pack('<H', port) + bytes(2)
def srtp(suite, n): return struct.pack('<BB2x', suite, n) + bytes(range(1, n + 1)) + bytes(48 - n)
def flowadd(seq, t=3, flow=0, flags=0, suite_in=0, suite_out=0, lport=20000):
    lens = {0: 0, 1: 30, 2: 30, 3: 28, 4: 44}
    body = struct.pack('<HHHBB', 0, 1, flags, 0xff, 0)
    body += endpoint(bytes([198, 18, 2, 1]), lport) + endpoint(bytes([198, 18, 2, 2]), 4000)
    body += endpoint(bytes([198, 18, 4, 1]), 30000) + endpoint(bytes([198, 18, 4, 2]), 5000)
    body += struct.pack('<HHHHII', 0, 0, 1000, 0, 0, 0)
    body += srtp(suite_in, lens[suite_in]) + srtp(suite_out, lens[suite_out])
    body += struct.pack('<QII', 7, 8000, 0)
    return slot(hdr(t, 16 + len(body), seq, flow) + body)
handle = 1 << 32  # index 0, generation 1
cmds = {
    'hello_only': b'\0' + hello(1),
    'hello_bad_major': b'\0' + hello(1, 9),
    'add_query_dump_del': b'\1' + flowadd(2) + slot(hdr(6, 16, 3, handle)) +
                          slot(hdr(9, 16, 4)) + slot(hdr(5, 16, 5, handle)),
    'add_srtp_modify': b'\1' + flowadd(2, suite_in=1, suite_out=3) +
                       flowadd(3, t=4, flow=handle, suite_in=4, suite_out=2, lport=20002),
    'add_latch_mux': b'\1' + flowadd(2, flags=0x3, suite_in=1),
    'fill_table': b'\1' + b''.join(flowadd(i, lport=20000 + 2 * i) for i in range(10)),
    'before_hello': b'\0' + flowadd(2),
}
os.makedirs(os.path.join(here, 'command_corpus'), exist_ok=True)
for k, v in cmds.items():
    open(os.path.join(here, 'command_corpus', k), 'wb').write(v)

# Media path (media_fuzz.cc): byte 0 bit 0 = peers' MACs known, then records
# [selector][length][bytes]: selector bits 0-2 flow 0-5 (6/7: raw frame on wan/lan),
# bit 3 stranger, bit 4 protect with the peer's key first, bit 5 as SRTCP.
def rec(sel, b): return bytes([sel, len(b)]) + b
def rtp_seq(seq, ssrc=0x1234, body=40):
    return struct.pack('!BBHII', 0x80, 0, seq, seq * 160, ssrc) + bytes(range(body))
sr = struct.pack('!BBHI', 0x80, 200, 6, 0x1234) + bytes(20)  # sender report, no blocks
PROTECT, SRTCP, STRANGER = 0x10, 0x20, 0x08
# Reports the round-trip observer reads (dataplane/src/flow/rtcp_rtt.h): an SR with a block, an
# RR quoting it, an RR whose count claims 31 blocks in one word, an SR cut after its header.
block = struct.pack('!IIIIII', 0x5678, 0, 1, 0, 0x00010002, 0x8000)
sr_block = struct.pack('!BBHI', 0x81, 200, 12, 0x1234) + bytes(20) + block
rr_block = struct.pack('!BBHI', 0x81, 201, 7, 0x1234) + block
rr_liar = struct.pack('!BBHI', 0x9f, 201, 1, 0x1234)
sr_cut = struct.pack('!BBHI', 0x81, 200, 12, 0x1234) + bytes(12)
media = {
    'plain_strict': b'\1' + rec(0, rtp_seq(1)) + rec(0, rtp_seq(2)) + rec(0 | STRANGER, rtp_seq(3)),
    'srtp_latch': b'\1' + rec(1 | PROTECT, rtp_seq(1)) + rec(1 | PROTECT, rtp_seq(2)) +
                  rec(1 | PROTECT | STRANGER, rtp_seq(3)) + rec(1, rtp_seq(4)),
    'gcm_out_ssrc_rewrite': b'\1' + rec(2, rtp_seq(7)) + rec(2, rtp_seq(8, ssrc=0x9999)) +
                            rec(2, sr),
    'mux_rtcp_split': b'\1' + rec(3 | PROTECT, rtp_seq(1)) + rec(3 | PROTECT | SRTCP, sr) +
                      rec(3 | PROTECT, rtp_seq(2)),
    'rtcp_port': b'\1' + rec(4 | PROTECT | SRTCP, sr) + rec(4 | PROTECT, rtp_seq(1)),
    'ipv6_in_latch': b'\1' + rec(5 | PROTECT, rtp_seq(1, body=100)) + rec(5 | PROTECT, rtp_seq(2)),
    'stun_dtls_punt': b'\1' + rec(0, stun) + rec(1 | STRANGER, dtls),
    'parked_unresolved': b'\0' + rec(0, rtp_seq(1)) + rec(0, rtp_seq(2)),
    'raw_frames': b'\1' + rec(6, arp) + rec(6, ns) + rec(7, udp4(rtp)[:60]),
    # Found by the fuzzer: an empty UDP payload (the frame builder copied from a null pointer).
    'regression_empty_payload': b'\1' + rec(0, b'') + rec(1 | PROTECT, b''),
    'rtcp_reports': b'\1' + rec(4 | PROTECT | SRTCP, sr_block) + rec(3 | PROTECT | SRTCP, rr_block) +
                    rec(4 | PROTECT | SRTCP, rr_liar) + rec(3 | PROTECT | SRTCP, sr_cut) +
                    rec(2, rr_block),
    'ssrc_restart': b'\1' + rec(0, rtp_seq(100)) + rec(0, rtp_seq(5000)) + rec(0, rtp_seq(5000)) +
                    rec(0, rtp_seq(5001)),
}
os.makedirs(os.path.join(here, 'media_corpus'), exist_ok=True)
for k, v in media.items():
    open(os.path.join(here, 'media_corpus', k), 'wb').write(v)
