// Runs the real rampart-media-peer on 127.0.0.1 and checks its JSON report: SRTP both ways,
// a wrong key, bad arguments.
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

// Two peers, each sending 2 SRTP streams to the other for 2 s with matching keys.
TEST(MediaPeerLoopback, SrtpBothWaysIsClean) {
  const uint16_t a = freePortBase(4);
  uint16_t b = freePortBase(4);
  for (int i = 0; i < 10 && b >= a - 4 && b <= a + 4; ++i) {
    b = freePortBase(4);
  }
  ASSERT_NE(a, 0);
  ASSERT_NE(b, 0);
  const std::string ka = randomKey(30);
  const std::string kb = randomKey(30);
  const std::string common = " --streams 2 --duration 2 --srtp AES_CM_128_HMAC_SHA1_80 --nonce 7";
  // Peer B runs in the background; its report goes to a file read afterwards.
  const std::string b_out = "/tmp/media_peer_test_" + std::to_string(getpid()) + ".json";
  const std::string cmd_b = peer("--local " + addr(b) + " --remote " + addr(a) + common +
                                 " --send-key " + kb + " --recv-key " + ka) +
                            " > " + b_out + " &";
  ASSERT_EQ(std::system(cmd_b.c_str()), 0);
  const RunResult ra = run(peer("--local " + addr(a) + " --remote " + addr(b) + common +
                                " --send-key " + ka + " --recv-key " + kb + " --send-tos 184"));
  // Give B its drain time to finish writing.
  RunResult rb;
  for (int i = 0; i < 50 && field(rb.out, "rtcp", "garbage") == std::nullopt; ++i) {
    usleep(100000);
    rb = run("cat " + b_out);
  }
  std::remove(b_out.c_str());
  ASSERT_EQ(ra.exit_code, 0) << ra.out;
  for (const std::string& json : {ra.out, rb.out}) {
    SCOPED_TRACE(json);
    for (const char* key :
         {"packets", "expected", "lost", "loss_ratio", "duplicates", "reordered", "late", "garbage",
          "stale", "wrong_stream", "auth_failed", "jitter_ms_max", "tos_seen", "dscp_seen"}) {
      EXPECT_NE(json.find(std::string("\"") + key + "\":"), std::string::npos) << key;
    }
    EXPECT_NE(json.find("\"delay_ms\":{\"samples\""), std::string::npos);
    EXPECT_EQ(field(json, "sent", "packets"), 200);
    EXPECT_EQ(field(json, "received", "packets"), 200);
    EXPECT_EQ(field(json, "received", "lost"), 0);
    EXPECT_EQ(field(json, "received", "auth_failed"), 0);
    EXPECT_EQ(field(json, "received", "garbage"), 0);
    EXPECT_EQ(field(json, "received", "duplicates"), 0);
    EXPECT_GT(field(json, "delay_ms", "max").value_or(0), 0);
  }
  // A sent TOS 184 (DSCP 46) to B; B sent nothing special to A.
  EXPECT_EQ(field(rb.out, "dscp_seen", "46"), 200) << rb.out;
  EXPECT_EQ(field(ra.out, "dscp_seen", "0"), 200) << ra.out;
}

// The receiver holds another key: every packet must fail authentication, none be accepted.
TEST(MediaPeerLoopback, WrongKeyCountsAuthFailures) {
  const uint16_t p = freePortBase(2);
  ASSERT_NE(p, 0);
  const RunResult r = run(peer("--local " + addr(p) + " --remote " + addr(p) +
                               " --duration 1 --srtp AEAD_AES_128_GCM --send-key " + randomKey(28) +
                               " --recv-key " + randomKey(28)));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(field(r.out, "received", "packets"), 0) << r.out;
  EXPECT_EQ(field(r.out, "received", "auth_failed"), 50) << r.out;
}

// Sender-side impairment looped to itself: the packets --loss-pct leaves out are exactly the
// receiver's loss (none falls off the end unseen unless the last ones are dropped, hence the
// one-packet slack), and --jitter-ms 20 (uniform 0-20 ms) shows as RFC 3550 jitter near its
// expected J/3 = 6.7 ms; the filter is noisy over 150 packets, hence the wide band.
TEST(MediaPeerLoopback, InducedLossAndJitterAreMeasured) {
  const uint16_t p = freePortBase(2);
  ASSERT_NE(p, 0);
  const RunResult r = run(peer("--local " + addr(p) + " --remote " + addr(p) +
                               " --duration 3 --loss-pct 10 --jitter-ms 20 --impair-seed 5"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const double dropped = field(r.out, "sent", "impaired_dropped").value_or(-1);
  EXPECT_GE(dropped, 5) << r.out;
  EXPECT_LE(dropped, 30) << r.out;
  EXPECT_EQ(field(r.out, "sent", "packets").value_or(0) + dropped, 150) << r.out;
  const double lost = field(r.out, "received", "lost").value_or(-1);
  EXPECT_GE(lost, dropped - 1) << r.out;
  EXPECT_LE(lost, dropped) << r.out;
  EXPECT_EQ(field(r.out, "received", "reordered"), 0) << r.out;
  const double jitter = field(r.out, "received", "jitter_ms_mean").value_or(0);
  EXPECT_GT(jitter, 3.0) << r.out;
  EXPECT_LT(jitter, 12.0) << r.out;
  // The same seed drops the same packets.
  const RunResult again = run(peer("--local " + addr(p) + " --remote " + addr(p) +
                                   " --duration 3 --loss-pct 10 --jitter-ms 20 --impair-seed 5"));
  EXPECT_EQ(field(again.out, "sent", "impaired_dropped"), dropped) << again.out;
}

TEST(MediaPeerCli, BadArgumentsExitNonZeroNamingTheOption) {
  struct Case {
    std::string args;
    std::string names;
  } cases[] = {
      {"--remote 127.0.0.1:5000", "--local"},
      {"--local 127.0.0.1:5000 --remote 127.0.0.1:6000 --srtp AES_CM_256", "--srtp"},
      {"--local 127.0.0.1:5000 --remote 127.0.0.1:6000 --srtp AEAD_AES_256_GCM --send-key "
       "abc --recv-key abc",
       "--send-key"},
      {"--local 127.0.0.1:5000 --remote 127.0.0.1:6000 --duration 900", "--duration"},
      {"--local 999.0.0.1:5000 --mode recv", "--local"},
  };
  for (const auto& c : cases) {
    const RunResult r = run(std::string(MEDIA_PEER_BIN) + " " + c.args + " 2>&1");
    EXPECT_EQ(r.exit_code, 2) << c.args;
    EXPECT_NE(r.out.find(c.names), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace rampart::tools
