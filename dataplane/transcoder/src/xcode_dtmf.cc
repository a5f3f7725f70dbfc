#include "xcode_dtmf.h"

namespace rampart::xc {

bool DtmfMapper::map(const uint8_t* payload, std::size_t len, uint32_t in_ts, uint32_t out_now,
                     uint8_t out[4], uint32_t* out_ts, bool* new_event) {
  if (len < 4 || payload[0] > 15 || from_ == 0) {
    return false;  // events 0-15: DTMF digits, * # A-D (RFC 4733 3.2)
  }
  *new_event = !active_ || in_ts != in_ts_;
  if (*new_event) {
    active_ = true;
    in_ts_ = in_ts;
    out_ts_ = out_now;
  }
  uint32_t dur = (static_cast<uint32_t>(payload[2]) << 8) | payload[3];
  uint64_t scaled = static_cast<uint64_t>(dur) * to_ / from_;
  if (scaled > 0xffff) {
    scaled = 0xffff;  // a long event is split by its sender (RFC 4733 2.5.1.3); cap here
  }
  out[0] = payload[0];
  out[1] = payload[1];  // E bit, R, volume
  out[2] = static_cast<uint8_t>(scaled >> 8);
  out[3] = static_cast<uint8_t>(scaled);
  *out_ts = out_ts_;
  return true;
}

}  // namespace rampart::xc
