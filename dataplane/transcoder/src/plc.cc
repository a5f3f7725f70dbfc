#include "plc.h"

#include <cstring>

namespace rampart::xc {

Plc::Plc(int rate)
    : min_lag_(rate / 200),
      max_lag_(rate * 15 / 1000),
      window_(rate * 20 / 1000),
      fade_start_(rate / 100),
      fade_len_(rate * 50 / 1000),
      splice_(rate * 4 / 1000) {
  if (max_lag_ + window_ > kHistory) {  // rates above 16 kHz: a shorter window
    window_ = kHistory - max_lag_;
  }
}

void Plc::onGood(int16_t* pcm, int n) {
  if (n <= 0) {
    return;
  }
  if (pitch_ > 0) {  // the first audio after a gap: fade from the repetition into it
    int len = n < splice_ ? n : splice_;
    for (int i = 0; i < len; ++i) {
      int32_t synth = next();
      int32_t w = (i + 1) * 256 / (len + 1);  // 8-bit weight of the real audio
      pcm[i] = static_cast<int16_t>((synth * (256 - w) + pcm[i] * w) / 256);
    }
    pitch_ = 0;
    lost_ = 0;
  }
  if (n >= kHistory) {
    std::memcpy(hist_, pcm + (n - kHistory), sizeof hist_);
    filled_ = kHistory;
    return;
  }
  std::memmove(hist_, hist_ + n, static_cast<std::size_t>(kHistory - n) * 2);
  std::memcpy(hist_ + (kHistory - n), pcm, static_cast<std::size_t>(n) * 2);
  filled_ = filled_ + n < kHistory ? filled_ + n : kHistory;
}

// The lag whose window best matches the last `window_` samples (normalised correlation, so a
// louder stretch does not win by its energy alone).
void Plc::findPitch() {
  const int16_t* end = hist_ + kHistory;
  const int16_t* cur = end - window_;
  double best = -1;
  int best_lag = max_lag_;
  for (int lag = min_lag_; lag <= max_lag_; ++lag) {
    const int16_t* past = cur - lag;
    double xy = 0;
    double yy = 1;
    for (int i = 0; i < window_; ++i) {
      xy += static_cast<double>(cur[i]) * past[i];
      yy += static_cast<double>(past[i]) * past[i];
    }
    double score = xy > 0 ? xy * xy / yy : -xy * xy / yy;
    if (score > best) {
      best = score;
      best_lag = lag;
    }
  }
  pitch_ = best_lag;
  phase_ = 0;
}

int16_t Plc::next() {
  int32_t s = hist_[kHistory - pitch_ + phase_];
  phase_ = phase_ + 1 < pitch_ ? phase_ + 1 : 0;
  int over = lost_ - fade_start_;
  if (over > 0) {
    s = over >= fade_len_ ? 0 : s * (fade_len_ - over) / fade_len_;
  }
  return static_cast<int16_t>(s);
}

int Plc::conceal(int16_t* out, int n) {
  if (filled_ < max_lag_ + window_) {  // too little audio yet to find a period: silence
    std::memset(out, 0, static_cast<std::size_t>(n) * 2);
    return n;
  }
  if (pitch_ == 0) {
    findPitch();
  }
  for (int i = 0; i < n; ++i) {
    out[i] = next();
    lost_ += lost_ <= fade_start_ + fade_len_ ? 1 : 0;  // silent from there on: stop counting
  }
  return n;
}

}  // namespace rampart::xc
