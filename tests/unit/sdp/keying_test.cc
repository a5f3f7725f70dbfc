// The per-realm SRTP keying switch: DTLS-SRTP and SDES toward browsers, and the dual m-line
// SRTP offer toward trunks that need a plain RTP fallback.
#include <gtest/gtest.h>
#include <rampart/sdp/normalize.h>
#include <rampart/sdp/parser.h>

#include <string>

namespace rampart::sdp {
namespace {

Session mustParse(const std::string& s) {
  Result<Session> r = parse(s);
  EXPECT_TRUE(r.ok()) << describe(r.error()) << "\n" << s;
  return r.ok() ? std::move(r).value() : Session{};
}

bool has(const std::string& sdp, const std::string& line) {
  return sdp.find(line) != std::string::npos;
}

const std::string kFingerprint =
    "a=fingerprint:sha-256 84:EE:C8:63:BE:3C:8D:29:58:6D:79:44:09:C3:F8:DB:74:ED:AB:9C:DF:76:AA:40:"
    "61:48:A0:A9:59:DC:3B:61\r\n";
const std::string kBrowserCrypto =
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n";

// A browser-style audio offer; @p keys: its keying lines (fingerprint/setup and/or crypto).
std::string browserOffer(const std::string& proto, const std::string& keys) {
  return "v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
         "m=audio 9 " +
         proto +
         " 111 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n"
         "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n" +
         keys +
         "a=sendrecv\r\na=rtcp-mux\r\n"
         "a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n";
}

const std::string kTrunkAnswer =
    "v=0\r\no=pbx 1 1 IN IP4 10.0.0.5\r\ns=pbx\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
    "m=audio 20000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";

const std::string kTrunkOffer =
    "v=0\r\no=pbx 7 7 IN IP4 10.0.0.5\r\ns=pbx\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
    "m=audio 20000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";

Bridge browserToTrunk(bool dtls) {
  LegConfig a = defaultLegConfig(ProfileKind::WebRtc);
  EXPECT_TRUE(applyOption(a, "dtls", dtls ? "on" : "off").ok());
  return Bridge(std::move(a), defaultLegConfig(ProfileKind::Trunk));
}

TEST(SdpKeying, SdesOnlyBrowserOfferIsServedWithSdesOnADtlsRealm) {
  Bridge br = browserToTrunk(true);
  ASSERT_TRUE(br.offer(Leg::A, mustParse(browserOffer("RTP/SAVPF", kBrowserCrypto))).ok());
  Result<std::string> ans = br.answer(Leg::B, mustParse(kTrunkAnswer));
  ASSERT_TRUE(ans.ok()) << describe(ans.error());
  EXPECT_TRUE(has(*ans, "m=audio 40000 RTP/SAVPF 0\r\n")) << *ans;
  EXPECT_TRUE(has(*ans, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:")) << *ans;
  EXPECT_FALSE(has(*ans, "a=fingerprint")) << *ans;
  EXPECT_FALSE(has(*ans, "a=setup")) << *ans;
  EXPECT_TRUE(has(*ans, "a=ice-lite\r\n")) << *ans;
  EXPECT_EQ(br.keying(Leg::A), Keying::Sdes);
  EXPECT_EQ(br.keying(Leg::B), Keying::None);
  mustParse(*ans);
}

TEST(SdpKeying, OfferWithBothIsAnsweredWithDtlsOnADtlsRealmAndSdesOnAnSdesRealm) {
  const std::string both = "a=setup:actpass\r\n" + kFingerprint + kBrowserCrypto;
  for (bool dtls : {true, false}) {
    Bridge br = browserToTrunk(dtls);
    ASSERT_TRUE(br.offer(Leg::A, mustParse(browserOffer("UDP/TLS/RTP/SAVPF", both))).ok());
    Result<std::string> ans = br.answer(Leg::B, mustParse(kTrunkAnswer));
    ASSERT_TRUE(ans.ok()) << describe(ans.error());
    EXPECT_EQ(has(*ans, "a=fingerprint:sha-256 "), dtls) << *ans;
    EXPECT_EQ(has(*ans, "a=crypto:1 "), !dtls) << *ans;
    EXPECT_EQ(br.keying(Leg::A), dtls ? Keying::Dtls : Keying::Sdes);
  }
}

TEST(SdpKeying, DtlsOnlyOfferToAnSdesOnlyRealmIsRefused) {
  Bridge br = browserToTrunk(false);
  Result<std::string> off = br.offer(
      Leg::A, mustParse(browserOffer("UDP/TLS/RTP/SAVPF", "a=setup:actpass\r\n" + kFingerprint)));
  ASSERT_FALSE(off.ok());
  EXPECT_EQ(off.error().code, ErrorCode::NoAcceptableMedia);
}

TEST(SdpKeying, OffersTowardBrowsersCarryWhatTheRealmAllows) {
  for (bool dtls : {true, false}) {
    LegConfig b = defaultLegConfig(ProfileKind::WebRtc);
    EXPECT_TRUE(applyOption(b, "dtls", dtls ? "on" : "off").ok());
    Bridge br(defaultLegConfig(ProfileKind::Trunk), std::move(b));
    Result<std::string> off = br.offer(Leg::A, mustParse(kTrunkOffer));
    ASSERT_TRUE(off.ok()) << describe(off.error());
    EXPECT_TRUE(has(*off, dtls ? " UDP/TLS/RTP/SAVPF " : " RTP/SAVPF ")) << *off;
    EXPECT_EQ(has(*off, "a=fingerprint:sha-256 "), dtls) << *off;
    EXPECT_EQ(has(*off, "a=setup:actpass\r\n"), dtls) << *off;
    EXPECT_TRUE(has(*off, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:")) << *off;
    mustParse(*off);
  }
}

// Rampart offered fingerprint + crypto; the browser's answer picks one.
TEST(SdpKeying, BrowserAnswerPicksDtlsOrSdesAndNeitherIsAMismatch) {
  struct Case {
    std::string proto, keys;
    bool ok;
    Keying keying;
  };
  const Case cases[] = {
      {"UDP/TLS/RTP/SAVPF", "a=setup:active\r\n" + kFingerprint, true, Keying::Dtls},
      {"RTP/SAVPF", kBrowserCrypto, true, Keying::Sdes},
      {"UDP/TLS/RTP/SAVPF", "", false, Keying::None},
      {"RTP/SAVPF",
       "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n",
       false, Keying::None},
  };
  for (const Case& c : cases) {
    Bridge br(defaultLegConfig(ProfileKind::Trunk), defaultLegConfig(ProfileKind::WebRtc));
    ASSERT_TRUE(br.offer(Leg::A, mustParse(kTrunkOffer)).ok());
    std::string answer = browserOffer(c.proto, c.keys);
    Result<std::string> ans = br.answer(Leg::B, mustParse(answer));
    ASSERT_EQ(ans.ok(), c.ok) << c.proto << " " << c.keys;
    if (!c.ok) {
      EXPECT_EQ(ans.error().code, ErrorCode::AnswerMismatch);
      continue;
    }
    EXPECT_EQ(br.keying(Leg::B), c.keying);
    EXPECT_TRUE(has(*ans, "m=audio 30000 RTP/AVP 0\r\n")) << *ans;
  }
}

Bridge browserToDualTrunk() {
  LegConfig b = defaultLegConfig(ProfileKind::Trunk);
  EXPECT_TRUE(applyOption(b, "srtp", "dual").ok());
  EXPECT_TRUE(applyOption(b, "codecs", "PCMU").ok());
  return Bridge(defaultLegConfig(ProfileKind::WebRtc), std::move(b));
}

const std::string kDtlsOffer =
    browserOffer("UDP/TLS/RTP/SAVPF", "a=setup:actpass\r\n" + kFingerprint);

TEST(SdpKeying, DualOfferTowardATrunkOffersSavpThenAvpAndKeepsTheAcceptedOne) {
  for (bool plain : {true, false}) {
    Bridge br = browserToDualTrunk();
    Result<std::string> off = br.offer(Leg::A, mustParse(kDtlsOffer));
    ASSERT_TRUE(off.ok()) << describe(off.error());
    size_t savp = off->find("m=audio 30000 RTP/SAVP 0\r\n");
    size_t avp = off->find("m=audio 30002 RTP/AVP 0\r\n");
    ASSERT_NE(savp, std::string::npos) << *off;
    ASSERT_NE(avp, std::string::npos) << *off;
    EXPECT_LT(savp, avp);
    EXPECT_EQ(off->find("a=crypto:"), off->rfind("a=crypto:")) << "one key, on RTP/SAVP";
    EXPECT_LT(off->find("a=crypto:1 "), avp);

    // The PBX keeps one m-line and rejects the other with port 0.
    std::string keep = plain ? "m=audio 20000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
                             : "m=audio 20000 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
                               "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                               "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n";
    std::string answer =
        "v=0\r\no=pbx 1 1 IN IP4 10.0.0.5\r\ns=pbx\r\nc=IN IP4 10.0.0.5\r\n"
        "t=0 0\r\n" +
        std::string(plain ? "m=audio 0 RTP/SAVP 0\r\n" : "") + keep +
        std::string(plain ? "" : "m=audio 0 RTP/AVP 0\r\n");
    Result<std::string> ans = br.answer(Leg::B, mustParse(answer));
    ASSERT_TRUE(ans.ok()) << describe(ans.error());
    ASSERT_EQ(br.mappings().size(), 1u);
    EXPECT_EQ(br.mappings()[0].slot_b, plain ? 1 : 0);
    EXPECT_TRUE(has(*ans, "m=audio 40000 UDP/TLS/RTP/SAVPF 0\r\n")) << *ans;

    // A re-offer from the browser keeps only the chosen m-line live.
    std::string reoffer = kDtlsOffer;
    reoffer.replace(reoffer.find("o=- 42 2"), 8, "o=- 42 3");
    Result<std::string> re = br.offer(Leg::A, mustParse(reoffer));
    ASSERT_TRUE(re.ok()) << describe(re.error());
    EXPECT_TRUE(has(*re, plain ? "m=audio 0 RTP/SAVP 0\r\n" : "m=audio 30000 RTP/SAVP 0\r\n"))
        << *re;
    EXPECT_TRUE(has(*re, plain ? "m=audio 30002 RTP/AVP 0\r\n" : "m=audio 0 RTP/AVP 0\r\n")) << *re;
  }
}

}  // namespace
}  // namespace rampart::sdp
