#include "xcode_rtcp.h"

#include <time.h>

#include <cstdio>
#include <cstring>

#include <rampart/platform/shm_region.h>

namespace rampart::xc {
namespace {

constexpr uint16_t kMaxDropout = 3000;  // RFC 3550 A.1
constexpr uint16_t kMaxMisorder = 100;
constexpr uint32_t kSeqMod = 1u << 16;
constexpr uint64_t kNtpEpochOffset = 2208988800ull;  // 1900 -> 1970, seconds
constexpr uint32_t kMaxRttQ16 = 10u << 16;           // a round trip above 10 s is nonsense
constexpr uint8_t kSr = 200;
constexpr uint8_t kRr = 201;
constexpr uint8_t kSdes = 202;
constexpr uint8_t kBye = 203;

uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t rd32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | p[3];
}
void wr16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void wr32(uint8_t* p, uint32_t v) {
  wr16(p, static_cast<uint16_t>(v >> 16));
  wr16(p + 2, static_cast<uint16_t>(v));
}

void initSeq(RtcpReceiver& r, uint16_t seq) {
  r.base_seq = seq;
  r.max_seq = seq;
  r.bad_seq = kSeqMod + 1;
  r.cycles = 0;
  r.received = 0;
  r.expected_prior = 0;
  r.received_prior = 0;
}

// A.1 update_seq without probation (the dataplane authenticated the packet). @return false
// for a packet outside the window (counted once the sender proves a restart).
bool updateSeq(RtcpReceiver& r, uint16_t seq) {
  auto udelta = static_cast<uint16_t>(seq - r.max_seq);
  if (udelta < kMaxDropout) {
    if (seq < r.max_seq) {
      r.cycles += kSeqMod;
    }
    r.max_seq = seq;
  } else if (udelta <= kSeqMod - kMaxMisorder) {
    if (seq != r.bad_seq) {
      r.bad_seq = (seq + 1u) & (kSeqMod - 1);
      return false;
    }
    initSeq(r, seq);  // two in a row: the sender restarted its sequence
  }
  return true;  // in order, or a duplicate/reordered packet within the window
}

void readBlock(const uint8_t* b, ReportBlock* out) {
  out->ssrc = rd32(b);
  out->fraction_lost = b[4];
  uint32_t lost = (static_cast<uint32_t>(b[5]) << 16) | (static_cast<uint32_t>(b[6]) << 8) | b[7];
  out->cumulative_lost = static_cast<int32_t>(lost << 8) >> 8;  // sign-extend 24 bits
  out->ext_max_seq = rd32(b + 8);
  out->jitter = rd32(b + 12);
  out->lsr = rd32(b + 16);
  out->dlsr = rd32(b + 20);
}

// One packet of a compound (`body` excludes its padding). SR/RR must hold their blocks;
// other types (SDES, BYE, APP, feedback) are valid and carry nothing Rampart needs.
bool readPacket(const uint8_t* h, std::size_t body, uint32_t ssrc, RtcpIn* out) {
  uint8_t pt = h[1];
  std::size_t count = h[0] & 0x1fu;
  if (pt != kSr && pt != kRr) {
    return true;
  }
  std::size_t first = pt == kSr ? 28 : 8;
  if (body < first + 24 * count) {
    return false;
  }
  if (pt == kSr && !out->sr) {
    out->sr = true;
    out->sender_ssrc = rd32(h + 4);
    out->sr_ntp_mid = rd32(h + 10);  // low half of the seconds, high half of the fraction
  }
  for (std::size_t i = 0; i < count; ++i) {
    const uint8_t* b = h + first + 24 * i;
    if (rd32(b) == ssrc && !out->block) {
      out->block = true;
      readBlock(b, &out->about);
    }
  }
  return true;
}

std::size_t writeBlock(uint8_t* p, const ReportBlock& rb) {
  wr32(p, rb.ssrc);
  int32_t lost = rb.cumulative_lost;
  lost = lost > 0x7fffff ? 0x7fffff : (lost < -0x800000 ? -0x800000 : lost);
  wr32(p + 4,
       (static_cast<uint32_t>(rb.fraction_lost) << 24) | (static_cast<uint32_t>(lost) & 0xffffffu));
  wr32(p + 8, rb.ext_max_seq);
  wr32(p + 12, rb.jitter);
  wr32(p + 16, rb.lsr);
  wr32(p + 20, rb.dlsr);
  return 24;
}

// SDES with one chunk: our SSRC and its CNAME, NUL-terminated and padded to 32 bits (6.5).
std::size_t writeSdes(uint8_t* p, std::size_t cap, uint32_t ssrc) {
  char cname[24];
  int n = std::snprintf(cname, sizeof cname, "rampart-%08x", ssrc);
  std::size_t items = 2 + static_cast<std::size_t>(n) + 1;  // type, length, text, end
  std::size_t size = 8 + ((items + 3) & ~std::size_t{3});
  if (cap < size) {
    return 0;
  }
  std::memset(p, 0, size);
  p[0] = 0x81;  // V=2, one chunk
  p[1] = kSdes;
  wr16(p + 2, static_cast<uint16_t>(size / 4 - 1));
  wr32(p + 4, ssrc);
  p[8] = 1;  // CNAME
  p[9] = static_cast<uint8_t>(n);
  std::memcpy(p + 10, cname, static_cast<std::size_t>(n));
  return size;
}

}  // namespace

