// Session against a plain OpenSSL peer and against another Session, in memory: both roles,
// every SRTP profile, keys equal on both sides, fingerprint mismatch, retransmission and
// timeout, a fragmented ClientHello larger than the MTU, replayed and garbage input.
#include "dtls/session.h"

#include <optional>

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <boost/asio/io_context.hpp>

#include "dtls_test_util.h"

namespace rampart::cp::dtls {
namespace {

using testing::Datagram;
using testing::RawPeer;

struct Outcome_ {
  std::optional<Result<SrtpKeys>> result;
  int calls = 0;
};

class SessionTest : public ::testing::Test {
 protected:
  // A Session of ours, its outgoing datagrams kept in `sent`.
  struct Ours {
    std::unique_ptr<Session> session;
    std::vector<Datagram> sent;
    std::vector<Datagram> unread;  // sent but not yet delivered
    Outcome_ outcome;
  };

  std::unique_ptr<Ours> makeOurs(Role role, std::vector<Fingerprint> peer_fp,
                                 std::shared_ptr<const DtlsContext> ctx = nullptr) {
    auto o = std::make_unique<Ours>();
    Ours* raw = o.get();
    Session::Params p;
    p.role = role;
    p.remote_fingerprints = std::move(peer_fp);
    p.send = [raw](std::span<const uint8_t> d) {
      raw->sent.emplace_back(d.begin(), d.end());
      raw->unread.emplace_back(d.begin(), d.end());
    };
    p.done = [raw](Result<SrtpKeys> r) {
      raw->outcome.result.emplace(std::move(r));
      ++raw->outcome.calls;
    };
    Result<std::unique_ptr<Session>> s =
        Session::create(io_, ctx ? ctx : ctx_, opts_, std::move(p), &metrics_);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    o->session = std::move(s.value());
    return o;
  }

  static std::vector<Datagram> takeUnread(Ours& o) {
    std::vector<Datagram> out;
    out.swap(o.unread);
    return out;
  }

  // Carries datagrams both ways until neither side has anything to say.
  void exchange(Ours& ours, RawPeer& peer, std::vector<Datagram>* peer_sent = nullptr) {
    for (int round = 0; round < 50; ++round) {
      io_.poll();
      bool moved = false;
      for (Datagram& d : takeUnread(ours)) {
        peer.receive(d);
        moved = true;
      }
      for (Datagram& d : peer.take()) {
        if (peer_sent != nullptr) {
          peer_sent->push_back(d);
        }
        ours.session->receive(d);
        moved = true;
      }
      if (!moved) {
        return;
      }
    }
  }

  void exchange(Ours& a, Ours& b) {
    for (int round = 0; round < 50; ++round) {
      io_.poll();
      std::vector<Datagram> ab = takeUnread(a), ba = takeUnread(b);
      if (ab.empty() && ba.empty()) {
        return;
      }
      for (Datagram& d : ab) {
        b.session->receive(d);
      }
      for (Datagram& d : ba) {
        a.session->receive(d);
      }
    }
  }

  void expectWithinMtu(const std::vector<Datagram>& sent) {
    for (const Datagram& d : sent) {
      EXPECT_LE(d.size(), opts_.mtu);
    }
  }

