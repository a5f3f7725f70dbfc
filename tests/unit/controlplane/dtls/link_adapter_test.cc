// DtlsLinkAdapter: the media layer's DtlsLink on the real module, punts in and inject slots
// out, a client leg that waits for the ICE-selected address, replacement and close.
#include "dtls/dtls_link_adapter.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <boost/asio/io_context.hpp>

#include "dtls_test_util.h"

namespace rampart::cp::dtls {
namespace {

using testing::Datagram;
using testing::RawPeer;

constexpr uint64_t kFlow = (uint64_t{1} << 32) | 4;
constexpr uint32_t kWorker = 0;

class LinkAdapterTest : public ::testing::Test {
 protected:
  LinkAdapterTest() {
    auto s = DtlsService::create(io_, DtlsOptions{}, registry_,
                                 [this](uint32_t, const abi::PacketSlot& meta, const uint8_t* p) {
                                   injected_.emplace_back(p, p + meta.len);
                                   last_meta_ = meta;
                                   return true;
                                 });
    EXPECT_TRUE(s.ok());
    service_ = std::move(s.value());
    link_ = std::make_unique<DtlsLinkAdapter>(*service_);
  }

  void punt(const Datagram& d) {
    abi::PacketSlot m{};
    m.len = static_cast<uint16_t>(d.size());
    m.family = 4;
    m.kind = abi::kPacketDtls;
    m.local.port = 40000;
    m.remote.port = 50000;
    m.flow = kFlow;
    link_->onPunt(kWorker, m, d.data());
  }

  void exchange(RawPeer& peer) {
    for (int i = 0; i < 50; ++i) {
      io_.poll();
      std::vector<Datagram> out;
      out.swap(injected_);
      std::vector<Datagram> in = peer.take();
      if (out.empty() && in.empty()) {
        return;
      }
      for (Datagram& d : out) {
        peer.receive(d);
      }
      for (Datagram& d : in) {
        punt(d);
      }
    }
  }

  boost::asio::io_context io_;
  prometheus::Registry registry_;
  std::unique_ptr<DtlsService> service_;
  std::unique_ptr<DtlsLinkAdapter> link_;
  std::vector<Datagram> injected_;
  abi::PacketSlot last_meta_{};
};

TEST_F(LinkAdapterTest, FingerprintIsTheHexAfterTheHashName) {
  EXPECT_EQ("sha-256 " + link_->fingerprint(), service_->fingerprint());
  EXPECT_EQ(link_->fingerprint().size(), 32u * 3 - 1);
}

TEST_F(LinkAdapterTest, ServerLegDeliversKeysWithProfileName) {
  RawPeer peer(RawPeer::Options{});
  std::optional<Result<DtlsKeys>> got;
  ASSERT_TRUE(link_
                  ->open(kWorker, kFlow, false, peer.identity().fingerprint(),
                         [&](Result<DtlsKeys> k) { got.emplace(std::move(k)); })
                  .ok());
  peer.begin();
  exchange(peer);
  ASSERT_TRUE(got && got->ok());
  EXPECT_EQ(got->value().profile, "SRTP_AEAD_AES_256_GCM");
  RawPeer::Material m = peer.material();
  EXPECT_EQ(testing::keyBytes(got->value().local), m.server);
  EXPECT_EQ(testing::keyBytes(got->value().remote), m.client);
}

TEST_F(LinkAdapterTest, ClientLegWaitsForTheIceSelectedAddress) {
  RawPeer::Options po;
  po.role = Role::Server;
  RawPeer peer(po);
  bool ok = false;
  ASSERT_TRUE(link_
                  ->open(kWorker, kFlow, true, peer.identity().fingerprint(),
                         [&](Result<DtlsKeys> k) { ok = k.ok(); })
                  .ok());
  io_.poll();
  EXPECT_TRUE(injected_.empty());  // no address yet
  abi::IceSelected ev{};
  ev.hdr.flow = kFlow;
  ev.family = 4;
  ev.remote.port = 61000;
  abi::Endpoint local{};
  local.port = 40000;
  link_->onIceSelected(kWorker, ev, 3, local);
  ASSERT_EQ(injected_.size(), 1u);  // the ClientHello
  EXPECT_EQ(last_meta_.remote.port, 61000);
  EXPECT_EQ(last_meta_.local.port, 40000);
  EXPECT_EQ(last_meta_.port, 3);
  exchange(peer);
  EXPECT_TRUE(ok);
  EXPECT_TRUE(peer.done());
}

TEST_F(LinkAdapterTest, ReopenReplacesAndCloseForgets) {
  RawPeer peer(RawPeer::Options{});
  int first = 0, second = 0;
  ASSERT_TRUE(
      link_->open(kWorker, kFlow, false, peer.identity().fingerprint(), [&](auto) { ++first; })
          .ok());
  ASSERT_TRUE(
      link_->open(kWorker, kFlow, false, peer.identity().fingerprint(), [&](auto) { ++second; })
          .ok());
  EXPECT_EQ(service_->router().size(), 1u);
  peer.begin();
  exchange(peer);
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 1);
  link_->close(kFlow);
  EXPECT_EQ(service_->router().size(), 0u);
  link_->close(kFlow);  // twice is fine
}

TEST_F(LinkAdapterTest, BadPeerFingerprintIsRefused) {
  EXPECT_EQ(link_->open(kWorker, kFlow, false, "sha-256 12:34", nullptr).error().code,
            ErrorCode::Malformed);
  EXPECT_EQ(link_->open(kWorker, kFlow, false, "md5 12:34", nullptr).error().code,
            ErrorCode::NotAcceptable);
  EXPECT_EQ(service_->router().size(), 0u);
}

}  // namespace
}  // namespace rampart::cp::dtls
