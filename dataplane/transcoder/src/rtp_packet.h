#pragma once
// RTP header read and write for the transcoder (RFC 3550 5.1). Input is untrusted: every
// length is checked.
#include <cstddef>
#include <cstdint>

namespace rampart::xc {

struct RtpView {
  bool marker;
  uint8_t pt;
  uint16_t seq;
  uint32_t ts;
  uint32_t ssrc;
  const uint8_t* payload;
  std::size_t payload_len;
};

/// Parses version 2 RTP with CSRCs, extension and padding. @return false when malformed.
bool parseRtp(const uint8_t* p, std::size_t len, RtpView* out);

/// Writes a 12-byte header (no CSRC, no extension). @return 12.
std::size_t writeRtpHeader(uint8_t* p, bool marker, uint8_t pt, uint16_t seq, uint32_t ts,
                           uint32_t ssrc);

}  // namespace rampart::xc