uint64_t ntpNow() {
  timespec t{};
  clock_gettime(CLOCK_REALTIME, &t);
  uint64_t frac = (static_cast<uint64_t>(t.tv_nsec) << 32) / 1000000000ull;
  return ((static_cast<uint64_t>(t.tv_sec) + kNtpEpochOffset) << 32) | frac;
}

uint64_t monoNs() { return platform::monotonicNs(); }

void RtcpReceiver::onRtp(uint16_t seq, uint32_t ts, uint32_t pkt_ssrc, uint32_t arrival) {
  if (!have || pkt_ssrc != ssrc) {
    have = true;
    ssrc = pkt_ssrc;
    jitter_q4 = 0;
    lsr = 0;  // an SR of the previous source says nothing about this one
    lsr_at_ns = 0;
    initSeq(*this, seq);
  } else if (!updateSeq(*this, seq)) {
    return;
  }
  ++received;
  // A.8: D = difference of relative transit times; J += (|D| - J) / 16, J kept scaled by 16.
  int32_t t = static_cast<int32_t>(arrival - ts);
  if (received > 1) {
    int64_t d = static_cast<int64_t>(t) - transit;
    d = d < 0 ? -d : d;
    jitter_q4 += static_cast<uint32_t>(d) - ((jitter_q4 + 8) >> 4);
  }
  transit = t;
}

ReportBlock makeReportBlock(RtcpReceiver& r, uint64_t now_ns) {
  ReportBlock b;
  b.ssrc = r.ssrc;
  b.ext_max_seq = r.cycles + r.max_seq;
  uint32_t expected = b.ext_max_seq - r.base_seq + 1;
  int64_t lost = static_cast<int64_t>(expected) - r.received;  // A.3; negative with duplicates
  b.cumulative_lost = static_cast<int32_t>(lost > 0x7fffff ? 0x7fffff : lost);
  uint32_t expected_interval = expected - r.expected_prior;
  uint32_t received_interval = r.received - r.received_prior;
  r.expected_prior = expected;
  r.received_prior = r.received;
  int64_t lost_interval = static_cast<int64_t>(expected_interval) - received_interval;
  if (expected_interval != 0 && lost_interval > 0) {
    b.fraction_lost = static_cast<uint8_t>((lost_interval << 8) / expected_interval);
  }
  b.jitter = r.jitter_q4 >> 4;
  b.lsr = r.lsr;
  if (r.lsr != 0 && now_ns >= r.lsr_at_ns) {
    b.dlsr = static_cast<uint32_t>(((now_ns - r.lsr_at_ns) << 16) / 1000000000ull);
  }
  return b;
}

bool roundTrip(uint32_t arrival, uint32_t lsr, uint32_t dlsr, uint32_t* rtt_q16) {
  uint32_t since = arrival - lsr;
  if (lsr == 0 || since < dlsr || since - dlsr > kMaxRttQ16) {
    return false;
  }
  *rtt_q16 = since - dlsr;
  return true;
}

