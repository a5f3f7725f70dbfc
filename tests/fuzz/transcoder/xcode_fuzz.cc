// Fuzzes a transcoding session's packet path. Input: byte 0 picks the codec pair (and ptime,
// telephone-events); then chunks of [mode, len, bytes...]: mode bit 0 clear feeds the bytes as
// a raw UDP payload, set wraps them in an RTP header with the session's payload type (bit 1:
// telephone-event's) and a sequence number advanced by (mode >> 2) & 7, so gaps reach PLC and
// FEC. Every output must be well-formed RTP of the configured codec; bad input is counted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "rtp_packet.h"
#include "xcode_session.h"

namespace {

using rampart::abi::XcodeCodec;
using rampart::abi::XcodeCodecId;

XcodeCodec codec(int which, uint8_t ptime) {
  switch (which & 3) {
    case 0: return {XcodeCodecId::Opus, 111, 1, ptime, 48000, 110, 1, 32, 0};
    case 1: return {XcodeCodecId::Pcmu, 0, 1, ptime, 8000, 101, 0, 0, 0};
    case 2: return {XcodeCodecId::Pcma, 8, 1, ptime, 8000, 101, 0, 0, 0};
    default: return {XcodeCodecId::G722, 9, 1, ptime, 8000, 101, 0, 0, 0};
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  static constexpr uint8_t kPtimes[4] = {10, 20, 40, 20};
  rampart::abi::XcodeSetup s{};
  s.from = codec(data[0], 20);
  s.to = codec(data[0] >> 2, kPtimes[(data[0] >> 4) & 3]);
  if (s.from.codec == s.to.codec) {
    s.to = codec((data[0] >> 2) + 1, 20);
  }
  s.out_ssrc = 0x01020304;
  auto sess = rampart::xc::XcodeSession::create(s);
  if (!sess) {
    std::abort();  // every pair above is supported
  }
  uint16_t seq = 100;
  uint8_t pkt[1600];
  for (size_t p = 1; p + 2 <= size;) {
    uint8_t mode = data[p];
    size_t len = data[p + 1];
    p += 2;
    len = len < size - p ? len : size - p;
    size_t n = len;
    if ((mode & 1) != 0) {
      seq = static_cast<uint16_t>(seq + ((mode >> 2) & 7));
      uint8_t pt = (mode & 2) != 0 ? s.from.dtmf_pt : s.from.payload_type;
      rampart::xc::writeRtpHeader(pkt, false, pt, seq, seq * 160u, 0x55);
      std::memcpy(pkt + 12, data + p, len);
      n = len + 12;
    } else {
      std::memcpy(pkt, data + p, len);
    }
    p += len;
    int out = sess.value()->onRtp(pkt, n);
    for (int i = 0; i < out; ++i) {
      rampart::xc::RtpView v{};
      const rampart::xc::OutPacket& o = sess.value()->out(i);
      if (!rampart::xc::parseRtp(o.data, o.len, &v) || v.ssrc != s.out_ssrc ||
          (v.pt != s.to.payload_type && v.pt != s.to.dtmf_pt)) {
        std::abort();
      }
    }
  }
  return 0;
}
