// Runs the real rampart-media-peer on 127.0.0.1 and checks its JSON report.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "media_peer/tool_util.h"

namespace rampart::tools {
namespace {

struct RunResult {
  int exit_code = -1;
  std::string out;
};

RunResult run(const std::string& cmd) {
  RunResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    return r;
  }
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
    r.out.append(buf, n);
  }
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// A base port with `span` consecutive free UDP ports on 127.0.0.1 (checked by binding them;
// the peer binds them again right after, a tiny window another process would have to hit).
uint16_t freePortBase(int span) {
  static std::mt19937 rng(std::random_device{}());
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto base = static_cast<uint16_t>(20000 + (rng() % 20000) * 2);
    std::vector<int> fds;
    bool ok = true;
    for (int i = 0; i < span && ok; ++i) {
      const int fd = socket(AF_INET, SOCK_DGRAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(base + i));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
      fds.push_back(fd);
    }
    for (int fd : fds) {
      close(fd);
    }
    if (ok) {
      return base;
    }
  }
  return 0;
}

// The number after "key": inside the object that starts at "object":{ ("" = top level).
std::optional<double> field(const std::string& json, const std::string& object,
                            const std::string& key) {
  std::size_t from = 0;
  if (!object.empty()) {
    from = json.find("\"" + object + "\":{");
    if (from == std::string::npos) {
      return std::nullopt;
    }
  }
  const std::size_t at = json.find("\"" + key + "\":", from);
  if (at == std::string::npos) {
    return std::nullopt;
  }
  return std::strtod(json.c_str() + at + key.size() + 3, nullptr);
}

std::string randomKey(std::size_t bytes) {
  std::vector<uint8_t> k(bytes);
  std::random_device rd;
  for (auto& b : k) {
    b = static_cast<uint8_t>(rd());
  }
  return base64Encode(k.data(), k.size());
}

std::string peer(const std::string& args) {
  return std::string(MEDIA_PEER_BIN) + " --quiet " + args + " 2>/dev/null";
}

std::string addr(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

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
    for (const char* key : {"packets", "expected", "lost", "loss_ratio", "duplicates", "reordered",
                            "late", "garbage", "stale", "wrong_stream", "auth_failed",
                            "jitter_ms_max", "tos_seen", "dscp_seen"}) {
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
                               " --duration 1 --srtp AEAD_AES_128_GCM --send-key " +
                               randomKey(28) + " --recv-key " + randomKey(28)));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(field(r.out, "received", "packets"), 0) << r.out;
  EXPECT_EQ(field(r.out, "received", "auth_failed"), 50) << r.out;
}

// RTCP on port + 1 in both directions (one peer looped to itself), SRTCP with the _32 suite.
TEST(MediaPeerLoopback, SeparateRtcpIsCounted) {
  const uint16_t p = freePortBase(4);
  ASSERT_NE(p, 0);
  const std::string k = randomKey(30);
  const RunResult r = run(peer("--local " + addr(p) + " --remote " + addr(p) +
                               " --streams 2 --duration 1.2 --rtcp separate --rtcp-interval-ms "
                               "200 --srtp AES_CM_128_HMAC_SHA1_32 --send-key " + k +
                               " --recv-key " + k));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const double sent = field(r.out, "rtcp", "sent").value_or(0);
  EXPECT_GE(sent, 10) << r.out;
  EXPECT_EQ(field(r.out, "rtcp", "received"), sent) << r.out;
  EXPECT_EQ(field(r.out, "rtcp", "sr"), sent) << r.out;
  EXPECT_EQ(field(r.out, "rtcp", "auth_failed"), 0) << r.out;
  EXPECT_EQ(field(r.out, "received", "lost"), 0) << r.out;
}

// A stream that expects another SSRC (as after a relay rewrite) flags every packet.
TEST(MediaPeerLoopback, UnexpectedSsrcIsReported) {
  const uint16_t p = freePortBase(2);
  ASSERT_NE(p, 0);
  const RunResult r = run(peer("--local " + addr(p) + " --remote " + addr(p) +
                               " --duration 0.5 --drain-ms 200 --expect-ssrc 0x1000"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(field(r.out, "received", "ssrc_mismatch"), 25) << r.out;
}

// IPv6, AES-256-GCM and a traffic class: the TCLASS is read back with IPV6_RECVTCLASS.
TEST(MediaPeerLoopback, Ipv6GcmWithTrafficClass) {
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
                               " --srtp AEAD_AES_256_GCM --send-key " + k + " --recv-key " + k));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(field(r.out, "received", "packets"), 60) << r.out;
  EXPECT_EQ(field(r.out, "received", "lost"), 0) << r.out;
  EXPECT_EQ(field(r.out, "tos_seen", "184"), 60) << r.out;
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