  boost::asio::io_context io_;
  prometheus::Registry registry_;
  DtlsMetrics metrics_{registry_};
  std::shared_ptr<const Identity> identity_ = testing::newIdentity();
  std::shared_ptr<const DtlsContext> ctx_ = testing::newContext(identity_);
  DtlsOptions opts_;
};

TEST_F(SessionTest, SessionToSessionBothRolesAgreeOnKeys) {
  auto server_ctx = ctx_;
  auto client_id = testing::newIdentity();
  auto client_ctx = testing::newContext(client_id);
  auto server = makeOurs(Role::Server, testing::fingerprintsOf(*client_id), server_ctx);
  auto client = makeOurs(Role::Client, testing::fingerprintsOf(*identity_), client_ctx);
  server->session->start();
  client->session->start();
  exchange(*client, *server);

  ASSERT_EQ(server->outcome.calls, 1);
  ASSERT_EQ(client->outcome.calls, 1);
  ASSERT_TRUE(server->outcome.result->ok()) << server->outcome.result->error().message;
  ASSERT_TRUE(client->outcome.result->ok()) << client->outcome.result->error().message;
  const SrtpKeys& s = server->outcome.result->value();
  const SrtpKeys& c = client->outcome.result->value();
  // Our preference wins: AES-256-GCM, 32-byte key + 12-byte salt.
  EXPECT_EQ(s.profile.suite, abi::SrtpSuite::AeadAes256Gcm);
  EXPECT_EQ(c.profile.suite, abi::SrtpSuite::AeadAes256Gcm);
  EXPECT_EQ(s.local.key_len, 44);
  EXPECT_EQ(testing::keyBytes(s.local), testing::keyBytes(c.remote));
  EXPECT_EQ(testing::keyBytes(s.remote), testing::keyBytes(c.local));
  EXPECT_NE(testing::keyBytes(s.local), testing::keyBytes(s.remote));
  EXPECT_EQ(server->session->state(), Session::State::Done);
  EXPECT_EQ(client->session->state(), Session::State::Done);
  EXPECT_EQ(server->session->protocolDescription().rfind("DTLSv1.2 ECDHE-ECDSA-", 0), 0u)
      << server->session->protocolDescription();
  expectWithinMtu(server->sent);
  expectWithinMtu(client->sent);
  EXPECT_EQ(metrics_.handshakes(Outcome::Ok, abi::SrtpSuite::AeadAes256Gcm), 2);
}

struct ProfileCase {
  const char* offer;
  abi::SrtpSuite suite;
  uint8_t key_len;
};

// gtest would otherwise print the struct's padding bytes.
void PrintTo(const ProfileCase& c, std::ostream* os) { *os << c.offer; }

class SessionProfileTest : public SessionTest,
                           public ::testing::WithParamInterface<std::tuple<ProfileCase, Role>> {};

// Each profile offered alone by the browser stand-in, with Rampart in either role: the
// negotiated suite, and key||salt per direction laid out as RFC 5764 4.2 exports them.
TEST_P(SessionProfileTest, NegotiatesProfileAndExportsMatchingKeys) {
  auto [pc, our_role] = GetParam();
  RawPeer::Options po;
  po.role = our_role == Role::Server ? Role::Client : Role::Server;
  po.profiles = pc.offer;
  RawPeer peer(po);
  auto ours = makeOurs(our_role, peer.fingerprints());
  ours->session->start();
  if (po.role == Role::Client) {
    peer.begin();
  }
  exchange(*ours, peer);

  ASSERT_EQ(ours->outcome.calls, 1);
  ASSERT_TRUE(ours->outcome.result->ok()) << ours->outcome.result->error().message;
  ASSERT_TRUE(peer.done());
  const SrtpKeys& k = ours->outcome.result->value();
  EXPECT_EQ(k.profile.suite, pc.suite);
  EXPECT_EQ(k.local.suite, pc.suite);
  EXPECT_EQ(k.remote.suite, pc.suite);
  EXPECT_EQ(k.local.key_len, pc.key_len);
  RawPeer::Material m = peer.material();
  bool server = our_role == Role::Server;
  EXPECT_EQ(testing::keyBytes(k.local), server ? m.server : m.client);
  EXPECT_EQ(testing::keyBytes(k.remote), server ? m.client : m.server);
  expectWithinMtu(ours->sent);
  EXPECT_EQ(metrics_.handshakes(Outcome::Ok, pc.suite), 1);
}

INSTANTIATE_TEST_SUITE_P(
    Profiles, SessionProfileTest,
    ::testing::Combine(
        ::testing::Values(
            ProfileCase{"SRTP_AEAD_AES_256_GCM", abi::SrtpSuite::AeadAes256Gcm, 44},
            ProfileCase{"SRTP_AEAD_AES_128_GCM", abi::SrtpSuite::AeadAes128Gcm, 28},
            ProfileCase{"SRTP_AES128_CM_SHA1_80", abi::SrtpSuite::AesCm128HmacSha1_80, 30},
            // A browser preferring CM first still gets our preferred GCM when we are server...
            ProfileCase{"SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM",
                        abi::SrtpSuite::AeadAes128Gcm, 28}),
        ::testing::Values(Role::Server)));

INSTANTIATE_TEST_SUITE_P(
    ClientProfiles, SessionProfileTest,
    ::testing::Combine(
        ::testing::Values(ProfileCase{"SRTP_AEAD_AES_256_GCM", abi::SrtpSuite::AeadAes256Gcm, 44},
                          ProfileCase{"SRTP_AEAD_AES_128_GCM", abi::SrtpSuite::AeadAes128Gcm, 28},
                          ProfileCase{"SRTP_AES128_CM_SHA1_80", abi::SrtpSuite::AesCm128HmacSha1_80,
                                      30}),
        ::testing::Values(Role::Client)));

TEST_F(SessionTest, NoCommonProfileFails) {
  RawPeer::Options po;
  po.profiles = "SRTP_AES128_CM_SHA1_32";
  RawPeer peer(po);
  auto ours = makeOurs(Role::Server, peer.fingerprints());
  ours->session->start();
  peer.begin();
  exchange(*ours, peer);
  ASSERT_EQ(ours->outcome.calls, 1);
  ASSERT_FALSE(ours->outcome.result->ok());
  EXPECT_EQ(ours->outcome.result->error().code, ErrorCode::HandshakeFailed);
  EXPECT_EQ(metrics_.handshakes(Outcome::Failed, abi::SrtpSuite::None), 1);
}

TEST_F(SessionTest, FingerprintMismatchAsServerFailsWithAlert) {
  RawPeer peer(RawPeer::Options{});
  auto ours = makeOurs(Role::Server, testing::wrongFingerprint());
  ours->session->start();
  peer.begin();
  exchange(*ours, peer);
  ASSERT_EQ(ours->outcome.calls, 1);
  ASSERT_FALSE(ours->outcome.result->ok());
  EXPECT_EQ(ours->outcome.result->error().code, ErrorCode::PermissionDenied);
  EXPECT_NE(ours->outcome.result->error().message.find("a=fingerprint"), std::string::npos);
  EXPECT_NE(ours->outcome.result->error().message.find(peer.identity().fingerprint()),
            std::string::npos)
      << ours->outcome.result->error().message;
  EXPECT_EQ(ours->session->state(), Session::State::Failed);
  EXPECT_TRUE(peer.failed());  // it got our alert
  EXPECT_FALSE(peer.done());
  EXPECT_EQ(metrics_.handshakes(Outcome::FingerprintMismatch, abi::SrtpSuite::None), 1);
}

TEST_F(SessionTest, FingerprintMismatchAsClientFails) {
  RawPeer::Options po;
  po.role = Role::Server;
  RawPeer peer(po);
  auto ours = makeOurs(Role::Client, testing::wrongFingerprint());
  ours->session->start();
  exchange(*ours, peer);
  ASSERT_EQ(ours->outcome.calls, 1);
  ASSERT_FALSE(ours->outcome.result->ok());
  EXPECT_EQ(ours->outcome.result->error().code, ErrorCode::PermissionDenied);
  EXPECT_FALSE(peer.done());
}

TEST_F(SessionTest, ClientRetransmitsThenTimesOut) {
  opts_.retransmit_initial = std::chrono::milliseconds(40);
  opts_.handshake_timeout = std::chrono::milliseconds(500);
  auto ours = makeOurs(Role::Client, testing::wrongFingerprint());
  ours->session->start();
  ASSERT_EQ(ours->sent.size(), 1u);  // the ClientHello
  io_.run_for(std::chrono::milliseconds(1500));
  ASSERT_EQ(ours->outcome.calls, 1);
  ASSERT_FALSE(ours->outcome.result->ok());
  EXPECT_EQ(ours->outcome.result->error().code, ErrorCode::Timeout);
  // 40, 80, 160 ms after the first: three retransmissions of the same ClientHello.
  EXPECT_GE(ours->session->retransmissions(), 3u);
  EXPECT_GE(ours->sent.size(), 4u);
  // The same ClientHello again (only the record sequence number differs).
  ASSERT_EQ(ours->sent[1].size(), ours->sent[0].size());
  EXPECT_TRUE(
      std::equal(ours->sent[1].begin() + 13, ours->sent[1].end(), ours->sent[0].begin() + 13));
  EXPECT_GE(metrics_.retransmissions(), 3);
  EXPECT_EQ(metrics_.handshakes(Outcome::Timeout, abi::SrtpSuite::None), 1);
  size_t sent = ours->sent.size();
  io_.run_for(std::chrono::milliseconds(300));
  EXPECT_EQ(ours->sent.size(), sent);  // nothing after failing
}

TEST_F(SessionTest, ServerWithoutClientHelloTimesOut) {
  opts_.handshake_timeout = std::chrono::milliseconds(100);
  auto ours = makeOurs(Role::Server, testing::wrongFingerprint());
  ours->session->start();
  io_.run_for(std::chrono::milliseconds(400));
  ASSERT_EQ(ours->outcome.calls, 1);
  EXPECT_EQ(ours->outcome.result->error().code, ErrorCode::Timeout);
  EXPECT_NE(ours->outcome.result->error().message.find("no ClientHello"), std::string::npos);
  EXPECT_TRUE(ours->sent.empty());
}

// Our flight lost once: the retransmission timer resends it and the handshake completes.
TEST_F(SessionTest, LostFlightIsRetransmitted) {
  opts_.retransmit_initial = std::chrono::milliseconds(30);
  RawPeer peer(RawPeer::Options{});
  auto ours = makeOurs(Role::Server, peer.fingerprints());
  ours->session->start();
  peer.begin();
  for (Datagram& d : peer.take()) {
    ours->session->receive(d);
  }
  size_t first_flight = takeUnread(*ours).size();  // dropped on the floor
  ASSERT_GT(first_flight, 0u);
  io_.run_for(std::chrono::milliseconds(80));
  EXPECT_GE(ours->session->retransmissions(), 1u);
  exchange(*ours, peer);
  ASSERT_EQ(ours->outcome.calls, 1);
  EXPECT_TRUE(ours->outcome.result->ok());
  EXPECT_TRUE(peer.done());
}

// A ClientHello of about 1,700 bytes (as post-quantum key shares make them) arrives in
// fragments of at most 1200 bytes, and even out of order; the handshake completes.
TEST_F(SessionTest, FragmentedLargeClientHello) {
  for (bool reverse : {false, true}) {
    RawPeer::Options po;
    po.alpn_bytes = 1600;
    RawPeer peer(po);
    auto ours = makeOurs(Role::Server, peer.fingerprints());
    ours->session->start();
    peer.begin();
    std::vector<Datagram> hello = peer.take();
    size_t total = 0;
    for (const Datagram& d : hello) {
      EXPECT_LE(d.size(), 1200u);
      total += d.size();
    }
    ASSERT_GE(hello.size(), 2u);
    EXPECT_GT(total, 1200u);
    if (reverse) {
      std::reverse(hello.begin(), hello.end());
    }
    for (Datagram& d : hello) {
      ours->session->receive(d);
    }
    exchange(*ours, peer);
    ASSERT_EQ(ours->outcome.calls, 1) << "reverse=" << reverse;
    EXPECT_TRUE(ours->outcome.result->ok()) << ours->outcome.result->error().message;
    EXPECT_TRUE(peer.done());
  }
}

// Our last flight lost: the peer retransmits its final flight (new record numbers) and
// OpenSSL answers it with ours again, after `done` already ran; the peer then completes.
TEST_F(SessionTest, PeerRetransmittedFinalFlightIsAnswered) {
  RawPeer peer(RawPeer::Options{});
  auto ours = makeOurs(Role::Server, peer.fingerprints());
  ours->session->start();
  peer.begin();
  for (int i = 0; i < 10 && ours->outcome.calls == 0; ++i) {
    for (Datagram& d : peer.take()) {
      ours->session->receive(d);
    }
    std::vector<Datagram> flight = takeUnread(*ours);
    if (ours->outcome.calls == 0) {
      for (Datagram& d : flight) {
        peer.receive(d);
      }
    }  // else: our CCS+Finished is lost
  }
  ASSERT_EQ(ours->outcome.calls, 1);
  ASSERT_TRUE(ours->outcome.result->ok());
  ASSERT_FALSE(peer.done());
  peer.retransmit();
  std::vector<Datagram> again = peer.take();
  ASSERT_FALSE(again.empty());
  for (Datagram& d : again) {
    ours->session->receive(d);
  }
  std::vector<Datagram> answer = takeUnread(*ours);
  EXPECT_FALSE(answer.empty());
  for (Datagram& d : answer) {
    peer.receive(d);
  }
  EXPECT_TRUE(peer.done());
  EXPECT_EQ(ours->session->state(), Session::State::Done);
  EXPECT_EQ(ours->outcome.calls, 1);
}

// After success, the peer's datagrams replayed byte for byte (old record numbers: the replay
// window and epoch checks discard them) neither end the session nor complete it again.
TEST_F(SessionTest, ReplayedDatagramsAfterSuccessKeepSession) {
  RawPeer peer(RawPeer::Options{});
  auto ours = makeOurs(Role::Server, peer.fingerprints());
  ours->session->start();
  peer.begin();
  std::vector<Datagram> from_peer;
  exchange(*ours, peer, &from_peer);
  ASSERT_EQ(ours->outcome.calls, 1);
  ASSERT_TRUE(ours->outcome.result->ok());
  std::vector<uint8_t> local = testing::keyBytes(ours->outcome.result->value().local);
  for (int i = 0; i < 3; ++i) {
    for (const Datagram& d : from_peer) {
      ours->session->receive(d);
    }
  }
  io_.poll();
  EXPECT_EQ(ours->session->state(), Session::State::Done);
  EXPECT_EQ(ours->outcome.calls, 1);
  EXPECT_EQ(local, testing::keyBytes(ours->outcome.result->value().local));
}

TEST_F(SessionTest, GarbageDuringAndAfterHandshakeIsIgnored) {
  RawPeer peer(RawPeer::Options{});
  auto ours = makeOurs(Role::Server, peer.fingerprints());
  ours->session->start();
  // Well-formed record headers with random bodies: epoch 1 application data and an
  // encrypted-looking handshake record (OpenSSL discards both silently).
  Datagram junk_app = {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
  Datagram junk_hs = {22, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 3, 0, 4, 9, 9, 9, 9};
  ours->session->receive(junk_app);
  peer.begin();
  ours->session->receive(junk_hs);
  exchange(*ours, peer);
  ASSERT_EQ(ours->outcome.calls, 1);
  ASSERT_TRUE(ours->outcome.result->ok());
  // After success: short protected records (which OpenSSL 3.0 would treat as fatal), and
  // long ones that fail authentication.
  Datagram forged = junk_app;
  forged[12] = 40;
  forged.resize(13 + 40, 0x33);
  for (int i = 0; i < 20; ++i) {
    ours->session->receive(junk_app);
    ours->session->receive(junk_hs);
    ours->session->receive(forged);
  }
  EXPECT_EQ(ours->session->state(), Session::State::Done);
  EXPECT_EQ(ours->outcome.calls, 1);
  EXPECT_EQ(metrics_.drops(DropReason::ShortCiphertext), 2 + 40);
}

TEST_F(SessionTest, CloseNotifyAfterSuccessClosesQuietly) {
  RawPeer peer(RawPeer::Options{});
  auto ours = makeOurs(Role::Server, peer.fingerprints());
  ours->session->start();
  peer.begin();
  exchange(*ours, peer);
  ASSERT_TRUE(ours->outcome.result->ok());
  peer.closeNotify();
  for (Datagram& d : peer.take()) {
    ours->session->receive(d);
  }
  EXPECT_EQ(ours->session->state(), Session::State::Closed);
  EXPECT_EQ(ours->outcome.calls, 1);
}

// `done` may destroy the session it is called from.
TEST_F(SessionTest, DoneMayDestroyTheSession) {
  opts_.handshake_timeout = std::chrono::milliseconds(20);
  std::unique_ptr<Session> s;
  bool called = false;
  Session::Params p;
  p.role = Role::Server;
  p.remote_fingerprints = testing::wrongFingerprint();
  p.done = [&](Result<SrtpKeys>) {
    called = true;
    s.reset();
  };
  s = std::move(Session::create(io_, ctx_, opts_, std::move(p), &metrics_).value());
  s->start();
  io_.run_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(called);
  EXPECT_EQ(s, nullptr);
}

TEST_F(SessionTest, CreateRefusesMissingFingerprintsAndTinyMtu) {
  Session::Params p;
  EXPECT_EQ(Session::create(io_, ctx_, opts_, p).error().code, ErrorCode::InvalidArgument);
  p.remote_fingerprints = testing::wrongFingerprint();
  opts_.mtu = 100;
  EXPECT_EQ(Session::create(io_, ctx_, opts_, p).error().code, ErrorCode::InvalidArgument);
}

TEST(SrtpExport, RoleFromLocalSetup) {
  EXPECT_EQ(roleFromLocalSetup("active"), Role::Client);
  EXPECT_EQ(roleFromLocalSetup("passive"), Role::Server);
  EXPECT_EQ(roleFromLocalSetup("actpass"), std::nullopt);
  EXPECT_EQ(profileById(SRTP_AES128_CM_SHA1_80)->salt_bytes, 14);
  EXPECT_EQ(profileById(SRTP_AEAD_AES_256_GCM)->key_bytes, 32);
  EXPECT_EQ(profileById(SRTP_AES128_CM_SHA1_32), std::nullopt);
}

}  // namespace
}  // namespace rampart::cp::dtls
