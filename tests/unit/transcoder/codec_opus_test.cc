// Opus encoding toward a leg that asked for stereo (stereo=1): stereo packets carrying the
// mono signal, which a mono decoder plays back at its level; mono otherwise.
#include <gtest/gtest.h>

#include <opus/opus.h>

#include <cmath>
#include <vector>

#include "codec.h"

namespace rampart::xc {
namespace {

abi::XcodeCodec opusCodec(uint8_t flags) {
  return {abi::XcodeCodecId::Opus, 111, 1, 20, 48000, 0, flags, 32, 0};
}

double rms(const int16_t* p, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) {
    s += static_cast<double>(p[i]) * p[i];
  }
  return std::sqrt(s / n);
}

// Encodes 20 frames of a 440 Hz tone. @return the channels of the last packet and the RMS a
// mono decoder gets from it.
std::pair<int, double> encodeTone(uint8_t flags) {
  auto enc = makeOpusEncoder(48000, opusCodec(flags));
  auto dec = makeOpusDecoder(48000);
  EXPECT_TRUE(enc && dec);
  const int frame = (*enc)->frameSamples();
  std::vector<int16_t> pcm(static_cast<std::size_t>(frame));
  std::vector<int16_t> out(kMaxFrameSamples);
  uint8_t pkt[1500];
  int channels = 0;
  double level = 0;
  for (int f = 0; f < 20; ++f) {
    for (int i = 0; i < frame; ++i) {
      pcm[static_cast<std::size_t>(i)] =
          static_cast<int16_t>(8000 * std::sin(2 * M_PI * 440 * (f * frame + i) / 48000.0));
    }
    int n = (*enc)->encode(pcm.data(), pkt, sizeof(pkt));
    EXPECT_GT(n, 0);
    channels = opus_packet_get_nb_channels(pkt);
    int got = (*dec)->decode(pkt, static_cast<std::size_t>(n), out.data());
    EXPECT_EQ(got, frame);
    level = rms(out.data(), got);
  }
  return {channels, level};
}

TEST(OpusCodec, StereoAskedIsSentAsStereoAndPlaysAtItsLevel) {
  auto [channels, level] = encodeTone(abi::kXcOpusStereo);
  EXPECT_EQ(channels, 2);
  const double in = 8000 / std::sqrt(2.0);
  EXPECT_NEAR(level, in, in * 0.25);
}

TEST(OpusCodec, MonoOtherwise) {
  auto [channels, level] = encodeTone(abi::kXcOpusFec);
  EXPECT_EQ(channels, 1);
  EXPECT_GT(level, 8000 / std::sqrt(2.0) * 0.75);
}

}  // namespace
}  // namespace rampart::xc
