// Security policy without the network: the raw-message peek, CIDR sets of both families, the
// token buckets, the bounded table, and the Limiter's order of checks, reply-then-drop policy,
// bans for sustained excess and for repeated credential failures.
#include <gtest/gtest.h>

#include <string>

#include "security/bounded_table.h"
#include "security/limiter.h"
#include "security/request_peek.h"

namespace rampart::cp::security {
namespace {

std::string invite(const std::string& from_user, const std::string& ua = "") {
  std::string m =
      "INVITE sip:100@198.18.3.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 198.18.1.9:5060;branch=z9hG4bK1\r\n"
      "f: \"A\" <sip:" +
      from_user +
      "@example.com;x=1>;tag=a\r\n"
      "To: <sip:100@198.18.3.1>\r\n"
      "Call-ID: c1\r\nCSeq: 1 INVITE\r\n";
  if (!ua.empty()) {
    m += "user-agent: " + ua + "\r\n";
  }
  return m + "Content-Length: 0\r\n\r\n";
}

AddressKey addr(const std::string& text) {
  return AddressKey::of(boost::asio::ip::make_address(text));
}

platform::Cidr cidr(const std::string& text) { return *platform::parseCidr(text); }

platform::Config baseConfig() {
  platform::Config c;
  c.realms.resize(2);
  c.realms[0].name = "wan";
  c.realms[1].name = "lan";
  c.security.requests_per_source = {1000, 1000};
  c.security.invite_per_source = {5, 10};
  c.security.register_per_source = {5, 10};
  c.security.per_aor = {1000, 1000};
  c.security.invite_global = {1000, 1000};
  c.security.replies_per_source = 3;
  c.security.ban = {50, 10, 60};
  return c;
}

constexpr int64_t kSecond = 1'000'000;

TEST(RequestPeek, FindsMethodUserAgentAndAor) {
  RequestPeek p = peekRequest(invite("alice", "friendly-scanner"));
  EXPECT_TRUE(p.request);
  EXPECT_EQ(p.method, Method::Invite);
  EXPECT_EQ(p.user_agent, "friendly-scanner");
  EXPECT_EQ(p.aor, "alice@example.com");
  RequestPeek reg = peekRequest(
      "REGISTER sip:198.18.3.1 SIP/2.0\r\nt: sip:bob@example.com\r\nFrom: <sip:x@y>\r\n\r\n");
  EXPECT_EQ(reg.method, Method::Register);
  EXPECT_EQ(reg.aor, "bob@example.com");
  EXPECT_FALSE(peekRequest("SIP/2.0 200 OK\r\n\r\n").request);
  // Garbage and bare-LF messages are still requests for the limits.
  EXPECT_TRUE(peekRequest("\x01\x02garbage").request);
  RequestPeek lf = peekRequest("REGISTER sip:a SIP/2.0\nTo: <sip:c@d>\n\n");
  EXPECT_EQ(lf.method, Method::Register);
  EXPECT_EQ(lf.aor, "c@d");
}

TEST(CidrSet, MatchesBothFamiliesAndPartialBytes) {
  CidrSet set({cidr("198.18.0.0/15"), cidr("2001:db8::/33"), cidr("203.0.113.7")});
  EXPECT_TRUE(set.contains(addr("198.19.255.1")));
  EXPECT_FALSE(set.contains(addr("198.20.0.1")));
  EXPECT_TRUE(set.contains(addr("203.0.113.7")));
  EXPECT_FALSE(set.contains(addr("203.0.113.8")));
  EXPECT_TRUE(set.contains(addr("2001:db8:7fff::1")));
  EXPECT_FALSE(set.contains(addr("2001:db8:8000::1")));
  EXPECT_EQ(addr("198.18.1.1").str(), "198.18.1.1");
}

TEST(TokenBucket, BurstThenRate) {
  TokenBucket b;
  platform::RateLimit r{10, 5};
  int taken = 0;
  for (int i = 0; i < 20; ++i) {
    taken += b.take(r, 0) ? 1 : 0;
  }
  EXPECT_EQ(taken, 5);
  EXPECT_FALSE(b.take(r, 50'000));  // half a token
  EXPECT_TRUE(b.take(r, 100'000));
  EXPECT_TRUE(TokenBucket{}.take({0, 0}, 0));  // no limit
}

TEST(BoundedTable, EvictsLeastRecentlyUsed) {
  BoundedTable<int, int> t(2);
  t.touch(1) = 10;
  t.touch(2) = 20;
  t.touch(1);       // 1 is now the most recent
  t.touch(3) = 30;  // evicts 2
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.find(2), nullptr);
  ASSERT_NE(t.find(1), nullptr);
  EXPECT_EQ(*t.find(1), 10);
  EXPECT_EQ(t.evictions(), 1u);
}

TEST(Limiter, AccessListsAndScannersDropSilently) {
  platform::Config c = baseConfig();
  c.security.deny = {cidr("203.0.113.0/24")};
  c.realms[1].security.allow = {cidr("198.18.3.0/24")};
  Limiter l(c);
  RequestPeek p = peekRequest(invite("alice"));
  EXPECT_EQ(l.check(addr("203.0.113.9"), 0, p, 0).reason, Reason::Denied);
  EXPECT_EQ(l.check(addr("198.18.1.9"), 0, p, 0).action, Action::Pass);
  Verdict lan = l.check(addr("198.18.1.9"), 1, p, 0);
  EXPECT_EQ(lan.action, Action::Drop);
  EXPECT_EQ(lan.reason, Reason::NotAllowed);
  EXPECT_EQ(l.check(addr("198.18.3.2"), 1, p, 0).action, Action::Pass);
  Verdict scan = l.check(addr("198.18.1.9"), 0, peekRequest(invite("a", "SIPVicious 0.3")), 0);
  EXPECT_EQ(scan.action, Action::Drop);
  EXPECT_EQ(scan.reason, Reason::Scanner);
}

// A config reload changes the access lists and rates of a running limiter.
TEST(Limiter, ReconfigureTakesReloadedListsAndRates) {
  platform::Config c = baseConfig();
  Limiter l(c);
  RequestPeek p = peekRequest(invite("alice"));
  EXPECT_EQ(l.check(addr("203.0.113.9"), 0, p, 0).action, Action::Pass);
  c.security.deny = {cidr("203.0.113.0/24")};
  c.realms[1].security.allow = {cidr("198.18.3.0/24")};
  l.reconfigure(c);
  EXPECT_EQ(l.check(addr("203.0.113.9"), 0, p, 0).reason, Reason::Denied);
  EXPECT_EQ(l.check(addr("198.18.1.9"), 1, p, 0).reason, Reason::NotAllowed);
  EXPECT_EQ(l.check(addr("198.18.3.2"), 1, p, 0).action, Action::Pass);
  c.security.deny.clear();
  l.reconfigure(c);
  EXPECT_EQ(l.check(addr("203.0.113.9"), 0, p, 1).action, Action::Pass);
}

TEST(Limiter, RepliesThenDropsThenBans) {
  platform::Config c = baseConfig();
  Limiter l(c);
  RequestPeek p = peekRequest(invite("alice"));
  AddressKey src = addr("198.18.1.9");
  int pass = 0;
  int reply = 0;
  int drop = 0;
  bool banned = false;
  for (int i = 0; i < 100 && !banned; ++i) {
    Verdict v = l.check(src, 0, p, i * 1000);  // 1000/s for 0.1 s against 5/s burst 10
    pass += v.action == Action::Pass;
    reply += v.action == Action::Reply;
    drop += v.action == Action::Drop;
    if (v.action != Action::Pass) {
      EXPECT_EQ(v.reason, Reason::InviteRate);
    }
    banned = v.ban;
  }
  EXPECT_EQ(pass, 10);  // the burst
  EXPECT_EQ(reply, 3);  // replies_per_source in this second
  EXPECT_TRUE(banned);  // the 50th refusal within 10 s
  EXPECT_EQ(pass + reply + drop, 60);
  // Another source is untouched.
  EXPECT_EQ(l.check(addr("198.18.1.10"), 0, p, 0).action, Action::Pass);
}

TEST(Limiter, RealmAndGlobalLimitsDoNotBanTheSource) {
  platform::Config c = baseConfig();
  c.security.invite_global = {1, 2};
  Limiter l(c);
  RequestPeek p = peekRequest(invite("alice"));
  for (int i = 0; i < 200; ++i) {
    AddressKey src = addr("198.18.1." + std::to_string(i % 200 + 1));
    Verdict v = l.check(src, 0, p, i * kSecond / 1000);
    EXPECT_FALSE(v.ban);
    if (i >= 2) {
      EXPECT_EQ(v.reason, Reason::GlobalRate) << i;
    }
  }
}

TEST(Limiter, AorLimitAcrossSources) {
  platform::Config c = baseConfig();
  c.security.per_aor = {1, 2};
  Limiter l(c);
  RequestPeek p = peekRequest(invite("alice"));
  EXPECT_EQ(l.check(addr("198.18.1.1"), 0, p, 0).action, Action::Pass);
  EXPECT_EQ(l.check(addr("198.18.1.2"), 0, p, 0).action, Action::Pass);
  EXPECT_EQ(l.check(addr("198.18.1.3"), 0, p, 0).reason, Reason::AorRate);
  EXPECT_EQ(l.check(addr("198.18.1.3"), 0, peekRequest(invite("bob")), 0).action, Action::Pass);
}

TEST(Limiter, CredentialFailuresWithinWindow) {
  platform::Config c = baseConfig();
  c.security.auth_failures = {3, 10};
  Limiter l(c);
  AddressKey src = addr("198.18.1.9");
  EXPECT_FALSE(l.authFailure(src, 0));
  EXPECT_FALSE(l.authFailure(src, 1 * kSecond));
  EXPECT_FALSE(l.authFailure(src, 12 * kSecond));  // the window restarted
  EXPECT_FALSE(l.authFailure(src, 13 * kSecond));
  EXPECT_TRUE(l.authFailure(src, 14 * kSecond));
}

TEST(Limiter, NewConnectionsPerSource) {
  platform::Config c = baseConfig();
  c.security.connections.new_per_source = {2, 3};
  c.security.deny = {cidr("203.0.113.0/24")};
  Limiter l(c);
  AddressKey src = addr("198.18.1.9");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(l.admitConnection(src, 0, 0), Reason::Count) << i;
  }
  EXPECT_EQ(l.admitConnection(src, 0, 0), Reason::ConnectionRate);
  EXPECT_EQ(l.admitConnection(src, 0, kSecond / 2), Reason::Count);  // one token back
  EXPECT_EQ(l.admitConnection(addr("203.0.113.1"), 0, 0), Reason::Denied);
  EXPECT_STREQ(reasonName(Reason::ConnectionRate), "connection_rate");
  EXPECT_STREQ(reasonName(Reason::GlobalRate), "global_rate");
}

TEST(Limiter, MemoryStaysBounded) {
  platform::Config c = baseConfig();
  c.security.max_tracked_sources = 1000;
  Limiter l(c);
  RequestPeek p = peekRequest(invite("alice"));
  for (int i = 0; i < 5000; ++i) {
    auto a = boost::asio::ip::address_v4(0xC6120000u + static_cast<uint32_t>(i));
    l.check(AddressKey::of(a), 0, p, i);
  }
  EXPECT_LE(l.tracked(), 2000u);  // sources + AORs, each capped
  EXPECT_GE(l.evictions(), 4000u);
}

}  // namespace
}  // namespace rampart::cp::security
