#include <gtest/gtest.h>
#include <rampart/sdp/parser.h>
#include <rampart/sdp/writer.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace rampart::sdp {
namespace {

// RFC 4317 section 2.1, Alice's offer (audio + video).
constexpr const char* kRfc4317Offer =
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com\r\n"
    "s=\r\n";

constexpr const char* kBase =
    "v=0\r\n"
    "o=- 20518 0 IN IP4 203.0.113.1\r\n"
    "s=-\r\n"
    "c=IN IP4 203.0.113.1\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "m=audio 54400 RTP/SAVPF 0 96\r\n"
    "a=mid:0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:96 opus/48000/2\r\n"
    "a=fmtp:96 minptime=10\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n"
    "a=rtcp-mux\r\n";

TEST(SdpParser, RoundTripIsByteExactForCrLfLfAndMissingFinalEol) {
  for (std::string body :
       {std::string(kBase), std::string(kBase).substr(0, std::string(kBase).size() - 2)}) {
    Result<Session> s = parse(body);
    ASSERT_TRUE(s.ok()) << describe(s.error());
    EXPECT_EQ(serialize(*s), body);
  }
  std::string lf = kBase;
  for (size_t p = lf.find("\r\n"); p != std::string::npos; p = lf.find("\r\n", p)) {
    lf.erase(p, 1);
  }
  Result<Session> s = parse(lf);
  ASSERT_TRUE(s.ok()) << describe(s.error());
  EXPECT_EQ(serialize(*s), lf);
  std::string trailing = std::string(kBase) + "\r\n";
  Result<Session> t = parse(trailing);
  ASSERT_TRUE(t.ok()) << describe(t.error());
  EXPECT_EQ(serialize(*t), trailing);
}

TEST(SdpParser, ModelGivesSectionsAndAttributes) {
  Result<Session> s = parse(kBase);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->mediaCount(), 1u);
  EXPECT_EQ(s->sessionLines().size(), 6u);
  ASSERT_NE(s->findSessionAttribute("group"), nullptr);
  MediaView m = s->media(0);
  EXPECT_EQ(m.firstLineIndex(), 6u);
  EXPECT_EQ(m.attribute("mid").value(), "0");
  EXPECT_TRUE(m.hasAttribute("rtcp-mux"));
  EXPECT_FALSE(m.hasAttribute("rtcp"));
}

TEST(SdpParser, TypedAccessors) {
  std::string body = std::string(kBase) +
                     "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                     "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4\r\n"
                     "m=video 0 RTP/AVP 31\r\nc=IN IP4 198.51.100.9\r\na=inactive\r\n";
  Result<Session> s = parse(body);
  ASSERT_TRUE(s.ok()) << describe(s.error());
  EXPECT_EQ(s->origin().session_id, "20518");
  ASSERT_TRUE(s->connection().has_value());
  EXPECT_EQ(s->connection()->address, "203.0.113.1");
  EXPECT_EQ(s->direction(), Direction::SendRecv);
  MediaView audio = s->media(0);
  EXPECT_EQ(audio.mediaLine().port, 54400);
  EXPECT_EQ(audio.mediaLine().proto, "RTP/SAVPF");
  EXPECT_EQ(audio.direction(), Direction::SendRecv);
  EXPECT_EQ(audio.connection(s->connection())->address, "203.0.113.1");
  int rtpmaps = 0;
  audio.forEachAttribute("rtpmap", [&](std::string_view v) {
    Rtpmap r;
    EXPECT_TRUE(parseRtpmap(v, r).ok());
    ++rtpmaps;
  });
  EXPECT_EQ(rtpmaps, 2);
  Crypto c;
  ASSERT_TRUE(parseCrypto(audio.attribute("crypto").value(), c).ok());
  EXPECT_TRUE(c.keys[0].has_mki);
  MediaView video = s->media(1);
  EXPECT_EQ(video.mediaLine().port, 0);
  EXPECT_EQ(video.direction(), Direction::Inactive);
  EXPECT_EQ(video.connection(s->connection())->address, "198.51.100.9");
}

