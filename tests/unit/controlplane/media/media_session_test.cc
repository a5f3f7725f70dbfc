// MediaSession against a recording FlowSink that models the dataplane's flow table: commands
// queue until the test acknowledges them, FlowAdd gets a fresh handle, FlowDel removes it.
#include "media/media_session.h"

#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <map>
#include <string>

#include "media/sdes_keys.h"
#include "media/transcode_book.h"

namespace rampart::cp {
namespace {

class RecordingSink : public FlowSink {
 public:
  struct Cmd {
    abi::MsgType type = abi::MsgType::FlowAdd;
    abi::FlowAdd body{};      // FlowAdd/FlowModify body; hdr of any command
    abi::FlowIce ice{};       // FlowIce body
    abi::XcodeSetup xcode{};  // XcodeSetup body
    uint32_t worker = 0;
    AckHandler done;
  };

  bool ready() const override { return ready_; }
  uint32_t workers() const override { return 2; }
  Result<uint32_t> submit(uint32_t worker, const abi::MsgHeader& msg, AckHandler done) override {
    if (refuse_) {
      return Error(ErrorCode::Overloaded, "ring full");
    }
    Cmd c;
    c.type = msg.type;
    std::memcpy(&c.body, &msg, std::min<size_t>(msg.size, sizeof c.body));
    c.body.hdr.seq = ++seq_;
    c.worker = worker;
    if (msg.type == abi::MsgType::FlowIce) {
      std::memcpy(&c.ice, &msg, sizeof c.ice);
    }
    if (msg.type == abi::MsgType::XcodeSetup) {
      std::memcpy(&c.xcode, &msg, sizeof c.xcode);
    }
    c.done = std::move(done);
    log_.push_back(c);
    log_.back().done = nullptr;
    queue_.push_back(std::move(c));
    return seq_;
  }

  // Answers queued commands in order (and those they cause) like the dataplane would; the n-th
  // command answered (0-based, counted over this call) gets `failStatus` when n == failAt.
  void ackAll(int failAt = -1, int32_t failStatus = abi::kErrNoSpace) {
    int n = 0;
    while (!queue_.empty()) {
      Cmd c = std::move(queue_.front());
      queue_.pop_front();
      abi::Ack ack{};
      ack.status = n++ == failAt ? failStatus : apply(c);
      ack.hdr = c.body.hdr;
      ack.cmd_type = static_cast<uint16_t>(c.type);
      c.done(ack);
    }
  }
  // Answers every queued command with an error instead of an Ack (dataplane gone).
  void failAll(ErrorCode code) {
    while (!queue_.empty()) {
      Cmd c = std::move(queue_.front());
      queue_.pop_front();
      c.done(Error(code, "no answer"));
    }
  }

  size_t count(abi::MsgType t) const {
    size_t n = 0;
    for (const Cmd& c : log_) {
      n += c.type == t ? 1 : 0;
    }
    return n;
  }

  bool ready_ = true;
  bool refuse_ = false;
  std::vector<Cmd> log_;                       // every command submitted
  std::deque<Cmd> queue_;                      // not yet acknowledged
  std::map<uint64_t, abi::FlowAdd> live_;      // the modelled flow table
  std::map<uint64_t, abi::FlowIce> ice_;       // ICE state per flow
  std::map<uint64_t, abi::XcodeSetup> xcode_;  // transcoding per flow

 private:
  int32_t apply(Cmd& c) {
    switch (c.type) {
      case abi::MsgType::FlowAdd: {
        uint64_t h = abi::packHandle({nextIndex_++, 1});
        c.body.hdr.flow = h;
        live_[h] = c.body;
        return abi::kOk;
      }
      case abi::MsgType::FlowModify:
        if (live_.count(c.body.hdr.flow) == 0) {
          return abi::kErrNoEnt;
        }
        live_[c.body.hdr.flow] = c.body;
        return abi::kOk;
      case abi::MsgType::XcodeSetup:
        if (live_.count(c.xcode.hdr.flow) == 0) {
          return abi::kErrNoEnt;
        }
        xcode_[c.xcode.hdr.flow] = c.xcode;
        return abi::kOk;
      case abi::MsgType::FlowDel:
        ice_.erase(c.body.hdr.flow);
        xcode_.erase(c.body.hdr.flow);
        return live_.erase(c.body.hdr.flow) == 1 ? abi::kOk : abi::kErrNoEnt;
      case abi::MsgType::FlowIce:
        if (live_.count(c.ice.hdr.flow) == 0 ||
            (c.ice.paired_flow != 0 && live_.count(c.ice.paired_flow) == 0)) {
          return abi::kErrNoEnt;
        }
        ice_[c.ice.hdr.flow] = c.ice;
        return abi::kOk;
      default: return abi::kErrNotSup;
    }
  }
  uint32_t seq_ = 0;
  uint32_t nextIndex_ = 1;
};

// A PBX (Asterisk) on the LAN offers PCMU/PCMA/GSM/G722 and telephone-event.
const std::string kPbxOffer =
    "v=0\r\n"
    "o=- 1953384935 1953384935 IN IP4 192.0.2.20\r\n"
    "s=Asterisk\r\n"
    "c=IN IP4 192.0.2.20\r\n"
    "t=0 0\r\n"
    "m=audio 12534 RTP/AVP 0 8 3 9 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:3 GSM/8000\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=maxptime:150\r\n"
    "a=sendrecv\r\n";

// The carrier (sipp-like UAS) answers PCMU + telephone-event.
std::string carrierAnswer(uint16_t port = 16000, const char* dir = "sendrecv",
                          const char* addr = "203.0.113.50", const char* version = "1") {
  return std::string("v=0\r\n") + "o=- 3890000000 " + version + " IN IP4 203.0.113.50\r\n" +
         "s=-\r\n" + "c=IN IP4 " + addr + "\r\n" + "t=0 0\r\n" + "m=audio " + std::to_string(port) +
         " RTP/AVP 0 101\r\n" + "a=rtpmap:0 PCMU/8000\r\n" +
         "a=rtpmap:101 telephone-event/8000\r\n" + "a=fmtp:101 0-16\r\n" + "a=ptime:20\r\n" +
         "a=" + dir + "\r\n";
}

std::string pbxOffer(const char* dir, const char* addr, const char* version, bool mux = false) {
  std::string s = kPbxOffer;
  auto replace = [&](const std::string& from, const std::string& to) {
    size_t at = s.find(from);
    if (at != std::string::npos) {
      s.replace(at, from.size(), to);
    }
  };
  replace("1953384935 1953384935", std::string("1953384935 ") + version);
  replace("c=IN IP4 192.0.2.20", std::string("c=IN IP4 ") + addr);
  replace("a=sendrecv", std::string("a=") + dir);
  if (mux) {
    s += "a=rtcp-mux\r\n";
  }
  return s;
}

// The carrier answering an RTP/SAVP offer with its own key (RFC 4568's, without the MKI).
constexpr const char* kCarrierKey = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
std::string carrierSrtpAnswer() {
  return std::string("v=0\r\n") + "o=- 42 1 IN IP4 203.0.113.50\r\n" + "s=-\r\n" +
         "c=IN IP4 203.0.113.50\r\n" + "t=0 0\r\n" + "m=audio 16000 RTP/SAVP 0 101\r\n" +
         "a=rtpmap:0 PCMU/8000\r\n" + "a=rtpmap:101 telephone-event/8000\r\n" +
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + kCarrierKey + "\r\n" + "a=sendrecv\r\n";
}

platform::IpAddress ip(const char* text) { return platform::parseIpAddress(text).value(); }

abi::Endpoint ep(const char* addr, uint16_t port) {
  abi::Endpoint e{};
  platform::IpAddress a = ip(addr);
  std::memcpy(e.addr, a.bytes, sizeof e.addr);
  e.port = port;
  return e;
}

bool sameEp(const abi::Endpoint& a, const abi::Endpoint& b) {
  return std::memcmp(a.addr, b.addr, sizeof a.addr) == 0 && a.port == b.port;
}

std::string show(const abi::Endpoint& e) {
  return std::to_string(e.addr[0]) + "." + std::to_string(e.addr[1]) + "." +
         std::to_string(e.addr[2]) + "." + std::to_string(e.addr[3]) + ":" + std::to_string(e.port);
}

constexpr uint64_t kCallId = 0xC0FFEE;

class MediaSessionTest : public ::testing::Test {
 protected:
  MediaSessionTest() : ctx_{sink_, picker_} {
    lan_.realm_index = 1;
    lan_.dp_port = 1;
    lan_.address = ip("198.18.4.1");
    lan_.ports = &lanPorts_;
    wan_.realm_index = 0;
    wan_.dp_port = 0;
    wan_.address = ip("198.18.2.1");
    wan_.ports = &wanPorts_;
    setProfiles(sdp::SrtpMode::Off, false, false);
  }

