#include <gtest/gtest.h>
#include <rampart/sdp/normalize.h>
#include <rampart/sdp/parser.h>
#include <rampart/sdp/writer.h>

#include <string>

namespace rampart::sdp {
namespace {

const std::string kBrowserOffer =
    "v=0\r\n"
    "o=- 1699380892384061085 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "m=audio 58025 UDP/TLS/RTP/SAVPF 111 9 0 8 110 126\r\n"
    "c=IN IP4 192.0.2.2\r\n"
    "a=candidate:2562304968 1 udp 2122194687 192.0.2.2 58025 typ host generation 0\r\n"
    "a=ice-ufrag:tHJW\r\n"
    "a=ice-pwd:ZyyEXzpOfYVs9eRTcAsJ/ejA\r\n"
    "a=fingerprint:sha-256 84:EE:C8:63:BE:3C:8D:29:58:6D:79:44:09:C3:F8:DB:74:ED:AB:9C:DF:76:AA:"
    "40:61:48:A0:A9:59:DC:3B:61\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=sendrecv\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:110 telephone-event/48000\r\n"
    "a=rtpmap:126 telephone-event/8000\r\n"
    "m=video 58026 UDP/TLS/RTP/SAVPF 96\r\n"
    "c=IN IP4 192.0.2.2\r\n"
    "a=mid:1\r\n"
    "a=sendrecv\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:96 VP8/90000\r\n";

std::string trunkAnswer(const std::string& direction, uint16_t port = 20000) {
  return "v=0\r\n"
         "o=asterisk 1 1 IN IP4 10.0.0.5\r\n"
         "s=Asterisk\r\n"
         "c=IN IP4 10.0.0.5\r\n"
         "t=0 0\r\n"
         "m=audio " +
         std::to_string(port) +
         " RTP/AVP 0 101\r\n"
         "a=rtpmap:0 PCMU/8000\r\n"
         "a=rtpmap:101 telephone-event/8000\r\n"
         "a=fmtp:101 0-16\r\n"
         "a=ptime:20\r\n"
         "a=" +
         direction + "\r\n";
}

Session mustParse(const std::string& s) {
  Result<Session> r = parse(s);
  EXPECT_TRUE(r.ok()) << describe(r.error()) << "\n" << s;
  return r.ok() ? std::move(r).value() : Session{};
}

std::string replaceAll(std::string s, const std::string& a, const std::string& b) {
  for (size_t p = s.find(a); p != std::string::npos; p = s.find(a, p + b.size())) {
    s.replace(p, a.size(), b);
  }
  return s;
}

Bridge webrtcToTrunk() {
  LegConfig a = defaultLegConfig(ProfileKind::WebRtc);
  LegConfig b = defaultLegConfig(ProfileKind::Trunk);
  EXPECT_TRUE(applyOption(b, "codecs", "PCMU,PCMA,telephone-event").ok());
  return Bridge(std::move(a), std::move(b));
}

TEST(SdpBridge, WebRtcOfferBecomesOneAudioLineTowardTrunkAndAnswerMapsBack) {
  Bridge br = webrtcToTrunk();
  Result<std::string> off = br.offer(Leg::A, mustParse(kBrowserOffer));
  ASSERT_TRUE(off.ok()) << describe(off.error());
  const std::string& o = *off;
  EXPECT_NE(o.find("m=audio 30000 RTP/AVP 0 8 126\r\n"), std::string::npos) << o;
  EXPECT_EQ(o.find("m=video"), std::string::npos) << "trunk has no video policy";
  EXPECT_EQ(o.find("ice-"), std::string::npos);
  EXPECT_EQ(o.find("fingerprint"), std::string::npos);
  EXPECT_EQ(o.find("BUNDLE"), std::string::npos);
  EXPECT_EQ(o.find("extmap"), std::string::npos);
  EXPECT_NE(o.find("a=rtcp:30001\r\n"), std::string::npos);
  EXPECT_NE(o.find("a=ptime:20\r\n"), std::string::npos);
  EXPECT_NE(o.find("c=IN IP4 198.51.100.10\r\n"), std::string::npos);
  mustParse(o);

  Result<std::string> ans = br.answer(Leg::B, mustParse(trunkAnswer("sendrecv")));
  ASSERT_TRUE(ans.ok()) << describe(ans.error());
  const std::string& a = *ans;
  mustParse(a);
  EXPECT_NE(a.find("a=group:BUNDLE 0\r\n"), std::string::npos) << a;
  EXPECT_NE(a.find("m=audio 40000 UDP/TLS/RTP/SAVPF 0 126\r\n"), std::string::npos) << a;
  EXPECT_NE(a.find("a=rtpmap:126 telephone-event/8000\r\n"), std::string::npos);
  EXPECT_NE(a.find("m=video 0 UDP/TLS/RTP/SAVPF 96\r\n"), std::string::npos) << a;
  EXPECT_NE(a.find("a=mid:1\r\n"), std::string::npos) << "a rejected m-line keeps its mid";
  EXPECT_NE(a.find("a=setup:passive\r\n"), std::string::npos);
  EXPECT_NE(a.find("a=ice-lite\r\n"), std::string::npos);
  EXPECT_NE(a.find("a=rtcp-mux\r\n"), std::string::npos);
  EXPECT_NE(a.find("typ host"), std::string::npos);

  ASSERT_EQ(br.mappings().size(), 1u);
  const StreamMapping& m = br.mappings()[0];
  EXPECT_EQ(m.slot_a, 0);
  EXPECT_EQ(m.slot_b, 0);
  ASSERT_EQ(m.payloads.size(), 2u);
  EXPECT_EQ(m.payloads[1].pt_a, 126);
  EXPECT_EQ(m.payloads[1].pt_b, 101);
}

TEST(SdpBridge, HoldReofferKeepsPayloadTypesAndBumpsVersionOnlyOnChange) {
  Bridge br = webrtcToTrunk();
  ASSERT_TRUE(br.offer(Leg::A, mustParse(kBrowserOffer)).ok());
  ASSERT_TRUE(br.answer(Leg::B, mustParse(trunkAnswer("sendrecv"))).ok());
  EXPECT_EQ(br.originVersion(Leg::B), 1u);

  std::string hold = replaceAll(kBrowserOffer, "a=sendrecv", "a=sendonly");
  Result<std::string> off = br.offer(Leg::A, mustParse(hold));
  ASSERT_TRUE(off.ok()) << describe(off.error());
  EXPECT_NE(off->find("o=rampart 3000000001 2 IN IP4"), std::string::npos) << *off;
  EXPECT_NE(off->find("a=sendonly\r\n"), std::string::npos);
  // telephone-event keeps the PT the trunk chose (101), not the browser's 126.
  EXPECT_NE(off->find("m=audio 30000 RTP/AVP 0 8 101\r\n"), std::string::npos) << *off;
  Result<std::string> ans = br.answer(Leg::B, mustParse(trunkAnswer("recvonly")));
  ASSERT_TRUE(ans.ok()) << describe(ans.error());
  EXPECT_NE(ans->find("a=recvonly\r\n"), std::string::npos) << *ans;
  EXPECT_EQ(br.originVersion(Leg::A), 2u);

  // Resume, then an identical session refresh: the version moves once, then stays.
  ASSERT_TRUE(br.offer(Leg::A, mustParse(kBrowserOffer)).ok());
  ASSERT_TRUE(br.answer(Leg::B, mustParse(trunkAnswer("sendrecv"))).ok());
  uint64_t v = br.originVersion(Leg::B);
  ASSERT_TRUE(br.offer(Leg::A, mustParse(kBrowserOffer)).ok());
  ASSERT_TRUE(br.answer(Leg::B, mustParse(trunkAnswer("sendrecv"))).ok());
  EXPECT_EQ(br.originVersion(Leg::B), v);
}

TEST(SdpBridge, AnswerNeverDropsAnEstablishedBundleMid) {
  Bridge br = webrtcToTrunk();
  ASSERT_TRUE(br.offer(Leg::A, mustParse(kBrowserOffer)).ok());
  ASSERT_TRUE(br.answer(Leg::B, mustParse(trunkAnswer("sendrecv"))).ok());
  ASSERT_TRUE(br.offer(Leg::A, mustParse(kBrowserOffer)).ok());
  Result<std::string> ans = br.answer(Leg::B, mustParse(trunkAnswer("sendrecv", 0)));
  ASSERT_TRUE(ans.ok()) << describe(ans.error());
  EXPECT_NE(ans->find("a=group:BUNDLE 0\r\n"), std::string::npos) << *ans;
  EXPECT_NE(ans->find("m=audio 40000 UDP/TLS/RTP/SAVPF"), std::string::npos) << *ans;
  EXPECT_NE(ans->find("a=inactive\r\n"), std::string::npos) << *ans;
}

TEST(SdpBridge, OfferAnswerErrors) {
  Bridge br = webrtcToTrunk();
  Result<std::string> r = br.answer(Leg::B, mustParse(trunkAnswer("sendrecv")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::NoPendingOffer);
  ASSERT_TRUE(br.offer(Leg::A, mustParse(kBrowserOffer)).ok());
  r = br.offer(Leg::A, mustParse(kBrowserOffer));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::OfferPending);
  r = br.answer(Leg::A, mustParse(kBrowserOffer));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::NoPendingOffer);
  std::string two = trunkAnswer("sendrecv") + "m=video 0 RTP/AVP 31\r\n";
  r = br.answer(Leg::B, mustParse(two));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::AnswerMismatch);
  std::string savp = replaceAll(trunkAnswer("sendrecv"), "RTP/AVP", "RTP/SAVP");
  r = br.answer(Leg::B, mustParse(savp));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::AnswerMismatch);
  ASSERT_TRUE(br.answer(Leg::B, mustParse(trunkAnswer("sendrecv"))).ok());

  std::string fewer = kBrowserOffer.substr(0, kBrowserOffer.find("m=video"));
  r = br.offer(Leg::A, mustParse(fewer));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::ReofferRemovedMedia);
  r = br.offer(Leg::A, mustParse(replaceAll(kBrowserOffer, "a=mid:1", "a=mid:v")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::MidChanged);
  EXPECT_GT(r.error().line, 0);
}