TEST(SdpParser, EditingKeepsOrderAndSections) {
  Result<Session> s = parse(kBase);
  ASSERT_TRUE(s.ok());
  Session& sess = *s;
  EXPECT_TRUE(sess.validated());
  sess.setLineValue(1, "- 20518 1 IN IP4 203.0.113.1");
  EXPECT_FALSE(sess.validated());
  size_t mline = sess.media(0).firstLineIndex();
  sess.insertLine(mline + 1, 'c', "IN IP4 198.51.100.7");
  sess.insertLine(sess.lines().size(), 'm', "video 0 RTP/AVP 31");
  EXPECT_EQ(sess.mediaCount(), 2u);
  sess.eraseLine(sess.lines().size() - 1);
  EXPECT_EQ(sess.mediaCount(), 1u);
  std::string out = serialize(sess);
  EXPECT_NE(out.find("o=- 20518 1 IN IP4"), std::string::npos);
  EXPECT_NE(out.find("m=audio 54400 RTP/SAVPF 0 96\r\nc=IN IP4 198.51.100.7\r\n"),
            std::string::npos);
  Result<Session> again = parse(out);
  ASSERT_TRUE(again.ok()) << describe(again.error());
  EXPECT_TRUE(again->validated());
}

TEST(SdpParser, Rfc4317ExamplesParse) {
  // RFC 4317 2.1 offer and answer, 2.2 video reject, 2.3 second audio (hold), 2.4 re-offer.
  const char* offer =
      "v=0\r\no=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com\r\ns=\r\n"
      "c=IN IP4 host.atlanta.example.com\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8 97\r\n"
      "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:97 iLBC/8000\r\n"
      "m=video 51372 RTP/AVP 31 32\r\na=rtpmap:31 H261/90000\r\na=rtpmap:32 MPV/90000\r\n";
  // RFC 4317 writes "s=" empty; RFC 8866 needs at least one character, so the strict parser
  // rejects it with a precise reason and accepts the corrected form.
  Result<Session> raw = parse(offer);
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(raw.error().code, ErrorCode::BadSessionName);
  EXPECT_EQ(raw.error().line, 3);
  std::string fixed = offer;
  fixed.replace(fixed.find("s=\r\n"), 4, "s= \r\n");
  Result<Session> s = parse(fixed);
  ASSERT_TRUE(s.ok()) << describe(s.error());
  EXPECT_EQ(s->mediaCount(), 2u);
  (void)kRfc4317Offer;
}

struct BadCase {
  const char* name;
  std::string body;
  ErrorCode code;
  int line;
};

std::string withLine(const std::string& base, const std::string& find, const std::string& repl) {
  std::string out = base;
  size_t p = out.find(find);
  EXPECT_NE(p, std::string::npos) << find;
  out.replace(p, find.size(), repl);
  return out;
}

