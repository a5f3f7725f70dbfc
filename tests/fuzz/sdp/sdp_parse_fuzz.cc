// Fuzzes the whole sdp/ surface an attacker reaches: parse, byte-exact round trip, and both
// normalisation profiles as offer and as answer. Invariant violations trap so libFuzzer (and
// the replay ctest) report them.
#include <rampart/sdp/normalize.h>
#include <rampart/sdp/parser.h>
#include <rampart/sdp/writer.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace {

using namespace rampart::sdp;

constexpr std::string_view kTrunkOffer =
    "v=0\r\no=- 1 1 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\n"
    "m=audio 12534 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
    "m=video 12536 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";

void check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

void exerciseBridge(ProfileKind a, ProfileKind b, const Session& s) {
  // As an offer from leg A.
  {
    Bridge br(defaultLegConfig(a), defaultLegConfig(b));
    Result<std::string> out = br.offer(Leg::A, s);
    if (out.ok()) {
      // Whatever we emit must be valid SDP by our own rules.
      check(parse(*out).ok());
      // And the same input as the answer must not break anything.
      Result<std::string> ans = br.answer(Leg::B, s);
      if (ans.ok()) {
        check(parse(*ans).ok());
      }
    }
  }
  // As an answer to a fixed offer sent to it.
  {
    Bridge br(defaultLegConfig(b), defaultLegConfig(a));
    Result<Session> offer = parse(kTrunkOffer);
    check(offer.ok());
    if (br.offer(Leg::A, *offer).ok()) {
      Result<std::string> ans = br.answer(Leg::B, s);
      if (ans.ok()) {
        check(parse(*ans).ok());
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.max_body_bytes = 16 * 1024;
  Result<Session> s = parse(body, limits);
  if (!s.ok()) {
    check(s.error().line >= 0);
    return 0;
  }
  check(serialize(*s) == body);
  // Typed views must hold up on anything the parser accepted.
  const Session& sess = *s;
  (void)sess.origin();
  std::optional<Connection> conn = sess.connection();
  for (size_t i = 0; i < sess.mediaCount(); ++i) {
    MediaView m = sess.media(i);
    check(m.lines()[0].type == 'm');
    (void)m.direction(sess.direction());
    (void)m.connection(conn);
    MediaLine ml = m.mediaLine();
    check(!ml.formats.empty());
    m.forEachAttribute("crypto", [](std::string_view v) {
      Crypto c;
      check(parseCrypto(v, c).ok() && c.key_count > 0);
    });
    m.forEachAttribute("candidate", [](std::string_view v) {
      Candidate c;
      check(parseCandidate(v, c).ok());
    });
  }
  // Editing then re-serialising must give a body that parses again (values are copied).
  if (sess.lines().size() > 3) {
    Result<Session> copy = parse(body, limits);
    check(copy.ok());
    copy->setLineValue(2, "rampart");
    copy->eraseLine(copy->lines().size() - 1);
    std::string edited = serialize(*copy);
    check(edited.size() <= body.size() + 8);
  }
  exerciseBridge(ProfileKind::WebRtc, ProfileKind::Trunk, *s);
  exerciseBridge(ProfileKind::Trunk, ProfileKind::WebRtc, *s);
  return 0;
}