TEST(SdpBridge, NothingAcceptableAndMissingParameters) {
  LegConfig a = defaultLegConfig(ProfileKind::Trunk);
  LegConfig b = defaultLegConfig(ProfileKind::WebRtc);
  Bridge br(a, b);
  std::string g729 =
      "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 18 101\r\na=rtpmap:18 G729/8000\r\na=rtpmap:101 "
      "telephone-event/8000\r\n";
  Result<std::string> r = br.offer(Leg::A, mustParse(g729));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::NoAcceptableMedia);

  b.local.ice_pwd.clear();
  Bridge br2(a, b);
  r = br2.offer(Leg::A, mustParse(replaceAll(g729, "RTP/AVP 18 101", "RTP/AVP 0 18 101")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::MissingLocalParameter);
}

TEST(SdpBridge, DualMlineSrtpFallbackFromTrunkPicksOneAndRejectsTheOther) {
  LegConfig a = defaultLegConfig(ProfileKind::Trunk);
  EXPECT_TRUE(applyOption(a, "srtp", "sdes").ok());
  Bridge br(a, defaultLegConfig(ProfileKind::WebRtc));
  std::string dual =
      "v=0\r\no=pbx 5 5 IN IP4 10.0.0.1\r\ns=pbx\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
      "m=audio 4000 RTP/SAVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
      "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n"
      "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n"
      "m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
      "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n";
  Result<std::string> off = br.offer(Leg::A, mustParse(dual));
  ASSERT_TRUE(off.ok()) << describe(off.error());
  EXPECT_NE(off->find("a=group:BUNDLE 0\r\n"), std::string::npos) << *off;
  EXPECT_EQ(off->find("m=audio", off->find("m=audio") + 1), std::string::npos) << *off;
  std::string browserAnswer =
      "v=0\r\no=- 77 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 0 101\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=setup:active\r\n"
      "a=fingerprint:sha-256 "
      "84:EE:C8:63:BE:3C:8D:29:58:6D:79:44:09:C3:F8:DB:74:ED:AB:9C:DF:76:AA:40:61:48:A0:A9:59:DC:"
      "3B:61\r\n"
      "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=sendrecv\r\na=rtcp-mux\r\n"
      "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n";
  Result<std::string> ans = br.answer(Leg::B, mustParse(browserAnswer));
  ASSERT_TRUE(ans.ok()) << describe(ans.error());
  // Answers the SRTP m-line with the first supported suite's tag, rejects the fallback.
  EXPECT_NE(ans->find("m=audio 30000 RTP/SAVP 0 101\r\n"), std::string::npos) << *ans;
  EXPECT_NE(ans->find("a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:"), std::string::npos) << *ans;
  EXPECT_NE(ans->find("m=audio 0 RTP/AVP 0\r\n"), std::string::npos) << *ans;
  mustParse(*ans);
  // c=0.0.0.0 in the browser answer is not a hold: it answered a=sendrecv and ICE carries the
  // address; only trunks use the RFC 2543 hold address.
}