TEST(SdpParser, MalformedInputsGiveTypedErrorsWithLineNumbers) {
  const std::string b = kBase;
  const std::vector<BadCase> cases = {
      {"empty", "", ErrorCode::EmptyBody, 0},
      {"no v", withLine(b, "v=0\r\n", ""), ErrorCode::MissingLine, 1},
      {"bad version", withLine(b, "v=0", "v=1"), ErrorCode::BadVersion, 1},
      {"origin truncated", withLine(b, "o=- 20518 0 IN IP4 203.0.113.1", "o=- 20518 0 IN"),
       ErrorCode::BadOrigin, 2},
      {"origin version junk", withLine(b, "o=- 20518 0 ", "o=- 20518 x "), ErrorCode::BadOrigin, 2},
      {"origin overflow", withLine(b, "o=- 20518 0 ", "o=- 20518 99999999999999999999 "),
       ErrorCode::BadOrigin, 2},
      {"no s", withLine(b, "s=-\r\n", ""), ErrorCode::MissingLine, 3},
      {"connection truncated", withLine(b, "c=IN IP4 203.0.113.1", "c=IN IP4"),
       ErrorCode::BadConnection, 4},
      {"connection bad ip", withLine(b, "c=IN IP4 203.0.113.1", "c=IN IP4 203.0.113.300"),
       ErrorCode::BadConnection, 4},
      {"timing garbled", withLine(b, "t=0 0", "t=0 zero"), ErrorCode::BadTiming, 5},
      {"no t", withLine(b, "t=0 0\r\n", ""), ErrorCode::MissingLine, 6},
      {"group in media", b + "a=group:BUNDLE 0\r\n", ErrorCode::LineOutOfOrder, 15},
      {"media truncated", withLine(b, "m=audio 54400 RTP/SAVPF 0 96", "m=audio 54400"),
       ErrorCode::BadMedia, 7},
      {"media port", withLine(b, "m=audio 54400", "m=audio 70000"), ErrorCode::BadMedia, 7},
      {"media pt", withLine(b, "RTP/SAVPF 0 96", "RTP/SAVPF 0 128"), ErrorCode::BadMedia, 7},
      {"media duplicate pt", withLine(b, "RTP/SAVPF 0 96", "RTP/SAVPF 0 96 000"),
       ErrorCode::BadMedia, 7},
      {"media double space", withLine(b, "RTP/SAVPF 0 96", "RTP/SAVPF 0  96"), ErrorCode::BadMedia,
       7},
      {"rtpmap garbled", withLine(b, "a=rtpmap:96 opus/48000/2", "a=rtpmap:96 opus"),
       ErrorCode::BadRtpmap, 10},
      {"rtpmap clock", withLine(b, "opus/48000/2", "opus/0/2"), ErrorCode::BadRtpmap, 10},
      {"fmtp truncated", withLine(b, "a=fmtp:96 minptime=10", "a=fmtp:96"), ErrorCode::BadFmtp, 11},
      {"ptime garbled", withLine(b, "a=ptime:20", "a=ptime:2o"), ErrorCode::BadPtime, 12},
      {"ptime twice", withLine(b, "a=ptime:20", "a=ptime:20\r\na=ptime:30"),
       ErrorCode::DuplicateAttribute, 13},
      {"mid empty", withLine(b, "a=mid:0", "a=mid:"), ErrorCode::BadMid, 8},
      {"flag with value", withLine(b, "a=rtcp-mux", "a=rtcp-mux:1"), ErrorCode::FlagWithValue, 14},
      {"two directions", withLine(b, "a=sendrecv", "a=sendrecv\r\na=inactive"),
       ErrorCode::DuplicateAttribute, 14},
      {"unknown type", withLine(b, "t=0 0", "t=0 0\r\nx=1"), ErrorCode::UnknownLineType, 6},
      {"upper type", withLine(b, "t=0 0", "t=0 0\r\nA=1"), ErrorCode::BadLineSyntax, 6},
      {"no equals", withLine(b, "a=sendrecv", "a-sendrecv"), ErrorCode::BadLineSyntax, 13},
      {"nul byte", withLine(b, "s=-", std::string("s=-\0x", 5)), ErrorCode::BadEncoding, 3},
      {"bad utf8", withLine(b, "s=-", "s=\xc3\x28"), ErrorCode::BadEncoding, 3},
      {"overlong utf8", withLine(b, "s=-", "s=\xc0\xaf"), ErrorCode::BadEncoding, 3},
      {"stray cr", withLine(b, "s=-", "s=-\rx"), ErrorCode::BadEncoding, 3},
      {"blank line inside", withLine(b, "t=0 0\r\n", "t=0 0\r\n\r\n"), ErrorCode::BadLineSyntax, 6},
      {"attr name", withLine(b, "a=sendrecv", "a=send(recv"), ErrorCode::BadAttribute, 13},
      {"no c anywhere", withLine(b, "c=IN IP4 203.0.113.1\r\n", ""), ErrorCode::MissingLine, 6},
      {"m before t",
       withLine(withLine(b, "t=0 0\r\n", ""), "a=group:BUNDLE 0\r\n", "a=group:BUNDLE 0\r\n"),
       ErrorCode::MissingLine, 6},
  };
  for (const BadCase& c : cases) {
    Result<Session> s = parse(c.body);
    ASSERT_FALSE(s.ok()) << c.name;
    EXPECT_EQ(s.error().code, c.code) << c.name << ": " << describe(s.error());
    EXPECT_EQ(s.error().line, c.line) << c.name << ": " << describe(s.error());
    EXPECT_FALSE(s.error().reason.empty()) << c.name;
  }
}