  void setProfiles(sdp::SrtpMode wanSrtp, bool lanMux, bool wanMux) {
    auto lan = std::make_shared<sdp::Profile>();
    lan->rtcp_mux = lanMux;
    auto wan = std::make_shared<sdp::Profile>();
    wan->srtp = wanSrtp;
    wan->rtcp_mux = wanMux;
    lan_.profile = lan;
    wan_.profile = wan;
  }

  std::unique_ptr<MediaSession> makeSession() {
    return std::make_unique<MediaSession>(ctx_, lan_, wan_, kCallId);  // A = PBX, B = carrier
  }

  // Offer from A, answer from B, every command acknowledged. Returns the answer for A.
  std::string establish(MediaSession& s, const std::string& offer, const std::string& answer) {
    Result<std::string> toB = s.offer(Leg::A, offer);
    EXPECT_TRUE(toB.ok()) << toB.error().message;
    if (!toB.ok()) {
      return {};
    }
    lastOfferToB_ = toB.value();
    std::optional<Result<std::string>> got;
    s.answer(Leg::B, answer, [&](Result<std::string> r) { got = std::move(r); });
    sink_.ackAll();
    EXPECT_TRUE(got.has_value());
    if (!got || !got->ok()) {
      ADD_FAILURE() << (got ? got->error().message : "no answer");
      return {};
    }
    return got->value();
  }

  // The live flow receiving on the LAN (from == 0) or WAN (from == 1) realm.
  const abi::FlowAdd* liveFlow(uint8_t from, bool rtcp) const {
    for (const auto& [h, f] : sink_.live_) {
      bool isRtcp = (f.flags & abi::kFlowRtcpOnly) != 0;
      if (isRtcp == rtcp && f.in_port == (from == 0 ? lan_.dp_port : wan_.dp_port)) {
        return &f;
      }
    }
    return nullptr;
  }

