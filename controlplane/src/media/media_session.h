#pragma once
// MediaSession: every media decision of one call (STYLE.md 4b.3). The B2BUA owns one per call
// and hands it each SDP; the session normalises it through sdp::Bridge, allocates the realm
// ports and SDES keys each leg needs, and programs the dataplane flows, relaying an answer
// only after the dataplane acknowledged every flow change (confirm-then-program).
//
// Flows. For each linked pair of active m-lines (sdp::Bridge::mappings()) two directions are
// programmed, A->B and B->A. The A->B flow listens on Rampart's port toward A (in_local), takes
// packets from A's signalled address (in_remote), decrypts them with the key A advertised in its
// a=crypto (RFC 4568: each side's a=crypto is the key it sends with), encrypts them with the key
// Rampart advertised to B and sends them from Rampart's port toward B (out_local) to B's
// signalled address (out_remote). A leg without rtcp-mux gets one more flow per direction on
// its RTCP port (kFlowRtcpOnly); an out leg without rtcp-mux sends RTCP from/to the RTCP ports.
// Flows latch (symmetric RTP: the peer's real source is learnt from its first packet, which must
// authenticate under SRTP) when the realm asks for it, toward WebRTC, and when the signalled
// address is private or unknown (a phone behind NAT); otherwise the source is strict.
//
// Hold (a=sendonly/recvonly/inactive) changes no flow: the dataplane relays whatever arrives,
// and a peer on hold simply sends nothing. An RFC 2543 hold (c=0.0.0.0) keeps the address
// already programmed. A re-INVITE that changes nothing the dataplane uses (addresses, ports,
// keys, rtcp-mux, clock rate) programs nothing.
//
// Threading: the control plane's event loop only. Ack handlers that arrive after the session is
// gone do nothing to it (flows they created are deleted).
#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <rampart/platform/abi.h>
#include <rampart/platform/config.h>
#include <rampart/platform/result.h>
#include <rampart/sdp/normalize.h>

#include "media/dtls_link.h"
#include "media/flow_sink.h"
#include "media/port_allocator.h"
#include "media/worker_picker.h"

namespace rampart::cp {

using sdp::Leg;

/// One side of a call as the media layer sees it (built by the B2BUA from the config snapshot).
class TranscodeBook;

struct MediaRealm {
  uint32_t realm_index = 0;     ///< index in Config::realms
  uint16_t dp_port = 0;         ///< FlowAdd.in_port/out_port: port position in config order
  platform::IpAddress address;  ///< Rampart's IPv4 media address on this realm
  std::optional<platform::IpAddress> address6;  ///< not used yet (IPv4 media only)
  std::shared_ptr<const sdp::Profile> profile;  ///< SDP policy (codecs, srtp, rtcp-mux, ptime)
  PortAllocator* ports = nullptr;               ///< the realm's allocator; outlives every session
  bool latch = false;            ///< always learn the peer's source (NAT, public side)
  uint16_t latch_window_ms = 0;  ///< 0: the dataplane default (30 s)
  uint16_t idle_timeout_s = 0;   ///< 0: the dataplane default
};

/// Counters of the media layer (exported by the metrics collector the lead wires up).
struct MediaStats {
  uint64_t flow_commands = 0;    ///< FlowAdd/Modify/Del submitted
  uint64_t flow_failures = 0;    ///< commands refused, timed out or unqueueable
  uint64_t deletes_unacked = 0;  ///< FlowDel timed out/unavailable; ports freed anyway
  uint64_t sessions_restored = 0;
};

/// What every session shares; outlives every session and every Ack handler.
struct MediaContext {
  FlowSink& sink;
  WorkerPicker& workers;
  MediaStats stats{};
  DtlsLink* dtls = nullptr;  ///< null: WebRTC legs are refused (Error{Unsupported})
  /// A call's media failed after its answer went out (DTLS handshake failed or timed out, the
  /// peer's certificate did not match its fingerprint, keys could not be programmed): the B2BUA
  /// ends the call. Runs on the event loop, never from inside a MediaSession call.
  std::function<void(uint64_t callId, const Error&)> on_failure{};
  /// Transcoded-call limits and counts; null: no limit, not counted.
  TranscodeBook* transcode = nullptr;
};

/// Identifies one programmed flow within a call: the leg packets arrive from, that leg's m-line
/// index, and whether it is the separate RTCP port.
struct FlowKey {
  uint8_t from = 0;  ///< sdp::Leg as a number
  uint8_t rtcp = 0;
  uint16_t slot = 0;
  auto operator<=>(const FlowKey&) const = default;
};

struct ProgrammedFlow {
  FlowKey key;
  abi::FlowAdd spec{};  ///< hdr unused; holds SRTP keys, wiped when the flow goes
  uint64_t handle = 0;  ///< abi::packHandle() from the FlowAdd Ack
  /// Transcoding of this flow's media (from.codec None: relayed), as desired or programmed.
  abi::XcodeSetup xcode{};
};

class MediaSession {
 public:
  static constexpr int kStateVersion = 1;