bool parseRtcp(const uint8_t* p, std::size_t len, uint32_t ssrc, RtcpIn* out) {
  *out = RtcpIn{};
  if (len < 8 || (p[0] >> 6) != 2 || (p[1] != kSr && p[1] != kRr)) {
    return false;
  }
  std::size_t off = 0;
  while (off < len) {
    const uint8_t* h = p + off;
    if (len - off < 4 || (h[0] >> 6) != 2) {
      return false;
    }
    std::size_t size = 4 * (static_cast<std::size_t>(rd16(h + 2)) + 1);
    if (size > len - off) {
      return false;
    }
    std::size_t body = size;
    if ((h[0] & 0x20) != 0) {  // padding: only the last packet may have it
      uint8_t pad = h[size - 1];
      if (off + size != len || pad == 0 || pad > size - 4) {
        return false;
      }
      body = size - pad;
    }
    if (!readPacket(h, body, ssrc, out)) {
      return false;
    }
    off += size;
  }
  return true;
}

void RtcpSender::onSent(uint32_t ts, std::size_t payload_len, bool audio, uint64_t now_ns) {
  ++packets;
  octets += static_cast<uint32_t>(payload_len);
  if (audio) {  // an RFC 4733 event keeps its start timestamp: no clock reference
    last_ts = ts;
    last_ns = now_ns;
  }
}

uint32_t RtcpSender::rtpTsAt(uint64_t now_ns) const {
  if (last_ns == 0 || now_ns < last_ns) {
    return last_ts;
  }
  return last_ts + static_cast<uint32_t>((now_ns - last_ns) * clock_rate / 1000000000ull);
}

std::size_t writeReport(uint8_t* out, std::size_t cap, const RtcpSender& tx, const ReportBlock* rb,
                        uint64_t ntp, uint64_t now_ns) {
  bool sr = tx.packets > 0;
  std::size_t head = sr ? 28 : 8;
  std::size_t size = head + (rb != nullptr ? 24 : 0);
  if (cap < size) {
    return 0;
  }
  out[0] = static_cast<uint8_t>(0x80 | (rb != nullptr ? 1 : 0));
  out[1] = sr ? kSr : kRr;
  wr16(out + 2, static_cast<uint16_t>(size / 4 - 1));
  wr32(out + 4, tx.ssrc);
  if (sr) {
    wr32(out + 8, static_cast<uint32_t>(ntp >> 32));
    wr32(out + 12, static_cast<uint32_t>(ntp));
    wr32(out + 16, tx.rtpTsAt(now_ns));
    wr32(out + 20, tx.packets);
    wr32(out + 24, tx.octets);
  }
  if (rb != nullptr) {
    writeBlock(out + head, *rb);
  }
  std::size_t sdes = writeSdes(out + size, cap - size, tx.ssrc);
  return sdes == 0 ? 0 : size + sdes;
}

std::size_t writeBye(uint8_t* out, std::size_t cap, uint32_t ssrc) {
  if (cap < 8) {
    return 0;
  }
  out[0] = 0x81;  // V=2, one SSRC
  out[1] = kBye;
  wr16(out + 2, 1);
  wr32(out + 4, ssrc);
  return 8;
}

void RtcpState::init(uint32_t out_ssrc, uint32_t out_clock, uint32_t in_clock) {
  tx.ssrc = out_ssrc;
  tx.clock_rate = out_clock;
  rx_clock = in_clock;
  rand = (out_ssrc ^ static_cast<uint32_t>(monoNs())) | 1u;
}

void RtcpState::received(uint16_t seq, uint32_t ts, uint32_t ssrc) {
  // Arrival in the stream's RTP units (A.8); the ring adds microseconds, far below jitter.
  auto arrival =
      static_cast<uint32_t>(static_cast<unsigned __int128>(monoNs()) * rx_clock / 1000000000ull);
  rx.onRtp(seq, ts, ssrc, arrival);
}

void RtcpState::sent(uint32_t ts, std::size_t payload_len, bool audio) {
  tx.onSent(ts, payload_len, audio, monoNs());
}

void RtcpState::schedule(uint64_t now_ns, uint32_t base_ms) {
  rand ^= rand << 13;
  rand ^= rand >> 17;
  rand ^= rand << 5;
  uint64_t ms = base_ms / 2 + rand % base_ms;  // base * U(0.5, 1.5): no synchronised bursts
  next_report_ns = now_ns + ms * 1000000ull;
}

}  // namespace rampart::xc