const std::string kAsteriskOffer =
    "v=0\r\no=- 1953384935 1953384935 IN IP4 192.0.2.20\r\ns=Asterisk\r\n"
    "c=IN IP4 192.0.2.20\r\nt=0 0\r\nm=audio 12534 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n";

std::string browserAnswer(const std::string& codecs, const std::string& rtpmaps,
                          const std::string& dir) {
  return "v=0\r\no=mozilla...THIS_IS_SDPARTA-99.0 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
         "a=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF " +
         codecs +
         "\r\nc=IN IP4 0.0.0.0\r\n"
         "a=mid:0\r\na=setup:active\r\na=fingerprint:sha-256 "
         "84:EE:C8:63:BE:3C:8D:29:58:6D:79:44:09:C3:F8:DB:74:ED:AB:9C:DF:76:AA:40:61:48:A0:A9:59:"
         "DC:3B:61\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
         "a=" +
         dir + "\r\na=rtcp-mux\r\n" + rtpmaps;
}

TEST(SdpBridge, EditedSessionNormalisesLikeTheParsedText) {
  // An edit clears validated(), so the normaliser re-checks the lines instead of only splitting
  // them; both paths must give the same SDP (port count, hold address, channel count).
  Session edited = mustParse(kAsteriskOffer);
  ASSERT_TRUE(edited.validated());
  size_t m = edited.media(0).firstLineIndex();
  edited.setLineValue(m, "audio 12534/2 RTP/AVP 0 8 101 96");
  edited.insertLine(m + 1, 'c', "IN IP4 0.0.0.0/127");
  edited.insertLine(m + 2, 'a', "rtpmap:96 opus/48000/2");
  EXPECT_FALSE(edited.validated());
  Session parsed = mustParse(serialize(edited));
  EXPECT_TRUE(parsed.validated());
  Bridge x(defaultLegConfig(ProfileKind::Trunk), defaultLegConfig(ProfileKind::WebRtc));
  Bridge y(defaultLegConfig(ProfileKind::Trunk), defaultLegConfig(ProfileKind::WebRtc));
  Result<std::string> fromEdited = x.offer(Leg::A, edited);
  Result<std::string> fromParsed = y.offer(Leg::A, parsed);
  ASSERT_TRUE(fromEdited.ok()) << describe(fromEdited.error());
  ASSERT_TRUE(fromParsed.ok()) << describe(fromParsed.error());
  EXPECT_EQ(*fromEdited, *fromParsed);
  EXPECT_NE(fromParsed->find("a=rtpmap:96 opus/48000/2\r\n"), std::string::npos);
  EXPECT_NE(fromParsed->find("a=sendonly\r\n"), std::string::npos);
}

