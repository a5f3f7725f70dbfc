#pragma once
// The B2BUA: owns every call and routes SIP between their legs. See call_manager.cc for the
// walkthrough of one INVITE from the socket to the answer relayed back.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <boost/asio/io_context.hpp>

#include <rampart/platform/config.h>

#include "b2bua/admission.h"
#include "b2bua/call.h"
#include "b2bua/registration_relay.h"
#include "b2bua/routing.h"
#include "b2bua/target_health.h"
#include "b2bua/target_list.h"
#include "media/media_session.h"
#include "sip/locator.h"
#include "transport/dns_resolver.h"
#include "txn/transaction_layer.h"

namespace rampart::cp {

// A flow's last counters when its call ended (for the call's record and quality metrics).
struct FlowReport {
  uint8_t from = 0;  // sdp::Leg the packets arrived from (0: A)
  bool rtcp = false;
  uint32_t clock_rate = 8000;
  std::optional<abi::FlowInfo> info;  // absent when the dataplane did not answer
};

class CallManager : public TransactionLayer::User {
 public:
  // Told once per call as it ends, before its flows are deleted.
  class Observer {
   public:
    virtual ~Observer() = default;
    virtual void onCallEnded(const Call& call, const std::vector<FlowReport>& flows) = 0;
  };
  void setObserver(Observer* observer) { observer_ = observer; }

  CallManager(boost::asio::io_context& io, const platform::Config& config, TransactionLayer& txn,
              MediaContext& media, std::vector<MediaRealm> media_realms,
              prometheus::Registry& registry);
  ~CallManager() override;

  // TransactionLayer::User
  void onRequest(uint64_t txn, const sip::Message& request, const Peer& from) override;
  void onAck(const sip::Message& ack, const Peer& from) override;
  void onCancel(uint64_t invite_txn) override;
  void onConnectionClosed(uint64_t connection) override;

  /// The dataplane reported flow @p flow of a call idle: once none of the call's RTP flows has
  /// carried a packet for its idle time, BYE to both legs. @return false when no call has that
  /// id (a flow left by an earlier control plane).
  bool onMediaIdle(uint64_t call_id, uint64_t flow);
  /// An RFC 4733 event ended on a flow that reports them (dtmf_interwork.cc): SIP INFO to the
  /// other leg.
  void onDtmfEvent(uint64_t call_id, uint64_t flow, const abi::DtmfEvent& ev);
  /// A call's media failed after its answer (DTLS handshake, fingerprint, keys): BYE to both
  /// legs, or the set-up is abandoned.
  void onMediaFailure(uint64_t call_id, const Error& error);
  /// The browser stopped consenting (RFC 7675: no valid ICE check for 30 s): BYE to both legs.
  /// @return false when no call has that id.
  bool onConsentExpired(uint64_t call_id);
  /// The flow of call @p call_id with dataplane handle @p handle, or null.
  const ProgrammedFlow* mediaFlow(uint64_t call_id, uint64_t handle);
  /// The dataplane restarted: re-program every established call's flows.
  void onDataplaneRestart();
  /// A new rampart-transcoder serves @p worker: its transcoded calls get their setups again.
  void onXcodeRestart(uint32_t worker);

  std::size_t activeCalls() const { return calls_.size(); }
  /// Starts DNS and the OPTIONS health checks of route targets. @return Io when the DNS
  /// resolver cannot be set up (sip.dns_servers).
  Result<void> start();
  void stop();
  const RegistrationRelay& registrations() const { return registrations_; }

