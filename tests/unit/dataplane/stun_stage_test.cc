// ICE-lite in the worker (ice/stun_stage.cc) through the real worker pass: checks built and
// responses decoded with libnice's codec on the browser's side, FlowIce validation, selection
// of the remote and the paired flow's out_remote, held flows (kFlowAwaitKeys, out_remote port
// 0), DTLS admission, consent freshness and the counters.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>

#include "harness.h"
#include "pkt/parse.h"
#include "stun_client.h"

namespace rampart::dp::test {
namespace {

const Addr kBrowser = v4(198, 18, 2, 2);  // the wan peer (MAC known after learnPeers)
const Addr kBrowser6 = v6(0x2001, 2, 0, 2, 2);
const Addr kPbx = v4(198, 18, 4, 2);
constexpr uint16_t kWanPort = 20000;  // Rampart's port toward the browser
constexpr uint16_t kLanPort = 30000;  // Rampart's port toward the PBX
constexpr uint16_t kBrowserPort = 5000;
constexpr uint16_t kPbxPort = 6000;

std::vector<uint8_t> fromWan(const Harness& h, const Addr& src, uint16_t sport,
                             const std::vector<uint8_t>& payload, uint16_t dport = kWanPort) {
  Addr dst = src.family == 4 ? v4(198, 18, 2, 1) : v6(0x2001, 2, 0, 2, 1);
  return udpFrame(h.wan().mac, kPeerWanMac, src, dst, sport, dport, payload);
}

std::vector<uint8_t> fromLan(const Harness& h, const std::vector<uint8_t>& payload) {
  return udpFrame(h.lan().mac, kPeerLanMac, kPbx, v4(198, 18, 4, 1), kPbxPort, kLanPort, payload);
}

struct Egress {
  PacketInfo pi;
  std::vector<uint8_t> payload;
};

Egress parse(const std::vector<uint8_t>& frame) {
  Egress e{};
  EXPECT_EQ(parseFrame(frame.data(), static_cast<uint32_t>(frame.size()), &e.pi), kNoDrop);
  e.payload.assign(frame.begin() + e.pi.payload_off,
                   frame.begin() + e.pi.payload_off + e.pi.payload_len);
  return e;
}

class StunStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h = std::make_unique<Harness>(16);
    ASSERT_EQ(h->hello(), abi::kOk);
    h->learnPeers();
  }

  // The two flows of a browser leg: A receives the browser's media and checks on the wan port
  // (remote unknown: in_remote port 0 without latching), B sends the PBX's media toward the
  // browser (out_remote port 0 until ICE selects).
  void addLeg(uint16_t a_flags = 0, uint16_t b_flags = 0, const Addr& browser = kBrowser) {
    Addr none = browser.family == 4 ? v4(0, 0, 0, 0) : v6(0, 0, 0, 0, 0);
    abi::FlowAdd a = makeFlow(*h, 0, kWanPort, none, 0, 1, kLanPort, kPbx, kPbxPort);
    a.flags |= a_flags | abi::kFlowRtcpMuxIn;
    a.cookie = 7;
    abi::Ack ack = h->call(a.hdr);
    ASSERT_EQ(ack.status, abi::kOk);
    flow_a = ack.hdr.flow;
    abi::FlowAdd b = makeFlow(*h, 1, kLanPort, kPbx, kPbxPort, 0, kWanPort, none, 0);
    b.flags |= b_flags | abi::kFlowRtcpMuxIn;
    b.cookie = 8;
    ack = h->call(b.hdr);
    ASSERT_EQ(ack.status, abi::kOk);
    flow_b = ack.hdr.flow;
  }

