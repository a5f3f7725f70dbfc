#include "media_peer/rtcp.h"

#include <cstring>

#include "media_peer/wire_bytes.h"

namespace rampart::tools {
namespace {

constexpr uint8_t kSr = 200;
constexpr uint8_t kRr = 201;
constexpr uint8_t kSdes = 202;
constexpr uint8_t kBye = 203;
constexpr char kCname[] = "rampart-media-peer";

void header(uint8_t* p, uint8_t count, uint8_t type, std::size_t bytes) {
  p[0] = static_cast<uint8_t>(0x80 | count);
  p[1] = type;
  const auto words = static_cast<uint16_t>(bytes / 4 - 1);
  p[2] = static_cast<uint8_t>(words >> 8);
  p[3] = static_cast<uint8_t>(words);
}

}  // namespace

std::size_t buildRtcp(uint8_t* out, std::size_t cap, uint32_t ssrc, const SenderInfo* sender,
                      const ReportBlock* block) {
  const std::size_t report = 8 + (sender ? 20 : 0) + (block ? 24 : 0);
  const std::size_t cname_len = sizeof(kCname) - 1;
  // SDES chunk: SSRC, CNAME item (type, length, text), end-of-list, padded to 32 bits.
  const std::size_t sdes = (4 + 4 + 2 + cname_len + 1 + 3) / 4 * 4;
  if (cap < report + sdes) {
    return 0;
  }
  std::memset(out, 0, report + sdes);
  header(out, block ? 1 : 0, sender ? kSr : kRr, report);
  put32(out + 4, ssrc);
  uint8_t* p = out + 8;
  if (sender) {
    put32(p, static_cast<uint32_t>(sender->ntp >> 32));
    put32(p + 4, static_cast<uint32_t>(sender->ntp));
    put32(p + 8, sender->rtp_ts);
    put32(p + 12, sender->packets);
    put32(p + 16, sender->octets);
    p += 20;
  }
  if (block) {
    put32(p, block->ssrc);
    put32(p + 4, (static_cast<uint32_t>(block->fraction_lost) << 24) |
                     (block->cumulative_lost & 0xffffff));
    put32(p + 8, block->highest_seq);
    put32(p + 12, block->jitter);
    put32(p + 16, block->lsr);
    put32(p + 20, block->dlsr);
    p += 24;
  }
  header(p, 1, kSdes, sdes);
  put32(p + 4, ssrc);
  p[8] = 1;  // CNAME
  p[9] = static_cast<uint8_t>(cname_len);
  std::memcpy(p + 10, kCname, cname_len);
  return report + sdes;
}

bool parseRtcp(const uint8_t* in, std::size_t len, RtcpSummary& out) {
  out = RtcpSummary{};
  std::size_t off = 0;
  bool first = true;
  while (off < len) {
    if (len - off < 4 || (in[off] >> 6) != 2) {
      return false;
    }
    const uint8_t type = in[off + 1];
    const std::size_t bytes = (static_cast<std::size_t>(in[off + 2] << 8 | in[off + 3]) + 1) * 4;
    if (bytes > len - off) {
      return false;
    }
    const uint8_t count = in[off] & 0x1f;
    if (first) {
      if ((type != kSr && type != kRr) || bytes < 8) {
        return false;
      }
      out.ssrc = get32(in + off + 4);
      first = false;
    }
    if (type == kSr || type == kRr) {
      const std::size_t need = 8 + (type == kSr ? 20 : 0) + 24 * static_cast<std::size_t>(count);
      if (bytes < need) {
        return false;
      }
      const uint8_t* body = in + off + 8;
      if (type == kSr && !out.sr) {
        out.sr_ntp = static_cast<uint64_t>(get32(body)) << 32 | get32(body + 4);
      }
      if (count > 0 && !out.has_block) {
        const uint8_t* block = body + (type == kSr ? 20 : 0);
        out.has_block = true;
        out.lsr = get32(block + 16);
        out.dlsr = get32(block + 20);
      }
      (type == kSr ? out.sr : out.rr) = true;
      out.report_blocks += count;
    } else if (type == kBye && count > 0 && bytes >= 8 && !out.bye) {
      out.bye = true;
      out.bye_ssrc = get32(in + off + 4);
    }
    off += bytes;
  }
  return !first;
}

}  // namespace rampart::tools
