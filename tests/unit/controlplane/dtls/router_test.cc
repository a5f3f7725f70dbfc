// DtlsRouter between punt and inject slots: sessions keyed by (worker, flow), replies to the
// source of the peer's records or to the path given at start, garbage and strangers counted
// and never answered, a good session untouched by them.
#include "dtls/dtls_router.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <boost/asio/io_context.hpp>

#include "dtls/dtls_service.h"
#include "dtls_test_util.h"

namespace rampart::cp::dtls {
namespace {

using testing::Datagram;
using testing::RawPeer;

constexpr uint64_t kFlow = (uint64_t{3} << 32) | 17;  // packHandle({17, 3})
constexpr uint32_t kWorker = 1;

abi::Endpoint endpoint(uint8_t last, uint16_t port) {
  abi::Endpoint e{};
  e.addr[0] = 198;
  e.addr[1] = 18;
  e.addr[2] = 1;
  e.addr[3] = last;
  e.port = port;
  return e;
}

struct Injected {
  uint32_t worker;
  abi::PacketSlot meta;
  Datagram payload;
};

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    Result<std::unique_ptr<DtlsService>> s = DtlsService::create(
        io_, opts_, registry_,
        [this](uint32_t worker, const abi::PacketSlot& meta, const uint8_t* payload) {
          injected_.push_back({worker, meta, Datagram(payload, payload + meta.len)});
          return inject_ok_;
        });
    EXPECT_TRUE(s.ok()) << s.error().message;
    service_ = std::move(s.value());
  }

  DtlsRouter& router() { return service_->router(); }
  DtlsMetrics& metrics() { return service_->metrics(); }

  abi::PacketSlot puntMeta(const Datagram& d, uint64_t flow = kFlow) {
    abi::PacketSlot m{};
    m.len = static_cast<uint16_t>(d.size());
    m.port = 0;
    m.family = 4;
    m.kind = abi::kPacketDtls;
    m.local = endpoint(1, 40000);
    m.remote = endpoint(2, 51000);
    m.flow = flow;
    return m;
  }
  void punt(const Datagram& d, uint64_t flow = kFlow, uint32_t worker = kWorker) {
    router().onPunt(worker, puntMeta(d, flow), d.data());
  }

  // Punts the peer's datagrams and feeds it what was injected, until both are quiet.
  void exchange(RawPeer& peer) {
    for (int round = 0; round < 50; ++round) {
      io_.poll();
      std::vector<Datagram> from_peer = peer.take();
      std::vector<Injected> to_peer;
      to_peer.swap(injected_);
      if (from_peer.empty() && to_peer.empty()) {
        return;
      }
      for (Injected& i : to_peer) {
        all_injected_.push_back(i);
        peer.receive(i.payload);
      }
      for (Datagram& d : from_peer) {
        punt(d);
      }
    }
  }

  boost::asio::io_context io_;
  prometheus::Registry registry_;
  DtlsOptions opts_;
  bool inject_ok_ = true;
  std::vector<Injected> injected_;
  std::vector<Injected> all_injected_;
  std::unique_ptr<DtlsService> service_;
};

TEST_F(RouterTest, ServerLegRepliesToTheRecordsSource) {
  RawPeer peer(RawPeer::Options{});
  std::optional<Result<SrtpKeys>> outcome;
  DtlsRouter::LegParams leg;
  leg.key = {kWorker, kFlow};
  leg.role = Role::Server;
  leg.remote_fingerprints = peer.fingerprints();
  ASSERT_TRUE(router().start(leg, [&](Result<SrtpKeys> r) { outcome.emplace(std::move(r)); }).ok());
  EXPECT_EQ(router().start(leg, nullptr).error().code, ErrorCode::AlreadyExists);
  peer.begin();
  exchange(peer);

  ASSERT_TRUE(outcome && outcome->ok());
  EXPECT_TRUE(peer.done());
  ASSERT_FALSE(all_injected_.empty());
  const abi::PacketSlot sent_by_peer = puntMeta({});
  for (const Injected& i : all_injected_) {
    EXPECT_EQ(i.worker, kWorker);
    EXPECT_EQ(i.meta.flow, kFlow);
    EXPECT_EQ(i.meta.kind, abi::kPacketDtls);
    EXPECT_EQ(i.meta.family, 4);
    EXPECT_EQ(std::memcmp(&i.meta.remote, &sent_by_peer.remote, sizeof(abi::Endpoint)), 0);
    EXPECT_EQ(std::memcmp(&i.meta.local, &sent_by_peer.local, sizeof(abi::Endpoint)), 0);
    EXPECT_LE(i.meta.len, 1200);
  }
  EXPECT_EQ(router().find({kWorker, kFlow})->state(), Session::State::Done);
  router().remove({kWorker, kFlow});
  EXPECT_EQ(router().size(), 0u);
}

TEST_F(RouterTest, ClientLegSendsToTheGivenPath) {
  RawPeer::Options po;
  po.role = Role::Server;
  RawPeer peer(po);
  DtlsRouter::LegParams leg;
  leg.key = {kWorker, kFlow};
  leg.role = Role::Client;
  leg.remote_fingerprints = peer.fingerprints();
  ReplyPath path;
  path.port = 2;
  path.family = 4;
  path.local = endpoint(1, 40002);
  path.remote = endpoint(9, 61000);
  leg.reply = path;
  bool ok = false;
  ASSERT_TRUE(router().start(leg, [&](Result<SrtpKeys> r) { ok = r.ok(); }).ok());
  ASSERT_EQ(injected_.size(), 1u);  // the ClientHello, at once
  EXPECT_EQ(injected_[0].meta.port, 2);
  EXPECT_EQ(injected_[0].meta.remote.port, 61000);
  exchange(peer);
  EXPECT_TRUE(ok);
}