TEST(SdpBridge, TrunkReofferWithNewTelephoneEventPtKeepsTheBrowserPt) {
  Bridge br(defaultLegConfig(ProfileKind::Trunk), defaultLegConfig(ProfileKind::WebRtc));
  ASSERT_TRUE(br.offer(Leg::A, mustParse(kAsteriskOffer)).ok());
  // Firefox style answer: c=0.0.0.0 is not a hold for a WebRTC leg.
  Result<std::string> ans =
      br.answer(Leg::B, mustParse(browserAnswer("0 101",
                                                "a=rtpmap:0 PCMU/8000\r\n"
                                                "a=rtpmap:101 telephone-event/8000\r\n",
                                                "sendrecv")));
  ASSERT_TRUE(ans.ok()) << describe(ans.error());
  EXPECT_NE(ans->find("a=sendrecv\r\n"), std::string::npos) << *ans;
  // The PBX renumbers telephone-event in its re-INVITE (janus-gateway#1591): the browser must
  // keep seeing 101.
  std::string reoffer = replaceAll(replaceAll(kAsteriskOffer, " 101", " 96"), ":101 ", ":96 ");
  reoffer = replaceAll(reoffer, "1953384935 1953384935", "1953384935 1953384936");
  Result<std::string> off = br.offer(Leg::A, mustParse(reoffer));
  ASSERT_TRUE(off.ok()) << describe(off.error());
  EXPECT_NE(off->find("UDP/TLS/RTP/SAVPF 0 8 101\r\n"), std::string::npos) << *off;
  EXPECT_NE(off->find("a=rtpmap:101 telephone-event/8000\r\n"), std::string::npos) << *off;
  EXPECT_NE(off->find("a=mid:0\r\n"), std::string::npos);
  ans = br.answer(Leg::B, mustParse(browserAnswer("0 101",
                                                  "a=rtpmap:0 PCMU/8000\r\n"
                                                  "a=rtpmap:101 telephone-event/8000\r\n",
                                                  "sendrecv")));
  ASSERT_TRUE(ans.ok()) << describe(ans.error());
  // Back to the PBX in its own (new) numbering, and the dataplane map says 96 <-> 101.
  EXPECT_NE(ans->find("RTP/AVP 0 96\r\n"), std::string::npos) << *ans;
  ASSERT_EQ(br.mappings().size(), 1u);
  EXPECT_EQ(br.mappings()[0].payloads[1].pt_a, 96);
  EXPECT_EQ(br.mappings()[0].payloads[1].pt_b, 101);
}

TEST(SdpBridge, TrunkReofferAddingVideoAppendsAStableMid) {
  LegConfig a = defaultLegConfig(ProfileKind::Trunk);
  EXPECT_TRUE(applyOption(a, "video-codecs", "H264").ok());
  Bridge br(a, defaultLegConfig(ProfileKind::WebRtc));
  ASSERT_TRUE(br.offer(Leg::A, mustParse(kAsteriskOffer)).ok());
  ASSERT_TRUE(
      br.answer(Leg::B, mustParse(browserAnswer("0", "a=rtpmap:0 PCMU/8000\r\n", "sendrecv")))
          .ok());
  std::string withVideo =
      replaceAll(kAsteriskOffer, "1953384935 1953384935", "1953384935 1953384936") +
      "m=video 12536 RTP/AVP 99\r\na=rtpmap:99 H264/90000\r\n"
      "a=fmtp:99 packetization-mode=1\r\n";
  Result<std::string> off = br.offer(Leg::A, mustParse(withVideo));
  ASSERT_TRUE(off.ok()) << describe(off.error());
  EXPECT_NE(off->find("a=group:BUNDLE 0 1\r\n"), std::string::npos) << *off;
  EXPECT_NE(off->find("m=video 40000 UDP/TLS/RTP/SAVPF 99\r\n"), std::string::npos) << *off;
  EXPECT_NE(off->find("a=mid:1\r\n"), std::string::npos);
  EXPECT_EQ(br.slotCount(Leg::B), 2u);
  // The browser must answer both m-lines.
  Result<std::string> bad =
      br.answer(Leg::B, mustParse(browserAnswer("0", "a=rtpmap:0 PCMU/8000\r\n", "sendrecv")));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::AnswerMismatch);
}

