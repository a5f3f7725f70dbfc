// The media peer's pure pieces: payload verification, RTCP, the delay histogram, options.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "media_peer/options.h"
#include "media_peer/payload.h"
#include "media_peer/rtcp.h"
#include "media_peer/stats.h"

namespace rampart::tools {
namespace {

TEST(Payload, RoundTrip) {
  std::vector<uint8_t> buf(160);
  const PayloadFields in{3, 12345, 987654321ull, 0xabcdef};
  writePayload(buf.data(), buf.size(), in);
  PayloadFields out;
  ASSERT_EQ(checkPayload(buf.data(), buf.size(), in.nonce, out), PayloadCheck::Ok);
  EXPECT_EQ(out.stream, 3u);
  EXPECT_EQ(out.index, 12345u);
  EXPECT_EQ(out.send_ns, 987654321ull);
}

TEST(Payload, EveryCorruptedByteIsDetected) {
  for (std::size_t len : {kMinPayloadBytes, std::size_t{160}, std::size_t{171}}) {
    std::vector<uint8_t> buf(len);
    writePayload(buf.data(), len, PayloadFields{1, 7, 42, 9});
    for (std::size_t i = 0; i < len; ++i) {
      auto copy = buf;
      copy[i] ^= 0x01;
      PayloadFields f;
      // A flipped nonce byte may read as "another run"; anything else is garbage.
      const auto r = checkPayload(copy.data(), len, 9, f);
      EXPECT_NE(r, PayloadCheck::Ok) << "len " << len << " byte " << i;
    }
  }
}

TEST(Payload, OtherRunIsStaleAndStreamIsCarried) {
  std::vector<uint8_t> buf(160);
  writePayload(buf.data(), buf.size(), PayloadFields{5, 1, 2, 111});
  PayloadFields f;
  EXPECT_EQ(checkPayload(buf.data(), buf.size(), 222, f), PayloadCheck::Stale);
  EXPECT_EQ(checkPayload(buf.data(), buf.size(), 111, f), PayloadCheck::Ok);
  EXPECT_EQ(f.stream, 5u);
  EXPECT_EQ(checkPayload(buf.data(), 20, 111, f), PayloadCheck::Garbage);
}

TEST(Payload, DiffersAcrossStreamsAndIndexes) {
  std::vector<uint8_t> a(160);
  std::vector<uint8_t> b(160);
  writePayload(a.data(), a.size(), PayloadFields{0, 1, 0, 1});
  writePayload(b.data(), b.size(), PayloadFields{1, 0, 0, 1});
  EXPECT_NE(std::vector<uint8_t>(a.begin() + 32, a.end()),
            std::vector<uint8_t>(b.begin() + 32, b.end()));
}

TEST(Rtcp, SenderReportWithBlockParses) {
  uint8_t buf[256];
  SenderInfo si{0x0102030405060708ull, 2, 3, 4};
  ReportBlock rb;
  rb.ssrc = 0x1234;
  rb.lsr = 0xa1b2c3d4;
  rb.dlsr = 65536 / 4;
  const std::size_t n = buildRtcp(buf, sizeof(buf), 0x52500000, &si, &rb);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(n % 4, 0u);
  EXPECT_TRUE(isRtcp(buf, n));
  RtcpSummary s;
  ASSERT_TRUE(parseRtcp(buf, n, s));
  EXPECT_TRUE(s.sr);
  EXPECT_FALSE(s.rr);
  EXPECT_EQ(s.report_blocks, 1u);
  EXPECT_EQ(s.ssrc, 0x52500000u);
  // What a round-trip estimate needs (RFC 3550 section 6.4.1).
  EXPECT_EQ(s.sr_ntp, 0x0102030405060708ull);
  EXPECT_TRUE(s.has_block);
  EXPECT_EQ(s.lsr, 0xa1b2c3d4u);
  EXPECT_EQ(s.dlsr, 65536u / 4);
  // Truncated or extended compounds are refused.
  EXPECT_FALSE(parseRtcp(buf, n - 4, s));
  EXPECT_FALSE(parseRtcp(buf, n + 2, s));
}

TEST(Rtcp, ReceiverReportParses) {
  uint8_t buf[256];
  const std::size_t n = buildRtcp(buf, sizeof(buf), 7, nullptr, nullptr);
  RtcpSummary s;
  ASSERT_TRUE(parseRtcp(buf, n, s));
  EXPECT_TRUE(s.rr);
  EXPECT_EQ(buildRtcp(buf, 16, 7, nullptr, nullptr), 0u);
}

TEST(Histogram, Percentiles) {
  LatencyHistogram h;
  EXPECT_EQ(h.percentileNs(50), 0u);
  for (uint64_t i = 1; i <= 100; ++i) {
    h.add(i * 10000);  // 10 us .. 1 ms
  }
  h.add(250000000);  // 250 ms, coarse tier
  EXPECT_EQ(h.count(), 101u);
  EXPECT_NEAR(static_cast<double>(h.percentileNs(50)), 510000.0, 1000.0);
  EXPECT_EQ(h.maxNs(), 250000000u);
  EXPECT_EQ(h.percentileNs(100), 250000000u);
}

ParseOutcome parse(std::vector<std::string> args) { return parsePeerOptions(args); }

TEST(PeerOptions, Defaults) {
  auto r = parse({"--local", "127.0.0.1:5000", "--remote", "127.0.0.1:6000"});
  ASSERT_TRUE(r.options) << r.error;
  EXPECT_EQ(r.options->payload_bytes, 160u);
  EXPECT_EQ(r.options->mode, PeerMode::Both);
  EXPECT_EQ(r.options->streams, 1u);
}

TEST(PeerOptions, ErrorsNameTheOption) {
  const std::string k30 = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk";  // 30 bytes
  struct Case {
    std::vector<std::string> args;
    std::string names;
  } cases[] = {
      {{"--remote", "127.0.0.1:6000"}, "--local"},
      {{"--local", "127.0.0.1:5000", "--mode", "send"}, "--remote"},
      {{"--local", "127.0.0.1", "--mode", "recv"}, "--local"},
      {{"--local", "127.0.0.1:5000", "--mode", "recv", "--duration", "601"}, "--duration"},
      {{"--local", "127.0.0.1:5000", "--mode", "recv", "--duration", "0"}, "--duration"},
      {{"--local", "127.0.0.1:5000", "--mode", "recv", "--srtp", "AES"}, "--srtp"},
      {{"--local", "127.0.0.1:5000", "--mode", "recv", "--srtp", "AEAD_AES_128_GCM", "--recv-key",
        k30},
       "--recv-key"},
      {{"--local", "127.0.0.1:5000", "--mode", "recv", "--srtp", "AES_CM_128_HMAC_SHA1_80"},
       "--recv-key"},
      {{"--local", "127.0.0.1:5000", "--remote", "[::1]:5000"}, "--remote"},
      {{"--local", "127.0.0.1:65535", "--mode", "recv", "--streams", "2"}, "--local"},
      {{"--local", "127.0.0.1:5000", "--mode", "recv", "--payload-bytes", "10"}, "--payload-bytes"},
      {{"--local", "127.0.0.1:5000", "--mode", "recv", "--rtcp", "yes"}, "--rtcp"},
      {{"--local", "127.0.0.1:5000", "--mode", "recv", "--send-tos", "256"}, "--send-tos"},
      {{"--local", "127.0.0.1:5000", "--mode", "recv", "--bogus", "1"}, "--bogus"},
      {{"--local", "127.0.0.1:5000", "--mode", "recv", "--recv-key", k30}, "--srtp"},
      {{"--local", "127.0.0.1:5000", "--mode", "recv", "--loss-pct", "101"}, "--loss-pct"},
      {{"--local", "127.0.0.1:5000", "--mode", "recv", "--loss-pct", "x"}, "--loss-pct"},
      {{"--local", "127.0.0.1:5000", "--mode", "recv", "--jitter-ms", "1001"}, "--jitter-ms"},
      {{"--local", "127.0.0.1:5000", "--mode", "recv", "--impair-seed", "-1"}, "--impair-seed"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.args);
    EXPECT_FALSE(r.options) << c.names;
    EXPECT_NE(r.error.find(c.names), std::string::npos) << r.error;
  }
}

TEST(PeerOptions, SrtpKeysDecoded) {
  const std::string k30 = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk";
  auto r = parse({"--local", "127.0.0.1:5000", "--remote", "127.0.0.1:6000", "--srtp",
                  "AES_CM_128_HMAC_SHA1_32", "--send-key", k30, "--recv-key", "inline:" + k30,
                  "--rtcp", "separate", "--expect-ssrc", "0x1000"});
  ASSERT_TRUE(r.options) << r.error;
  EXPECT_EQ(r.options->send_key.size(), 30u);
  EXPECT_EQ(r.options->recv_key, r.options->send_key);
  EXPECT_EQ(r.options->expect_ssrc, 0x1000u);
}

TEST(PeerOptions, Impairment) {
  auto r = parse({"--local", "127.0.0.1:5000", "--remote", "127.0.0.1:6000", "--loss-pct", "2.5",
                  "--jitter-ms", "20", "--impair-seed", "9"});
  ASSERT_TRUE(r.options) << r.error;
  EXPECT_DOUBLE_EQ(r.options->loss_pct, 2.5);
  EXPECT_EQ(r.options->jitter_ms, 20u);
  EXPECT_EQ(r.options->impair_seed, 9u);
  auto d = parse({"--local", "127.0.0.1:5000", "--remote", "127.0.0.1:6000"});
  ASSERT_TRUE(d.options) << d.error;
  EXPECT_EQ(d.options->loss_pct, 0.0);
  EXPECT_EQ(d.options->jitter_ms, 0u);
}

}  // namespace
}  // namespace rampart::tools
