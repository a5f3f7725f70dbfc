#include <gtest/gtest.h>
#include <rampart/sdp/attributes.h>

namespace rampart::sdp {
namespace {

TEST(SdpAttributes, CryptoWithLifetimeAndMki) {
  Crypto c;
  ASSERT_EQ(parseCrypto("1 AES_CM_128_HMAC_SHA1_80 "
                        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4",
                        c),
            nullptr);
  EXPECT_EQ(c.tag, 1u);
  EXPECT_EQ(c.suite, "AES_CM_128_HMAC_SHA1_80");
  ASSERT_EQ(c.keyCount, 1);
  EXPECT_EQ(c.keys[0].lifetimePackets, uint64_t{1} << 20);
  EXPECT_TRUE(c.keys[0].hasMki);
  EXPECT_EQ(c.keys[0].mkiValue, 1u);
  EXPECT_EQ(c.keys[0].mkiLength, 4);
  // RFC 4568 example with two keys and session parameters.
  ASSERT_EQ(
      parseCrypto("2 F8_128_HMAC_SHA1_80 "
                  "inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4;"
                  "inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4 FEC_ORDER=FEC_SRTP",
                  c),
      nullptr);
  EXPECT_EQ(c.keyCount, 2);
  EXPECT_EQ(c.sessionParams, "FEC_ORDER=FEC_SRTP");
  // Wrong key length for the suite, bad base64, bad lifetime, MKI before lifetime.
  EXPECT_NE(parseCrypto("1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=", c), nullptr);
  EXPECT_NE(
      parseCrypto("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtx*VBR", c),
      nullptr);
  EXPECT_NE(parseCrypto("1 AES_CM_128_HMAC_SHA1_80 "
                        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^99",
                        c),
            nullptr);
  EXPECT_NE(parseCrypto("1 AES_CM_128_HMAC_SHA1_80 "
                        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4|2^20",
                        c),
            nullptr);
  EXPECT_NE(parseCrypto("1 AES_CM_128_HMAC_SHA1_80", c), nullptr);
  EXPECT_NE(parseCrypto("1234567890 AES_CM_128_HMAC_SHA1_80 "
                        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
                        c),
            nullptr);
}

TEST(SdpAttributes, Candidates) {
  Candidate c;
  ASSERT_EQ(parseCandidate("2562304968 1 udp 2122194687 192.0.2.2 58025 typ host generation 0 "
                           "network-id 1",
                           c),
            nullptr);
  EXPECT_EQ(c.type, CandidateType::Host);
  EXPECT_EQ(c.port, 58025);
  EXPECT_FALSE(c.mdns);
  ASSERT_EQ(parseCandidate("1 1 UDP 2122252543 4b1e7f32-93b0-4f3b-a8ad-3ea1c6e0e8b5.local 60000 "
                           "typ host",
                           c),
            nullptr);
  EXPECT_TRUE(c.mdns);
  ASSERT_EQ(parseCandidate("3 1 tcp 1518214911 192.0.2.2 9 typ host tcptype active", c), nullptr);
  EXPECT_EQ(c.transport, Transport::Tcp);
  EXPECT_EQ(c.tcpType, "active");
  ASSERT_EQ(parseCandidate("842163049 1 udp 1677729535 198.51.100.7 41000 typ srflx raddr "
                           "192.0.2.2 rport 58025",
                           c),
            nullptr);
  EXPECT_EQ(c.type, CandidateType::Srflx);
  EXPECT_EQ(c.relPort, 58025);
  ASSERT_EQ(parseCandidate("5 1 udp 41885439 198.51.100.9 3478 typ relay raddr 0.0.0.0 rport 0", c),
            nullptr);
  EXPECT_EQ(c.type, CandidateType::Relay);
  EXPECT_NE(parseCandidate("1 1 sctp 1 192.0.2.2 9 typ host", c), nullptr);
  EXPECT_NE(parseCandidate("1 1 udp 1 192.0.2.2 9 typ nat", c), nullptr);
  EXPECT_NE(parseCandidate("1 1 udp 1 192.0.2.2 9 host", c), nullptr);
  EXPECT_NE(parseCandidate("1 1 udp 1 192.0.2.2", c), nullptr);
  EXPECT_NE(parseCandidate("1 1 udp 1 192.0.2.2 9 typ host generation", c), nullptr);
  EXPECT_NE(parseCandidate("1 0 udp 1 192.0.2.2 9 typ host", c), nullptr);
}

TEST(SdpAttributes, FingerprintIceSetupTlsId) {
  Fingerprint f;
  EXPECT_EQ(
      parseFingerprint("sha-256 84:EE:C8:63:BE:3C:8D:29:58:6D:79:44:09:C3:F8:DB:74:ED:AB:9C:DF:"
                       "76:AA:40:61:48:A0:A9:59:DC:3B:61",
                       f),
      nullptr);
  EXPECT_NE(parseFingerprint("sha-256 84:EE:C8", f), nullptr);
  EXPECT_NE(parseFingerprint("sha-1 84:EE:ZZ", f), nullptr);
  EXPECT_EQ(parseIceUfrag("tHJW"), nullptr);
  EXPECT_NE(parseIceUfrag("abc"), nullptr);
  EXPECT_EQ(parseIcePwd("ZyyEXzpOfYVs9eRTcAsJ/ejA"), nullptr);
  EXPECT_NE(parseIcePwd("short"), nullptr);
  EXPECT_EQ(parseIceOptions("trickle renomination"), nullptr);
  EXPECT_EQ(parseSetup("actpass"), nullptr);
  EXPECT_NE(parseSetup("both"), nullptr);
  EXPECT_EQ(parseTlsId("abcdefghijklmnopqrstu"), nullptr);
  EXPECT_NE(parseTlsId("short"), nullptr);
}

TEST(SdpAttributes, RtpmapFmtpExtmapSsrcGroupRidSimulcast) {
  Rtpmap r;
  ASSERT_EQ(parseRtpmap("111 opus/48000/2", r), nullptr);
  EXPECT_EQ(r.payloadType, 111);
  EXPECT_EQ(r.channels, 2);
  EXPECT_NE(parseRtpmap("200 opus/48000", r), nullptr);
  EXPECT_NE(parseRtpmap("111 opus/48000/2/1", r), nullptr);
  Extmap e;
  ASSERT_EQ(parseExtmap("3/sendonly urn:ietf:params:rtp-hdrext:ssrc-audio-level vad=on", e),
            nullptr);
  EXPECT_EQ(e.id, 3);
  EXPECT_EQ(e.direction, "sendonly");
  EXPECT_NE(parseExtmap("0 urn:x", e), nullptr);
  EXPECT_NE(parseExtmap("300 urn:x", e), nullptr);
  EXPECT_NE(parseExtmap("3/both urn:x", e), nullptr);
  Ssrc s;
  ASSERT_EQ(parseSsrc("4018079539 cname:ob7Pwtbuv++EY6pd", s), nullptr);
  EXPECT_EQ(s.ssrc, 4018079539u);
  EXPECT_EQ(s.attribute, "cname");
  EXPECT_NE(parseSsrc("4294967296 cname:x", s), nullptr);
  SsrcGroup g;
  EXPECT_EQ(parseSsrcGroup("FID 1 2", g), nullptr);
  EXPECT_NE(parseSsrcGroup("FID", g), nullptr);
  Rid rid;
  EXPECT_EQ(parseRid("q send max-width=320", rid), nullptr);
  EXPECT_NE(parseRid("q both", rid), nullptr);
  EXPECT_EQ(parseSimulcast("send q;h;f"), nullptr);
  EXPECT_EQ(parseSimulcast("send ~q;h recv r"), nullptr);
  EXPECT_NE(parseSimulcast("send"), nullptr);
  Group grp;
  EXPECT_EQ(parseGroup("BUNDLE 0 1", grp), nullptr);
  EXPECT_EQ(grp.tags, "0 1");
  Msid m;
  EXPECT_EQ(parseMsid("- dc97dea3-e037-4ca7-84d0-fe0632b8bc90", m), nullptr);
  Rtcp rc;
  EXPECT_EQ(parseRtcp("9 IN IP4 0.0.0.0", rc), nullptr);
  EXPECT_EQ(rc.port, 9);
  EXPECT_NE(parseRtcp("9 IN", rc), nullptr);
  uint32_t ms = 0;
  EXPECT_EQ(parsePtime("20.0", ms), nullptr);
  EXPECT_EQ(ms, 20u);
}

}  // namespace
}  // namespace rampart::sdp