  RecordingSink sink_;
  WorkerPicker picker_{2};
  MediaContext ctx_;
  PortAllocator lanPorts_{"lan", 40000, 40099};
  PortAllocator wanPorts_{"wan", 20000, 20099};
  MediaRealm lan_, wan_;
  std::string lastOfferToB_;
};

TEST_F(MediaSessionTest, TrunkToTrunkRtpWithSeparateRtcpProgramsFourFlows) {
  auto s = makeSession();
  std::string answerToA = establish(*s, kPbxOffer, carrierAnswer());
  ASSERT_FALSE(answerToA.empty());
  EXPECT_NE(lastOfferToB_.find("c=IN IP4 198.18.2.1"), std::string::npos);
  ASSERT_EQ(sink_.count(abi::MsgType::FlowAdd), 4u);
  EXPECT_EQ(sink_.live_.size(), 4u);
  EXPECT_EQ(s->flows().size(), 4u);
  const uint16_t portA = s->ports(Leg::A)[0].rtp;  // Rampart toward the PBX
  const uint16_t portB = s->ports(Leg::B)[0].rtp;  // Rampart toward the carrier
  EXPECT_NE(answerToA.find("m=audio " + std::to_string(portA) + " RTP/AVP 0 101"),
            std::string::npos);
  EXPECT_NE(answerToA.find("a=rtcp:" + std::to_string(portA + 1)), std::string::npos);
  EXPECT_EQ(lanPorts_.portsInUse(), 2u);
  EXPECT_EQ(wanPorts_.portsInUse(), 2u);

  const abi::FlowAdd* ab = liveFlow(0, false);
  ASSERT_NE(ab, nullptr);
  EXPECT_EQ(ab->in_port, 1);
  EXPECT_EQ(ab->out_port, 0);
  EXPECT_TRUE(sameEp(ab->in_local, ep("198.18.4.1", portA))) << show(ab->in_local);
  EXPECT_TRUE(sameEp(ab->in_remote, ep("192.0.2.20", 12534))) << show(ab->in_remote);
  EXPECT_TRUE(sameEp(ab->out_local, ep("198.18.2.1", portB))) << show(ab->out_local);
  EXPECT_TRUE(sameEp(ab->out_remote, ep("203.0.113.50", 16000))) << show(ab->out_remote);
  EXPECT_EQ(ab->out_rtcp_local_port, portB + 1);
  EXPECT_EQ(ab->out_rtcp_remote_port, 16001);
  EXPECT_EQ(ab->flags, 0);  // strict source, no rtcp-mux, audio
  EXPECT_EQ(ab->dscp, abi::kDscpRealmDefault);
  EXPECT_EQ(ab->srtp_in.suite, abi::SrtpSuite::None);
  EXPECT_EQ(ab->srtp_out.suite, abi::SrtpSuite::None);
  EXPECT_EQ(ab->cookie, kCallId);
  EXPECT_EQ(ab->clock_rate, 8000u);

  const abi::FlowAdd* abRtcp = liveFlow(0, true);
  ASSERT_NE(abRtcp, nullptr);
  EXPECT_EQ(abRtcp->flags, abi::kFlowRtcpOnly);
  EXPECT_TRUE(sameEp(abRtcp->in_local, ep("198.18.4.1", portA + 1)));
  EXPECT_TRUE(sameEp(abRtcp->in_remote, ep("192.0.2.20", 12535)));
  EXPECT_EQ(abRtcp->out_rtcp_remote_port, 16001);

  const abi::FlowAdd* ba = liveFlow(1, false);
  ASSERT_NE(ba, nullptr);
  EXPECT_EQ(ba->in_port, 0);
  EXPECT_EQ(ba->out_port, 1);
  EXPECT_TRUE(sameEp(ba->in_local, ep("198.18.2.1", portB)));
  EXPECT_TRUE(sameEp(ba->in_remote, ep("203.0.113.50", 16000)));
  EXPECT_TRUE(sameEp(ba->out_local, ep("198.18.4.1", portA)));
  EXPECT_TRUE(sameEp(ba->out_remote, ep("192.0.2.20", 12534)));
  EXPECT_EQ(ba->out_rtcp_local_port, portA + 1);
  EXPECT_EQ(ba->out_rtcp_remote_port, 12535);
  for (const RecordingSink::Cmd& c : sink_.log_) {
    EXPECT_EQ(c.worker, s->worker());  // both legs on one worker
  }
}

TEST_F(MediaSessionTest, RtcpMuxOnBothLegsProgramsTwoFlows) {
  setProfiles(sdp::SrtpMode::Off, true, true);
  auto s = makeSession();
  std::string answer = carrierAnswer() + "a=rtcp-mux\r\n";
  ASSERT_FALSE(establish(*s, pbxOffer("sendrecv", "192.0.2.20", "1", true), answer).empty());
  EXPECT_NE(lastOfferToB_.find("a=rtcp-mux"), std::string::npos);
  ASSERT_EQ(sink_.live_.size(), 2u);
  for (const auto& [h, f] : sink_.live_) {
    EXPECT_EQ(f.flags, abi::kFlowRtcpMuxIn);
    EXPECT_EQ(f.out_rtcp_local_port, 0);
    EXPECT_EQ(f.out_rtcp_remote_port, 0);
  }
}

TEST_F(MediaSessionTest, PrivatePeerAddressLatches) {
  auto s = makeSession();
  ASSERT_FALSE(establish(*s, pbxOffer("sendrecv", "10.1.2.3", "1"), carrierAnswer()).empty());
  const abi::FlowAdd* fromPbx = liveFlow(0, false);
  const abi::FlowAdd* fromCarrier = liveFlow(1, false);
  ASSERT_TRUE(fromPbx && fromCarrier);
  EXPECT_NE(fromPbx->flags & abi::kFlowLatch, 0);
  EXPECT_TRUE(sameEp(fromPbx->in_remote, ep("10.1.2.3", 12534)));  // accepted too
  EXPECT_EQ(fromCarrier->flags & abi::kFlowLatch, 0);              // public peer: strict source
}

TEST_F(MediaSessionTest, SdesTowardTheCarrierPlainRtpTowardThePbx) {
  setProfiles(sdp::SrtpMode::Sdes, false, false);
  auto s = makeSession();
  ASSERT_FALSE(establish(*s, kPbxOffer, carrierSrtpAnswer()).empty());
  // The key Rampart advertised to the carrier.
  size_t at = lastOfferToB_.find("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:");
  ASSERT_NE(at, std::string::npos) << lastOfferToB_;
  std::string ourKey = lastOfferToB_.substr(at + 42, 40);
  Result<abi::SrtpParams> ours = sdes::decodeInline("AES_CM_128_HMAC_SHA1_80", ourKey);
  Result<abi::SrtpParams> theirs = sdes::decodeInline("AES_CM_128_HMAC_SHA1_80", kCarrierKey);
  ASSERT_TRUE(ours.ok() && theirs.ok());
  EXPECT_NE(lastOfferToB_.find("RTP/SAVP"), std::string::npos);

  const abi::FlowAdd* ab = liveFlow(0, false);  // PBX -> carrier: protect with our key
  const abi::FlowAdd* ba = liveFlow(1, false);  // carrier -> PBX: unprotect with theirs
  ASSERT_TRUE(ab && ba);
  EXPECT_EQ(ab->srtp_in.suite, abi::SrtpSuite::None);
  EXPECT_EQ(ab->srtp_out.suite, abi::SrtpSuite::AesCm128HmacSha1_80);
  ASSERT_EQ(ab->srtp_out.key_len, 30);
  EXPECT_EQ(std::memcmp(ab->srtp_out.key, ours->key, 30), 0);
  EXPECT_EQ(ba->srtp_in.suite, abi::SrtpSuite::AesCm128HmacSha1_80);
  EXPECT_EQ(std::memcmp(ba->srtp_in.key, theirs->key, 30), 0);
  EXPECT_EQ(ba->srtp_out.suite, abi::SrtpSuite::None);
  // SRTCP uses the same master keys on the separate RTCP ports.
  const abi::FlowAdd* baRtcp = liveFlow(1, true);
  ASSERT_NE(baRtcp, nullptr);
  EXPECT_EQ(std::memcmp(baRtcp->srtp_in.key, theirs->key, 30), 0);
}

TEST_F(MediaSessionTest, SdesOfferWithMkiIsRefused) {
  setProfiles(sdp::SrtpMode::Sdes, false, false);
  auto s = std::make_unique<MediaSession>(ctx_, wan_, lan_, kCallId);  // the carrier offers
  std::string offer = carrierSrtpAnswer();
  offer.replace(offer.find(kCarrierKey) + 40, 0, "|2^20|1:4");
  Result<std::string> r = s->offer(Leg::A, offer);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::NotAcceptable);
  EXPECT_NE(r.error().message.find("MKI"), std::string::npos);
  EXPECT_EQ(wanPorts_.portsInUse() + lanPorts_.portsInUse(), 0u);
}

TEST_F(MediaSessionTest, SdesOfferFromTheCarrierKeysBothDirections) {
  setProfiles(sdp::SrtpMode::Sdes, false, false);
  auto s = std::make_unique<MediaSession>(ctx_, wan_, lan_, kCallId);  // A = carrier
  Result<std::string> toPbx = s->offer(Leg::A, carrierSrtpAnswer());
  ASSERT_TRUE(toPbx.ok()) << toPbx.error().message;
  EXPECT_EQ(toPbx->find("a=crypto"), std::string::npos);
  std::string pbxAnswer = kPbxOffer;
  std::optional<Result<std::string>> got;
  s->answer(Leg::B, pbxAnswer, [&](Result<std::string> r) { got = std::move(r); });
  sink_.ackAll();
  ASSERT_TRUE(got && got->ok()) << (got ? got->error().message : "no answer");
  size_t at = got->value().find("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:");
  ASSERT_NE(at, std::string::npos) << got->value();
  Result<abi::SrtpParams> ours =
      sdes::decodeInline("AES_CM_128_HMAC_SHA1_80", got->value().substr(at + 42, 40));
  ASSERT_TRUE(ours.ok());
  // liveFlow() picks by the realm packets arrive on (0: LAN, 1: WAN), whichever leg it is.
  const abi::FlowAdd* fromCarrier = liveFlow(1, false);
  ASSERT_NE(fromCarrier, nullptr);
  EXPECT_EQ(fromCarrier->srtp_in.suite, abi::SrtpSuite::AesCm128HmacSha1_80);
  const abi::FlowAdd* toCarrier = liveFlow(0, false);
  ASSERT_NE(toCarrier, nullptr);
  EXPECT_EQ(std::memcmp(toCarrier->srtp_out.key, ours->key, 30), 0);
}

TEST_F(MediaSessionTest, IdenticalReInviteProgramsNothing) {
  auto s = makeSession();
  std::string first = establish(*s, kPbxOffer, carrierAnswer());
  ASSERT_FALSE(first.empty());
  size_t before = sink_.log_.size();
  // Session refresh: same SDP, same o= version, from either side.
  std::string again = establish(*s, kPbxOffer, carrierAnswer());
  EXPECT_EQ(again, first);
  EXPECT_EQ(sink_.log_.size(), before);
  EXPECT_EQ(sink_.live_.size(), 4u);
}

TEST_F(MediaSessionTest, HoldAndResumeKeepFlows) {
  auto s = makeSession();
  ASSERT_FALSE(establish(*s, kPbxOffer, carrierAnswer()).empty());
  size_t before = sink_.log_.size();
  auto live = sink_.live_;
  // a=sendonly hold, RFC 2543 c=0.0.0.0 hold, resume: no dataplane change.
  std::string held = establish(*s, pbxOffer("sendonly", "192.0.2.20", "1953384936"),
                               carrierAnswer(16000, "recvonly", "203.0.113.50", "2"));
  EXPECT_NE(held.find("a=recvonly"), std::string::npos);
  establish(*s, pbxOffer("sendonly", "0.0.0.0", "1953384937"),
            carrierAnswer(16000, "recvonly", "203.0.113.50", "3"));
  establish(*s, pbxOffer("sendrecv", "192.0.2.20", "1953384938"),
            carrierAnswer(16000, "sendrecv", "203.0.113.50", "4"));
  EXPECT_EQ(sink_.log_.size(), before);
  ASSERT_EQ(sink_.live_.size(), live.size());
  for (const auto& [h, f] : live) {
    EXPECT_EQ(std::memcmp(&sink_.live_.at(h), &f, sizeof f), 0);
  }
}

TEST_F(MediaSessionTest, NewRemotePortModifiesFlowsInPlace) {
  auto s = makeSession();
  ASSERT_FALSE(establish(*s, kPbxOffer, carrierAnswer()).empty());
  auto handles = sink_.live_;
  ASSERT_FALSE(establish(*s, pbxOffer("sendrecv", "192.0.2.20", "1953384936"),
                         carrierAnswer(17000, "sendrecv", "203.0.113.50", "2"))
                   .empty());
  EXPECT_EQ(sink_.count(abi::MsgType::FlowModify), 4u);  // every flow names the carrier's port
  EXPECT_EQ(sink_.count(abi::MsgType::FlowAdd), 4u);     // the original ones only
  EXPECT_EQ(sink_.count(abi::MsgType::FlowDel), 0u);
  for (const auto& [h, f] : handles) {
    EXPECT_EQ(sink_.live_.count(h), 1u);
  }
  EXPECT_TRUE(sameEp(liveFlow(0, false)->out_remote, ep("203.0.113.50", 17000)));
  EXPECT_TRUE(sameEp(liveFlow(1, false)->in_remote, ep("203.0.113.50", 17000)));
  EXPECT_TRUE(sameEp(liveFlow(1, true)->in_remote, ep("203.0.113.50", 17001)));
}

TEST_F(MediaSessionTest, FailingAckRollsBackAndReportsTheError) {
  auto s = makeSession();
  ASSERT_TRUE(s->offer(Leg::A, kPbxOffer).ok());
  std::optional<Result<std::string>> got;
  s->answer(Leg::B, carrierAnswer(), [&](Result<std::string> r) { got = std::move(r); });
  EXPECT_FALSE(got.has_value());  // nothing before the Acks
  sink_.ackAll(/*failAt=*/1, abi::kErrNoSpace);
  ASSERT_TRUE(got.has_value());
  ASSERT_FALSE(got->ok());
  EXPECT_EQ(got->error().code, ErrorCode::Overloaded);
  EXPECT_EQ(sink_.count(abi::MsgType::FlowAdd), 4u);
  EXPECT_EQ(sink_.count(abi::MsgType::FlowDel), 3u);  // the three that were added
  EXPECT_TRUE(sink_.live_.empty());
  EXPECT_FALSE(s->hasFlows());
  EXPECT_FALSE(s->busy());
  EXPECT_EQ(ctx_.stats.flow_failures, 1u);
  // The B2BUA ends the call.
  bool closed = false;
  s->close([&] { closed = true; });
  EXPECT_TRUE(closed);
  EXPECT_EQ(lanPorts_.portsInUse() + wanPorts_.portsInUse(), 0u);
}

TEST_F(MediaSessionTest, NoDataplaneIsUnavailable) {
  sink_.ready_ = false;
  auto s = makeSession();
  ASSERT_TRUE(s->offer(Leg::A, kPbxOffer).ok());
  std::optional<Result<std::string>> got;
  s->answer(Leg::B, carrierAnswer(), [&](Result<std::string> r) { got = std::move(r); });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->error().code, ErrorCode::Unavailable);
  EXPECT_TRUE(sink_.log_.empty());
}