  /// @p callId becomes every flow's cookie (FlowIdle/SsrcChange events name the call).
  MediaSession(MediaContext& ctx, const MediaRealm& a, const MediaRealm& b, uint64_t callId);
  /// Without close(): flows are deleted and ports freed in the background, keys wiped.
  ~MediaSession();
  MediaSession(const MediaSession&) = delete;
  MediaSession& operator=(const MediaSession&) = delete;

  /// An SDP offer arrived on leg @p from: allocates ports (first use of an m-line) and SDES
  /// keys where a trunk leg uses RTP/SAVP, and normalises it for the other leg.
  /// @return the offer to send on the other leg, or Error{Malformed} (bad SDP: 400),
  ///   Error{NotAcceptable} (488: nothing acceptable, MKI, unsupported suite, re-offer removed an
  ///   m-line), Error{Conflict} (491: an offer is pending or flows are being programmed),
  ///   Error{Overloaded} (no free ports: 503), Error{Unsupported} (a WebRTC leg: DTLS-SRTP is
  ///   not in the media layer yet), Error{Unavailable} (session closed).
  Result<std::string> offer(Leg from, std::string_view body);

  /// The answer arrived on leg @p from. Normalises it for the offerer, then adds, modifies and
  /// deletes flows so the dataplane matches the new negotiation; @p done gets the answer body
  /// only after every command was acknowledged OK. On any failure the flows added or modified by
  /// this change are deleted or restored and @p done gets the first error: Error{Malformed}
  /// (bad SDP), Error{NotAcceptable} (answer does not match, bad a=crypto), Error{Conflict} (no
  /// pending offer from the other leg), Error{Unavailable} (no dataplane: 503), Error{Timeout}
  /// (500), or the refusal of the dataplane (Overloaded, AlreadyExists, InvalidArgument...).
  /// @p done may run before answer() returns (nothing to program, or an immediate error).
  void answer(Leg from, std::string_view body, std::function<void(Result<std::string>)> done);

  /// After offer(from): true when a browser's re-offer differs from its last offer only in ICE
  /// (credentials, candidates, default address and port): an ICE restart. The B2BUA then
  /// answers with answerFromLast() and the other side never sees a re-INVITE.
  bool offerOnlyRestartsIce() const;
  /// After offer(from): the browser on leg `from` restarted ICE (a new ice-ufrag).
  bool offerRestartsIce() const {
    return pending_.active && bridge_.iceRestartPending(pending_.from);
  }
  /// Answers the pending offer with the other leg's last answer, as answer() would.
  void answerFromLast(std::function<void(Result<std::string>)> done);

  /// The offer was rejected (4xx to a re-INVITE): forgets it and frees the ports it allocated.
  void cancelOffer();

  /// Deletes every flow, then frees the ports (after the Acks; after a timeout or a missing
  /// dataplane too, counted in MediaStats::deletes_unacked), wipes keys and runs @p done. While
  /// an answer is being programmed, waits for it (its done gets Error{Unavailable}).
  void close(std::function<void()> done);

  /// After a dataplane restart (new epoch, every flow lost): adds every flow again.
  /// @p done gets OK, or the first error (the flows re-added are then deleted again).
  void reprogram(std::function<void(Result<void>)> done);
  /// A restarted rampart-transcoder lost the codec state: the transcoded flows' XcodeSetups
  /// again (Conflict while another batch is in flight: try later).
  void replayXcode(std::function<void(Result<void>)> done);
  bool transcoded() const { return !transcodePair_.empty(); }

