#pragma once
// SRTP packet index estimation and replay windows for the fast path (RFC 3711 section 3.3.1 and
// appendix A; SRTCP section 3.4). The decisions match libsrtp2 2.5 exactly (srtp_index_guess,
// srtp_rdbx_* and srtp_rdb_*), because libsrtp2 is the fast path's reference and fallback and a
// differential test holds both to identical accept/drop decisions. The windows are rings (bit
// i of the index lives at i mod size), so advancing clears the bits that enter the window
// instead of shifting the whole bitmap.
#include <cstdint>

namespace rampart::dp {

inline constexpr uint32_t kRtpWindow = 128;   // packets (libsrtp2 policy.window_size likewise)
inline constexpr uint32_t kRtcpWindow = 128;  // libsrtp2's fixed SRTCP window

enum class ReplayVerdict : uint8_t { Ok, Replayed, TooOld };

// One SRTP direction of one SSRC: the highest index (roc << 16 | seq) and which of the last
// kRtpWindow indices were seen.
struct RtpIndexState {
  uint64_t index;
  uint64_t bits[kRtpWindow / 64];

  // libsrtp2's srtp_rdbx_estimate_index: the index the sender most likely used for `seq`, and
  // its distance from the highest index so far (`*delta` > 0: newer).
  uint64_t estimate(uint16_t seq, int32_t* delta) const {
    if (index <= 0x8000) {  // the stream's start: no negative ROC guesses
      *delta = int32_t{seq} - int32_t{static_cast<uint16_t>(index)};
      return seq;
    }
    auto local_roc = static_cast<uint32_t>(index >> 16);
    auto local_seq = static_cast<uint16_t>(index);
    uint32_t roc = local_roc;
    int32_t d = int32_t{seq} - int32_t{local_seq};
    if (local_seq < 0x8000) {
      if (d > 0x8000) {
        roc = local_roc - 1;
        d -= 0x10000;
      }
    } else if (int32_t{local_seq} - 0x8000 > int32_t{seq}) {
      roc = local_roc + 1;
      d += 0x10000;
    }
    *delta = d;
    return (uint64_t{roc} << 16 | seq) & 0xFFFFFFFFFFFFull;
  }
  ReplayVerdict check(int32_t delta) const {
    if (delta > 0) {
      return ReplayVerdict::Ok;
    }
    if (delta <= -static_cast<int32_t>(kRtpWindow)) {
      return ReplayVerdict::TooOld;
    }
    return bit(index + static_cast<uint64_t>(static_cast<int64_t>(delta))) ? ReplayVerdict::Replayed
                                                                           : ReplayVerdict::Ok;
  }
  // Records a checked index (`delta` from estimate()).
  void add(int32_t delta) {
    if (delta > 0) {
      uint64_t steps = static_cast<uint64_t>(delta);
      if (steps >= kRtpWindow) {
        for (uint64_t& w : bits) {
          w = 0;
        }
      } else {
        for (uint64_t i = 1; i <= steps; ++i) {
          clear(index + i);
        }
      }
      index = (index + steps) & 0xFFFFFFFFFFFFull;
      set(index);
    } else {
      set(index + static_cast<uint64_t>(static_cast<int64_t>(delta)));
    }
  }

 private:
  bool bit(uint64_t i) const { return ((bits[(i / 64) % (kRtpWindow / 64)] >> (i % 64)) & 1) != 0; }
  void set(uint64_t i) { bits[(i / 64) % (kRtpWindow / 64)] |= uint64_t{1} << (i % 64); }
  void clear(uint64_t i) { bits[(i / 64) % (kRtpWindow / 64)] &= ~(uint64_t{1} << (i % 64)); }
};

// SRTCP: inbound, a window [start, start + kRtcpWindow) of 31-bit indices (libsrtp2's
// srtp_rdb_t); outbound, `start` is the last index sent.
struct RtcpIndexState {
  uint32_t start;
  uint32_t _pad;
  uint64_t bits[kRtcpWindow / 64];

  ReplayVerdict check(uint32_t i) const {
    if (i >= start + kRtcpWindow) {
      return ReplayVerdict::Ok;
    }
    if (i < start) {
      return ReplayVerdict::TooOld;
    }
    return bit(i) ? ReplayVerdict::Replayed : ReplayVerdict::Ok;
  }
  void add(uint32_t i) {
    if (i < start) {
      return;
    }
    uint32_t d = i - start;
    if (d >= kRtcpWindow) {
      uint32_t shift = d - (kRtcpWindow - 1);
      if (shift >= kRtcpWindow) {
        bits[0] = bits[1] = 0;
      } else {
        for (uint32_t k = 0; k < shift; ++k) {
          clear(start + kRtcpWindow + k);
        }
      }
      start += shift;
    }
    set(i);
  }
  // The next outbound index, or false once the 31-bit space is spent (the key has expired).
  bool next(uint32_t* i) {
    if (start >= 0x7fffffffu) {
      return false;
    }
    *i = ++start;
    return true;
  }

 private:
  bool bit(uint32_t i) const { return ((bits[(i / 64) % 2] >> (i % 64)) & 1) != 0; }
  void set(uint32_t i) { bits[(i / 64) % 2] |= uint64_t{1} << (i % 64); }
  void clear(uint32_t i) { bits[(i / 64) % 2] &= ~(uint64_t{1} << (i % 64)); }
};

}  // namespace rampart::dp
