// The one base64 codec: SDES keys (standard alphabet) and JWT parts (URL alphabet).
#include <gtest/gtest.h>

#include <rampart/platform/base64.h>

namespace rampart::platform {
namespace {

std::string text(const std::optional<std::vector<uint8_t>>& v) {
  return v ? std::string(v->begin(), v->end()) : "<refused>";
}

TEST(Base64, DecodesStrictly) {
  EXPECT_EQ(text(base64Decode("TWFu")), "Man");
  EXPECT_EQ(text(base64Decode("TWE=")), "Ma");
  EXPECT_EQ(text(base64Decode("TQ==")), "M");
  EXPECT_EQ(text(base64Decode("TQ")), "M");  // padding optional
  EXPECT_FALSE(base64Decode("TR=="));        // non-canonical leftover bits
  EXPECT_FALSE(base64Decode("T=Q="));
  EXPECT_FALSE(base64Decode("TWFuT"));  // one leftover character
  EXPECT_FALSE(base64Decode("TW u"));
  EXPECT_EQ(text(base64Decode("")), "");
}

TEST(Base64, UrlAlphabet) {
  const uint8_t raw[] = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(base64Encode(raw, sizeof raw), "+/+/");
  auto url = base64Decode("-_-_", Base64Alphabet::Url);
  ASSERT_TRUE(url);
  EXPECT_EQ(*url, std::vector<uint8_t>(raw, raw + 3));
  EXPECT_FALSE(base64Decode("+/+/", Base64Alphabet::Url));
  EXPECT_FALSE(base64Decode("-_-_"));
}

TEST(Base64, RoundTrip) {
  for (std::size_t n = 0; n < 50; ++n) {
    std::vector<uint8_t> data(n);
    for (std::size_t i = 0; i < n; ++i) {
      data[i] = static_cast<uint8_t>(i * 37 + n);
    }
    auto back = base64Decode(base64Encode(data.data(), data.size()));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, data);
  }
}

}  // namespace
}  // namespace rampart::platform