  // Management (controlplane/src/api): read access for the API, and operator actions.
  const Call* findCall(uint64_t id) const;
  template <typename F>
  void forEachCall(F&& f) const {
    for (const auto& [id, call] : calls_) {
      f(*call);
    }
  }
  /// Ends call `id` for `who`: BYE to both legs of an answered call; a call still being set up
  /// is cancelled toward the callee and refused toward the caller (503).
  /// @return NotFound when no live call has that id.
  Result<void> endByOperator(uint64_t id, const std::string& who);
  RegistrationRelay& registrations() { return registrations_; }
  const Router& router() const { return router_; }
  const TargetHealth& targetHealth() const { return health_; }
  const platform::Config& config() const { return config_; }
  /// The routes changed in the config (a reload): recompile them and check their targets.
  /// Calls in progress keep the targets they were routed to.
  void reloadRoutes();
  /// Calls created since start (for calls per second).
  uint64_t callsCreated() const { return next_call_ - first_call_; }

 private:
  struct Fork {
    DialogLeg leg;
    uint64_t txn = 0;
    bool done = false;
    int status = 0;
    uint32_t last_rseq = 0;  // RFC 3262: the last reliable provisional acknowledged
  };
  struct DialogRef {
    uint64_t call = 0;
    Leg leg = Leg::A;
  };

  // New calls (call_manager.cc)
  void onInvite(uint64_t txn, const sip::Message& req, const Peer& from);
  bool authorizeConnection(uint64_t txn, const sip::Message& req, const Peer& from, bool call);
  Call& createCall(uint64_t txn, const sip::Message& req, const Peer& from);
  void routeCall(Call& call, const RouteMatch& route);
  void sendBInvite(Call& call);
  sip::Message buildBInvite(Call& call, const Target& target);
  void inviteBindings(Call& call, const std::vector<Binding>& bindings);

  // B-leg responses to the initial INVITE (call_setup.cc)
  void onBResponse(uint64_t call_id, std::size_t fork, const TransactionLayer::ClientEvent& ev);
  void onBProvisional(Call& call, std::size_t fork, const sip::Message& resp);
  /// PRACKs a reliable provisional on the B leg. @return false for a retransmission.
  bool prackB(Fork& fork, const sip::Message& resp);
  void onBAnswer(Call& call, std::size_t fork, const sip::Message& resp, bool retransmission);
  void hangUpLateAnswer(Call& call, const Fork& f, const sip::Message& resp);
  void takeAnsweringFork(Call& call, std::size_t fork, const sip::Message& resp);
  void onAnswerProgrammed(uint64_t id, Result<std::string> r);
  void refuseAnswer(Call& c, const Error& e);
  void onBFailure(Call& call, std::size_t fork, int status, const sip::Message* resp);
  void relayToA(Call& call, int status, const std::string& reason, const std::string& sdp,
                const sip::Message* from_b);
  void ackB(Call& call, const DialogLeg& leg, uint32_t cseq, const std::string& sdp = {});

  // In-dialog requests (in_dialog.cc)
  void onInDialog(uint64_t txn, const sip::Message& req, const Peer& from);
  void onBye(Call& call, Leg from_leg, uint64_t txn, const sip::Message& req);
  void answerReofferLocally(Call& call, Leg from_leg, uint64_t txn, const sip::Message& req);
  void onReoffer(Call& call, Leg from_leg, uint64_t txn, const sip::Message& req);
  void relayInDialog(Call& call, Leg from_leg, uint64_t txn, const sip::Message& req);

  // DTMF interworking, RFC 4733 <-> SIP INFO (dtmf_interwork.cc)
  platform::DtmfMode dtmfMode(const Call& call, Leg leg) const;
  void programDtmf(Call& call);
  bool playDtmfInfo(Call& call, Leg from, uint64_t txn, const sip::Message& req);

  // re-INVITE without SDP (delayed_offer.cc)
  void relayDelayedOffer(Call& call, Leg from_leg, uint64_t txn, const sip::Message& req);
  void onDelayedOfferResponse(uint64_t call_id, uint64_t txn, const sip::Message& original,
                              const TransactionLayer::ClientEvent& ev);
  void forwardDelayedOffer(Call& call, uint64_t txn, const sip::Message& original,
                           const sip::Message& resp);
  /// @return true when `ack` answered a delayed offer (then it is handled here).
  bool onDelayedAck(Call& call, Leg leg, const sip::Message& ack);
  void failDelayedOffer(Call& call, const std::string& why);