  abi::FlowIce ice(uint64_t flow, uint64_t paired) {
    abi::FlowIce m{};
    m.hdr.type = abi::MsgType::FlowIce;
    m.hdr.size = sizeof(m);
    m.hdr.flow = flow;
    m.paired_flow = paired;
    m.local_ufrag_len = sizeof(kIceLocalUfrag) - 1;
    std::memcpy(m.local_ufrag, kIceLocalUfrag, m.local_ufrag_len);
    m.local_pwd_len = sizeof(kIceLocalPwd) - 1;
    std::memcpy(m.local_pwd, kIceLocalPwd, m.local_pwd_len);
    m.remote_ufrag_len = sizeof(kIceRemoteUfrag) - 1;
    std::memcpy(m.remote_ufrag, kIceRemoteUfrag, m.remote_ufrag_len);
    return m;
  }

  void programIce(uint16_t consent_s = 0) {
    abi::FlowIce m = ice(flow_a, flow_b);
    m.consent_timeout_s = consent_s;
    ASSERT_EQ(h->call(m.hdr).status, abi::kOk);
  }

  // Sends one check from `src:sport`; returns what came back to the wan peer (if anything).
  std::vector<std::vector<uint8_t>> check(const StunCheck& c, const Addr& src = kBrowser,
                                          uint16_t sport = kBrowserPort) {
    h->rx(0, fromWan(*h, src, sport, client.request(c)));
    h->pass();
    return h->tx(0);
  }

  uint64_t outcome(IceOutcome o) const {
    return h->ctx().stats->ice_checks[static_cast<uint32_t>(o)];
  }

  std::vector<abi::IceSelected> selections() {
    std::vector<abi::IceSelected> out;
    for (auto& e : h->events()) {
      abi::MsgHeader hdr;
      std::memcpy(&hdr, e.data(), sizeof(hdr));
      if (hdr.type == abi::MsgType::IceSelected) {
        abi::IceSelected s;
        std::memcpy(&s, e.data(), sizeof(s));
        out.push_back(s);
      }
    }
    return out;
  }

  std::unique_ptr<Harness> h;
  StunClient client;
  uint64_t flow_a = 0;
  uint64_t flow_b = 0;
};

TEST_F(StunStageTest, ValidCheckAnsweredWithXorMappedAddressIntegrityAndFingerprint) {
  addLeg();
  programIce();
  auto out = check(StunCheck{});
  ASSERT_EQ(out.size(), 1u);
  Egress e = parse(out[0]);
  // From the flow's local address:port to the check's source, with the media's DSCP (the
  // paired flow's: the realm's audio default, EF).
  EXPECT_EQ(std::memcmp(out[0].data(), kPeerWanMac, 6), 0);
  EXPECT_EQ(std::memcmp(e.pi.src, h->wan().v4, 4), 0);
  EXPECT_EQ(std::memcmp(e.pi.dst, kBrowser.b, 4), 0);
  EXPECT_EQ(e.pi.src_port, kWanPort);
  EXPECT_EQ(e.pi.dst_port, kBrowserPort);
  EXPECT_EQ(e.pi.tos >> 2, 46);
  StunClient::Response r = client.decode(e.payload);
  EXPECT_EQ(r.status, STUN_VALIDATION_SUCCESS);
  EXPECT_EQ(r.cls, STUN_RESPONSE);
  EXPECT_TRUE(r.integrity);
  EXPECT_TRUE(r.fingerprint);
  ASSERT_TRUE(r.mapped);
  auto* sin = reinterpret_cast<const sockaddr_in*>(&r.xor_mapped);
  EXPECT_EQ(sin->sin_family, AF_INET);
  EXPECT_EQ(ntohs(sin->sin_port), kBrowserPort);
  EXPECT_EQ(std::memcmp(&sin->sin_addr, kBrowser.b, 4), 0);
  EXPECT_EQ(outcome(IceOutcome::Ok), 1u);
  EXPECT_EQ(h->totalDrops(0), 0u);
  // Not nominated: the remote is still unknown, so the browser's media is not admitted.
  EXPECT_TRUE(selections().empty());
  h->rx(0, fromWan(*h, kBrowser, kBrowserPort, rtpPacket(1, 160, 0x1111, 160)));
  h->pass();
  EXPECT_TRUE(h->tx(1).empty());
  EXPECT_EQ(h->drops(0, DropReason::WrongSource), 1u);
}

