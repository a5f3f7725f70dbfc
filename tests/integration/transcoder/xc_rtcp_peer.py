#!/usr/bin/python3
"""One end of a transcoded call, for the RTCP checks of xcode_rtcp_test.sh: sends RTP every
20 ms (PCMU tone frames, or a fixed Opus frame) with a known SSRC, leaving out every Nth packet
(induced loss that Rampart's report blocks must show), sends its own RTCP (SR with a report
block about Rampart's stream and SDES, RFC 3550) once a second, and records every RTP and RTCP
packet Rampart sends back. Prints a JSON summary: the RTP SSRCs seen, each RTCP packet's sender
SSRC, the report blocks about this peer's SSRC with what the peer knew when each arrived
(packets left out so far, highest sequence sent), and the round trip the peer measured from
Rampart's LSR/DLSR. --linger S keeps listening S seconds after the last packet sent (the
test hangs up meanwhile): RTCP BYEs are recorded with the SSRC they name and the compound's
first packet type. --rtcp-hold-ms MS holds each RTCP compound MS ms after building it (its
DLSR already fixed): a one-way delay on this peer's RTCP path that Rampart's round trip to it
must show. Plain sockets and struct (no scapy).

usage: xc_rtcp_peer.py --local IP:PORT --remote IP:PORT [--rtcp-local PORT --rtcp-remote PORT]
                       --codec pcmu|opus --ssrc N [--drop-every N] [--seconds S] [--linger S]
                       [--rtcp-hold-ms MS]
"""
import argparse, json, math, select, socket, struct, time

NTP_OFFSET = 2208988800
OPUS_FRAME = bytes([0xF8, 0xFF, 0xFE])  # one 20 ms CELT frame (silence), valid for libopus


def ntp_now():
    t = time.time()
    return (int(t) + NTP_OFFSET) << 32 | int((t % 1) * (1 << 32))


def mid(ntp):
    return (ntp >> 16) & 0xFFFFFFFF


def ulaw(sample):
    sign = 0x80 if sample < 0 else 0
    mag = min(abs(sample), 32635) + 0x84
    exp = 7
    while exp > 0 and not mag & (0x4000 >> (7 - exp)):
        exp -= 1
    return ~(sign | exp << 4 | (mag >> (exp + 3)) & 0x0F) & 0xFF


def pcmu_frame(k):
    return bytes(ulaw(int(8000 * math.sin(2 * math.pi * 440 * (k * 160 + i) / 8000)))
                 for i in range(160))