// A body with one line of every type and every typed attribute (Chrome/Firefox/PBX style).
const std::string kRich =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "i=session info\r\n"
    "u=https://example.com/sdp\r\n"
    "e=ops@example.com\r\n"
    "p=+1 617 555-6011\r\n"
    "c=IN IP4 203.0.113.1\r\n"
    "b=AS:256\r\n"
    "t=0 0\r\n"
    "r=604800 3600 0 90000\r\n"
    "z=2882844526 -1h\r\n"
    "k=prompt\r\n"
    "a=group:BUNDLE 0\r\n"
    "a=ice-lite\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS *\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 126\r\n"
    "i=audio info\r\n"
    "b=TIAS:64000\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=candidate:1 1 udp 2122194687 192.0.2.2 58025 typ host generation 0\r\n"
    "a=end-of-candidates\r\n"
    "a=ice-ufrag:tHJW\r\n"
    "a=ice-pwd:ZyyEXzpOfYVs9eRTcAsJ/ejA\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 84:EE:C8:63:BE:3C:8D:29:58:6D:79:44:09:C3:F8:DB:74:ED:AB:9C:DF:76:AA:"
    "40:61:48:A0:A9:59:DC:3B:61\r\n"
    "a=setup:actpass\r\n"
    "a=tls-id:abcdefghijklmnopqrstuvwxyz\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=sendrecv\r\n"
    "a=msid:- dc97dea3-e037-4ca7-84d0-fe0632b8bc90\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:126 telephone-event/8000\r\n"
    "a=ptime:20\r\n"
    "a=maxptime:120\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4\r\n"
    "a=ssrc-group:FID 1 2\r\n"
    "a=ssrc:1 cname:ob7Pwtbuv++EY6pd\r\n"
    "a=rid:q send max-width=320\r\n"
    "a=simulcast:send q\r\n";

TEST(SdpParser, RichBodyRoundTrips) {
  Result<Session> s = parse(kRich);
  ASSERT_TRUE(s.ok()) << describe(s.error());
  EXPECT_EQ(serialize(*s), kRich);
}