TEST(SdpBridge, DirectionsAreClampedAndSessionLevelDirectionApplies) {
  Bridge br(defaultLegConfig(ProfileKind::Trunk), defaultLegConfig(ProfileKind::WebRtc));
  // Session-level a=sendonly applies to the m-line that has no direction of its own.
  std::string hold = replaceAll(kAsteriskOffer, "a=sendrecv\r\n", "");
  hold = replaceAll(hold, "t=0 0\r\n", "t=0 0\r\na=sendonly\r\n");
  Result<std::string> off = br.offer(Leg::A, mustParse(hold));
  ASSERT_TRUE(off.ok()) << describe(off.error());
  EXPECT_NE(off->find("a=sendonly\r\n"), std::string::npos) << *off;
  // A (wrong) sendrecv answer to a sendonly offer becomes recvonly toward the PBX.
  Result<std::string> ans =
      br.answer(Leg::B, mustParse(browserAnswer("0", "a=rtpmap:0 PCMU/8000\r\n", "sendrecv")));
  ASSERT_TRUE(ans.ok()) << describe(ans.error());
  EXPECT_NE(ans->find("a=recvonly\r\n"), std::string::npos) << *ans;
}

TEST(SdpBridge, PortZeroInAReofferDisablesTheLinkedMline) {
  Bridge br = webrtcToTrunk();
  ASSERT_TRUE(br.offer(Leg::A, mustParse(kBrowserOffer)).ok());
  ASSERT_TRUE(br.answer(Leg::B, mustParse(trunkAnswer("sendrecv"))).ok());
  std::string off0 = replaceAll(kBrowserOffer, "m=audio 58025", "m=audio 0");
  Result<std::string> off = br.offer(Leg::A, mustParse(off0));
  // The only media is disabled: nothing to offer to the trunk.
  ASSERT_FALSE(off.ok());
  EXPECT_EQ(off.error().code, ErrorCode::NoAcceptableMedia);
}

TEST(SdpBridge, TrunkAnswerWithAnUnofferedCryptoTagIsRejected) {
  LegConfig b = defaultLegConfig(ProfileKind::Trunk);
  EXPECT_TRUE(applyOption(b, "srtp", "sdes").ok());
  Bridge br(defaultLegConfig(ProfileKind::WebRtc), b);
  Result<std::string> off = br.offer(Leg::A, mustParse(kBrowserOffer));
  ASSERT_TRUE(off.ok());
  EXPECT_NE(off->find("RTP/SAVP"), std::string::npos);
  std::string ans = replaceAll(trunkAnswer("sendrecv"), "RTP/AVP", "RTP/SAVP") +
                    "a=crypto:2 AES_CM_128_HMAC_SHA1_80 "
                    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n";
  Result<std::string> r = br.answer(Leg::B, mustParse(ans));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::AnswerMismatch);
  br.cancelOffer();
  EXPECT_TRUE(br.offer(Leg::A, mustParse(kBrowserOffer)).ok());
}

// RFC 4317 section 2.1-2.4 (audio + video offer, video rejected, hold), bridged between two
// plain SIP legs. RFC 4317 writes "s= " (a space), which RFC 8866 allows.
const std::string kRfc4317AliceOffer =
    "v=0\r\no=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com\r\ns= \r\n"
    "c=IN IP4 host.atlanta.example.com\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8 97\r\n"
    "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:97 iLBC/8000\r\n"
    "m=video 51372 RTP/AVP 31 32\r\na=rtpmap:31 H261/90000\r\na=rtpmap:32 MPV/90000\r\n";

Bridge sipToSip() {
  LegConfig a = defaultLegConfig(ProfileKind::Trunk);
  LegConfig b = defaultLegConfig(ProfileKind::Trunk);
  for (LegConfig* c : {&a, &b}) {
    EXPECT_TRUE(applyOption(*c, "codecs", "PCMU,PCMA,iLBC,telephone-event").ok());
    EXPECT_TRUE(applyOption(*c, "video-codecs", "H261,MPV").ok());
    EXPECT_TRUE(applyOption(*c, "ptime", "0").ok());
  }
  EXPECT_TRUE(applyOption(a, "address", "198.51.100.20").ok());
  return Bridge(std::move(a), std::move(b));
}

