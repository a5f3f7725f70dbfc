#pragma once
// One call: an A leg (the caller, toward whom Rampart is the UAS) and a B leg (toward the
// callee; Rampart is the UAC), each with its own Call-ID, tags, CSeq space and route set, plus
// the call's MediaSession. Everything a successor node would need to carry the call on lives
// here and is serialisable (toJson); transactions, sockets and timers are not state of the
// call and are never stored (they are referenced by id).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "b2bua/admission.h"
#include "b2bua/routing.h"
#include "media/media_session.h"
#include "sip/message.h"
#include "transport/transport_layer.h"

namespace rampart::cp {

struct DialogLeg {
  uint32_t realm = 0;
  Destination peer;  // where requests and responses for this leg are sent
  std::string call_id;
  std::string local_tag;
  std::string remote_tag;
  sip::NameAddr local;  // our From (B leg) / To (A leg) identity, without tag
  sip::NameAddr remote;
  sip::Uri remote_target;  // the peer's Contact
  std::vector<std::string> route_set;
  uint32_t local_cseq = 0;
  uint32_t remote_cseq = 0;
};

/// Wall-clock milliseconds since the epoch (call records).
inline int64_t unixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

enum class CallState { Routing, Early, Answering, Confirmed, Ending, Ended };
const char* callStateName(CallState s);

// An offer/answer exchange relayed from one leg to the other (re-INVITE or UPDATE).
struct Reoffer {
  Leg from = Leg::A;
  uint64_t server_txn = 0;  // on the offering leg
  std::string method;       // INVITE or UPDATE
  uint32_t cseq = 0;        // of our request on the other leg
  // Delayed offer (re-INVITE without SDP, delayed_offer.cc): the other leg's offer came in
  // its 2xx and went to `from` in ours; the answer comes in `from`'s ACK.
  bool delayed = false;
  bool awaiting_ack = false;
  uint32_t from_cseq = 0;  // of the offerless re-INVITE (its ACK carries the same)
};

// The last ACK Rampart sent for an in-dialog 2xx, re-sent when that 2xx is retransmitted.
struct SentAck {
  Leg leg = Leg::A;
  uint32_t cseq = 0;
  std::string sdp;
};

// RFC 3262 on the A leg (reliable_provisional.cc): Rampart's 18x to a caller that supports
// 100rel go reliably, one at a time, retransmitted until PRACKed.
struct ReliableToA {
  explicit ReliableToA(boost::asio::io_context& io) : timer(io) {}
  uint32_t invite_cseq = 0;              // the caller's INVITE (PRACKs name it in RAck)
  uint32_t rseq = 0;                     // RSeq of the last reliable provisional sent
  bool unacked = false;                  // it is not PRACKed yet
  bool unacked_sdp = false;              // ... and it carried SDP
  sip::Message pending;                  // that provisional, for retransmission
  std::vector<sip::Message> queued;      // later provisionals, sent after the PRACK
  std::optional<sip::Message> held_2xx;  // a 2xx waits for the PRACK of an SDP provisional
  std::chrono::milliseconds interval{0};
  int64_t deadline_ms = 0;  // steady clock; 64*T1 after the first send
  boost::asio::steady_timer timer;
};

struct Call {
  explicit Call(boost::asio::io_context& io)
      : timer(io), duration(io), refresh(io), reoffer_guard(io), glare(io), media_check(io) {}

  uint64_t id = 0;
  CallState state = CallState::Routing;
  DialogLeg a;
  DialogLeg b;
  std::unique_ptr<MediaSession> media;
  uint64_t a_invite_txn = 0;    // server transaction of the initial INVITE (until final)
  uint64_t b_invite_txn = 0;    // client transaction of the B-leg INVITE (for CANCEL)
  std::vector<Target> targets;  // remaining failover targets
  std::size_t target_index = 0;
  std::string b_offer;       // the SDP sent to B (re-sent on failover)
  sip::Message b_invite;     // the B-leg INVITE as built (re-sent on failover)
  std::string early_answer;  // answer relayed to A in a 18x (reused for the 2xx)
  bool cancelled = false;
  bool a_acked = false;
  std::optional<Reoffer> reoffer;
  std::optional<SentAck> last_ack;
  std::string route_name;
  std::string end_reason;
  std::string ended_by;  // who ended it: "caller", "callee", "operator:<token name>", "rampart"
  // For the call's record (CDR): the attempt result (rampart_cp_call_attempts_total's label),
  // the final status relayed to the caller, and wall-clock times in ms since the epoch.
  std::string result;
  int final_status = 0;
  int64_t created_unix_ms = 0;
  int64_t ringing_unix_ms = 0;
  int64_t answered_unix_ms = 0;
  int64_t ended_unix_ms = 0;
  int64_t created_ms = 0;  // steady clock, for set-up time
  int64_t answered_unix_s = 0;
  boost::asio::steady_timer timer;     // no-answer, then session guard
  boost::asio::steady_timer duration;  // maximum call duration
  boost::asio::steady_timer refresh;   // RFC 4028 session refresh of the legs we refresh
  uint32_t session_expires_s = 0;      // negotiated interval (0: no session timer)
  bool refresh_a = false;              // Rampart refreshes the A leg (A supports timer)
  bool refresh_b = false;              // Rampart refreshes the B leg (B accepted refresher=uac)
  boost::asio::steady_timer reoffer_guard;  // a delayed offer's ACK must come within 64*T1
  std::unique_ptr<ReliableToA> a_rel;       // A supports 100rel (RFC 3262 toward the caller)
  boost::asio::steady_timer glare;          // RFC 3261 14.1 retry of a refresh that got 491
  int glare_retries = 0;
  boost::asio::steady_timer media_check;  // re-asks the dataplane when an idle check got no answer
  AdmissionTicket admission;  // the call's place under admission limits (b2bua/admission.h)

  DialogLeg& leg(Leg l) { return l == Leg::A ? a : b; }

  /// Versioned per-call state for a state store (both legs' dialogs and the media session).
  nlohmann::json toJson() const;
};

}  // namespace rampart::cp