class Peer:
    def __init__(self, a):
        self.a = a
        self.clock = 48000 if a.codec == "opus" else 8000
        self.ts_step = self.clock // 50
        self.pt = 111 if a.codec == "opus" else 0
        self.rtp = self.sock(a.local)
        self.rtcp = self.sock((a.local[0], a.rtcp_local)) if a.rtcp_local else self.rtp
        self.rtcp_to = (a.remote[0], a.rtcp_remote) if a.rtcp_remote else a.remote
        self.seq, self.ts, self.sent, self.octets, self.left_out = 1000, 5000, 0, 0, 0
        self.rampart_ssrc = None
        self.sending = True  # False while lingering: blocks then cover an interval of silence
        self.rx_max_seq, self.rx_count, self.rx_base = None, 0, None
        self.rampart_lsr, self.rampart_lsr_at = 0, 0.0
        self.my_srs = {}  # middle 32 bits of each SR's NTP time -> when sent
        self.held = []  # (when to send, compound) with --rtcp-hold-ms
        self.out = {"rtp_ssrcs": set(), "rtp_received": 0, "rtcp": [], "blocks": [],
                    "rtt_ms": [], "bad_rtcp": 0, "bye": []}

    @staticmethod
    def sock(addr):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(addr)
        return s

    def send_rtp(self, k):
        payload = OPUS_FRAME if self.pt == 111 else pcmu_frame(k)
        drop = self.a.drop_every and k % self.a.drop_every == self.a.drop_every - 1
        if drop:
            self.left_out += 1  # the sequence number moves on: a loss Rampart must count
        else:
            hdr = struct.pack("!BBHII", 0x80, self.pt | (0x80 if k == 0 else 0), self.seq,
                              self.ts, self.a.ssrc)
            self.rtp.sendto(hdr + payload, self.a.remote)
            self.sent += 1
            self.octets += len(payload)
        self.seq = (self.seq + 1) & 0xFFFF
        self.ts = (self.ts + self.ts_step) & 0xFFFFFFFF

    def send_rtcp(self):
        ntp = ntp_now()
        self.my_srs[mid(ntp)] = time.monotonic()
        blocks = b""
        if self.rampart_ssrc is not None:
            dlsr = int((time.monotonic() - self.rampart_lsr_at) * 65536) if self.rampart_lsr else 0
            ext = self.rx_max_seq
            expected = ext - self.rx_base + 1
            lost = max(0, expected - self.rx_count)
            blocks = struct.pack("!IB", self.rampart_ssrc, 0) + lost.to_bytes(3, "big") + \
                struct.pack("!IIII", ext, 0, self.rampart_lsr, dlsr)
        rc = 1 if blocks else 0
        sr = struct.pack("!BBHIIIIII", 0x80 | rc, 200, 6 + 6 * rc, self.a.ssrc, ntp >> 32,
                         ntp & 0xFFFFFFFF, self.ts, self.sent, self.octets) + blocks
        cname = b"peer-%08x" % self.a.ssrc
        chunk = struct.pack("!IBB", self.a.ssrc, 1, len(cname)) + cname + b"\0"
        chunk += bytes(-len(chunk) % 4)
        sdes = struct.pack("!BBH", 0x81, 202, len(chunk) // 4) + chunk
        self.held.append((time.monotonic() + self.a.rtcp_hold_ms / 1000, sr + sdes))
        self.flush_held()

    def flush_held(self):
        now = time.monotonic()
        while self.held and self.held[0][0] <= now:
            self.rtcp.sendto(self.held.pop(0)[1], self.rtcp_to)

    def on_rtp(self, p):
        if len(p) < 12:
            return
        seq, ssrc = struct.unpack("!H", p[2:4])[0], struct.unpack("!I", p[8:12])[0]
        self.out["rtp_ssrcs"].add(ssrc)
        self.out["rtp_received"] += 1
        self.rampart_ssrc = ssrc
        if self.rx_base is None:
            self.rx_base, self.rx_max_seq = seq, seq
        elif 0 < (seq - (self.rx_max_seq & 0xFFFF)) & 0xFFFF < 3000:
            wrap = 65536 if seq < (self.rx_max_seq & 0xFFFF) else 0
            self.rx_max_seq = (self.rx_max_seq & ~0xFFFF) + wrap + seq
        self.rx_count += 1

    def on_rtcp(self, p):
        """Walks a compound packet; records the sender and every block about this peer."""
        off, sender, now = 0, None, time.monotonic()
        while off + 8 <= len(p):
            pt, count = p[off + 1], p[off] & 0x1F
            size = 4 * (struct.unpack("!H", p[off + 2:off + 4])[0] + 1)
            ssrc = struct.unpack("!I", p[off + 4:off + 8])[0]
            if pt in (200, 201):
                sender = ssrc
                first = off + (28 if pt == 200 else 8)
                if pt == 200:
                    self.rampart_lsr = struct.unpack("!I", p[off + 10:off + 14])[0]
                    self.rampart_lsr_at = now
                for i in range(count):
                    self.on_block(p[first + 24 * i:first + 24 * i + 24], now)
            elif pt == 203 and count > 0:
                self.out["bye"].append({"ssrc": ssrc, "first_pt": p[1], "sender": sender,
                                        "at": round(now, 3)})
            off += size
        self.out["rtcp"].append({"pt": p[1], "sender": sender, "at": round(now, 3)})

    def on_block(self, b, now):
        ssrc, frac = struct.unpack("!IB", b[:5])
        lost = int.from_bytes(b[5:8], "big", signed=True)
        ext, jitter, lsr, dlsr = struct.unpack("!IIII", b[8:24])
        if ssrc != self.a.ssrc:
            self.out["blocks_other"] = self.out.get("blocks_other", 0) + 1
            return
        self.out["blocks"].append({"fraction": frac, "lost": lost, "ext_max": ext,
                                   "jitter": jitter, "lsr": lsr, "dlsr": dlsr,
                                   "left_out_so_far": self.left_out,
                                   "highest_sent": self.seq - 1,
                                   "after_end": not self.sending})
        if lsr in self.my_srs:  # RFC 3550 6.4.1, measured on the peer's own clock
            self.out["rtt_ms"].append(round((now - self.my_srs[lsr] - dlsr / 65536) * 1000, 2))

    def receive(self, until):
        """Takes what arrives until `until` (monotonic), sending held RTCP when due."""
        while True:
            wait = until - time.monotonic()
            if self.held:
                wait = min(wait, self.held[0][0] - time.monotonic())
            # One socket with rtcp-mux: listed once, or a second recvfrom would block.
            ready = select.select(list({self.rtp, self.rtcp}), [], [], max(0, wait))[0]
            for s in ready:
                p, _ = s.recvfrom(2048)
                if len(p) >= 2 and 200 <= p[1] <= 206:
                    self.on_rtcp(p)
                else:
                    self.on_rtp(p)
            self.flush_held()
            if time.monotonic() >= until:
                return

    def run(self):
        start = time.monotonic()
        k, next_rtcp = 0, start + 1.0
        while time.monotonic() - start < self.a.seconds:
            self.receive(start + k * 0.02)
            self.send_rtp(k)
            k += 1
            if time.monotonic() >= next_rtcp:
                self.send_rtcp()
                next_rtcp += 1.0
        self.sending = False
        self.receive(time.monotonic() + self.a.linger)
        self.out["sent"] = self.sent
        self.out["left_out"] = self.left_out
        self.out["rtp_ssrcs"] = sorted(self.out["rtp_ssrcs"])
        print(json.dumps(self.out))


def endpoint(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--local", type=endpoint, required=True)
    ap.add_argument("--remote", type=endpoint, required=True)
    ap.add_argument("--rtcp-local", type=int, default=0)
    ap.add_argument("--rtcp-remote", type=int, default=0)
    ap.add_argument("--codec", choices=["pcmu", "opus"], required=True)
    ap.add_argument("--ssrc", type=lambda v: int(v, 0), required=True)
    ap.add_argument("--drop-every", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--linger", type=float, default=0)
    ap.add_argument("--rtcp-hold-ms", type=float, default=0)
    Peer(ap.parse_args()).run()


if __name__ == "__main__":
    main()
