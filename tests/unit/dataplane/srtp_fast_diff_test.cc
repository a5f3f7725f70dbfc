// The SRTP fast path against libsrtp2, its reference: the same keys, the same long random
// streams (16-bit sequence and ROC rollovers, CSRCs and header extensions, SRTCP, a second
// SSRC), the same network damage (loss, reordering, duplicates, forged and truncated packets,
// replays of old packets), and every packet must give identical bytes and identical accept/
// drop decisions. The fast path is fed in random bursts (its multi-buffer code), libsrtp2 one
// packet at a time. RAMPART_SRTP_DIFF_PACKETS sets the packets per suite (the CI run uses the
// default; the long run is documented in docs/PERFORMANCE.md).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "srtp/srtp_ctx.h"
#include "srtp/srtp_fast.h"

namespace rampart::dp {
namespace {

using Bytes = std::vector<uint8_t>;

abi::SrtpParams params(abi::SrtpSuite s, std::mt19937_64& rng) {
  abi::SrtpParams p{};
  p.suite = s;
  p.key_len = static_cast<uint8_t>(srtpKeyLen(s));
  for (uint32_t i = 0; i < p.key_len; ++i) {
    p.key[i] = static_cast<uint8_t>(rng());
  }
  return p;
}

void initPair(const abi::SrtpParams& p, SrtpCtx::Dir dir, SrtpCtx* lib, SrtpCtx* fast) {
  srtpSetFastPath(false);
  ASSERT_EQ(lib->init(p, dir), abi::kOk);
  srtpSetFastPath(true);
  ASSERT_EQ(fast->init(p, dir), abi::kOk);
  ASSERT_EQ(lib->engine(), abi::kSrtpEngineLibsrtp);
  ASSERT_EQ(fast->engine(), abi::kSrtpEngineFast);
}

uint64_t packetsPerSuite() {
  const char* v = std::getenv("RAMPART_SRTP_DIFF_PACKETS");
  return v != nullptr ? std::strtoull(v, nullptr, 10) : 200000;
}

struct Sender {
  uint32_t ssrc;
  uint16_t seq;
  uint32_t ts;
};

Bytes makeRtp(std::mt19937_64& rng, Sender& s) {
  uint32_t cc = rng() % 8 == 0 ? rng() % 3 : 0;
  bool ext = rng() % 8 == 0;
  Bytes p;
  p.push_back(static_cast<uint8_t>(0x80 | (ext ? 0x10 : 0) | cc));
  p.push_back(static_cast<uint8_t>(rng() % 128));
  p.push_back(static_cast<uint8_t>(s.seq >> 8));
  p.push_back(static_cast<uint8_t>(s.seq));
  for (int i = 3; i >= 0; --i) {
    p.push_back(static_cast<uint8_t>(s.ts >> (8 * i)));
  }
  for (int i = 3; i >= 0; --i) {
    p.push_back(static_cast<uint8_t>(s.ssrc >> (8 * i)));
  }
  for (uint32_t i = 0; i < 4 * cc; ++i) {
    p.push_back(static_cast<uint8_t>(rng()));
  }
  if (ext) {
    uint32_t words = rng() % 4;
    p.insert(p.end(), {0xBE, 0xDE, 0, static_cast<uint8_t>(words)});
    for (uint32_t i = 0; i < 4 * words; ++i) {
      p.push_back(static_cast<uint8_t>(rng()));
    }
  }
  uint32_t payload = rng() % 4 == 0 ? rng() % 1200 : 160;
  for (uint32_t i = 0; i < payload; ++i) {
    p.push_back(static_cast<uint8_t>(rng()));
  }
  return p;
}

Bytes makeRtcp(std::mt19937_64& rng, uint32_t ssrc) {
  uint32_t words = 6 + static_cast<uint32_t>(rng() % 12);
  Bytes p{0x80, 200, static_cast<uint8_t>(words >> 8), static_cast<uint8_t>(words)};
  for (int i = 3; i >= 0; --i) {
    p.push_back(static_cast<uint8_t>(ssrc >> (8 * i)));
  }
  for (uint32_t i = 0; i < 4 * words - 4; ++i) {
    p.push_back(static_cast<uint8_t>(rng()));
  }
  return p;
}

struct Wire {
  Bytes bytes;
  bool rtcp;
};

struct Tally {
  uint64_t accepted = 0;
  uint64_t auth = 0;
  uint64_t replay = 0;
  uint64_t other = 0;
  uint64_t protect_refused = 0;
};

class Diff {
 public:
  Diff(abi::SrtpSuite suite, uint64_t seed) : rng_(seed) {
    abi::SrtpParams p = params(suite, rng_);
    initPair(p, SrtpCtx::Dir::Outbound, &lib_out_, &fast_out_);
    initPair(p, SrtpCtx::Dir::Inbound, &lib_in_, &fast_in_);
    senders_[0] = Sender{static_cast<uint32_t>(rng_()), static_cast<uint16_t>(65000 + rng_() % 500),
                         static_cast<uint32_t>(rng_())};
    senders_[1] = Sender{static_cast<uint32_t>(rng_()), static_cast<uint16_t>(rng_()),
                         static_cast<uint32_t>(rng_())};
  }