TEST_F(MediaSessionTest, CloseDeletesFlowsThenFreesPorts) {
  auto s = makeSession();
  ASSERT_FALSE(establish(*s, kPbxOffer, carrierAnswer()).empty());
  EXPECT_EQ(picker_.sessions(s->worker()), 1u);
  bool closed = false;
  s->close([&] { closed = true; });
  EXPECT_FALSE(closed);
  EXPECT_EQ(sink_.count(abi::MsgType::FlowDel), 4u);
  EXPECT_EQ(lanPorts_.portsInUse(), 2u);  // still held until the Acks
  sink_.ackAll();
  EXPECT_TRUE(closed);
  EXPECT_TRUE(sink_.live_.empty());
  EXPECT_EQ(lanPorts_.portsInUse(), 0u);
  EXPECT_EQ(wanPorts_.portsInUse(), 0u);
  EXPECT_EQ(picker_.sessions(0) + picker_.sessions(1), 0u);
  EXPECT_FALSE(s->hasFlows());
  EXPECT_EQ(s->offer(Leg::A, kPbxOffer).error().code, ErrorCode::Unavailable);
}

TEST_F(MediaSessionTest, CloseWithoutAnswerFreesPortsAnywayAndCounts) {
  auto s = makeSession();
  ASSERT_FALSE(establish(*s, kPbxOffer, carrierAnswer()).empty());
  bool closed = false;
  s->close([&] { closed = true; });
  sink_.failAll(ErrorCode::Timeout);
  EXPECT_TRUE(closed);
  EXPECT_EQ(ctx_.stats.deletes_unacked, 4u);
  EXPECT_EQ(lanPorts_.portsInUse() + wanPorts_.portsInUse(), 0u);
}

