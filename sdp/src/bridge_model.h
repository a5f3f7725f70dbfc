#pragma once
// The Bridge's private model, shared by its parts: normalize.cc (the offer/answer state
// machine), stream_reader.cc (what an SDP offers) and media_writer.cc (what Rampart sends).
#include <rampart/sdp/normalize.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "text.h"

namespace rampart::sdp {

// ---- private model --------------------------------------------------------------------------

struct Bridge::CodecEntry {
  uint8_t pt = 0;      // on the leg the SDP came from
  uint8_t pt_out = 0;  // on the leg it goes to (offers)
  std::string name;
  uint32_t clock = 0;
  uint16_t channels = 1;
  bool explicit_channels = false;
  std::string fmtp;
  bool synthetic = false;  // added by Rampart for transcoding: the offerer never offered it
};

struct Bridge::Slot {
  std::string kind;
  std::string mid;
  std::string first_format;  // for port-0 re-emission
  int peer = -1;
  // Dual SRTP offers toward a trunk: this slot's transport when it is one of an RTP/SAVP +
  // RTP/AVP pair (0: the profile's), and on the RTP/SAVP slot the index of its RTP/AVP twin
  // until an answer picks one.
  uint8_t transport = 0;
  int twin = -1;
  bool active = false;
  std::vector<PayloadMapping> negotiated;  // stored on leg A slots only
};

struct Bridge::OffererSlot {
  std::string kind, proto, mid, first_format, setup;
  uint16_t port = 0;
  Direction direction = Direction::SendRecv;
  bool rtcp_mux = false;
  uint32_t ptime = 0;
  std::vector<CodecEntry> codecs;
  uint32_t crypto_tag = 0;  // chosen offered a=crypto (SAVP, SDES toward a browser), with its suite
  std::string crypto_suite;
  Keying keying = Keying::None;  // a browser's offer: how Rampart answers it
  int target = -1;
  int target_twin = -1;  // the RTP/AVP m-line of a dual offer toward a trunk
  bool eligible = false;
  std::vector<CodecEntry> own;  // the offerer's transcodable codecs and events (transcoding)
};

struct Bridge::TargetSlot {
  int from_slot = -1;
  std::string_view proto;          // one of targetProto()'s literals
  std::vector<CodecEntry> codecs;  // pt = offerer's, ptOut = what we offered here
};

namespace detail {

struct CodecView {
  uint8_t pt = 0;
  std::string_view name;
  uint32_t clock = 0;
  uint16_t channels = 1;
  bool explicit_channels = false;
  std::string_view fmtp;
};

struct Stream {
  MediaLine m;
  std::string_view mid, setup;
  Direction direction = Direction::SendRecv;
  bool hold_address = false;
  bool rtcp_mux = false;
  bool bundle_only = false;  // RFC 8843: port 0 + a=bundle-only is a live, bundled m-line
  bool fingerprint = false;  // a=fingerprint on the m-line or at session level
  uint32_t ptime = 0, maxptime = 0;
  std::vector<CodecView> codecs;
  std::vector<Crypto> cryptos;
  MediaView view;
  int line_no = 0;
};

inline bool isHoldAddress(std::string_view a) { return a == "0.0.0.0" || a == "::"; }

// Port 0 disables an m-line, except a bundle-only one from a browser.
inline bool disabled(const Stream& s, ProfileKind from) {
  return s.m.port == 0 && !(s.bundle_only && from == ProfileKind::WebRtc);
}

inline bool isWebRtcProto(std::string_view p) {
  return is(p, "UDP/TLS/RTP/SAVPF") || is(p, "UDP/TLS/RTP/SAVP") || is(p, "TCP/DTLS/RTP/SAVPF") ||
         is(p, "TCP/TLS/RTP/SAVPF");
}
inline bool isSavp(std::string_view p) { return is(p, "RTP/SAVP") || is(p, "RTP/SAVPF"); }
inline bool isPlainRtp(std::string_view p) { return is(p, "RTP/AVP") || is(p, "RTP/AVPF"); }
// What a browser may use: DTLS-SRTP protocols, or RTP/SAVPF with SDES.
inline bool isBrowserProto(std::string_view p) { return isWebRtcProto(p) || isSavp(p); }
inline constexpr uint8_t kTransportSavp = 1;
inline constexpr uint8_t kTransportAvp = 2;
// Inline and length first: this runs for every policy name against every offered codec.
inline bool sameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && detail::sameNameFold(a, b);
}
inline bool isEvent(std::string_view name) { return sameName(name, "telephone-event"); }

inline bool sends(Direction d) { return d == Direction::SendRecv || d == Direction::SendOnly; }
inline bool receives(Direction d) { return d == Direction::SendRecv || d == Direction::RecvOnly; }
inline Direction makeDirection(bool send, bool recv) {
  if (send && recv) {
    return Direction::SendRecv;
  }
  if (send) {
    return Direction::SendOnly;
  }
  return recv ? Direction::RecvOnly : Direction::Inactive;
}

inline bool sameCodec(std::string_view name, uint32_t clock, uint16_t channels,
                      const Bridge::CodecEntry& e) {
  return detail::sameNameFold(name, e.name) && clock == e.clock && channels == e.channels;
}

// ---- transcode.cc: codecs Rampart adds when it may transcode ------------------------------

// Adds to `offered.codecs` the answerer's transcode codecs the offer lacks (after the offered
// ones, before telephone-events), when the offerer has a codec Rampart can decode.
void addTranscodable(const Stream& stream, const Profile& offerer_profile,
                     const Profile& answerer_profile, Bridge::OffererSlot& offered);
// After the answer: true when it kept only codecs Rampart added, so the stream is transcoded.
// `accepted` then becomes the offerer's own codec (and event) for the answer back, and the
// two sides are described in `offererSide` / `answererSide`. Otherwise added codecs are
// dropped from `accepted` and nothing else changes.
bool settleTranscoding(std::vector<Bridge::CodecEntry>& accepted,
                       const Bridge::OffererSlot& offered, const Stream& answered,
                       TranscodeSide* offerer_side, TranscodeSide* answerer_side);

// ---- stream_reader.cc: what an SDP offers --------------------------------------------------

// The m-lines of @p s as Streams (per-thread storage, valid until the next call); @p from and
// @p to, when given, limit codec details to what the two profiles can use.
std::span<const Stream> extract(const Session& s, const Profile* from = nullptr,
                                const Profile* to = nullptr);
// The browser's ICE username fragment: the first live m-line's, else the session-level one.
std::string_view iceUfragOf(const Session& s);
// Direction after an RFC 2543 hold address (trunks only).
Direction effectiveDirection(const Stream& s, ProfileKind from);
// The profile's codec policy for a media kind (empty for other kinds).
const std::vector<std::string>& policyFor(const Profile& p, std::string_view kind);
// Suites we can answer with the key generated for the realm's suite.
bool suiteSupported(const Profile& p, std::string_view suite);
// Codecs of @p s allowed by @p policy (and by @p also when given: the offering realm's own
// list), in policy order, events last and only at a kept clock.
std::vector<Bridge::CodecEntry> filterCodecs(const Stream& s,
                                             const std::vector<std::string>& policy,
                                             const std::vector<std::string>* also = nullptr);

}  // namespace detail
}  // namespace rampart::sdp
