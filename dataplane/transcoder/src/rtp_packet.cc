#include "rtp_packet.h"

#include "pkt/bytes.h"
#include "pkt/rtp_header.h"

namespace rampart::xc {

using dp::load16;
using dp::load32;
using dp::store16;
using dp::store32;

bool parseRtp(const uint8_t* p, std::size_t len, RtpView* out) {
  dp::RtpPayload at{};
  if (!dp::rtpPayload(p, len, &at)) {
    return false;
  }
  out->marker = (p[1] & 0x80) != 0;
  out->pt = p[1] & 0x7f;
  out->seq = load16(p + 2);
  out->ts = load32(p + 4);
  out->ssrc = load32(p + 8);
  out->payload = p + at.offset;
  out->payload_len = at.length;
  return true;
}

std::size_t writeRtpHeader(uint8_t* p, bool marker, uint8_t pt, uint16_t seq, uint32_t ts,
                           uint32_t ssrc) {
  p[0] = 0x80;
  p[1] = static_cast<uint8_t>((marker ? 0x80 : 0) | (pt & 0x7f));
  store16(p + 2, seq);
  store32(p + 4, ts);
  store32(p + 8, ssrc);
  return 12;
}

}  // namespace rampart::xc