TEST_F(MediaSessionTest, CloseDuringProgrammingWaitsForTheAcks) {
  auto s = makeSession();
  ASSERT_TRUE(s->offer(Leg::A, kPbxOffer).ok());
  std::optional<Result<std::string>> got;
  s->answer(Leg::B, carrierAnswer(), [&](Result<std::string> r) { got = std::move(r); });
  bool closed = false;
  s->close([&] { closed = true; });
  EXPECT_FALSE(closed);
  sink_.ackAll();  // adds acked, then the deletes close() sends, acked too
  EXPECT_TRUE(closed);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->error().code, ErrorCode::Unavailable);
  EXPECT_TRUE(sink_.live_.empty());
  EXPECT_EQ(lanPorts_.portsInUse() + wanPorts_.portsInUse(), 0u);
}

TEST_F(MediaSessionTest, DestroyedSessionCleansUp) {
  {
    auto s = makeSession();
    ASSERT_FALSE(establish(*s, kPbxOffer, carrierAnswer()).empty());
  }
  sink_.ackAll();
  EXPECT_TRUE(sink_.live_.empty());
  EXPECT_EQ(lanPorts_.portsInUse() + wanPorts_.portsInUse(), 0u);
  {
    auto s = makeSession();
    ASSERT_TRUE(s->offer(Leg::A, kPbxOffer).ok());
    s->answer(Leg::B, carrierAnswer(), [](Result<std::string>) { FAIL() << "called"; });
  }
  sink_.ackAll();  // the adds in flight land after the session is gone: deleted
  EXPECT_TRUE(sink_.live_.empty());
}

TEST_F(MediaSessionTest, OfferErrors) {
  auto s = makeSession();
  EXPECT_EQ(s->offer(Leg::A, "v=0\r\nbogus\r\n").error().code, ErrorCode::Malformed);
  std::string g729 = kPbxOffer;
  g729.replace(g729.find("0 8 3 9 101"), 11, "18");
  EXPECT_EQ(s->offer(Leg::A, g729).error().code, ErrorCode::NotAcceptable);
  EXPECT_EQ(lanPorts_.portsInUse() + wanPorts_.portsInUse(), 0u);  // nothing kept
  ASSERT_TRUE(s->offer(Leg::A, kPbxOffer).ok());
  EXPECT_EQ(s->offer(Leg::B, carrierAnswer()).error().code, ErrorCode::Conflict);  // glare
  std::optional<Result<std::string>> got;
  s->answer(Leg::A, carrierAnswer(), [&](Result<std::string> r) { got = std::move(r); });
  EXPECT_EQ(got->error().code, ErrorCode::Conflict);  // the offerer cannot answer itself
}

TEST_F(MediaSessionTest, PortExhaustionIsOverloaded) {
  PortAllocator tiny("wan", 20000, 20001);
  wan_.ports = &tiny;
  auto first = makeSession();
  ASSERT_TRUE(first->offer(Leg::A, kPbxOffer).ok());
  auto second = makeSession();
  Result<std::string> r = second->offer(Leg::A, kPbxOffer);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::Overloaded);
  EXPECT_EQ(lanPorts_.portsInUse(), 2u);  // the second call's LAN port went back
}

TEST_F(MediaSessionTest, CancelledOfferFreesItsPorts) {
  auto s = makeSession();
  ASSERT_TRUE(s->offer(Leg::A, kPbxOffer).ok());
  EXPECT_EQ(lanPorts_.portsInUse() + wanPorts_.portsInUse(), 4u);
  s->cancelOffer();
  EXPECT_EQ(lanPorts_.portsInUse() + wanPorts_.portsInUse(), 0u);
  EXPECT_FALSE(establish(*s, kPbxOffer, carrierAnswer()).empty());
}