TEST_F(StunStageTest, Ipv6CheckGetsIpv6MappedAddress) {
  addLeg(abi::kFlowIpv6, abi::kFlowOutIpv6, kBrowser6);
  programIce();
  StunCheck c;
  c.use_candidate = true;
  h->rx(0, fromWan(*h, kBrowser6, kBrowserPort, client.request(c)));
  h->pass();
  auto out = h->tx(0);
  ASSERT_EQ(out.size(), 1u);
  StunClient::Response r = client.decode(parse(out[0]).payload);
  EXPECT_EQ(r.status, STUN_VALIDATION_SUCCESS);
  ASSERT_TRUE(r.mapped);
  auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&r.xor_mapped);
  EXPECT_EQ(sin6->sin6_family, AF_INET6);
  EXPECT_EQ(std::memcmp(&sin6->sin6_addr, kBrowser6.b, 16), 0);
  EXPECT_EQ(outcome(IceOutcome::Nominated), 1u);
}

TEST_F(StunStageTest, UnauthenticatedChecksAreDroppedWithoutAnswer) {
  addLeg();
  programIce();
  StunCheck unknown;
  unknown.username = "nope:" + std::string(kIceRemoteUfrag);
  unknown.use_candidate = true;
  StunCheck wrong_remote;
  wrong_remote.username = std::string(kIceLocalUfrag) + ":other";
  StunCheck bad_key;
  bad_key.key = "notTheRightPassword!!!";
  bad_key.use_candidate = true;
  EXPECT_TRUE(check(unknown).empty());
  EXPECT_TRUE(check(wrong_remote).empty());
  EXPECT_TRUE(check(bad_key).empty());
  EXPECT_EQ(outcome(IceOutcome::UnknownUfrag), 2u);
  EXPECT_EQ(outcome(IceOutcome::BadIntegrity), 1u);
  EXPECT_EQ(h->drops(0, DropReason::IceUnauthenticated), 3u);
  // A USE-CANDIDATE that does not authenticate moves nothing.
  EXPECT_TRUE(selections().empty());
  h->rx(1, fromLan(*h, rtpPacket(1, 160, 0x2222, 160)));
  h->pass();
  EXPECT_TRUE(h->tx(0).empty());
  EXPECT_EQ(h->drops(1, DropReason::NoRemote), 1u);
}

TEST_F(StunStageTest, MissingUsernameOrIntegrityGets400) {
  addLeg();
  programIce();
  StunCheck no_user;
  no_user.with_username = false;
  StunCheck no_mi;
  no_mi.key.clear();
  StunCheck no_priority;
  no_priority.with_priority = false;
  for (const StunCheck& c : {no_user, no_mi, no_priority}) {
    auto out = check(c);
    ASSERT_EQ(out.size(), 1u);
    StunClient::Response r = client.decode(parse(out[0]).payload);
    EXPECT_EQ(r.status, STUN_VALIDATION_SUCCESS);
    EXPECT_EQ(r.cls, STUN_ERROR);
    EXPECT_EQ(r.error, 400);
    EXPECT_TRUE(r.fingerprint);
    EXPECT_FALSE(r.mapped);
  }
  EXPECT_EQ(outcome(IceOutcome::Malformed), 3u);
}

TEST_F(StunStageTest, RoleConflictGets487AndUnknownAttribute420) {
  addLeg();
  programIce();
  StunCheck controlled;
  controlled.controlling = false;
  controlled.controlled = true;
  auto out = check(controlled);
  ASSERT_EQ(out.size(), 1u);
  StunClient::Response r = client.decode(parse(out[0]).payload);
  EXPECT_EQ(r.status, STUN_VALIDATION_SUCCESS);  // signed with Rampart's password
  EXPECT_EQ(r.cls, STUN_ERROR);
  EXPECT_EQ(r.error, 487);
  EXPECT_TRUE(r.integrity);
  EXPECT_EQ(outcome(IceOutcome::RoleConflict), 1u);
  StunCheck unknown_attr;
  unknown_attr.unknown_required_attr = 0x0022;  // RESERVATION-TOKEN (TURN): not ours
  out = check(unknown_attr);
  ASSERT_EQ(out.size(), 1u);
  r = client.decode(parse(out[0]).payload);
  EXPECT_EQ(r.error, 420);
  EXPECT_EQ(outcome(IceOutcome::UnknownAttribute), 1u);
}

