#pragma once
// WebRTC <-> SIP-trunk normalisation with RFC 3264 offer/answer state for one call.
//
// A Bridge sits between the two legs of a call. Every SDP that arrives on one leg (an offer or
// an answer) is turned into the SDP Rampart sends on the other leg, according to that leg's
// Profile (chosen by realm config) and the LocalMedia the control plane allocated (addresses,
// ports, SDES keys, ICE credentials, DTLS fingerprint). Nothing random happens in here: the
// same inputs always give the same bytes, which is what the golden tests rely on.
//
// State kept per call, because offer/answer is not stateless:
//  - the m-line layout of each leg ("slots"): a re-offer may add m-lines, never remove them,
//    and every m-line keeps its mid (Firefox rejects a changed mid);
//  - which slot of one leg is linked to which slot of the other (one m-line per media kind);
//  - the negotiated payload-type map per linked pair, reused on re-offers so telephone-event
//    and codec PTs stay stable across re-INVITEs;
//  - the BUNDLE group established toward a WebRTC leg: an answer never drops one of its mids
//    (Chromium rejects that), a rejected stream stays in the group as a=inactive instead;
//  - the o= session id and version per leg: the version increases whenever the SDP Rampart
//    sends to that leg changes, and stays put for an identical session refresh.
#include <rampart/sdp/attributes.h>
#include <rampart/sdp/result.h>
#include <rampart/sdp/session.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::sdp {

enum class ProfileKind : uint8_t { WebRtc, Trunk };
/// Trunk SRTP: plain RTP/AVP, RTP/SAVP with SDES, or (Dual) both m-lines of each kind in the
/// offer, RTP/SAVP first, for PBXs that need a plain fallback ("best effort SRTP").
enum class SrtpMode : uint8_t { Off, Sdes, Dual };
/// How a WebRTC leg's SRTP keys were agreed in the last completed offer/answer.
enum class Keying : uint8_t { None, Dtls, Sdes };

/// SDP policy of one realm (one side of the call).
struct Profile {
  ProfileKind kind = ProfileKind::Trunk;
  /// Audio codecs by encoding name, in preference order; telephone-event is kept only at the
  /// clock rate of a kept codec.
  std::vector<std::string> audio_codecs{"PCMU", "PCMA", "G722", "opus", "telephone-event"};
  /// Video codecs; empty means video m-lines are not offered to / accepted from this side.
  std::vector<std::string> video_codecs;
  /// Audio codecs Rampart may add to offers toward this side and transcode to the other side's
  /// (of PCMU, PCMA, G722, opus; listed after the offered ones, so an answerer that shares a
  /// codec with the offerer still picks it). Empty (the default): never transcode.
  std::vector<std::string> transcode_codecs;
  /// Trunk: a=ptime for audio. 0 copies the ptime of the other side when it has one.
  uint32_t ptime = 20;
  /// Trunk: RTP/AVP (Off), RTP/SAVP with a=crypto (Sdes), or both (Dual).
  SrtpMode srtp = SrtpMode::Off;
  /// WebRTC: DTLS-SRTP enabled. Offers then carry a=fingerprint and also a=crypto (SDES), and
  /// an offer or answer with only a=crypto is still served with SDES; false: SDES only
  /// (RTP/SAVPF, no fingerprint), and a DTLS-only offer is refused.
  bool dtls = true;
  std::string sdes_suite = "AES_CM_128_HMAC_SHA1_80";
  /// Trunk capability: rtcp-mux instead of a separate RTCP port (a=rtcp).
  bool rtcp_mux = false;
  /// Trunk: attributes of the other side's m-line passed through unchanged (e.g. "silenceSupp").
  std::vector<std::string> allow_attributes;
  /// WebRTC: our DTLS role when answering an actpass offer.
  std::string setup_answer = "passive";
  std::string origin_user = "rampart";
  std::string session_name = "-";
};

struct PortPair {
  uint16_t rtp = 0;
  uint16_t rtcp = 0;  ///< 0: rtp + 1
};

/// What Rampart advertises to one leg; allocated by the control plane.
struct LocalMedia {
  std::string address;                 ///< IPv4 or IPv6 literal of Rampart's media interface
  std::vector<PortPair> ports;         ///< trunk: per m-line index; WebRTC: [0] (BUNDLE transport)
  std::vector<std::string> sdes_keys;  ///< base64 key||salt per m-line index (WebRTC: [0])
  std::string ice_ufrag, ice_pwd;      ///< WebRTC (ICE-lite)
  std::string fingerprint;             ///< WebRTC: sha-256, colon-separated upper-case hex
  uint64_t session_id = 1;             ///< o= sess-id
};

/// One leg of a call: the realm's immutable Profile (shared by every call of the realm, as the
/// control plane's config snapshots are) and this call's LocalMedia.
struct LegConfig {
  std::shared_ptr<const Profile> profile;
  LocalMedia local;
};

enum class Leg : uint8_t { A = 0, B = 1 };

/// One negotiated payload type on a linked pair of m-lines: what the dataplane rewrites.
struct PayloadMapping {
  uint8_t pt_a = 0;
  uint8_t pt_b = 0;
  std::string encoding;
  uint32_t clock_rate = 0;
};

/// One leg's side of a transcoded stream: the codec that leg sends and receives.
struct TranscodeSide {
  std::string encoding;
  uint8_t pt = 0;
  uint32_t clock_rate = 0;
  uint16_t channels = 1;
  std::string fmtp;      ///< as that leg signalled it (useinbandfec, maxplaybackrate, stereo)
  uint8_t event_pt = 0;  ///< telephone-event at clockRate on that leg; 0: none
  uint32_t ptime = 0;    ///< a=ptime of that leg; 0: not given
};

