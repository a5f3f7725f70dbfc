#pragma once
// Packet loss concealment for the codecs libavcodec decodes without one (G.711, G.722), in the
// spirit of ITU-T G.711 Appendix I (written here from its description, not its code): a lost
// frame is filled by repeating the last pitch period of the good audio, found by normalised
// autocorrelation over 5-15 ms lags (66-200 Hz), at full level for the first 10 ms of a gap,
// then fading linearly to silence at 60 ms; the first good frame after a gap is cross-faded
// from the continued repetition over 4 ms so the splice does not click. Everything is sized
// for the decoder's rate when the session is made; nothing is allocated per packet.
#include <cstdint>

namespace rampart::xc {

class Plc {
 public:
  /// `rate`: the decoder's output rate (8000 or 16000).
  explicit Plc(int rate);
  /// A decoded frame: kept as history; after a gap its start is cross-faded in place.
  void onGood(int16_t* pcm, int n);
  /// Fills `n` samples for lost audio. @return n.
  int conceal(int16_t* out, int n);

  static constexpr int kHistory = 1024;  // samples kept: the longest lag + window at 16 kHz

 private:
  void findPitch();
  int16_t next();  // the next repeated sample, attenuated for the gap so far

  int min_lag_;
  int max_lag_;
  int window_;
  int fade_start_;  // samples of a gap at full level
  int fade_len_;    // samples over which it fades to silence
  int splice_;      // cross-fade length into the first good frame
  int16_t hist_[kHistory]{};
  int filled_ = 0;  // valid samples at the end of hist_
  int pitch_ = 0;   // period repeated during the current gap (0: no gap)
  int phase_ = 0;   // position in that period
  int lost_ = 0;    // samples concealed in the current gap
};

}  // namespace rampart::xc