TEST_F(StunStageTest, OtherStunIsDroppedAndCounted) {
  addLeg();
  // No ICE state yet.
  EXPECT_TRUE(check(StunCheck{}).empty());
  EXPECT_EQ(h->drops(0, DropReason::NoIceState), 1u);
  EXPECT_EQ(outcome(IceOutcome::NoIceState), 1u);
  programIce();
  StunCheck no_fp;
  no_fp.fingerprint = false;
  EXPECT_TRUE(check(no_fp).empty());
  EXPECT_EQ(h->drops(0, DropReason::StunMalformed), 1u);
  std::vector<uint8_t> response = client.request(StunCheck{});
  response[1] = 0x01;
  response[0] = 0x01;  // Binding success response
  h->rx(0, fromWan(*h, kBrowser, kBrowserPort, response));
  std::vector<uint8_t> garbage(40, 0);
  garbage[1] = 1;  // a request type, no cookie, bad length
  h->rx(0, fromWan(*h, kBrowser, kBrowserPort, garbage));
  h->pass();
  EXPECT_TRUE(h->tx(0).empty());
  EXPECT_EQ(h->drops(0, DropReason::StunNotRequest), 1u);
  EXPECT_EQ(h->drops(0, DropReason::StunMalformed), 2u);
  std::vector<std::vector<uint8_t>> punted;
  EXPECT_EQ(h->punted(&punted), 0u);  // STUN never goes to the control plane
}

TEST_F(StunStageTest, UseCandidateSelectsRemoteAndPairedOutRemote) {
  addLeg();
  programIce();
  // Before selection the PBX's media toward the browser has nowhere to go.
  h->rx(1, fromLan(*h, rtpPacket(1, 160, 0x2222, 160)));
  h->pass();
  EXPECT_TRUE(h->tx(0).empty());
  EXPECT_EQ(h->drops(1, DropReason::NoRemote), 1u);
  StunCheck nominate;
  nominate.use_candidate = true;
  ASSERT_EQ(check(nominate).size(), 1u);
  EXPECT_EQ(outcome(IceOutcome::Nominated), 1u);
  auto sel = selections();
  ASSERT_EQ(sel.size(), 1u);
  EXPECT_EQ(sel[0].hdr.flow, flow_a);
  EXPECT_EQ(sel[0].cookie, 7u);
  EXPECT_EQ(sel[0].family, 4);
  EXPECT_EQ(sel[0].remote.port, kBrowserPort);
  EXPECT_EQ(std::memcmp(sel[0].remote.addr, kBrowser.b, 4), 0);
  EXPECT_EQ(h->ctx().stats->ice_selected, 1u);
  // Both directions flow now.
  h->rx(0, fromWan(*h, kBrowser, kBrowserPort, rtpPacket(1, 160, 0x1111, 160)));
  h->rx(1, fromLan(*h, rtpPacket(2, 320, 0x2222, 160)));
  h->pass();
  auto to_pbx = h->tx(1);
  ASSERT_EQ(to_pbx.size(), 1u);
  EXPECT_EQ(parse(to_pbx[0]).pi.dst_port, kPbxPort);
  auto to_browser = h->tx(0);
  ASSERT_EQ(to_browser.size(), 1u);
  Egress e = parse(to_browser[0]);
  EXPECT_EQ(e.pi.src_port, kWanPort);
  EXPECT_EQ(e.pi.dst_port, kBrowserPort);
  EXPECT_EQ(std::memcmp(e.pi.dst, kBrowser.b, 4), 0);
  // The same nomination again: answered, no second event.
  ASSERT_EQ(check(nominate).size(), 1u);
  EXPECT_TRUE(selections().empty());
  // A nomination from another port moves both; the old source is a stranger now.
  ASSERT_EQ(check(nominate, kBrowser, kBrowserPort + 1).size(), 1u);
  sel = selections();
  ASSERT_EQ(sel.size(), 1u);
  EXPECT_EQ(sel[0].remote.port, kBrowserPort + 1);
  h->rx(0, fromWan(*h, kBrowser, kBrowserPort, rtpPacket(3, 480, 0x1111, 160)));
  h->rx(1, fromLan(*h, rtpPacket(4, 640, 0x2222, 160)));
  h->pass();
  EXPECT_TRUE(h->tx(1).empty());
  EXPECT_EQ(h->drops(0, DropReason::WrongSource), 1u);
  to_browser = h->tx(0);
  ASSERT_EQ(to_browser.size(), 1u);
  EXPECT_EQ(parse(to_browser[0]).pi.dst_port, kBrowserPort + 1);
}

