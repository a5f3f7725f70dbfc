// Runs the real rampart-media-peer on loopback: RTCP (separate, muxed), SSRC checks, IPv6.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "peer_test_util.h"

namespace rampart::tools {
namespace {

using peer_test::addr;
using peer_test::field;
using peer_test::freePortBase;
using peer_test::peer;
using peer_test::randomKey;
using peer_test::run;
using peer_test::RunResult;

// RTCP on port + 1 in both directions (one peer looped to itself), SRTCP with the _32 suite.
TEST(MediaPeerRtcp, SeparateRtcpIsCounted) {
  const uint16_t p = freePortBase(4);
  ASSERT_NE(p, 0);
  const std::string k = randomKey(30);
  const RunResult r = run(peer("--local " + addr(p) + " --remote " + addr(p) +
                               " --streams 2 --duration 1.2 --rtcp separate --rtcp-interval-ms "
                               "200 --srtp AES_CM_128_HMAC_SHA1_32 --send-key " +
                               k + " --recv-key " + k));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const double sent = field(r.out, "rtcp", "sent").value_or(0);
  EXPECT_GE(sent, 10) << r.out;
  EXPECT_EQ(field(r.out, "rtcp", "received"), sent) << r.out;
  EXPECT_EQ(field(r.out, "rtcp", "sr"), sent) << r.out;
  EXPECT_EQ(field(r.out, "rtcp", "auth_failed"), 0) << r.out;
  EXPECT_EQ(field(r.out, "received", "lost"), 0) << r.out;
}

// A stream that expects another SSRC (as after a relay rewrite) flags every packet.
TEST(MediaPeerRtcp, UnexpectedSsrcIsReported) {
  const uint16_t p = freePortBase(2);
  ASSERT_NE(p, 0);
  const RunResult r = run(peer("--local " + addr(p) + " --remote " + addr(p) +
                               " --duration 0.5 --drain-ms 200 --expect-ssrc 0x1000"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(field(r.out, "received", "ssrc_mismatch"), 25) << r.out;
}

// IPv6, AES-256-GCM and a traffic class: the TCLASS is read back with IPV6_RECVTCLASS.
TEST(MediaPeerRtcp, Ipv6GcmWithTrafficClass) {
  const uint16_t p = freePortBase(2);
  ASSERT_NE(p, 0);
  const int probe = socket(AF_INET6, SOCK_DGRAM, 0);
  sockaddr_in6 lo{};
  lo.sin6_family = AF_INET6;
  lo.sin6_addr = in6addr_loopback;
  const bool have_v6 = probe >= 0 && bind(probe, reinterpret_cast<sockaddr*>(&lo), sizeof(lo)) == 0;
  if (probe >= 0) {
    close(probe);
  }
  if (!have_v6) {
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  const std::string k = randomKey(44);
  const std::string a = "[::1]:" + std::to_string(p);
  const RunResult r = run(peer("--local " + a + " --remote " + a +
                               " --streams 2 --duration 0.6 --drain-ms 200 --send-tos 184"
                               " --srtp AEAD_AES_256_GCM --send-key " +
                               k + " --recv-key " + k));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(field(r.out, "received", "packets"), 60) << r.out;
  EXPECT_EQ(field(r.out, "received", "lost"), 0) << r.out;
  EXPECT_EQ(field(r.out, "tos_seen", "184"), 60) << r.out;
}

// RTCP muxed on the RTP port (RFC 5761 demux), plain RTP, two peers.
TEST(MediaPeerRtcp, MuxedRtcpIsDemultiplexed) {
  const uint16_t p = freePortBase(2);
  ASSERT_NE(p, 0);
  const RunResult r = run(peer("--local " + addr(p) + " --remote " + addr(p) +
                               " --streams 1 --duration 1 --drain-ms 200 --rtcp mux "
                               "--rtcp-interval-ms 200"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_GE(field(r.out, "rtcp", "received").value_or(0), 4) << r.out;
  EXPECT_EQ(field(r.out, "rtcp", "garbage"), 0) << r.out;
  // RTCP on the RTP port must not be mistaken for media.
  EXPECT_EQ(field(r.out, "received", "garbage"), 0) << r.out;
  EXPECT_EQ(field(r.out, "received", "packets"), 50) << r.out;
}

}  // namespace
}  // namespace rampart::tools