TEST(SdpBridge, Rfc4317AudioVideoOfferAnswerAndVideoRejection) {
  Bridge br = sipToSip();
  Result<std::string> off = br.offer(Leg::A, mustParse(kRfc4317AliceOffer));
  ASSERT_TRUE(off.ok()) << describe(off.error());
  EXPECT_NE(off->find("m=audio 30000 RTP/AVP 0 8 97\r\n"), std::string::npos) << *off;
  EXPECT_NE(off->find("m=video 30002 RTP/AVP 31 32\r\n"), std::string::npos) << *off;
  // 2.1: Bob accepts PCMU and one of the video codecs.
  std::string bob =
      "v=0\r\no=bob 2808844564 2808844564 IN IP4 host.biloxi.example.com\r\ns= \r\n"
      "c=IN IP4 host.biloxi.example.com\r\nt=0 0\r\nm=audio 49174 RTP/AVP 0\r\n"
      "a=rtpmap:0 PCMU/8000\r\nm=video 49170 RTP/AVP 32\r\na=rtpmap:32 MPV/90000\r\n";
  Result<std::string> ans = br.answer(Leg::B, mustParse(bob));
  ASSERT_TRUE(ans.ok()) << describe(ans.error());
  EXPECT_NE(ans->find("m=audio 30000 RTP/AVP 0\r\n"), std::string::npos) << *ans;
  EXPECT_NE(ans->find("m=video 30002 RTP/AVP 32\r\n"), std::string::npos) << *ans;
  EXPECT_NE(ans->find("c=IN IP4 198.51.100.20\r\n"), std::string::npos) << *ans;
  EXPECT_EQ(br.mappings().size(), 2u);

  // 2.2 style: a re-offer where Bob now rejects video with port 0.
  std::string reoffer =
      replaceAll(kRfc4317AliceOffer, "2890844526 2890844526", "2890844526 2890844527");
  ASSERT_TRUE(br.offer(Leg::A, mustParse(reoffer)).ok());
  std::string bobNoVideo = replaceAll(bob, "m=video 49170", "m=video 0");
  ans = br.answer(Leg::B, mustParse(bobNoVideo));
  ASSERT_TRUE(ans.ok()) << describe(ans.error());
  EXPECT_NE(ans->find("m=video 0 RTP/AVP 31\r\n"), std::string::npos) << *ans;
  EXPECT_EQ(br.mappings().size(), 1u);

  // 2.4 style hold: Alice re-offers sendonly, Bob answers recvonly.
  std::string hold = replaceAll(reoffer, "2890844526 2890844527", "2890844526 2890844528");
  hold = replaceAll(hold, "a=rtpmap:97 iLBC/8000\r\n", "a=rtpmap:97 iLBC/8000\r\na=sendonly\r\n");
  Result<std::string> holdOff = br.offer(Leg::A, mustParse(hold));
  ASSERT_TRUE(holdOff.ok()) << describe(holdOff.error());
  EXPECT_NE(holdOff->find("a=sendonly\r\n"), std::string::npos) << *holdOff;
  std::string bobHold =
      replaceAll(bobNoVideo, "a=rtpmap:0 PCMU/8000\r\n", "a=rtpmap:0 PCMU/8000\r\na=recvonly\r\n");
  ans = br.answer(Leg::B, mustParse(bobHold));
  ASSERT_TRUE(ans.ok()) << describe(ans.error());
  EXPECT_NE(ans->find("a=recvonly\r\n"), std::string::npos) << *ans;
}

TEST(SdpBridge, BundleOnlyMlineWithPortZeroIsLive) {
  LegConfig b = defaultLegConfig(ProfileKind::Trunk);
  EXPECT_TRUE(applyOption(b, "video-codecs", "VP8").ok());
  Bridge br(defaultLegConfig(ProfileKind::WebRtc), b);
  std::string offer = replaceAll(kBrowserOffer, "m=video 58026", "m=video 0");
  offer = replaceAll(offer, "a=mid:1\r\n", "a=mid:1\r\na=bundle-only\r\n");
  Result<std::string> off = br.offer(Leg::A, mustParse(offer));
  ASSERT_TRUE(off.ok()) << describe(off.error());
  EXPECT_NE(off->find("m=video 30002 RTP/AVP 96\r\n"), std::string::npos) << *off;
  // Without bundle-only, port 0 means disabled.
  Bridge br2(defaultLegConfig(ProfileKind::WebRtc), b);
  off = br2.offer(Leg::A, mustParse(replaceAll(kBrowserOffer, "m=video 58026", "m=video 0")));
  ASSERT_TRUE(off.ok()) << describe(off.error());
  EXPECT_EQ(off->find("m=video"), std::string::npos) << *off;
}

TEST(SdpBridge, AnswerNamingOneCodecTwiceGivesItOnce) {
  // Fuzzer find: the browser answer maps PT 9 to PCMA (not G722) and also lists PCMA as 8.
  Bridge br(defaultLegConfig(ProfileKind::Trunk), defaultLegConfig(ProfileKind::WebRtc));
  ASSERT_TRUE(br.offer(Leg::A, mustParse(kAsteriskOffer)).ok());
  Result<std::string> ans =
      br.answer(Leg::B, mustParse(browserAnswer("9 0 8 101",
                                                "a=rtpmap:9 PCMA/8000\r\n"
                                                "a=rtpmap:101 telephone-event/8000\r\n",
                                                "sendrecv")));
  ASSERT_TRUE(ans.ok()) << describe(ans.error());
  EXPECT_NE(ans->find("m=audio 30000 RTP/AVP 8 0 101\r\n"), std::string::npos) << *ans;
  EXPECT_TRUE(parse(*ans).ok());
}

TEST(SdpBridge, MidsRampartAssignsNeverCollideWithTheBrowsers) {
  // The browser named its audio m-line "1"; a trunk re-offer adding video must not reuse it.
  LegConfig b = defaultLegConfig(ProfileKind::Trunk);
  EXPECT_TRUE(applyOption(b, "video-codecs", "H264").ok());
  Bridge br(defaultLegConfig(ProfileKind::WebRtc), b);
  std::string offer = kBrowserOffer.substr(0, kBrowserOffer.find("m=video"));
  offer = replaceAll(replaceAll(offer, "a=mid:0", "a=mid:1"), "BUNDLE 0 1", "BUNDLE 1");
  ASSERT_TRUE(br.offer(Leg::A, mustParse(offer)).ok());
  ASSERT_TRUE(br.answer(Leg::B, mustParse(trunkAnswer("sendrecv"))).ok());
  std::string reoffer =
      trunkAnswer("sendrecv") + "m=video 20002 RTP/AVP 99\r\na=rtpmap:99 H264/90000\r\n";
  Result<std::string> off = br.offer(Leg::B, mustParse(reoffer));
  ASSERT_TRUE(off.ok()) << describe(off.error());
  EXPECT_NE(off->find("a=group:BUNDLE 1 2\r\n"), std::string::npos) << *off;
}

