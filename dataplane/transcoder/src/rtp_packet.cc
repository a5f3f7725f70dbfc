#include "rtp_packet.h"

namespace rampart::xc {
namespace {
uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t rd32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | p[3];
}
void wr32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
}  // namespace

bool parseRtp(const uint8_t* p, std::size_t len, RtpView* out) {
  if (len < 12 || (p[0] >> 6) != 2) {
    return false;
  }
  std::size_t off = 12 + 4u * (p[0] & 0x0f);
  if ((p[0] & 0x10) != 0) {  // header extension: 4-byte header, then length words
    if (len < off + 4) {
      return false;
    }
    off += 4 + 4u * rd16(p + off + 2);
  }
  std::size_t end = len;
  if ((p[0] & 0x20) != 0) {  // padding: the last byte counts it
    uint8_t pad = p[len - 1];
    if (pad == 0 || pad > len) {
      return false;
    }
    end = len - pad;
  }
  if (off > end) {
    return false;
  }
  out->marker = (p[1] & 0x80) != 0;
  out->pt = p[1] & 0x7f;
  out->seq = rd16(p + 2);
  out->ts = rd32(p + 4);
  out->ssrc = rd32(p + 8);
  out->payload = p + off;
  out->payload_len = end - off;
  return true;
}

std::size_t writeRtpHeader(uint8_t* p, bool marker, uint8_t pt, uint16_t seq, uint32_t ts,
                           uint32_t ssrc) {
  p[0] = 0x80;
  p[1] = static_cast<uint8_t>((marker ? 0x80 : 0) | (pt & 0x7f));
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  wr32(p + 4, ts);
  wr32(p + 8, ssrc);
  return 12;
}

}  // namespace rampart::xc