TEST_F(StunStageTest, AwaitKeysHoldsMediaUntilModifyAndModifyKeepsIceSelection) {
  addLeg(abi::kFlowAwaitKeys, abi::kFlowAwaitKeys);
  programIce();
  StunCheck nominate;
  nominate.use_candidate = true;
  ASSERT_EQ(check(nominate).size(), 1u);  // ICE works while keys are awaited
  ASSERT_EQ(selections().size(), 1u);
  h->rx(0, fromWan(*h, kBrowser, kBrowserPort, rtpPacket(1, 160, 0x1111, 160)));
  h->rx(1, fromLan(*h, rtpPacket(2, 320, 0x2222, 160)));
  h->pass();
  EXPECT_TRUE(h->tx(0).empty());
  EXPECT_TRUE(h->tx(1).empty());
  EXPECT_EQ(h->drops(0, DropReason::AwaitKeys), 1u);
  EXPECT_EQ(h->drops(1, DropReason::AwaitKeys), 1u);
  // The keys arrive: FlowModify without the flag, with the ICE-chosen endpoints as port 0.
  Addr none = v4(0, 0, 0, 0);
  abi::FlowModify a = makeFlow(*h, 0, kWanPort, none, 0, 1, kLanPort, kPbx, kPbxPort);
  a.hdr.type = abi::MsgType::FlowModify;
  a.hdr.flow = flow_a;
  a.flags |= abi::kFlowRtcpMuxIn;
  ASSERT_EQ(h->call(a.hdr).status, abi::kOk);
  abi::FlowModify b = makeFlow(*h, 1, kLanPort, kPbx, kPbxPort, 0, kWanPort, none, 0);
  b.hdr.type = abi::MsgType::FlowModify;
  b.hdr.flow = flow_b;
  b.flags |= abi::kFlowRtcpMuxIn;
  ASSERT_EQ(h->call(b.hdr).status, abi::kOk);
  h->rx(0, fromWan(*h, kBrowser, kBrowserPort, rtpPacket(3, 480, 0x1111, 160)));
  h->rx(1, fromLan(*h, rtpPacket(4, 640, 0x2222, 160)));
  h->pass();
  EXPECT_EQ(h->tx(1).size(), 1u);
  auto to_browser = h->tx(0);
  ASSERT_EQ(to_browser.size(), 1u);
  EXPECT_EQ(parse(to_browser[0]).pi.dst_port, kBrowserPort);
  // A modify naming other endpoints (the SDP's c= address, say) does not move what ICE chose:
  // only an authenticated check does (abi.h, FlowIce).
  Addr sdp_addr = v4(198, 18, 2, 50);
  a = makeFlow(*h, 0, kWanPort, sdp_addr, 9, 1, kLanPort, kPbx, kPbxPort);
  a.hdr.type = abi::MsgType::FlowModify;
  a.hdr.flow = flow_a;
  a.flags |= abi::kFlowRtcpMuxIn;
  ASSERT_EQ(h->call(a.hdr).status, abi::kOk);
  b = makeFlow(*h, 1, kLanPort, kPbx, kPbxPort, 0, kWanPort, sdp_addr, 9);
  b.hdr.type = abi::MsgType::FlowModify;
  b.hdr.flow = flow_b;
  b.flags |= abi::kFlowRtcpMuxIn;
  ASSERT_EQ(h->call(b.hdr).status, abi::kOk);
  h->rx(0, fromWan(*h, kBrowser, kBrowserPort, rtpPacket(6, 960, 0x1111, 160)));
  h->rx(1, fromLan(*h, rtpPacket(7, 1120, 0x2222, 160)));
  h->pass();
  EXPECT_EQ(h->tx(1).size(), 1u);
  to_browser = h->tx(0);
  ASSERT_EQ(to_browser.size(), 1u);
  EXPECT_EQ(parse(to_browser[0]).pi.dst_port, kBrowserPort);
  // The ICE state survived the modify: checks are still answered, strangers still refused.
  EXPECT_EQ(check(StunCheck{}).size(), 1u);
  EXPECT_EQ(outcome(IceOutcome::Ok), 1u);
  h->rx(0, fromWan(*h, v4(198, 18, 2, 77), 9999, rtpPacket(5, 800, 0x1111, 160)));
  h->pass();
  EXPECT_TRUE(h->tx(1).empty());
  EXPECT_EQ(h->drops(0, DropReason::WrongSource), 1u);
}

