// In-band DTMF detection on 8 kHz audio after a G.711 round trip (the path a PBX's tones take):
// every key of the keypad found once, in order; short tones, single tones, speech-like sweeps
// and tone pairs with too much twist found never.
#include "dtmf_detect.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "audio_check.h"

namespace rampart::xc {
namespace {

constexpr char kKeys[] = "123A456B789C*0#D";

// Appends `ms` of the key's tone pair, then `gap_ms` of silence, as a phone would send it.
void key(std::vector<int16_t>& pcm, char k, int ms, int gap_ms, double dbov_row = -10,
         double dbov_col = -10) {
  auto tone = test::dtmfKey(k, ms, dbov_row, dbov_col);
  pcm.insert(pcm.end(), tone.begin(), tone.end());
  pcm.insert(pcm.end(), static_cast<std::size_t>(gap_ms * 8), 0);
}

int code(char k) {
  const std::string order = "0123456789*#ABCD";
  return static_cast<int>(order.find(k));
}

// Runs `pcm` through mu-law and the detector; returns the digits started, as RFC 4733 codes.
std::vector<int> detect(const std::vector<int16_t>& pcm, int* ended = nullptr) {
  DtmfDetector d;
  std::vector<int> got;
  int ends = 0;
  for (int16_t s : pcm) {
    auto c = d.feed(test::ulawDecode(test::ulawEncode(s)));
    if (c == DtmfDetector::Change::Started) {
      got.push_back(d.digit());
    } else if (c == DtmfDetector::Change::Ended) {
      ++ends;
    }
  }
  if (ended != nullptr) {
    *ended = ends;
  }
  return got;
}

TEST(DtmfDetect, EveryKeyOnceInOrder) {
  std::vector<int16_t> pcm(800, 0);
  for (const char* k = kKeys; *k != 0; ++k) {
    key(pcm, *k, 70, 60);
  }
  int ended = 0;
  auto got = detect(pcm, &ended);
  ASSERT_EQ(got.size(), 16u);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(got[static_cast<std::size_t>(i)], code(kKeys[i])) << "key " << kKeys[i];
  }
  EXPECT_EQ(ended, 16);
}

TEST(DtmfDetect, QuietAndTwistedWithinLimitsAreFound) {
  std::vector<int16_t> pcm;
  key(pcm, '5', 80, 60, -30, -30);  // quiet
  key(pcm, '9', 80, 60, -10, -15);  // 5 dB twist
  EXPECT_EQ(detect(pcm), (std::vector<int>{5, 9}));
}

TEST(DtmfDetect, VolumeIsTheLevelInDbm0) {
  std::vector<int16_t> pcm;
  key(pcm, '1', 100, 40, -13, -13);  // two tones at -13 dBov: about -7 dBm0 together
  DtmfDetector d;
  int vol = -1;
  for (int16_t s : pcm) {
    if (d.feed(s) == DtmfDetector::Change::Started) {
      vol = d.volume();
    }
  }
  EXPECT_GE(vol, 5);
  EXPECT_LE(vol, 9);
}

TEST(DtmfDetect, NotDigits) {
  std::vector<int16_t> pcm;
  key(pcm, '7', 25, 100);           // shorter than 40 ms
  key(pcm, '3', 80, 60, -10, -30);  // 20 dB twist
  key(pcm, '2', 80, 60, -70, -70);  // below the floor
  for (int i = 0; i < 8000; ++i) {  // one tone alone (a dial tone's 440 Hz)
    pcm.push_back(static_cast<int16_t>(8000 * std::sin(2 * std::numbers::pi * 440 * i / 8000.0)));
  }
  auto sweep = test::toneSweep(8000, 3.0, 200, 3400, 0.3);  // a voice-band sweep
  pcm.insert(pcm.end(), sweep.begin(), sweep.end());
  EXPECT_TRUE(detect(pcm).empty());
}

TEST(DtmfDetect, TheSameKeyTwiceIsTwoDigits) {
  std::vector<int16_t> pcm;
  key(pcm, '0', 100, 60);
  key(pcm, '0', 100, 60);
  EXPECT_EQ(detect(pcm), (std::vector<int>{0, 0}));
}

}  // namespace
}  // namespace rampart::xc