TEST_F(RouterTest, StrangersAndGarbageAreCountedNotAnswered) {
  RawPeer peer(RawPeer::Options{});
  peer.begin();
  std::vector<Datagram> hello = peer.take();
  // A ClientHello for a flow with no session.
  for (const Datagram& d : hello) {
    punt(d, kFlow + 1);
    punt(d, kFlow, kWorker + 1);  // same handle, other worker
  }
  EXPECT_EQ(metrics().drops(DropReason::UnknownFlow), 2.0 * hello.size());
  Datagram junk = {0x16, 0x03, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5};  // TLS
  punt(junk);
  Datagram rtp(172, 0);
  rtp[0] = 0x80;
  punt(rtp);
  abi::PacketSlot stun = puntMeta(junk);
  stun.kind = abi::kPacketStun;
  router().onPunt(kWorker, stun, junk.data());
  EXPECT_EQ(metrics().drops(RecordVerdict::BadVersion), 1);
  EXPECT_EQ(metrics().drops(RecordVerdict::BadContentType), 1);
  EXPECT_EQ(metrics().drops(DropReason::NotDtls), 1);
  EXPECT_TRUE(injected_.empty());
  EXPECT_NE(registry_.Collect().size(), 0u);
}

TEST_F(RouterTest, GarbageAndReplaysLeaveAGoodSessionAlone) {
  RawPeer peer(RawPeer::Options{});
  int calls = 0;
  DtlsRouter::LegParams leg;
  leg.key = {kWorker, kFlow};
  leg.remote_fingerprints = peer.fingerprints();
  ASSERT_TRUE(router().start(leg, [&](Result<SrtpKeys> r) { calls += r.ok() ? 1 : 100; }).ok());
  peer.begin();
  std::vector<Datagram> hello = peer.take();
  // Garbage in front of the real flight: malformed handshake headers, bad lengths.
  Datagram bad_hs = hello[0];
  bad_hs[13 + 9] ^= 0x40;  // fragment length no longer matches the record
  punt(bad_hs);
  Datagram cut(hello[0].begin(), hello[0].end() - 3);
  punt(cut);
  for (const Datagram& d : hello) {
    punt(d);
  }
  std::vector<Datagram> replay = hello;
  exchange(peer);
  ASSERT_EQ(calls, 1);
  EXPECT_EQ(metrics().drops(RecordVerdict::BadHandshake), 1);
  EXPECT_EQ(metrics().drops(RecordVerdict::BadLength), 1);
  // Replays of the old ClientHello after success.
  for (int i = 0; i < 5; ++i) {
    for (const Datagram& d : replay) {
      punt(d);
    }
  }
  io_.poll();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(router().find({kWorker, kFlow})->state(), Session::State::Done);
}

TEST_F(RouterTest, DoneMayRemoveTheLeg) {
  RawPeer peer(RawPeer::Options{});
  DtlsRouter::LegParams leg;
  leg.key = {kWorker, kFlow};
  leg.remote_fingerprints = testing::wrongFingerprint();
  ASSERT_TRUE(router()
                  .start(leg,
                         [&](Result<SrtpKeys>) {
                           router().remove({kWorker, kFlow});
                         })
                  .ok());
  peer.begin();
  exchange(peer);
  EXPECT_EQ(router().size(), 0u);
  EXPECT_EQ(metrics().handshakes(Outcome::FingerprintMismatch, abi::SrtpSuite::None), 1);
}

TEST_F(RouterTest, FailedLegDropsFurtherRecords) {
  opts_.handshake_timeout = std::chrono::milliseconds(20);
  DtlsRouter router2(io_, service_->context(), opts_, metrics(), nullptr);
  DtlsRouter::LegParams leg;
  leg.key = {kWorker, kFlow};
  leg.remote_fingerprints = testing::wrongFingerprint();
  ASSERT_TRUE(router2.start(leg, nullptr).ok());
  io_.run_for(std::chrono::milliseconds(80));
  EXPECT_EQ(router2.find({kWorker, kFlow})->state(), Session::State::Failed);
  RawPeer peer(RawPeer::Options{});
  peer.begin();
  for (const Datagram& d : peer.take()) {
    router2.onPunt(kWorker, puntMeta(d), d.data());
  }
  EXPECT_GE(metrics().drops(DropReason::SessionDone), 1);
}

TEST(DtlsService, CertificateAndKeyTogether) {
  boost::asio::io_context io;
  prometheus::Registry registry;
  DtlsOptions o;
  o.certificate = "/nonexistent/cert.pem";
  EXPECT_EQ(DtlsService::create(io, o, registry, nullptr).error().code, ErrorCode::InvalidArgument);
  o.private_key = "/nonexistent/key.pem";
  Result<std::unique_ptr<DtlsService>> r = DtlsService::create(io, o, registry, nullptr);
  EXPECT_EQ(r.error().code, ErrorCode::NotFound);
  EXPECT_NE(r.error().message.find("/nonexistent/cert.pem"), std::string::npos);
}

}  // namespace
}  // namespace rampart::cp::dtls
