#pragma once
// RFC 4733 telephone-events between legs with different payload types and clock rates
// (8000 vs 48000): the event keeps its place in the other leg's timeline, its duration is
// rescaled, end bits and the redundant end packets are kept.
#include <cstddef>
#include <cstdint>

namespace rampart::xc {

class DtmfMapper {
 public:
  void configure(uint32_t from_clock, uint32_t to_clock) {
    from_ = from_clock;
    to_ = to_clock;
  }
  /// Rewrites one 4-byte event payload into `out`. `in_ts` is the event's RTP timestamp,
  /// `out_now` the other leg's current timestamp. Sets *out_ts and *new_event.
  /// @return false when the payload is not a telephone-event.
  bool map(const uint8_t* payload, std::size_t len, uint32_t in_ts, uint32_t out_now,
           uint8_t out[4], uint32_t* out_ts, bool* new_event);

 private:
  uint32_t from_ = 8000;
  uint32_t to_ = 8000;
  bool active_ = false;
  uint32_t in_ts_ = 0;
  uint32_t out_ts_ = 0;
};

}  // namespace rampart::xc
