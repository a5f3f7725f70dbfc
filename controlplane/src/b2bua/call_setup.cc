// B-leg answers to a call's initial INVITE, and CANCEL of it by the caller.
#include <algorithm>
#include <chrono>
#include <cstdlib>

#include <rampart/platform/log.h>

#include "b2bua/call_manager.h"
#include "b2bua/sip_errors.h"

namespace rampart::cp {
namespace {
int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
bool hasSdp(const sip::Message& m) {
  return !m.body.empty() && sip::iequals(m.content_type, "application/sdp");
}
// A request built straight from a B-leg dialog (the ACK of a 2xx, the BYE of a late answer).
sip::Message requestOn(const DialogLeg& leg, const char* method, uint32_t cseq) {
  sip::Message m;
  m.method = method;
  m.request_uri = leg.remote_target;
  m.from = leg.local;
  m.from.tag = leg.local_tag;
  m.to = leg.remote;
  m.to.tag = leg.remote_tag;
  m.call_id = leg.call_id;
  m.cseq = cseq;
  m.cseq_method = method;
  m.route = leg.route_set;
  return m;
}
// A 2xx fixes the dialog's remote tag, target and route set (RFC 3261 12.1.2).
void confirmDialog(DialogLeg& leg, const sip::Message& resp) {
  leg.remote_tag = resp.to.tag;
  if (!resp.contacts.empty()) {
    leg.remote_target = resp.contacts.front().uri;
  }
  leg.route_set.assign(resp.record_route.rbegin(), resp.record_route.rend());
}
}  // namespace

void CallManager::relayToA(Call& call, int status, const std::string& reason,
                           const std::string& sdp, const sip::Message* from_b) {
  const sip::Message* req = txn_.request(call.a_invite_txn);
  if (!req) {
    return;
  }
  auto resp = sip::makeResponse(*req, status, reason, call.a.local_tag);
  if (status >= 200 && call.final_status == 0) {
    call.final_status = status;
  }
  if (status < 300 && status > 100) {
    resp.contacts.push_back(contactFor(call.a.realm, call.a.peer.transport));
    resp.record_route = req->record_route;  // UAS echoes the caller's Record-Route (12.1.1)
  }
  if (!sdp.empty()) {
    resp.content_type = "application/sdp";
    resp.body = sdp;
  }
  if (from_b) {
    for (const char* h : {"WWW-Authenticate", "Proxy-Authenticate", "Retry-After", "Warning"}) {
      for (auto v : from_b->headerValues(h)) {
        resp.addHeader(h, std::string(v));
      }
    }
  }
  if (status >= 200 && status < 300) {
    resp.addHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK");
    addTimerHeaders(call, resp);
  }
  sendToA(call, std::move(resp));  // reliably when the caller uses 100rel
}

void CallManager::ackB(Call& call, const DialogLeg& leg, uint32_t cseq, const std::string& sdp) {
  (void)call;
  sip::Message ack = requestOn(leg, "ACK", cseq);
  if (!sdp.empty()) {
    ack.content_type = "application/sdp";
    ack.body = sdp;
  }
  txn_.sendAck(std::move(ack), leg.peer);
}

void CallManager::onBResponse(uint64_t call_id, std::size_t fork,
                              const TransactionLayer::ClientEvent& ev) {
  Call* call = find(call_id);
  auto fit = forks_.find(call_id);
  if (!call || fit == forks_.end() || fork >= fit->second.size()) {
    // The call is gone: a late 2xx still needs its ACK and a BYE (RFC 3261 15).
    if (ev.response && ev.response->status >= 200 && ev.response->status < 300) {
      RAMPART_LOG(platform::LogLevel::Debug, "b2bua", "2xx for a call already ended");
    }
    return;
  }
  if (ev.error) {
    onBFailure(*call, fork, ev.error->code == ErrorCode::Timeout ? 408 : 503, nullptr);
    return;
  }
  const sip::Message& resp = *ev.response;
  if (resp.status < 200) {
    if (resp.status > 100) {
      onBProvisional(*call, fork, resp);
    }
    return;
  }
  if (resp.status < 300) {
    onBAnswer(*call, fork, resp, ev.retransmission);
    return;
  }
  onBFailure(*call, fork, resp.status, &resp);
}

// RFC 3262 per leg: Rampart offers 100rel toward B (carriers often require it) and answers each
// reliable provisional with a PRACK itself; A, which may not support 100rel, gets the
// provisional unreliably, as RFC 3262 allows when A did not ask for it.
bool CallManager::prackB(Fork& f, const sip::Message& resp) {
  auto rseq_text = resp.header("RSeq");
  bool reliable =
      std::find(resp.require.begin(), resp.require.end(), "100rel") != resp.require.end();
  if (!reliable || !rseq_text) {
    return true;
  }
  uint32_t rseq = static_cast<uint32_t>(std::strtoul(std::string(*rseq_text).c_str(), nullptr, 10));
  if (rseq == 0 || (f.last_rseq != 0 && rseq <= f.last_rseq)) {
    return false;  // a retransmission (or out of order): already acknowledged
  }
  f.last_rseq = rseq;
  DialogLeg& leg = f.leg;
  sip::Message prack;
  prack.method = "PRACK";
  prack.request_uri = resp.contacts.empty() ? leg.remote_target : resp.contacts.front().uri;
  prack.from = leg.local;
  prack.from.tag = leg.local_tag;
  prack.to = leg.remote;
  prack.to.tag = resp.to.tag;
  prack.call_id = leg.call_id;
  prack.cseq = ++leg.local_cseq;
  prack.cseq_method = "PRACK";
  prack.route.assign(resp.record_route.rbegin(), resp.record_route.rend());
  prack.addHeader("RAck", std::to_string(rseq) + " " + std::to_string(resp.cseq) + " INVITE");
  txn_.sendRequest(std::move(prack), leg.peer, [](const TransactionLayer::ClientEvent&) {});
  return true;
}

void CallManager::onBProvisional(Call& call, std::size_t fork, const sip::Message& resp) {
  Fork& f = forks_[call.id][fork];
  if (!resp.to.tag.empty() && f.leg.remote_tag.empty()) {
    f.leg.remote_tag = resp.to.tag;
    if (!resp.contacts.empty()) {
      f.leg.remote_target = resp.contacts.front().uri;
    }
  }
  if (!prackB(f, resp)) {
    return;
  }
  if (call.cancelled || call.state == CallState::Confirmed || call.state == CallState::Ended) {
    return;
  }
  call.state = CallState::Early;
  if (call.ringing_unix_ms == 0) {
    call.ringing_unix_ms = unixMs();
  }
  if (!hasSdp(resp) || !call.early_answer.empty() || call.media->busy()) {
    relayToA(call, resp.status, resp.reason, call.early_answer, nullptr);
    return;
  }
  // Early media: program the flows before A hears about the answer.
  uint64_t id = call.id;
  int status = resp.status;
  std::string reason = resp.reason;
  call.media->answer(Leg::B, resp.body, [this, id, status, reason](Result<std::string> r) {
    Call* c = find(id);
    if (!c || c->cancelled || c->state == CallState::Ended) {
      return;
    }
    if (!r) {
      RAMPART_LOG(platform::LogLevel::Warn, "b2bua", "call %llu: early media refused: %s",
                  static_cast<unsigned long long>(id), r.error().message.c_str());
      relayToA(*c, status, reason, "", nullptr);
      return;
    }
    c->early_answer = std::move(*r);
    if (c->state == CallState::Early) {
      relayToA(*c, status, reason, c->early_answer, nullptr);
    }
  });
}

void CallManager::onBAnswer(Call& call, std::size_t fork, const sip::Message& resp,
                            bool retransmission) {
  Fork& f = forks_[call.id][fork];
  bool winner = call.state != CallState::Confirmed && call.state != CallState::Answering &&
                !call.cancelled && call.state != CallState::Ended;
  if (!winner) {
    if (retransmission && call.b.call_id == f.leg.call_id) {
      ackB(call, call.b, resp.cseq);  // our ACK was lost: repeat it
      return;
    }
    if (call.b.call_id == f.leg.call_id && call.state != CallState::Ended && !call.cancelled) {
      return;
    }
    hangUpLateAnswer(call, f, resp);
    return;
  }
  takeAnsweringFork(call, fork, resp);
  uint64_t id = call.id;
  auto relay = [this, id](Result<std::string> r) { onAnswerProgrammed(id, std::move(r)); };
  if (!call.early_answer.empty() && !call.media->offerPending()) {
    relay(Result<std::string>(call.early_answer));
    return;
  }
  if (!hasSdp(resp)) {
    relay(Result<std::string>(Error{ErrorCode::NotAcceptable, "2xx without SDP answer"}));
    return;
  }
  call.media->answer(Leg::B, resp.body, relay);
}

// A losing fork, or an answer after CANCEL: ACK it and hang it up (RFC 3261 15).
void CallManager::hangUpLateAnswer(Call& call, const Fork& f, const sip::Message& resp) {
  DialogLeg leg = f.leg;
  confirmDialog(leg, resp);
  ackB(call, leg, resp.cseq);
  sip::Message bye = requestOn(leg, "BYE", leg.local_cseq + 1);
  txn_.sendRequest(std::move(bye), leg.peer, [](const TransactionLayer::ClientEvent&) {});
}

// The first 2xx wins: its dialog becomes the call's B leg, the other forks are cancelled.
void CallManager::takeAnsweringFork(Call& call, std::size_t fork, const sip::Message& resp) {
  std::vector<Fork>& forks = forks_[call.id];
  Fork& f = forks[fork];
  confirmDialog(f.leg, resp);
  call.b = f.leg;
  call.b_invite_txn = f.txn;
  dialogs_[call.b.call_id + "|" + call.b.local_tag] = {call.id, Leg::B};
  for (std::size_t i = 0; i < forks.size(); ++i) {
    if (i != fork) {
      txn_.cancel(forks[i].txn);
    }
  }
  ackB(call, call.b, resp.cseq);
  negotiateTimers(call, resp);
  call.state = CallState::Answering;
}

// The media answer for a 2xx is programmed (or refused): relay the 200 to A or end the call.
void CallManager::onAnswerProgrammed(uint64_t id, Result<std::string> r) {
  Call* c = find(id);
  if (!c || c->state != CallState::Answering) {
    return;
  }
  if (c->cancelled) {  // the caller CANCELled while the flows were being programmed
    c->state = CallState::Confirmed;
    sip::Message bye = buildInDialog(*c, Leg::B, "BYE");
    sendInDialog(*c, Leg::B, std::move(bye), [](const TransactionLayer::ClientEvent&) {});
    endCall(id, "cancelled");
    return;
  }
  if (!r) {
    refuseAnswer(*c, r.error());
    return;
  }
  c->state = CallState::Confirmed;
  c->timer.cancel();
  programDtmf(*c);
  c->answered_unix_s = std::time(nullptr);
  c->answered_unix_ms = unixMs();
  setup_seconds_->Observe(static_cast<double>(steadyMs() - c->created_ms) / 1000.0);
  countAttempt(*c, "answered");
  relayToA(*c, 200, "OK", *r, nullptr);
  armRefresh(*c);
  c->duration.expires_after(std::chrono::seconds(config_.sip.max_call_duration_s));
  c->duration.async_wait([this, id](boost::system::error_code ec) {
    Call* cc = find(id);
    if (!ec && cc) {
      hangUp(*cc, "max_duration");
    }
  });
}

// B answered but its media cannot be set up: BYE to B, the error to A.
void CallManager::refuseAnswer(Call& c, const Error& e) {
  RAMPART_LOG(platform::LogLevel::Warn, "b2bua", "call %llu: answer refused: %s",
              static_cast<unsigned long long>(c.id), e.message.c_str());
  SipStatus s = sipStatusFor(e);
  countAttempt(c, "media_failed");
  c.state = CallState::Confirmed;  // B is confirmed: hangUp sends it a BYE
  sip::Message bye = buildInDialog(c, Leg::B, "BYE");
  sendInDialog(c, Leg::B, std::move(bye), [](const TransactionLayer::ClientEvent&) {});
  c.state = CallState::Early;
  relayToA(c, s.code, s.reason, "", nullptr);
  endCall(c.id, "media_failed");
}

void CallManager::onBFailure(Call& call, std::size_t fork, int status, const sip::Message* resp) {
  std::vector<Fork>& forks = forks_[call.id];
  forks[fork].done = true;
  forks[fork].status = status;
  if (call.state == CallState::Confirmed || call.state == CallState::Answering ||
      call.state == CallState::Ended) {
    return;
  }
  if (call.cancelled) {
    if (std::all_of(forks.begin(), forks.end(), [](const Fork& f) { return f.done; })) {
      endCall(call.id, "cancelled");
    }
    return;
  }
  bool failover = (status == 408 || status == 503) && forks.size() == 1 &&
                  call.target_index + 1 < call.targets.size();
  if (failover) {
    ++call.target_index;
    const Target& next = call.targets[call.target_index];
    RAMPART_LOG(platform::LogLevel::Info, "b2bua",
                "call %llu: target answered %d, trying %s (%s:%u)",
                static_cast<unsigned long long>(call.id), status, next.uri.str().c_str(),
                next.dst.address.to_string().c_str(), static_cast<unsigned>(next.dst.port));
    call.b.remote_tag.clear();
    sendBInvite(call);
    return;
  }
  if (!std::all_of(forks.begin(), forks.end(), [](const Fork& f) { return f.done; })) {
    return;  // other bindings may still answer
  }
  int best = status;
  for (const auto& f : forks) {
    if (f.status == 486 || f.status == 600 || f.status == 603) {
      best = f.status;
    }
  }
  // 3xx would expose the callee's Contacts: the caller gets 480 instead.
  int relayed = best >= 300 && best < 400 ? 480 : best;
  std::string reason = resp && relayed == status ? resp->reason : "";
  countAttempt(call, status == 408 ? "timeout" : (status == 486 ? "busy" : "failed"));
  relayToA(call, relayed, reason, "", resp);
  endCall(call.id, "failed_" + std::to_string(relayed));
}

void CallManager::onCancel(uint64_t invite_txn) {
  auto it = invite_txn_to_call_.find(invite_txn);
  if (it == invite_txn_to_call_.end()) {
    return;
  }
  Call* call = find(it->second);
  if (!call || call->state == CallState::Confirmed || call->state == CallState::Ended) {
    return;
  }
  call->cancelled = true;
  for (auto& f : forks_[call->id]) {
    txn_.cancel(f.txn);
  }
  relayToA(*call, 487, "", "", nullptr);
  countAttempt(*call, "cancelled");
  if (call->state == CallState::Answering) {
    return;  // B answered already: its flows are being programmed; the relay lambda ends it
  }
  endCall(call->id, "cancelled");
}

}  // namespace rampart::cp
