#include <gtest/gtest.h>
#include <rampart/sdp/attributes.h>

namespace rampart::sdp {
namespace {

TEST(SdpAttributes, CryptoWithLifetimeAndMki) {
  Crypto c;
  ASSERT_TRUE(parseCrypto("1 AES_CM_128_HMAC_SHA1_80 "
                          "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4",
                          c)
                  .ok());
  EXPECT_EQ(c.tag, 1u);
  EXPECT_EQ(c.suite, "AES_CM_128_HMAC_SHA1_80");
  ASSERT_EQ(c.key_count, 1);
  EXPECT_EQ(c.keys[0].lifetime_packets, uint64_t{1} << 20);
  EXPECT_TRUE(c.keys[0].has_mki);
  EXPECT_EQ(c.keys[0].mki_value, 1u);
  EXPECT_EQ(c.keys[0].mki_length, 4);
  // RFC 4568 example with two keys and session parameters.
  ASSERT_TRUE(
      parseCrypto("2 F8_128_HMAC_SHA1_80 "
                  "inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4;"
                  "inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4 FEC_ORDER=FEC_SRTP",
                  c)
          .ok());
  EXPECT_EQ(c.key_count, 2);
  EXPECT_EQ(c.session_params, "FEC_ORDER=FEC_SRTP");
  // Wrong key length for the suite, bad base64, bad lifetime, MKI before lifetime.
  EXPECT_FALSE(parseCrypto("1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=", c).ok());
  EXPECT_FALSE(
      parseCrypto("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtx*VBR", c)
          .ok());
  EXPECT_FALSE(parseCrypto("1 AES_CM_128_HMAC_SHA1_80 "
                           "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^99",
                           c)
                   .ok());
  EXPECT_FALSE(parseCrypto("1 AES_CM_128_HMAC_SHA1_80 "
                           "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4|2^20",
                           c)
                   .ok());
  EXPECT_FALSE(parseCrypto("1 AES_CM_128_HMAC_SHA1_80", c).ok());
  EXPECT_FALSE(parseCrypto("1234567890 AES_CM_128_HMAC_SHA1_80 "
                           "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
                           c)
                   .ok());
}

TEST(SdpAttributes, Candidates) {
  Candidate c;
  ASSERT_TRUE(parseCandidate("2562304968 1 udp 2122194687 192.0.2.2 58025 typ host generation 0 "
                             "network-id 1",
                             c)
                  .ok());
  EXPECT_EQ(c.type, CandidateType::Host);
  EXPECT_EQ(c.port, 58025);
  EXPECT_FALSE(c.mdns);
  ASSERT_TRUE(parseCandidate("1 1 UDP 2122252543 4b1e7f32-93b0-4f3b-a8ad-3ea1c6e0e8b5.local 60000 "
                             "typ host",
                             c)
                  .ok());
  EXPECT_TRUE(c.mdns);
  ASSERT_TRUE(parseCandidate("3 1 tcp 1518214911 192.0.2.2 9 typ host tcptype active", c).ok());
  EXPECT_EQ(c.transport, Transport::Tcp);
  EXPECT_EQ(c.tcp_type, "active");
  ASSERT_TRUE(parseCandidate("842163049 1 udp 1677729535 198.51.100.7 41000 typ srflx raddr "
                             "192.0.2.2 rport 58025",
                             c)
                  .ok());
  EXPECT_EQ(c.type, CandidateType::Srflx);
  EXPECT_EQ(c.rel_port, 58025);
  ASSERT_TRUE(
      parseCandidate("5 1 udp 41885439 198.51.100.9 3478 typ relay raddr 0.0.0.0 rport 0", c).ok());
  EXPECT_EQ(c.type, CandidateType::Relay);
  EXPECT_FALSE(parseCandidate("1 1 sctp 1 192.0.2.2 9 typ host", c).ok());
  EXPECT_FALSE(parseCandidate("1 1 udp 1 192.0.2.2 9 typ nat", c).ok());
  EXPECT_FALSE(parseCandidate("1 1 udp 1 192.0.2.2 9 host", c).ok());
  EXPECT_FALSE(parseCandidate("1 1 udp 1 192.0.2.2", c).ok());
  EXPECT_FALSE(parseCandidate("1 1 udp 1 192.0.2.2 9 typ host generation", c).ok());
  EXPECT_FALSE(parseCandidate("1 0 udp 1 192.0.2.2 9 typ host", c).ok());
}

TEST(SdpAttributes, FingerprintIceSetupTlsId) {
  Fingerprint f;
  EXPECT_TRUE(
      parseFingerprint("sha-256 84:EE:C8:63:BE:3C:8D:29:58:6D:79:44:09:C3:F8:DB:74:ED:AB:9C:DF:"
                       "76:AA:40:61:48:A0:A9:59:DC:3B:61",
                       f)
          .ok());
  EXPECT_FALSE(parseFingerprint("sha-256 84:EE:C8", f).ok());
  EXPECT_FALSE(parseFingerprint("sha-1 84:EE:ZZ", f).ok());
  EXPECT_TRUE(parseIceUfrag("tHJW").ok());
  EXPECT_FALSE(parseIceUfrag("abc").ok());
  EXPECT_TRUE(parseIcePwd("ZyyEXzpOfYVs9eRTcAsJ/ejA").ok());
  EXPECT_FALSE(parseIcePwd("short").ok());
  EXPECT_TRUE(parseIceOptions("trickle renomination").ok());
  EXPECT_TRUE(parseSetup("actpass").ok());
  EXPECT_FALSE(parseSetup("both").ok());
  EXPECT_TRUE(parseTlsId("abcdefghijklmnopqrstu").ok());
  EXPECT_FALSE(parseTlsId("short").ok());
}

TEST(SdpAttributes, RtpmapFmtpExtmapSsrcGroupRidSimulcast) {
  Rtpmap r;
  ASSERT_TRUE(parseRtpmap("111 opus/48000/2", r).ok());
  EXPECT_EQ(r.payload_type, 111);
  EXPECT_EQ(r.channels, 2);
  EXPECT_FALSE(parseRtpmap("200 opus/48000", r).ok());
  EXPECT_FALSE(parseRtpmap("111 opus/48000/2/1", r).ok());
  Extmap e;
  ASSERT_TRUE(parseExtmap("3/sendonly urn:ietf:params:rtp-hdrext:ssrc-audio-level vad=on", e).ok());
  EXPECT_EQ(e.id, 3);
  EXPECT_EQ(e.direction, "sendonly");
  EXPECT_FALSE(parseExtmap("0 urn:x", e).ok());
  EXPECT_FALSE(parseExtmap("300 urn:x", e).ok());
  EXPECT_FALSE(parseExtmap("3/both urn:x", e).ok());
  Ssrc s;
  ASSERT_TRUE(parseSsrc("4018079539 cname:ob7Pwtbuv++EY6pd", s).ok());
  EXPECT_EQ(s.ssrc, 4018079539u);
  EXPECT_EQ(s.attribute, "cname");
  EXPECT_FALSE(parseSsrc("4294967296 cname:x", s).ok());
  SsrcGroup g;
  EXPECT_TRUE(parseSsrcGroup("FID 1 2", g).ok());
  EXPECT_FALSE(parseSsrcGroup("FID", g).ok());
  Rid rid;
  EXPECT_TRUE(parseRid("q send max-width=320", rid).ok());
  EXPECT_FALSE(parseRid("q both", rid).ok());
  EXPECT_TRUE(parseSimulcast("send q;h;f").ok());
  EXPECT_TRUE(parseSimulcast("send ~q;h recv r").ok());
  EXPECT_FALSE(parseSimulcast("send").ok());
  Group grp;
  EXPECT_TRUE(parseGroup("BUNDLE 0 1", grp).ok());
  EXPECT_EQ(grp.tags, "0 1");
  Msid m;
  EXPECT_TRUE(parseMsid("- dc97dea3-e037-4ca7-84d0-fe0632b8bc90", m).ok());
  Rtcp rc;
  EXPECT_TRUE(parseRtcp("9 IN IP4 0.0.0.0", rc).ok());
  EXPECT_EQ(rc.port, 9);
  EXPECT_FALSE(parseRtcp("9 IN", rc).ok());
  uint32_t ms = 0;
  EXPECT_TRUE(parsePtime("20.0", ms).ok());
  EXPECT_EQ(ms, 20u);
}

}  // namespace
}  // namespace rampart::sdp