TEST_F(MediaSessionTest, SerialiseAndRestore) {
  setProfiles(sdp::SrtpMode::Sdes, false, false);
  auto s = makeSession();
  ASSERT_FALSE(establish(*s, kPbxOffer, carrierSrtpAnswer()).empty());
  nlohmann::json state = s->toJson();
  EXPECT_EQ(state["version"], 1);
  EXPECT_EQ(state["contains_secrets"], true);
  std::string text = state.dump();
  // Another node: its own allocators, its own worker counts, the same dataplane handles.
  PortAllocator lan2("lan", 40000, 40099);
  PortAllocator wan2("wan", 20000, 20099);
  MediaRealm lan = lan_;
  MediaRealm wan = wan_;
  lan.ports = &lan2;
  wan.ports = &wan2;
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(parsed.is_discarded());
  Result<std::unique_ptr<MediaSession>> r = MediaSession::fromJson(ctx_, lan, wan, parsed);
  ASSERT_TRUE(r.ok()) << r.error().message;
  MediaSession& back = *r.value();
  EXPECT_EQ(lan2.portsInUse(), 2u);
  EXPECT_TRUE(lan2.inUse(s->ports(Leg::A)[0].rtp));
  ASSERT_EQ(back.flows().size(), s->flows().size());
  for (size_t i = 0; i < back.flows().size(); ++i) {
    EXPECT_TRUE(back.flows()[i].key == s->flows()[i].key);
    EXPECT_EQ(back.flows()[i].handle, s->flows()[i].handle);
    EXPECT_EQ(std::memcmp(&back.flows()[i].spec, &s->flows()[i].spec, sizeof(abi::FlowAdd)), 0);
  }
  EXPECT_EQ(back.toJson()["flows"], state["flows"]);
  // The dataplane restarted: every flow again, new handles.
  size_t before = sink_.log_.size();
  std::optional<Result<void>> done;
  back.reprogram([&](Result<void> res) { done = std::move(res); });
  sink_.ackAll();
  ASSERT_TRUE(done && done->ok());
  EXPECT_EQ(sink_.log_.size() - before, 4u);
  EXPECT_EQ(sink_.count(abi::MsgType::FlowAdd), 8u);
  // Refused input.
  nlohmann::json wrong = state;
  wrong["version"] = 2;
  EXPECT_EQ(MediaSession::fromJson(ctx_, lan, wan, wrong).error().code, ErrorCode::Malformed);
  EXPECT_EQ(MediaSession::fromJson(ctx_, wan, lan, state).error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(MediaSession::fromJson(ctx_, lan, wan, state).error().code,
            ErrorCode::AlreadyExists);  // this node already holds those ports
  EXPECT_EQ(MediaSession::fromJson(ctx_, lan, wan, nlohmann::json::array()).error().code,
            ErrorCode::Malformed);
}

// --- Browser legs: ICE-lite and DTLS-SRTP ---------------------------------------------------

// Records handshakes the media layer opens; the test finishes them.
// The PBX offers only G.711; the carrier realm speaks Opus and allows transcoding to it.
class TranscodeMediaTest : public MediaSessionTest {
 protected:
  TranscodeMediaTest() {
    auto wan = std::make_shared<sdp::Profile>();
    wan->audio_codecs = {"opus", "telephone-event"};
    wan->transcode_codecs = {"opus"};
    wan_.profile = wan;
    ctx_.transcode = &book_;
  }
  static std::string opusAnswer(const char* version = "1") {
    return std::string("v=0\r\no=- 77 ") + version +
           " IN IP4 203.0.113.50\r\ns=-\r\nc=IN IP4 203.0.113.50\r\nt=0 0\r\n"
           "m=audio 16000 RTP/AVP 111 110\r\na=rtpmap:111 opus/48000/2\r\n"
           "a=fmtp:111 useinbandfec=1;maxplaybackrate=16000\r\n"
           "a=rtpmap:110 telephone-event/48000\r\na=ptime:20\r\na=sendrecv\r\n";
  }
  TranscodeBook book_{{1, 0}};  // realm 0 (wan): one transcoded call at a time
};

TEST_F(TranscodeMediaTest, NoCommonCodecProgramsATranscodedPair) {
  auto s = makeSession();
  std::string answerToA = establish(*s, kPbxOffer, opusAnswer());
  ASSERT_FALSE(answerToA.empty());
  EXPECT_NE(lastOfferToB_.find("a=rtpmap:111 opus/48000/2"), std::string::npos) << lastOfferToB_;
  EXPECT_NE(answerToA.find(" RTP/AVP 0 101\r\n"), std::string::npos) << answerToA;
  ASSERT_EQ(sink_.count(abi::MsgType::XcodeSetup), 2u);
  ASSERT_EQ(sink_.xcode_.size(), 2u);
  for (const auto& [h, x] : sink_.xcode_) {
    const abi::FlowAdd& f = sink_.live_.at(h);
    EXPECT_EQ(f.flags & abi::kFlowRtcpOnly, 0) << "only RTP flows are transcoded";
    if (f.in_port == lan_.dp_port) {  // PBX -> carrier: PCMU in, Opus out
      EXPECT_EQ(x.from.codec, abi::XcodeCodecId::Pcmu);
      EXPECT_EQ(x.from.dtmf_pt, 101);
      EXPECT_EQ(x.to.codec, abi::XcodeCodecId::Opus);
      EXPECT_EQ(x.to.payload_type, 111);
      EXPECT_EQ(x.to.dtmf_pt, 110);
      EXPECT_EQ(x.to.opus_flags & abi::kXcOpusFec, abi::kXcOpusFec) << "useinbandfec=1";
      EXPECT_EQ(x.to.max_playback_rate, 16000u);
      EXPECT_EQ(f.clock_rate, 8000u);
    } else {
      EXPECT_EQ(x.from.codec, abi::XcodeCodecId::Opus);
      EXPECT_EQ(x.to.codec, abi::XcodeCodecId::Pcmu);
      EXPECT_EQ(f.clock_rate, 48000u);
    }
    EXPECT_EQ(x.cookie, kCallId);
  }
  EXPECT_EQ(book_.active(0), 1u);
  EXPECT_EQ(book_.pairs().at("PCMU-opus"), 1u);
  // A second transcoded call on the wan realm is over its limit: 488.
  auto s2 = makeSession();
  ASSERT_TRUE(s2->offer(Leg::A, kPbxOffer).ok());
  std::optional<Result<std::string>> got;
  s2->answer(Leg::B, opusAnswer(), [&](Result<std::string> r) { got = std::move(r); });
  sink_.ackAll();
  ASSERT_TRUE(got.has_value());
  ASSERT_FALSE(got->ok());
  EXPECT_EQ(got->error().code, ErrorCode::NotAcceptable);
  EXPECT_EQ(book_.refused(0), 1u);
  bool closed = false;
  s->close([&] { closed = true; });
  sink_.ackAll();
  EXPECT_TRUE(closed);
  EXPECT_EQ(book_.active(0), 0u);
  EXPECT_EQ(book_.pairs().at("PCMU-opus"), 0u);
}

// A realm's `codecs` also bounds what its own endpoints may use: a PBX realm kept to PCMU that
// offers Opus too gets Opus only through the transcoder, never relayed.
TEST_F(TranscodeMediaTest, OfferersOwnCodecListForcesTranscoding) {
  auto lan = std::make_shared<sdp::Profile>();
  lan->audio_codecs = {"PCMU", "telephone-event"};
  lan_.profile = lan;
  const std::string offer =
      "v=0\r\no=- 5 5 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\n"
      "m=audio 12534 RTP/AVP 111 0 101\r\na=rtpmap:111 opus/48000/2\r\n"
      "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";
  auto s = makeSession();
  std::string answerToA = establish(*s, offer, opusAnswer());
  ASSERT_FALSE(answerToA.empty());
  EXPECT_NE(lastOfferToB_.find("a=rtpmap:111 opus/48000/2"), std::string::npos) << lastOfferToB_;
  EXPECT_NE(answerToA.find(" RTP/AVP 0 101\r\n"), std::string::npos) << answerToA;
  EXPECT_EQ(answerToA.find("opus"), std::string::npos) << answerToA;
  EXPECT_EQ(sink_.count(abi::MsgType::XcodeSetup), 2u) << "transcoded, not relayed";
}

// Without `transcode` on the answering realm, an offer left with no codec both realms allow is
// refused rather than relayed with a codec the offering realm forbids.
TEST_F(MediaSessionTest, NoCodecBothRealmsAllowIsRefused) {
  auto lan = std::make_shared<sdp::Profile>();
  lan->audio_codecs = {"opus", "telephone-event"};  // kPbxOffer has no Opus
  lan_.profile = lan;
  auto s = makeSession();
  Result<std::string> toB = s->offer(Leg::A, kPbxOffer);
  ASSERT_FALSE(toB.ok()) << toB.value();
  EXPECT_EQ(toB.error().code, ErrorCode::NotAcceptable) << toB.error().message;
}

class RecordingDtls : public DtlsLink {
 public:
  struct Open {
    uint32_t worker = 0;
    uint64_t flow = 0;
    bool client = false;
    std::string fingerprint;
    Done done;
  };
  std::string fingerprint() const override { return kOurFingerprint; }
  Result<void> open(uint32_t worker, uint64_t flow, bool client, const std::string& fp,
                    Done done) override {
    opens_.push_back(Open{worker, flow, client, fp, std::move(done)});
    return {};
  }
  void close(uint64_t flow) override { closed_.push_back(flow); }

  static constexpr const char* kOurFingerprint =
      "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:"
      "88:99";
  std::vector<Open> opens_;
  std::vector<uint64_t> closed_;
};

const std::string kChromeOffer =
    "v=0\r\n"
    "o=- 5550682238818068950 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 126\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=candidate:1 1 udp 2122194687 4b8a6b3c-1f2e-4d5c-9a8b-7c6d5e4f3a2b.local 51879 typ host\r\n"
    "a=ice-ufrag:w4in\r\n"
    "a=ice-pwd:9axiwIF80KSbQpetrvcyMwaG\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "6C:56:B6:F1:F3:28:6F:4D:85:64:55:12:AD:40:97:83:B8:49:DD:F1:BD:9C:28:FE:C5:A3:02:69:2F:05:8A:"
    "B4\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=sendrecv\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:126 telephone-event/8000\r\n";

class WebRtcMediaTest : public MediaSessionTest {
 protected:
  WebRtcMediaTest() {
    auto web = std::make_shared<sdp::Profile>();
    web->kind = sdp::ProfileKind::WebRtc;
    wan_.profile = web;
    ctx_.dtls = &dtls_;
    ctx_.on_failure = [this](uint64_t id, const Error& e) { failures_.emplace_back(id, e); };
  }
  // A = browser (WAN), B = PBX (LAN).
  std::unique_ptr<MediaSession> makeBrowserSession() {
    return std::make_unique<MediaSession>(ctx_, wan_, lan_, kCallId);
  }
  std::string browserCall(MediaSession& s) {
    Result<std::string> toPbx = s.offer(Leg::A, kChromeOffer);
    EXPECT_TRUE(toPbx.ok()) << toPbx.error().message;
    std::optional<Result<std::string>> got;
    s.answer(Leg::B, carrierAnswer(), [&](Result<std::string> r) { got = std::move(r); });
    sink_.ackAll();
    EXPECT_TRUE(got && got->ok()) << (got ? got->error().message : "no answer");
    return got && got->ok() ? got->value() : std::string();
  }
  static abi::SrtpParams key(uint8_t fill) {
    abi::SrtpParams k{};
    k.suite = abi::SrtpSuite::AeadAes128Gcm;
    k.key_len = 28;
    std::memset(k.key, fill, k.key_len);
    return k;
  }

  RecordingDtls dtls_;
  std::vector<std::pair<uint64_t, Error>> failures_;
};

TEST_F(WebRtcMediaTest, BrowserCallProgramsIceAndWaitsForDtlsKeys) {
  auto s = makeBrowserSession();
  std::string toBrowser = browserCall(*s);
  ASSERT_FALSE(toBrowser.empty());
  EXPECT_NE(toBrowser.find("a=fingerprint:sha-256 " + std::string(RecordingDtls::kOurFingerprint)),
            std::string::npos);
  EXPECT_NE(toBrowser.find("a=setup:passive"), std::string::npos);
  EXPECT_NE(toBrowser.find("a=ice-lite"), std::string::npos);
  const abi::FlowAdd* fromBrowser = liveFlow(1, false);
  const abi::FlowAdd* toward = liveFlow(0, false);
  ASSERT_TRUE(fromBrowser && toward);
  // The browser's address comes from ICE, not from c=0.0.0.0 or the mDNS candidate.
  EXPECT_EQ(fromBrowser->in_remote.port, 0);
  EXPECT_EQ(toward->out_remote.port, 0);
  EXPECT_EQ(fromBrowser->flags & abi::kFlowLatch, 0);
  EXPECT_NE(fromBrowser->flags & abi::kFlowAwaitKeys, 0);
  EXPECT_NE(toward->flags & abi::kFlowAwaitKeys, 0);
  // ICE-lite state on the flow receiving the browser, paired with the flow sending to it.
  ASSERT_EQ(sink_.ice_.size(), 1u);
  const auto& [iceFlow, ice] = *sink_.ice_.begin();
  EXPECT_EQ(sink_.live_.at(iceFlow).in_port, wan_.dp_port);
  EXPECT_EQ(sink_.live_.at(ice.paired_flow).out_port, wan_.dp_port);
  std::string ufrag(ice.local_ufrag, ice.local_ufrag_len);
  std::string pwd(ice.local_pwd, ice.local_pwd_len);
  EXPECT_EQ(std::string(ice.remote_ufrag, ice.remote_ufrag_len), "w4in");
  EXPECT_NE(toBrowser.find("a=ice-ufrag:" + ufrag), std::string::npos);
  EXPECT_NE(toBrowser.find("a=ice-pwd:" + pwd), std::string::npos);
  EXPECT_GE(pwd.size(), 22u);
  // DTLS: Rampart answered passive, so it is the server; the browser's fingerprint is checked.
  ASSERT_EQ(dtls_.opens_.size(), 1u);
  EXPECT_EQ(dtls_.opens_[0].flow, iceFlow);
  EXPECT_FALSE(dtls_.opens_[0].client);
  EXPECT_EQ(dtls_.opens_[0].fingerprint.rfind("sha-256 6C:56:B6", 0), 0u);

  // The handshake finishes: keys go to both flows and media is released.
  DtlsKeys k;
  k.local = key(0x11);
  k.remote = key(0x22);
  dtls_.opens_[0].done(k);
  sink_.ackAll();
  fromBrowser = liveFlow(1, false);
  toward = liveFlow(0, false);
  EXPECT_EQ(fromBrowser->flags & abi::kFlowAwaitKeys, 0);
  EXPECT_EQ(toward->flags & abi::kFlowAwaitKeys, 0);
  EXPECT_EQ(fromBrowser->srtp_in.suite, abi::SrtpSuite::AeadAes128Gcm);
  EXPECT_EQ(fromBrowser->srtp_in.key[0], 0x22);
  EXPECT_EQ(fromBrowser->srtp_out.suite, abi::SrtpSuite::None);  // plain RTP to the PBX
  EXPECT_EQ(toward->srtp_out.key[0], 0x11);
  EXPECT_EQ(toward->in_remote.port, 16000);
  EXPECT_EQ(toward->out_remote.port, 0);  // still the ICE-selected address
  EXPECT_TRUE(failures_.empty());

  bool closed = false;
  s->close([&] { closed = true; });
  sink_.ackAll();
  EXPECT_TRUE(closed);
  EXPECT_EQ(dtls_.closed_.size(), 1u);
  EXPECT_TRUE(sink_.live_.empty());
}

TEST_F(WebRtcMediaTest, FailedHandshakeReportsTheCall) {
  auto s = makeBrowserSession();
  ASSERT_FALSE(browserCall(*s).empty());
  ASSERT_EQ(dtls_.opens_.size(), 1u);
  dtls_.opens_[0].done(
      Error(ErrorCode::PermissionDenied, "certificate does not match a=fingerprint"));
  ASSERT_EQ(failures_.size(), 1u);
  EXPECT_EQ(failures_[0].first, kCallId);
  EXPECT_NE(liveFlow(1, false)->flags & abi::kFlowAwaitKeys, 0);  // nothing was released
}

TEST_F(WebRtcMediaTest, OfferWithNeitherFingerprintNorCryptoIsNotAcceptable) {
  auto s = makeBrowserSession();
  std::string offer = kChromeOffer;
  size_t at = offer.find("a=fingerprint:");
  offer.erase(at, offer.find("\r\n", at) + 2 - at);
  Result<std::string> r = s->offer(Leg::A, offer);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::NotAcceptable);
}

