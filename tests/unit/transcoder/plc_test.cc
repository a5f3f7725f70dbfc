// G.711/G.722 packet loss concealment (plc.h): a lost frame of a tone is filled with audio that
// follows the tone (silence, what the transcoder played before, has no correlation at all),
// fades to silence over a long gap, and the next good frame is spliced without a jump. Both
// through the Plc alone and through the real libavcodec decoders: a decoder that missed a
// packet against one that got them all.
#include "plc.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "codec.h"

namespace rampart::xc {
namespace {

constexpr double kPi = 3.14159265358979323846;

// A voiced-like tone: 440 Hz (a period that is no whole number of samples) plus a harmonic.
std::vector<int16_t> tone(int rate, int n, int offset = 0) {
  std::vector<int16_t> v(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    double t = static_cast<double>(i + offset) / rate;
    v[static_cast<std::size_t>(i)] = static_cast<int16_t>(8000 * std::sin(2 * kPi * 440 * t) +
                                                          3000 * std::sin(2 * kPi * 880 * t + 0.3));
  }
  return v;
}

double corr(const int16_t* a, const int16_t* b, int n) {
  double ab = 0;
  double aa = 0;
  double bb = 0;
  for (int i = 0; i < n; ++i) {
    ab += static_cast<double>(a[i]) * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += static_cast<double>(b[i]) * b[i];
  }
  return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0;
}

double rms(const int16_t* a, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) {
    s += static_cast<double>(a[i]) * a[i];
  }
  return std::sqrt(s / n);
}

TEST(Plc, LostFrameOfAToneFollowsTheTone) {
  for (int rate : {8000, 16000}) {
    const int frame = rate / 50;
    Plc plc(rate);
    std::vector<int16_t> in = tone(rate, frame * 12);
    for (int f = 0; f < 10; ++f) {
      plc.onGood(in.data() + f * frame, frame);
    }
    std::vector<int16_t> out(static_cast<std::size_t>(frame));
    ASSERT_EQ(plc.conceal(out.data(), frame), frame);
    const int16_t* truth = in.data() + 10 * frame;
    double c = corr(out.data(), truth, frame);
    std::vector<int16_t> silence(static_cast<std::size_t>(frame), 0);
    std::printf("%d Hz: concealed frame corr %.3f (silence %.3f), level %.0f of %.0f\n", rate, c,
                corr(silence.data(), truth, frame), rms(out.data(), frame), rms(truth, frame));
    EXPECT_GT(c, 0.9);
    EXPECT_GT(rms(out.data(), frame), 0.5 * rms(truth, frame));  // faded only after 10 ms
  }
}

TEST(Plc, LongGapFadesToSilenceAndTheNextFrameSplicesIn) {
  const int rate = 8000;
  const int frame = 160;
  Plc plc(rate);
  std::vector<int16_t> in = tone(rate, frame * 10);
  for (int f = 0; f < 10; ++f) {
    plc.onGood(in.data() + f * frame, frame);
  }
  std::vector<int16_t> out(static_cast<std::size_t>(frame));
  std::vector<double> level;
  for (int f = 0; f < 4; ++f) {  // 80 ms: full for 10, fading to nothing at 60
    plc.conceal(out.data(), frame);
    level.push_back(rms(out.data(), frame));
  }
  EXPECT_GT(level[0], level[1]);
  EXPECT_GT(level[1], level[2]);
  EXPECT_EQ(level[3], 0.0);
  // Good audio again: its first samples are faded in from the (silent) repetition.
  std::vector<int16_t> next = tone(rate, frame, 14 * frame);
  std::vector<int16_t> orig = next;
  plc.onGood(next.data(), frame);
  EXPECT_LT(std::abs(next[0]), std::abs(orig[0]) / 8 + 1);
  EXPECT_EQ(next[40], orig[40]);  // past the 4 ms splice: untouched
  // Nothing heard yet: a loss is silence.
  Plc fresh(rate);
  fresh.conceal(out.data(), frame);
  EXPECT_EQ(rms(out.data(), frame), 0.0);
}

// The real decoders: frame 10 lost on one of two decoders fed the same packets.
TEST(Plc, DecodersConcealALostPacketWithTheSignal) {
  for (auto id : {abi::XcodeCodecId::Pcmu, abi::XcodeCodecId::Pcma, abi::XcodeCodecId::G722}) {
    const int rate = nativeRate(id);
    const int frame = rate / 50;
    auto enc = makeAvEncoder(id, 20);
    auto full = makeAvDecoder(id);
    auto lossy = makeAvDecoder(id);
    ASSERT_TRUE(enc && full && lossy);
    std::vector<int16_t> in = tone(rate, frame * 12);
    std::vector<int16_t> ref(kMaxFrameSamples);
    std::vector<int16_t> got(kMaxFrameSamples);
    uint8_t pkt[1400];
    double c = 0;
    for (int f = 0; f < 12; ++f) {
      int bytes = enc.value()->encode(in.data() + f * frame, pkt, sizeof pkt);
      ASSERT_GT(bytes, 0);
      int n = full.value()->decode(pkt, static_cast<std::size_t>(bytes), ref.data());
      ASSERT_EQ(n, frame);
      if (f == 10) {
        ASSERT_EQ(lossy.value()->conceal(frame, got.data()), frame);
        c = corr(got.data(), ref.data(), frame);
      } else {
        ASSERT_EQ(lossy.value()->decode(pkt, static_cast<std::size_t>(bytes), got.data()), frame);
      }
    }
    std::printf("codec %d: concealed packet corr %.3f against the decoded one\n",
                static_cast<int>(id), c);
    EXPECT_GT(c, 0.85);
  }
}

}  // namespace
}  // namespace rampart::xc