  bool hasFlows() const { return !flows_.empty(); }
  const std::vector<ProgrammedFlow>& flows() const { return flows_; }
  /// The programmed flow with dataplane handle @p handle, or null.
  const ProgrammedFlow* flowByHandle(uint64_t handle) const;
  bool offerPending() const { return pending_.active; }
  /// True while flow commands of this session are in flight.
  bool busy() const { return busy_; }
  bool closed() const { return closed_; }
  uint32_t worker() const { return worker_; }
  uint64_t callId() const { return callId_; }
  const sdp::Bridge& bridge() const { return bridge_; }
  /// The last SDP @p leg's peer sent, and the last Rampart sent it (committed; "" before).
  const std::string& remoteSdp(Leg leg) const { return legs_[idx(leg)].remoteSdp; }
  const std::string& localSdp(Leg leg) const { return legs_[idx(leg)].localSdp; }
  /// The realm @p leg belongs to.
  uint32_t realmIndex(Leg leg) const { return legs_[idx(leg)].realm.realm_index; }
  /// Port pairs Rampart allocated toward @p leg, per m-line index (rtp 0: none).
  const std::vector<sdp::PortPair>& ports(Leg leg) const { return legs_[idx(leg)].ports; }

  /// The per-call media state for a state store: version, both legs' last negotiated SDP (what
  /// the peer sent, what Rampart sent), ports, SDES keys, worker and flow handles. The result
  /// contains SRTP master keys ("contains_secrets": true): store it encrypted or not at all.
  /// A pending offer is not part of it (transactions in progress are never stored).
  nlohmann::json toJson() const;

  /// Rebuilds a session from toJson(): reserves its ports in the realms' allocators, replays
  /// the last offer/answer through a new Bridge and recomputes every flow, keeping the stored
  /// handles (call reprogram() when the dataplane lost them).
  /// @return the session, or Error{Malformed} (bad or inconsistent JSON, unknown version,
  ///   SDP that no longer negotiates), Error{InvalidArgument} (realms do not match),
  ///   Error{AlreadyExists} (a port is already in use here).
  static Result<std::unique_ptr<MediaSession>> fromJson(MediaContext& ctx, const MediaRealm& a,
                                                        const MediaRealm& b,
                                                        const nlohmann::json& state);

  struct Op;  // one flow command of a batch (media_session.cc)

 private:
  /// A browser leg's ICE-lite and DTLS-SRTP state (ProfileKind::WebRtc only).
  struct WebRtcState {
    std::string peerFingerprint;   ///< "<hash> <hex>" from the browser's last SDP
    std::string remoteUfrag;       ///< the browser's ice-ufrag in its last SDP
    bool client = false;           ///< Rampart is the DTLS client (browser said setup:passive)
    std::optional<DtlsKeys> keys;  ///< once the handshake finished
    uint64_t dtlsFlow = 0;         ///< flow the running handshake is bound to (0: none)
    std::string dtlsFingerprint;   ///< the fingerprint that handshake checks
    abi::FlowIce ice{};            ///< as last programmed (hdr.flow: the flow it went to)
  };
  struct LegState {
    MediaRealm realm;
    WebRtcState web;
    std::vector<sdp::PortPair> ports;   // per m-line index
    std::vector<abi::SrtpParams> keys;  // per m-line index; key_len 0: none
    std::string remoteSdp;              // committed: the last SDP the peer sent
    std::string localSdp;               // committed: the last SDP Rampart sent it
  };
  struct PendingOffer {
    bool active = false;
    Leg from = Leg::A;
    std::string body;                               // the offer as received
    std::string outBody;                            // the offer Rampart sent on the other leg
    std::vector<std::pair<Leg, size_t>> allocated;  // ports this offer allocated
  };
  using FlowList = std::vector<ProgrammedFlow>;
  using Batch = std::vector<Op>;

  static size_t idx(Leg leg) { return static_cast<size_t>(leg); }
  static Leg otherLeg(Leg leg) { return leg == Leg::A ? Leg::B : Leg::A; }