  // Sends `n` packets through both senders, the damaged network and both receivers.
  void run(uint64_t n) {
    for (uint64_t i = 0; i < n && !::testing::Test::HasFatalFailure(); ++i) {
      step();
    }
    flushHeld();
    deliverBurst();
  }

  const Tally& tally() const { return t_; }
  const SrtpCtx& fastIn() const { return fast_in_; }

 private:
  void step() {
    Sender& s = senders_[rng_() % 50 == 0 ? 1 : 0];
    bool rtcp = rng_() % 40 == 0;
    Bytes plain = rtcp ? makeRtcp(rng_, s.ssrc) : makeRtp(rng_, s);
    if (!rtcp) {
      // Mostly +1, sometimes a forward jump, now and then a re-sent sequence number (the
      // sender's own replay check must refuse it identically).
      uint32_t r = rng_() % 200;
      s.seq = static_cast<uint16_t>(s.seq + (r == 0 ? 0 : r < 3 ? 1 + rng_() % 3000 : 1));
      s.ts += 160;
    }
    std::optional<Bytes> wire = protectBoth(plain, rtcp);
    if (!wire) {
      return;
    }
    history_.push_back(Wire{*wire, rtcp});
    if (history_.size() > 3000) {
      history_.pop_front();
    }
    network(Wire{*wire, rtcp});
  }

  std::optional<Bytes> protectBoth(const Bytes& plain, bool rtcp) {
    Bytes a(plain.size() + kSrtpMaxTrailer);
    std::copy(plain.begin(), plain.end(), a.begin());
    Bytes b = a;
    auto la = static_cast<uint32_t>(plain.size());
    uint32_t lb = la;
    auto cap = static_cast<uint32_t>(a.size());
    DropReason ra =
        rtcp ? lib_out_.protectRtcp(a.data(), &la, cap) : lib_out_.protectRtp(a.data(), &la, cap);
    DropReason rb =
        rtcp ? fast_out_.protectRtcp(b.data(), &lb, cap) : fast_out_.protectRtp(b.data(), &lb, cap);
    EXPECT_EQ(static_cast<int>(ra), static_cast<int>(rb)) << "protect decision differs";
    if (ra != kNoDrop || rb != kNoDrop) {
      t_.protect_refused++;
      return std::nullopt;
    }
    EXPECT_EQ(la, lb);
    a.resize(la);
    b.resize(lb);
    EXPECT_EQ(a, b) << "protected bytes differ";
    return a;
  }

  void network(Wire w) {
    uint32_t r = rng_() % 1000;
    if (r < 20) {
      return;  // lost
    }
    if (r < 30) {
      Wire forged = w;
      forged.bytes[rng_() % forged.bytes.size()] ^= static_cast<uint8_t>(1 + rng_() % 255);
      deliver(forged);
    } else if (r < 40) {
      Wire cut = w;
      cut.bytes.resize(rng_() % cut.bytes.size());
      deliver(cut);
    } else if (r < 45 && !history_.empty()) {
      deliver(history_[rng_() % history_.size()]);  // replay of an old packet
    }
    if (r >= 960) {
      held_.push_back(w);  // reordered: overtaken by later packets
      return;
    }
    deliver(w);
    if (r >= 930 && r < 960) {
      deliver(w);  // duplicated
    }
    if (!held_.empty() && rng_() % 8 == 0) {
      deliver(held_.front());
      held_.pop_front();
    }
  }

  void flushHeld() {
    while (!held_.empty()) {
      deliver(held_.front());
      held_.pop_front();
    }
  }

  void deliver(const Wire& w) {
    burst_.push_back(w);
    if (burst_.size() >= 1 + rng_() % 32) {
      deliverBurst();
    }
  }

  // libsrtp2 packet by packet; the fast path as one burst.
  void deliverBurst() {
    std::vector<Wire> burst;
    burst.swap(burst_);  // taken even when an assertion below ends this call early
    std::vector<Bytes> fast_bufs;
    std::vector<SrtpOp> ops;
    fast_bufs.reserve(burst.size());
    for (const Wire& w : burst) {
      fast_bufs.push_back(w.bytes);
    }
    for (std::size_t i = 0; i < burst.size(); ++i) {
      ops.push_back(SrtpOp{&fast_in_, fast_bufs[i].data(),
                           static_cast<uint32_t>(fast_bufs[i].size()),
                           static_cast<uint32_t>(fast_bufs[i].size()), burst[i].rtcp, kNoDrop});
    }
    srtpUnprotectBurst(ops.data(), static_cast<uint32_t>(ops.size()));
    for (std::size_t i = 0; i < burst.size(); ++i) {
      Bytes lib = burst[i].bytes;
      auto len = static_cast<uint32_t>(lib.size());
      DropReason r = burst[i].rtcp ? lib_in_.unprotectRtcp(lib.data(), &len)
                                   : lib_in_.unprotectRtp(lib.data(), &len);
      ASSERT_EQ(static_cast<int>(r), static_cast<int>(ops[i].result))
          << "unprotect decision differs, packet " << i << " of a burst of " << burst.size();
      count(r);
      if (r == kNoDrop) {
        ASSERT_EQ(len, ops[i].len);
        ASSERT_TRUE(std::equal(lib.begin(), lib.begin() + len, fast_bufs[i].begin()))
            << "unprotected bytes differ";
      }
    }
  }