// An SDES-only WebRTC endpoint (RTP/SAVPF, a=crypto, ICE, no fingerprint) on a realm with
// DTLS on: answered with SDES, keys programmed at once, no handshake, ICE still required.
TEST_F(WebRtcMediaTest, SdesOnlyBrowserIsKeyedFromTheCryptoLines) {
  auto s = makeBrowserSession();
  std::string offer = kChromeOffer;
  size_t at = offer.find("a=fingerprint:");
  offer.erase(at, offer.find("a=mid:", at) - at);  // fingerprint and setup
  offer.replace(offer.find("UDP/TLS/RTP/SAVPF"), 17, "RTP/SAVPF");
  offer.insert(offer.find("a=mid:"),
               "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
               "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n");
  ASSERT_TRUE(s->offer(Leg::A, offer).ok());
  std::optional<Result<std::string>> got;
  s->answer(Leg::B, carrierAnswer(), [&](Result<std::string> r) { got = std::move(r); });
  sink_.ackAll();
  ASSERT_TRUE(got && got->ok()) << (got ? got->error().message : "no answer");
  const std::string& toBrowser = got->value();
  EXPECT_NE(toBrowser.find(" RTP/SAVPF "), std::string::npos) << toBrowser;
  EXPECT_NE(toBrowser.find("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"), std::string::npos);
  EXPECT_EQ(toBrowser.find("a=fingerprint"), std::string::npos);
  EXPECT_EQ(s->bridge().keying(Leg::A), sdp::Keying::Sdes);
  EXPECT_TRUE(dtls_.opens_.empty());
  const abi::FlowAdd* fromBrowser = liveFlow(1, false);
  const abi::FlowAdd* toward = liveFlow(0, false);
  ASSERT_TRUE(fromBrowser && toward);
  EXPECT_EQ(fromBrowser->flags & abi::kFlowAwaitKeys, 0);
  EXPECT_EQ(fromBrowser->srtp_in.suite, abi::SrtpSuite::AesCm128HmacSha1_80);
  EXPECT_EQ(toward->srtp_out.suite, abi::SrtpSuite::AesCm128HmacSha1_80);
  EXPECT_EQ(fromBrowser->in_remote.port, 0);  // from the authenticated ICE check
  EXPECT_EQ(sink_.ice_.size(), 1u);
  EXPECT_TRUE(failures_.empty());
}

TEST_F(WebRtcMediaTest, PbxCallToBrowserAnsweredPassiveMakesRampartTheClient) {
  auto s = std::make_unique<MediaSession>(ctx_, lan_, wan_, kCallId);  // A = PBX, B = browser
  Result<std::string> toBrowser = s->offer(Leg::A, kPbxOffer);
  ASSERT_TRUE(toBrowser.ok()) << toBrowser.error().message;
  EXPECT_NE(toBrowser.value().find("a=setup:actpass"), std::string::npos);
  std::string answer = kChromeOffer;
  answer.replace(answer.find("a=setup:actpass"), 15, "a=setup:passive");
  std::optional<Result<std::string>> got;
  s->answer(Leg::B, answer, [&](Result<std::string> r) { got = std::move(r); });
  sink_.ackAll();
  ASSERT_TRUE(got && got->ok()) << (got ? got->error().message : "none");
  ASSERT_EQ(dtls_.opens_.size(), 1u);
  EXPECT_TRUE(dtls_.opens_[0].client);
}

}  // namespace
}  // namespace rampart::cp