  Result<void> ensureResources(Leg from, size_t offerMedia, const std::vector<bool>& live,
                               bool offerHasSavp, PendingOffer& pending);
  Result<void> ensureSlot(Leg leg, size_t i, bool key, PendingOffer& pending);
  void releaseAllocated(const PendingOffer& pending);
  void releaseUnadvertised(Leg to, PendingOffer& p);
  void syncBridgeLocal(Leg leg);
  /// The flows the committed SDPs call for; @p previous supplies addresses during RFC 2543 hold.
  Result<FlowList> desiredFlows(const FlowList& previous) const;
  /// Submits @p ops; @p finished runs once every one has its result (on this session only
  /// while it lives; otherwise successful adds are deleted).
  void runBatch(Batch ops, std::function<void(Batch&)> finished);
  /// The adds (when @p adds) and modifies that turn flows_ into @p desired; wipes its specs.
  Batch changesTo(FlowList& desired, bool adds) const;
  using SdpSnapshot = std::array<std::string, 4>;  // remote/local of A, remote/local of B
  SdpSnapshot snapshot() const;
  void restore(SdpSnapshot& s);
  void finishAnswer(Batch& phase1, std::string out, std::function<void(Result<std::string>)> done,
                    SdpSnapshot old);
  void finishDeletes(Batch& phase2, std::string out, std::function<void(Result<std::string>)> done);
  /// After phase 1: the XcodeSetups that changed (@p desired), then deleteUnwanted().
  using XcodeList = std::vector<std::pair<FlowKey, abi::XcodeSetup>>;
  void programXcode(const XcodeList& desired, std::vector<FlowKey> wanted, std::string reply,
                    std::function<void(Result<std::string>)> done);
  /// After a dataplane restart re-added the flows: their XcodeSetups again.
  void reprogramXcode(std::function<void(Result<void>)> done);
  /// Phase 2: deletes the flows not in @p wanted, then answers @p done with @p reply.
  void deleteUnwanted(const std::vector<FlowKey>& wanted, std::string reply,
                      std::function<void(Result<std::string>)> done);
  void afterBatch();
  // answer() in steps (media_session_answer.cc).
  Result<std::string> commitAnswer(Leg from, std::string_view body, SdpSnapshot& old);
  std::function<void(Result<std::string>)> afterWebRtc(
      std::function<void(Result<std::string>)> done);
  void programAnswer(std::string reply, SdpSnapshot old,
                     std::function<void(Result<std::string>)> done);
  bool unchangedBeyond(const std::vector<FlowKey>& wanted, const XcodeList& xcodes) const;
  void adoptPhase1(Batch& b);
  // fromJson() in steps (media_state.cc).
  static Result<void> readLeg(LegState& l, const nlohmann::json& lj, size_t i);
  Result<void> replayLastOffer(const nlohmann::json& state);
  Result<void> restoreFlows(const nlohmann::json& flows);
  bool isWebRtc(Leg leg) const;
  /// Sets a WebRTC leg's ICE credentials and fingerprint in the Bridge (new ones on a restart).
  Result<void> ensureWebRtcLocal(Leg leg, bool restart);
  /// Reads the browser's fingerprint and DTLS role from its last SDP.
  Result<void> readWebRtcRemote(Leg leg);
  /// After flows changed: programs ICE state on each browser leg's flow and opens DTLS.
  void programWebRtc(std::function<void(Result<void>)> then);
  void openDtls(Leg leg, uint64_t flow);
  void onDtlsDone(Leg leg, uint64_t flow, Result<DtlsKeys> keys);
  /// Re-programs flows whose keys changed (a finished handshake).
  void applyKeys();
  void fail(const Error& e);
  /// The flow receiving a browser leg's media (checks and DTLS arrive there), or null.
  const ProgrammedFlow* browserInFlow(Leg leg) const;
  void teardown(std::function<void()> done);
  void wipeSecrets();
  /// Takes or gives back this call's place in the transcoded-call book as the negotiated
  /// streams require. @return NotAcceptable (488) at a realm's limit.
  Result<void> bookTranscoding();
  void releaseTranscoding();

  MediaContext& ctx_;
  uint64_t callId_;
  LegState legs_[2];
  sdp::Bridge bridge_;
  PendingOffer pending_;
  std::optional<Leg> lastOfferer_;
  FlowList flows_;
  std::string transcodePair_;  ///< codec pair while booked as transcoded; empty: not booked
  uint32_t worker_ = 0;
  bool hasWorker_ = false;
  bool busy_ = false;
  bool closed_ = false;
  bool closeRequested_ = false;
  bool keysDirty_ = false;  // DTLS keys arrived while a batch was in flight
  std::function<void()> closeDone_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace rampart::cp