  void count(DropReason r) {
    if (r == kNoDrop) {
      t_.accepted++;
    } else if (r == DropReason::SrtpAuth) {
      t_.auth++;
    } else if (r == DropReason::SrtpReplay) {
      t_.replay++;
    } else {
      t_.other++;
    }
  }

  std::mt19937_64 rng_;
  SrtpCtx lib_out_, fast_out_, lib_in_, fast_in_;
  Sender senders_[2];
  std::deque<Wire> history_;
  std::deque<Wire> held_;
  std::vector<Wire> burst_;
  Tally t_;
};

class FastVsLibsrtp : public ::testing::TestWithParam<abi::SrtpSuite> {
 protected:
  void SetUp() override { ASSERT_TRUE(srtpGlobalInit()); }
  void TearDown() override { srtpSetFastPath(true); }
};

TEST_P(FastVsLibsrtp, IdenticalBytesAndDecisionsOverDamagedStreams) {
  ASSERT_NE(fastSrtpMgr(), nullptr);
  uint64_t n = packetsPerSuite();
  Diff d(GetParam(), 0x5eed0000u + static_cast<uint64_t>(GetParam()));
  d.run(n);
  const Tally& t = d.tally();
  // Every kind of outcome happened, so each path was compared, and the stream rolled over.
  EXPECT_GT(t.accepted, n * 8 / 10);
  EXPECT_GT(t.auth, 0u);
  EXPECT_GT(t.replay, 0u);
  EXPECT_GT(t.other, 0u);
  EXPECT_GT(t.protect_refused, 0u);
  uint32_t ssrc = 0;
  uint32_t roc = 0;
  uint16_t seq = 0;
  ASSERT_TRUE(d.fastIn().streamState(&ssrc, &roc, &seq));
  EXPECT_GE(roc, 2u) << "the stream should have rolled over its 16-bit sequence";
  std::printf(
      "suite %d: %llu packets, accepted %llu, auth %llu, replay %llu, other %llu, "
      "protect refused %llu, roc %u\n",
      static_cast<int>(GetParam()), static_cast<unsigned long long>(n),
      static_cast<unsigned long long>(t.accepted), static_cast<unsigned long long>(t.auth),
      static_cast<unsigned long long>(t.replay), static_cast<unsigned long long>(t.other),
      static_cast<unsigned long long>(t.protect_refused), roc);
}

INSTANTIATE_TEST_SUITE_P(AllSuites, FastVsLibsrtp,
                         ::testing::Values(abi::SrtpSuite::AesCm128HmacSha1_80,
                                           abi::SrtpSuite::AesCm128HmacSha1_32,
                                           abi::SrtpSuite::AeadAes128Gcm,
                                           abi::SrtpSuite::AeadAes256Gcm));

// Two copies of one packet in the same burst: the second is a replay even though both were
// authenticated together.
TEST(FastSrtpBurst, DuplicateInsideOneBurstIsCaught) {
  ASSERT_TRUE(srtpGlobalInit());
  std::mt19937_64 rng(7);
  abi::SrtpParams p = params(abi::SrtpSuite::AesCm128HmacSha1_80, rng);
  SrtpCtx out;
  SrtpCtx in;
  ASSERT_EQ(out.init(p, SrtpCtx::Dir::Outbound), abi::kOk);
  ASSERT_EQ(in.init(p, SrtpCtx::Dir::Inbound), abi::kOk);
  Sender s{0x01020304, 10, 0};
  Bytes b = makeRtp(rng, s);
  uint32_t len = static_cast<uint32_t>(b.size());
  b.resize(b.size() + kSrtpMaxTrailer);
  ASSERT_EQ(out.protectRtp(b.data(), &len, static_cast<uint32_t>(b.size())), kNoDrop);
  b.resize(len);
  Bytes c1 = b;
  Bytes c2 = b;
  SrtpOp ops[2] = {{&in, c1.data(), len, len, false, kNoDrop},
                   {&in, c2.data(), len, len, false, kNoDrop}};
  srtpUnprotectBurst(ops, 2);
  EXPECT_EQ(ops[0].result, kNoDrop);
  EXPECT_EQ(ops[1].result, DropReason::SrtpReplay);
}

}  // namespace
}  // namespace rampart::dp