/// A linked pair of m-lines after the last completed offer/answer.
struct StreamMapping {
  std::string kind;
  int slot_a = -1;  ///< m-line index on leg A
  int slot_b = -1;  ///< m-line index on leg B
  bool active = false;
  Direction direction_a = Direction::SendRecv;  ///< as Rampart advertised it to leg A
  std::vector<PayloadMapping> payloads;
  /// The answer left no codec in common: Rampart transcodes between sideA and sideB
  /// (`payloads` then lists leg A's codecs only).
  bool transcoded = false;
  TranscodeSide side_a, side_b;
};

class Bridge {
 public:
  Bridge(LegConfig a, LegConfig b);
  ~Bridge();
  Bridge(Bridge&&) noexcept;
  Bridge& operator=(Bridge&&) noexcept;

  /// Turns an offer received on leg @p from into the offer for the other leg.
  /// @return the SDP body, or NoAcceptableMedia (nothing survives the policy: answer 488),
  ///   OfferPending (an offer is outstanding: glare, answer 491), ReofferRemovedMedia,
  ///   MidChanged, MissingLocalParameter (a port, key or ICE/DTLS value is missing).
  Result<std::string> offer(Leg from, const Session& offer);

  /// Turns the answer received on leg @p from into the answer for the leg that offered.
  /// @return the SDP body, or NoPendingOffer, AnswerMismatch (m-line count, kind or protocol
  ///   differ from what was offered; a missing a=crypto answer to RTP/SAVP),
  ///   MissingLocalParameter (also: the browser restarted ICE and local(leg) still holds the
  ///   old ice ufrag; the offer stays pending so the call can be retried).
  Result<std::string> answer(Leg from, const Session& answer);

  /// Forgets the outstanding offer (the other leg rejected it); layouts stay as negotiated.
  void cancelOffer() noexcept;

  /// True after offer() from WebRTC leg @p leg changed the browser's ice-ufrag (an ICE
  /// restart, RFC 8839 section 4.4.1): Rampart's answer must carry new credentials, so the
  /// control plane sets local(leg).ice_ufrag/ice_pwd before calling answer(). The trunk side is
  /// left alone: its offer is unchanged, so its o= version does not move (re-INVITE optional).
  bool iceRestartPending(Leg leg) const noexcept { return legs_[index(leg)].ice_restart; }

  /// How the WebRTC leg @p leg keys SRTP after the last completed offer/answer: Dtls (its SDP
  /// and ours both carry a=fingerprint), Sdes (a=crypto both ways), None (a trunk leg, or
  /// nothing negotiated yet).
  Keying keying(Leg leg) const noexcept { return legs_[index(leg)].keying; }

  /// The control plane may change ports or keys before a re-offer.
  LocalMedia& local(Leg leg) noexcept { return legs_[index(leg)].config.local; }
  const Profile& profile(Leg leg) const noexcept { return *legs_[index(leg)].config.profile; }
  /// Linked m-lines with their payload maps, valid after each completed answer.
  const std::vector<StreamMapping>& mappings() const noexcept { return mappings_; }
  /// Number of m-lines Rampart has sent to / received from @p leg.
  size_t slotCount(Leg leg) const noexcept;
  /// The o= version last sent to @p leg (0 before the first SDP).
  uint64_t originVersion(Leg leg) const noexcept { return legs_[index(leg)].version; }

  struct CodecEntry;
  struct Slot;
  struct OffererSlot;
  struct TargetSlot;

 private:
  struct LegState {
    LegConfig config;
    std::vector<Slot> slots;
    std::vector<std::string> bundle_mids;  ///< established toward a WebRTC leg
    uint64_t version = 0;
    uint64_t last_body_hash = 0;  ///< of everything after o=, to detect changes
    std::string remote_ufrag;     ///< the browser's ice-ufrag in its last offer or answer
    std::string prev_remote_ufrag;
    std::string ufrag_at_restart;  ///< local(leg).ice_ufrag when the restart was seen
    bool ice_restart = false;
    Keying keying = Keying::None;
  };
  struct Pending {
    bool active = false;
    Leg from = Leg::A;
    std::vector<OffererSlot> offerer;
    std::vector<TargetSlot> target;
  };
  static size_t index(Leg leg) noexcept { return static_cast<size_t>(leg); }
  static Leg other(Leg leg) noexcept { return leg == Leg::A ? Leg::B : Leg::A; }
  std::string finish(Leg to, std::string_view body);
  static void noteBrowserUfrag(LegState& offerer, std::string_view ufrag);
  struct AnswerStep;

  LegState legs_[2];
  Pending pending_;
  std::vector<StreamMapping> mappings_;
};

/// Rampart's default, deterministic configuration for one side (the CLI and tests start here).
LegConfig defaultLegConfig(ProfileKind kind);

/// Applies "key=value" to @p leg (profile keys copy the shared Profile first). Keys: address, ports
/// (rtp[/rtcp],...), sdes-keys (k1,k2), ufrag, pwd, fingerprint, session-id, codecs, transcode,
/// video-codecs, ptime, srtp (off|sdes|dual), dtls (on|off), sdes-suite, rtcp-mux (on|off), allow
/// (a,b), setup,
/// origin-user, session-name.
/// @return true, or BadOption naming the key.
Result<bool> applyOption(LegConfig& leg, std::string_view key, std::string_view value);

}  // namespace rampart::sdp
