#pragma once
// In-band DTMF detection (ITU-T Q.23 tone pairs) on 8 kHz audio: a Goertzel filter per tone
// over 20 ms blocks. A digit starts after two consecutive blocks agree on it (40 ms, the
// shortest tone Q.24 asks to be detected) and ends at the first block without it.
#include <cstdint>

namespace rampart::xc {

inline constexpr int kDtmfRate = 8000;
inline constexpr int kDtmfBlock = 160;  // 20 ms at 8 kHz

class DtmfDetector {
 public:
  enum class Change : uint8_t { None, Started, Ended };

  /// Adds one sample; at each block boundary judges the block. @return what changed.
  Change feed(int16_t sample);
  /// RFC 4733 event code (0-9, * = 10, # = 11, A-D = 12-15) of the digit held, or -1.
  int digit() const { return digit_; }
  /// Whole blocks the held digit has lasted (2 at its start).
  uint32_t blocks() const { return blocks_; }
  /// RFC 4733 volume of the held digit: its power in -dBm0, 0..63.
  uint8_t volume() const { return volume_; }

 private:
  Change judgeBlock();
  int classify(double* level) const;

  int16_t block_[kDtmfBlock]{};
  int n_ = 0;
  int candidate_ = -1;  // the last block's digit, waiting for a second block
  int digit_ = -1;
  uint32_t blocks_ = 0;
  uint8_t volume_ = 0;
};

}  // namespace rampart::xc