TEST(SdpBridge, SdesAnswerOnlyPicksSuitesMatchingTheRealmKeyLength) {
  // The realm's keys are AES-256 (46 bytes): an offered AES_CM_128 suite cannot be answered.
  LegConfig a = defaultLegConfig(ProfileKind::Trunk);
  EXPECT_TRUE(applyOption(a, "srtp", "sdes").ok());
  EXPECT_TRUE(applyOption(a, "sdes-suite", "AES_256_CM_HMAC_SHA1_80").ok());
  Bridge br(a, defaultLegConfig(ProfileKind::WebRtc));
  std::string savp = replaceAll(kAsteriskOffer, "RTP/AVP", "RTP/SAVP") +
                     "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                     "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n";
  Result<std::string> off = br.offer(Leg::A, mustParse(savp));
  ASSERT_FALSE(off.ok());
  EXPECT_EQ(off.error().code, ErrorCode::NoAcceptableMedia);
}

TEST(SdpBridge, IceRestartNeedsNewLocalCredentialsAndLeavesTheTrunkAlone) {
  Bridge br = webrtcToTrunk();
  ASSERT_TRUE(br.offer(Leg::A, mustParse(kBrowserOffer)).ok());
  ASSERT_TRUE(br.answer(Leg::B, mustParse(trunkAnswer("sendrecv"))).ok());
  EXPECT_FALSE(br.iceRestartPending(Leg::A));
  // One refresh first: the re-offer then carries the trunk's telephone-event PT (101).
  ASSERT_TRUE(br.offer(Leg::A, mustParse(kBrowserOffer)).ok());
  ASSERT_TRUE(br.answer(Leg::B, mustParse(trunkAnswer("sendrecv"))).ok());
  EXPECT_FALSE(br.iceRestartPending(Leg::A));
  uint64_t trunkVersion = br.originVersion(Leg::B);

  std::string restart = replaceAll(kBrowserOffer, "a=ice-ufrag:tHJW", "a=ice-ufrag:nEw1");
  restart = replaceAll(restart, "ZyyEXzpOfYVs9eRTcAsJ/ejA", "QzyEXzpOfYVs9eRTcAsJ/ejB");
  Result<std::string> off = br.offer(Leg::A, mustParse(restart));
  ASSERT_TRUE(off.ok()) << describe(off.error());
  EXPECT_TRUE(br.iceRestartPending(Leg::A));
  // Nothing changed toward the trunk (rtpengine#614: the PSTN leg must not notice).
  EXPECT_EQ(br.originVersion(Leg::B), trunkVersion);

  Result<std::string> ans = br.answer(Leg::B, mustParse(trunkAnswer("sendrecv")));
  ASSERT_FALSE(ans.ok());
  EXPECT_EQ(ans.error().code, ErrorCode::MissingLocalParameter);
  br.local(Leg::A).ice_ufrag = "rmp2";
  br.local(Leg::A).ice_pwd = "rampartIcePassword0123457";
  ans = br.answer(Leg::B, mustParse(trunkAnswer("sendrecv")));
  ASSERT_TRUE(ans.ok()) << describe(ans.error());
  EXPECT_NE(ans->find("a=ice-ufrag:rmp2\r\n"), std::string::npos) << *ans;
  EXPECT_FALSE(br.iceRestartPending(Leg::A));

  // A session refresh with the same ufrag is not a restart.
  ASSERT_TRUE(br.offer(Leg::A, mustParse(restart)).ok());
  EXPECT_FALSE(br.iceRestartPending(Leg::A));
  br.cancelOffer();
}

// Transcoding: a browser offering only Opus, a trunk realm of G.711 that allows transcoding.
Bridge opusOnlyToG711() {
  LegConfig a = defaultLegConfig(ProfileKind::WebRtc);
  LegConfig b = defaultLegConfig(ProfileKind::Trunk);
  EXPECT_TRUE(applyOption(b, "codecs", "PCMU,PCMA,telephone-event").ok());
  EXPECT_TRUE(applyOption(b, "transcode", "PCMU,PCMA").ok());
  return Bridge(std::move(a), std::move(b));
}

std::string opusOnly(const std::string& s) {
  std::string o = replaceAll(s, "UDP/TLS/RTP/SAVPF 111 9 0 8 110 126", "UDP/TLS/RTP/SAVPF 111 110");
  for (const char* line : {"a=rtpmap:9 G722/8000\r\n", "a=rtpmap:0 PCMU/8000\r\n",
                           "a=rtpmap:8 PCMA/8000\r\n", "a=rtpmap:126 telephone-event/8000\r\n"}) {
    o = replaceAll(o, line, "");
  }
  return o;
}

