#include "dtmf_detect.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace rampart::xc {
namespace {

constexpr double kRows[4] = {697, 770, 852, 941};
constexpr double kCols[4] = {1209, 1336, 1477, 1633};
constexpr int kCodes[4][4] = {{1, 2, 3, 12}, {4, 5, 6, 13}, {7, 8, 9, 14}, {10, 0, 11, 15}};

// Thresholds (power ratios). A pure tone at a filter's frequency gives that filter a power of
// (amplitude * N / 2)^2, i.e. N/2 times the block's energy; a digit's two tones then hold
// most of the block's energy, speech and noise spread theirs.
constexpr double kMinMeanSquare = 60.0 * 60.0;  // each tone above about -55 dBov
constexpr double kMinTonesShare = 0.75;         // both tones together: most of the energy
constexpr double kMaxTwist = 6.3;               // 8 dB between the row and column tone
constexpr double kMinPeakOverOthers = 6.3;      // 8 dB above the other tones of its group

double goertzel(const int16_t* x, int n, double freq) {
  double coef = 2.0 * std::cos(2.0 * std::numbers::pi * freq / kDtmfRate);
  double s1 = 0;
  double s2 = 0;
  for (int i = 0; i < n; ++i) {
    double s0 = x[i] + coef * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coef * s1 * s2;
}

// Index of the strongest of four powers, or -1 when it does not stand out from the others.
int strongest(const double p[4]) {
  int best = static_cast<int>(std::max_element(p, p + 4) - p);
  for (int i = 0; i < 4; ++i) {
    if (i != best && p[i] * kMinPeakOverOthers > p[best]) {
      return -1;
    }
  }
  return best;
}

}  // namespace

DtmfDetector::Change DtmfDetector::feed(int16_t sample) {
  block_[n_++] = sample;
  if (n_ < kDtmfBlock) {
    return Change::None;
  }
  n_ = 0;
  return judgeBlock();
}

// The block's digit (-1 for none); *level is the two tones' mean square.
int DtmfDetector::classify(double* level) const {
  double energy = 0;
  for (int16_t s : block_) {
    energy += static_cast<double>(s) * s;
  }
  if (energy / kDtmfBlock < 2 * kMinMeanSquare) {
    return -1;
  }
  double rows[4];
  double cols[4];
  for (int i = 0; i < 4; ++i) {
    rows[i] = goertzel(block_, kDtmfBlock, kRows[i]);
    cols[i] = goertzel(block_, kDtmfBlock, kCols[i]);
  }
  int r = strongest(rows);
  int c = strongest(cols);
  if (r < 0 || c < 0) {
    return -1;
  }
  // Each filter power as a share of the block's energy (1.0 = all of it in that tone).
  double scale = 2.0 / (kDtmfBlock * energy);
  double row_share = rows[r] * scale;
  double col_share = cols[c] * scale;
  double twist = row_share > col_share ? row_share / col_share : col_share / row_share;
  if (row_share + col_share < kMinTonesShare || twist > kMaxTwist) {
    return -1;
  }
  *level = energy / kDtmfBlock;
  return kCodes[r][c];
}

DtmfDetector::Change DtmfDetector::judgeBlock() {
  double level = 0;
  int d = classify(&level);
  if (digit_ >= 0) {
    if (d == digit_) {
      ++blocks_;
      return Change::None;
    }
    digit_ = -1;
    candidate_ = d;
    return Change::Ended;
  }
  if (d >= 0 && d == candidate_) {
    digit_ = d;
    blocks_ = 2;
    // dBm0: a full-scale sine is +3.17 dBm0 in G.711 (G.711 table 5/6).
    double dbm0 = 10.0 * std::log10(std::max(level, 1.0) / (32768.0 * 32768.0 / 2)) + 3.17;
    volume_ = static_cast<uint8_t>(std::clamp(-dbm0, 0.0, 63.0));
    candidate_ = -1;
    return Change::Started;
  }
  candidate_ = d;
  return Change::None;
}

}  // namespace rampart::xc