  // RFC 3262 toward the caller (reliable_provisional.cc)
  void enableReliableToA(Call& call, const sip::Message& invite);
  /// Sends `resp` (a provisional or final response to the A-leg INVITE) on the A leg; 18x go
  /// reliably when A uses 100rel (queued while one is unacknowledged, a 2xx held meanwhile).
  void sendToA(Call& call, sip::Message resp);
  void sendReliable(Call& call, sip::Message resp);
  void retransmitReliable(uint64_t call_id);
  void onPrack(Call& call, uint64_t txn, const sip::Message& req);

  // RFC 3261 14.1 glare (glare.cc)
  void onRefreshGlare(Call& call, Leg leg);
  void sendRefresh(Call& call, Leg leg);
  sip::Message buildInDialog(Call& call, Leg to_leg, const std::string& method);
  void sendInDialog(Call& call, Leg to_leg, sip::Message req,
                    TransactionLayer::ClientHandler handler);

  // RFC 4028 session timers (session_timer.cc)
  void negotiateTimers(Call& call, const sip::Message& b_answer);
  void addTimerHeaders(const Call& call, sip::Message& a_answer) const;
  void armRefresh(Call& call);

  // Teardown (call_manager.cc)
  void hangUp(Call& call, const std::string& reason);  // BYE to every confirmed leg
  void mediaIdleChecked(uint64_t call_id, uint64_t flow, bool unanswered);
  void endCall(uint64_t call_id, const std::string& reason);
  void armTimers(Call& call);

  sip::NameAddr contactFor(uint32_t realm, Transport transport) const;
  Call* find(uint64_t id);
  void respond(uint64_t txn, const sip::Message& req, int status, const std::string& reason,
               const std::string& to_tag = {});
  void respondError(uint64_t txn, const sip::Message& req, const Error& e,
                    const std::string& to_tag = {});
  void countAttempt(Call& call, const char* result);
  // Reads the call's final flow counters, tells the observer, then runs `then`.
  void reportEnd(Call& call, std::function<void()> then);

  void replayXcode(uint64_t call_id, int attempt);
  boost::asio::io_context& io_;
  const platform::Config& config_;
  TransactionLayer& txn_;
  MediaContext& media_;
  std::vector<MediaRealm> media_realms_;
  /// The media side of a leg: a webrtc realm's legs are always WebRTC (ICE-lite, DTLS-SRTP);
  /// on a trunk realm, a leg is a browser's (the realm's WebRTC variant) when it came over
  /// WS/WSS with a DTLS offer, or is a WS/WSS binding whose Contact says +sip.ice (RFC 5768);
  /// a scripted WebSocket client offering RTP or SDES keeps the trunk treatment.
  const MediaRealm& mediaRealm(uint32_t realm, bool browser) const;
  std::vector<MediaRealm> browser_media_realms_;  // per realm: its WebRTC variant
  Router router_;
  DnsResolver dns_;
  sip::Locator locator_;
  TargetList target_list_;
  RegistrationRelay registrations_;
  TargetHealth health_;
  CallAdmission admission_;
  uint64_t next_call_ = 0;
  uint64_t first_call_ = 0;
  std::unordered_map<uint64_t, std::unique_ptr<Call>> calls_;
  std::map<std::string, DialogRef> dialogs_;  // call-id + "|" + our tag
  std::unordered_map<uint64_t, uint64_t> invite_txn_to_call_;
  std::unordered_map<uint64_t, std::vector<Fork>> forks_;

  prometheus::Gauge* calls_active_;
  prometheus::Family<prometheus::Counter>* attempts_;
  prometheus::Histogram* setup_seconds_;
  prometheus::Family<prometheus::Counter>* ended_;
  prometheus::Counter* ice_restarts_ = nullptr;
  prometheus::Family<prometheus::Counter>* dtmf_ = nullptr;
  Observer* observer_ = nullptr;
};

}  // namespace rampart::cp