TEST_F(StunStageTest, DtlsOnlyFromTheSelectedRemote) {
  addLeg();
  programIce();
  std::vector<uint8_t> dtls(60, 22);
  h->rx(0, fromWan(*h, kBrowser, kBrowserPort, dtls));  // nothing selected yet
  h->pass();
  std::vector<std::vector<uint8_t>> punted;
  EXPECT_EQ(h->punted(&punted), 0u);
  EXPECT_EQ(h->drops(0, DropReason::DtlsNotSelected), 1u);
  StunCheck nominate;
  nominate.use_candidate = true;
  ASSERT_EQ(check(nominate).size(), 1u);
  h->rx(0, fromWan(*h, kBrowser, kBrowserPort, dtls));
  h->rx(0, fromWan(*h, kBrowser, kBrowserPort + 9, dtls));             // another source
  h->rx(0, fromWan(*h, kBrowser, kBrowserPort, dtls, kWanPort + 50));  // no flow there
  h->pass();
  ASSERT_EQ(h->punted(&punted), 1u);
  abi::PacketSlot s;
  std::memcpy(&s, punted[0].data(), sizeof(s));
  EXPECT_EQ(s.kind, abi::kPacketDtls);
  EXPECT_EQ(s.flow, flow_a);
  EXPECT_EQ(s.remote.port, kBrowserPort);
  EXPECT_EQ(h->drops(0, DropReason::DtlsNotSelected), 2u);
  EXPECT_EQ(h->drops(0, DropReason::NoFlow), 1u);
}

TEST_F(StunStageTest, ConsentExpiresOnceAndAValidCheckRearmsIt) {
  addLeg();
  programIce(5);
  auto consent = [&]() {
    h->ctx().next_idle_tsc = 0;  // run the idle scan on the next pass
    h->pass();
    uint32_t n = 0;
    for (auto& e : h->events()) {
      abi::MsgHeader hdr;
      std::memcpy(&hdr, e.data(), sizeof(hdr));
      if (hdr.type == abi::MsgType::ConsentExpired) {
        abi::ConsentExpired c;
        std::memcpy(&c, e.data(), sizeof(c));
        EXPECT_EQ(c.hdr.flow, flow_a);
        EXPECT_EQ(c.cookie, 7u);
        EXPECT_GE(c.silent_s, 5u);
        ++n;
      }
    }
    return n;
  };
  IceState& s = h->ctx().ice.states[abi::unpackHandle(flow_a).index];
  s.last_check_ns = 0;
  EXPECT_EQ(consent(), 0u);  // nothing selected: no consent to lose
  StunCheck nominate;
  nominate.use_candidate = true;
  ASSERT_EQ(check(nominate).size(), 1u);
  EXPECT_EQ(consent(), 0u);
  s.last_check_ns -= 6'000'000'000ull;  // six seconds without a check
  EXPECT_EQ(consent(), 1u);
  EXPECT_EQ(consent(), 0u);  // once per silence
  EXPECT_EQ(h->ctx().stats->ice_consent_expired, 1u);
  ASSERT_EQ(check(StunCheck{}).size(), 1u);  // a valid check from the selected remote
  EXPECT_EQ(consent(), 0u);
  s.last_check_ns -= 6'000'000'000ull;
  EXPECT_EQ(consent(), 1u);
}