// Every typed line garbled or truncated: the error names the grammar and the line.
TEST(SdpParser, EveryLineTypeGarbled) {
  struct Garble {
    const char* line;  // exact existing line (without CRLF)
    const char* replacement;
    ErrorCode code;
  };
  const std::vector<Garble> cases = {
      {"o=- 4611731400430051336 2 IN IP4 127.0.0.1", "o=- 46117x 2 IN IP4 127.0.0.1",
       ErrorCode::BadOrigin},
      {"o=- 4611731400430051336 2 IN IP4 127.0.0.1", "o=- 1 2 IN IP4 127.0.0.1 extra",
       ErrorCode::BadOrigin},
      {"c=IN IP4 203.0.113.1", "c=IN IP4 203.0.113.1/", ErrorCode::BadConnection},
      {"c=IN IP4 203.0.113.1", "c=IN IP6 gg::1::2", ErrorCode::BadConnection},
      {"b=AS:256", "b=AS", ErrorCode::BadBandwidth},
      {"b=AS:256", "b=AS:-1", ErrorCode::BadBandwidth},
      {"b=TIAS:64000", "b=TIAS:99999999999", ErrorCode::BadBandwidth},
      {"t=0 0", "t=0", ErrorCode::BadTiming},
      {"r=604800 3600 0 90000", "r=x", ErrorCode::BadTiming},
      {"i=audio info", "z=2882844526 -1h", ErrorCode::LineOutOfOrder},  // z= in a media section
      {"m=audio 9 UDP/TLS/RTP/SAVPF 111 126", "m=audio 9/0 UDP/TLS/RTP/SAVPF 111 126",
       ErrorCode::BadMedia},
      {"m=audio 9 UDP/TLS/RTP/SAVPF 111 126", "m=audio 9 UDP//RTP 111 126", ErrorCode::BadMedia},
      {"a=rtcp:9 IN IP4 0.0.0.0", "a=rtcp:65536", ErrorCode::BadRtcp},
      {"a=candidate:1 1 udp 2122194687 192.0.2.2 58025 typ host generation 0",
       "a=candidate:1 1 udp 2122194687 192.0.2.2 58025 typ host generation",
       ErrorCode::BadCandidate},
      {"a=candidate:1 1 udp 2122194687 192.0.2.2 58025 typ host generation 0",
       "a=candidate:1 1 udp 99999999999 192.0.2.2 58025 typ host", ErrorCode::BadCandidate},
      {"a=end-of-candidates", "a=end-of-candidates:now", ErrorCode::FlagWithValue},
      {"a=ice-ufrag:tHJW", "a=ice-ufrag:t!", ErrorCode::BadIce},
      {"a=ice-pwd:ZyyEXzpOfYVs9eRTcAsJ/ejA", "a=ice-pwd:Zyy", ErrorCode::BadIce},
      {"a=ice-options:trickle", "a=ice-options:", ErrorCode::BadIce},
      {"a=setup:actpass", "a=setup:act", ErrorCode::BadSetup},
      {"a=tls-id:abcdefghijklmnopqrstuvwxyz", "a=tls-id:abc", ErrorCode::BadTlsId},
      {"a=mid:0", "a=mid:a b", ErrorCode::BadMid},
      {"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level", "a=extmap:1",
       ErrorCode::BadExtmap},
      {"a=msid:- dc97dea3-e037-4ca7-84d0-fe0632b8bc90", "a=msid:", ErrorCode::BadMsid},
      {"a=rtcp-fb:111 transport-cc", "a=rtcp-fb:abc nack", ErrorCode::BadRtcpFb},
      {"a=fmtp:111 minptime=10;useinbandfec=1", "a=fmtp:111", ErrorCode::BadFmtp},
      {"a=rtpmap:126 telephone-event/8000", "a=rtpmap:126 telephone-event/8000/0",
       ErrorCode::BadRtpmap},
      {"a=maxptime:120", "a=maxptime:12.", ErrorCode::BadPtime},
      {"a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
       "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4",
       "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
       "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:0",
       ErrorCode::BadCrypto},
      {"a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
       "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4",
       "a=crypto:1 AES_CM_128_HMAC_SHA1_80 key:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
       ErrorCode::BadCrypto},
      {"a=fingerprint:sha-256 84:EE:C8:63:BE:3C:8D:29:58:6D:79:44:09:C3:F8:DB:74:ED:AB:9C:DF:76:"
       "AA:40:61:48:A0:A9:59:DC:3B:61",
       "a=fingerprint:sha-256 84:EE:C8:63:BE:3C:8D:29:58:6D:79:44:09:C3:F8:DB:74:ED:AB:9C:DF:76:"
       "AA:40:61:48:A0:A9:59:DC:3B",
       ErrorCode::BadFingerprint},
      {"a=ssrc-group:FID 1 2", "a=ssrc-group:FID 1 x", ErrorCode::BadSsrc},
      {"a=ssrc:1 cname:ob7Pwtbuv++EY6pd", "a=ssrc:x cname:y", ErrorCode::BadSsrc},
      {"a=rid:q send max-width=320", "a=rid:q sideways", ErrorCode::BadRid},
      {"a=simulcast:send q", "a=simulcast:send", ErrorCode::BadRid},
      {"a=group:BUNDLE 0", "a=group:BUNDLE 0 (1)", ErrorCode::BadGroup},
      {"a=ice-lite", "a=ice-lite:yes", ErrorCode::FlagWithValue},
      {"a=rtcp-rsize", "a=rtcp-rsize\r\na=rtcp-rsize", ErrorCode::DuplicateAttribute},
      {"i=audio info", "i=audio \xed\xa0\x80", ErrorCode::BadEncoding},  // UTF-16 surrogate
      {"u=https://example.com/sdp", "u=https://example.com/\x7f", ErrorCode::BadEncoding},
  };
  for (const Garble& g : cases) {
    std::string body = kRich;
    size_t at = body.find(std::string(g.line) + "\r\n");
    ASSERT_NE(at, std::string::npos) << g.line;
    int lineNo = 1 + static_cast<int>(std::count(body.begin(), body.begin() + at, '\n'));
    body.replace(at, std::strlen(g.line), g.replacement);
    Result<Session> s = parse(body);
    ASSERT_FALSE(s.ok()) << g.replacement;
    EXPECT_EQ(s.error().code, g.code) << g.replacement << ": " << describe(s.error());
    // The error points at the garbled line (or the line it made illegal right after it).
    EXPECT_GE(s.error().line, lineNo) << g.replacement;
    EXPECT_LE(s.error().line, lineNo + 1) << g.replacement;
  }
}