TEST(SdpBridge, NoCommonCodecIsTranscodedWithOpusFmtpAndEventsPerRate) {
  Bridge br = opusOnlyToG711();
  Result<std::string> off = br.offer(Leg::A, mustParse(opusOnly(kBrowserOffer)));
  ASSERT_TRUE(off.ok()) << describe(off.error());
  EXPECT_NE(off->find("m=audio 30000 RTP/AVP 0 8 101\r\n"), std::string::npos) << *off;
  EXPECT_NE(off->find("a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"),
            std::string::npos)
      << *off;
  Result<std::string> ans = br.answer(Leg::B, mustParse(trunkAnswer("sendrecv")));
  ASSERT_TRUE(ans.ok()) << describe(ans.error());
  const std::string& a = *ans;
  EXPECT_NE(a.find("m=audio 40000 UDP/TLS/RTP/SAVPF 111 110\r\n"), std::string::npos) << a;
  EXPECT_NE(a.find("a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"),
            std::string::npos)
      << a;
  EXPECT_NE(a.find("a=rtpmap:110 telephone-event/48000\r\n"), std::string::npos) << a;
  EXPECT_EQ(a.find("PCMU"), std::string::npos) << "the browser never offered PCMU";
  ASSERT_EQ(br.mappings().size(), 1u);
  const StreamMapping& m = br.mappings()[0];
  ASSERT_TRUE(m.transcoded);
  EXPECT_EQ(m.side_a.encoding, "opus");
  EXPECT_EQ(m.side_a.pt, 111);
  EXPECT_EQ(m.side_a.clock_rate, 48000u);
  EXPECT_EQ(m.side_a.event_pt, 110);
  EXPECT_EQ(m.side_b.encoding, "PCMU");
  EXPECT_EQ(m.side_b.pt, 0);
  EXPECT_EQ(m.side_b.clock_rate, 8000u);
  EXPECT_EQ(m.side_b.event_pt, 101);
  EXPECT_EQ(m.side_b.ptime, 20u);
}

TEST(SdpBridge, ACommonCodecIsRelayedAndAddedCodecsNeverReachTheOfferer) {
  Bridge br = opusOnlyToG711();
  Result<std::string> off = br.offer(Leg::A, mustParse(kBrowserOffer));
  ASSERT_TRUE(off.ok()) << describe(off.error());
  EXPECT_NE(off->find("m=audio 30000 RTP/AVP 0 8 126\r\n"), std::string::npos) << *off;
  Result<std::string> ans = br.answer(Leg::B, mustParse(trunkAnswer("sendrecv")));
  ASSERT_TRUE(ans.ok()) << describe(ans.error());
  EXPECT_NE(ans->find("m=audio 40000 UDP/TLS/RTP/SAVPF 0 126\r\n"), std::string::npos) << *ans;
  ASSERT_EQ(br.mappings().size(), 1u);
  EXPECT_FALSE(br.mappings()[0].transcoded);
}

TEST(SdpBridge, TrunkOfferGetsOpusAddedTowardABrowserThatTranscodes) {
  LegConfig a = defaultLegConfig(ProfileKind::Trunk);
  LegConfig b = defaultLegConfig(ProfileKind::WebRtc);
  EXPECT_TRUE(applyOption(a, "codecs", "PCMU,telephone-event").ok());
  EXPECT_TRUE(applyOption(b, "codecs", "opus,telephone-event").ok());
  EXPECT_TRUE(applyOption(b, "transcode", "opus").ok());
  Bridge br(std::move(a), std::move(b));
  std::string pbx = replaceAll(trunkAnswer("sendrecv"), "o=asterisk 1 1", "o=asterisk 2 2");
  Result<std::string> off = br.offer(Leg::A, mustParse(pbx));
  ASSERT_TRUE(off.ok()) << describe(off.error());
  EXPECT_NE(off->find("a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"),
            std::string::npos)
      << *off;
  EXPECT_NE(off->find("telephone-event/48000"), std::string::npos) << *off;
}

TEST(SdpOptions, ApplyAndReject) {
  LegConfig c = defaultLegConfig(ProfileKind::Trunk);
  EXPECT_TRUE(applyOption(c, "ports", "5000/5001,6000").ok());
  ASSERT_EQ(c.local.ports.size(), 2u);
  EXPECT_EQ(c.local.ports[1].rtcp, 0);
  EXPECT_TRUE(applyOption(c, "srtp", "sdes").ok());
  EXPECT_TRUE(applyOption(c, "rtcp-mux", "on").ok());
  EXPECT_TRUE(c.profile->rtcp_mux);
  EXPECT_FALSE(applyOption(c, "srtp", "dtls").ok());
  EXPECT_FALSE(applyOption(c, "ports", "x").ok());
  EXPECT_FALSE(applyOption(c, "bogus", "1").ok());
  EXPECT_EQ(applyOption(c, "bogus", "1").error().code, ErrorCode::BadOption);
}

}  // namespace
}  // namespace rampart::sdp