TEST_F(StunStageTest, FlowIceValidationRestartAndDelete) {
  addLeg();
  abi::FlowIce m = ice(flow_a, flow_b);
  m.local_ufrag_len = 0;
  EXPECT_EQ(h->call(m.hdr).status, abi::kErrInval);
  m = ice(flow_a, flow_b);
  m.local_pwd_len = 21;
  EXPECT_EQ(h->call(m.hdr).status, abi::kErrInval);
  m = ice(flow_a, flow_b);
  m.local_pwd_len = 65;
  EXPECT_EQ(h->call(m.hdr).status, abi::kErrInval);
  m = ice(flow_a, flow_b);
  m.remote_ufrag_len = 33;
  EXPECT_EQ(h->call(m.hdr).status, abi::kErrInval);
  m = ice(flow_a, flow_a);  // paired with itself
  EXPECT_EQ(h->call(m.hdr).status, abi::kErrInval);
  m = ice(flow_a, flow_b + (uint64_t{1} << 32));  // stale generation
  EXPECT_EQ(h->call(m.hdr).status, abi::kErrInval);
  m = ice(flow_a + (uint64_t{1} << 32), 0);
  EXPECT_EQ(h->call(m.hdr).status, abi::kErrNoEnt);
  m = ice(flow_a, 0);      // no paired flow is fine
  m.remote_ufrag_len = 0;  // and any remote ufrag
  EXPECT_EQ(h->call(m.hdr).status, abi::kOk);
  StunCheck other_remote;
  other_remote.username = std::string(kIceLocalUfrag) + ":anything";
  EXPECT_EQ(check(other_remote).size(), 1u);
  // ICE restart: new credentials replace the old ones.
  m = ice(flow_a, flow_b);
  const char* ufrag2 = "newU";
  std::memcpy(m.local_ufrag, ufrag2, 4);
  ASSERT_EQ(h->call(m.hdr).status, abi::kOk);
  EXPECT_TRUE(check(StunCheck{}).empty());
  StunCheck restarted;
  restarted.username = std::string(ufrag2) + ":" + kIceRemoteUfrag;
  EXPECT_EQ(check(restarted).size(), 1u);
  // Deleting the flow wipes its ICE state; a new flow in the same slot has none.
  abi::FlowDel d{};
  d.hdr.type = abi::MsgType::FlowDel;
  d.hdr.size = sizeof(d);
  d.hdr.flow = flow_a;
  ASSERT_EQ(h->call(d.hdr).status, abi::kOk);
  const IceState& s = h->ctx().ice.states[abi::unpackHandle(flow_a).index];
  EXPECT_FALSE(s.active);
  EXPECT_EQ(s.local_pwd[0], 0);
  abi::FlowAdd again = makeFlow(*h, 0, kWanPort, kBrowser, kBrowserPort, 1, kLanPort, kPbx, 1);
  abi::Ack ack = h->call(again.hdr);
  ASSERT_EQ(ack.status, abi::kOk);
  EXPECT_EQ(abi::unpackHandle(ack.hdr.flow).index, abi::unpackHandle(flow_a).index);
  EXPECT_TRUE(check(restarted).empty());
  EXPECT_EQ(outcome(IceOutcome::NoIceState), 1u);
}

}  // namespace
}  // namespace rampart::dp::test