TEST(SdpParser, EveryLineTruncatedAtEveryByteNeverCrashes) {
  // Cut each line of the rich body at every position; the parse must either succeed (and
  // round-trip) or fail on that line or the one after.
  size_t start = 0;
  int lineNo = 0;
  int errors = 0;
  while (start < kRich.size()) {
    size_t end = kRich.find("\r\n", start);
    ++lineNo;
    for (size_t cut = start; cut < end; ++cut) {
      std::string body = kRich.substr(0, cut) + kRich.substr(end);
      Result<Session> s = parse(body);
      if (s.ok()) {
        EXPECT_EQ(serialize(*s), body);
      } else {
        ++errors;
        EXPECT_GE(s.error().line, lineNo - 1);
        EXPECT_LE(s.error().line, lineNo + 1) << describe(s.error());
      }
    }
    start = end + 2;
  }
  EXPECT_GT(errors, 500);
}

TEST(SdpParser, LimitsAreEnforced) {
  Limits l;
  l.max_body_bytes = 100;
  Result<Session> s = parse(kBase, l);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::BodyTooLarge);

  l = Limits{};
  l.max_line_length = 20;
  s = parse(kBase, l);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::LineTooLong);
  EXPECT_EQ(s.error().line, 2);

  std::string many = kBase;
  for (int i = 0; i < 40; ++i) {
    many += "m=audio 0 RTP/AVP 0\r\n";
  }
  s = parse(many);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::TooManyMedia);
  EXPECT_EQ(s.error().line, 15 + 31);

  std::string attrs = kBase;
  for (int i = 0; i < 2000; ++i) {
    attrs += "a=x-foo:" + std::to_string(i) + "\r\n";
  }
  s = parse(attrs);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::TooManyAttributes);

  // A huge body is rejected before anything is copied.
  std::string huge(10 * 1024 * 1024, 'a');
  s = parse(huge);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::BodyTooLarge);
}

TEST(SdpParser, EveryLineOfAValidBodyTruncatedIsRejectedOrStillValid) {
  // Truncating any line at any point must give either a valid session or a typed error with a
  // line number inside the body; never a crash.
  const std::string b = kBase;
  size_t lines = 0;
  for (size_t p = 0; p < b.size(); ++p) {
    std::string cut = b.substr(0, p);
    Result<Session> s = parse(cut);
    if (!s.ok()) {
      EXPECT_LE(s.error().line, 15);
      ++lines;
    } else {
      EXPECT_EQ(serialize(*s), cut);
    }
  }
  EXPECT_GT(lines, 0u);
}

}  // namespace
}  // namespace rampart::sdp
