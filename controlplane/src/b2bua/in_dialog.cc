// Requests inside an established (or early) dialog: ACK, BYE, re-INVITE and UPDATE (offer/answer
// relayed through the MediaSession), INFO and other requests relayed to the other leg.
#include <rampart/platform/log.h>

#include "b2bua/call_manager.h"
#include "b2bua/sip_errors.h"

namespace rampart::cp {
namespace {
Leg otherLeg(Leg l) { return l == Leg::A ? Leg::B : Leg::A; }
bool hasSdp(const sip::Message& m) {
  return !m.body.empty() && sip::iequals(m.content_type, "application/sdp");
}
}  // namespace

sip::Message CallManager::buildInDialog(Call& call, Leg to_leg, const std::string& method) {
  DialogLeg& leg = call.leg(to_leg);
  sip::Message m;
  m.method = method;
  m.request_uri = leg.remote_target.host.empty() ? leg.remote.uri : leg.remote_target;
  m.from = leg.local;
  m.from.tag = leg.local_tag;
  m.to = leg.remote;
  m.to.tag = leg.remote_tag;
  m.call_id = leg.call_id;
  m.cseq = ++leg.local_cseq;
  m.cseq_method = method;
  m.route = leg.route_set;
  if (method == "INVITE" || method == "UPDATE") {
    m.contacts.push_back(contactFor(leg.realm, leg.peer.transport));
  }
  return m;
}

void CallManager::sendInDialog(Call& call, Leg to_leg, sip::Message req,
                               TransactionLayer::ClientHandler handler) {
  txn_.sendRequest(std::move(req), call.leg(to_leg).peer, std::move(handler));
}

void CallManager::onInDialog(uint64_t txn, const sip::Message& req, const Peer& from) {
  (void)from;
  auto it = dialogs_.find(req.call_id + "|" + req.to.tag);
  Call* call = it == dialogs_.end() ? nullptr : find(it->second.call);
  if (!call || call->state == CallState::Ended) {
    respond(txn, req, 481, "");
    return;
  }
  Leg leg = it->second.leg;
  DialogLeg& d = call->leg(leg);
  if (req.method != "CANCEL" && d.remote_cseq != 0 && req.cseq <= d.remote_cseq &&
      req.method != "ACK") {
    respond(txn, req, 500, "CSeq out of order");
    return;
  }
  if (req.method != "ACK") {
    d.remote_cseq = req.cseq;
  }
  if (!req.contacts.empty() && (req.method == "INVITE" || req.method == "UPDATE")) {
    d.remote_target = req.contacts.front().uri;  // target refresh (RFC 3261 12.2.2)
  }
  if (req.method == "BYE") {
    onBye(*call, leg, txn, req);
  } else if (req.method == "INVITE" || req.method == "UPDATE") {
    onReoffer(*call, leg, txn, req);
  } else if (req.method == "PRACK" && leg == Leg::A) {
    onPrack(*call, txn, req);  // reliable_provisional.cc
  } else if (req.method == "INFO" && playDtmfInfo(*call, leg, txn, req)) {
    return;  // dtmf_interwork.cc
  } else if (req.method == "INFO" || req.method == "OPTIONS" || req.method == "MESSAGE" ||
             req.method == "NOTIFY") {
    relayInDialog(*call, leg, txn, req);
  } else {
    auto resp = sip::makeResponse(req, 405, "", "");
    resp.addHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE");
    txn_.respond(txn, std::move(resp));
  }
}

void CallManager::onAck(const sip::Message& ack, const Peer& from) {
  (void)from;
  auto it = dialogs_.find(ack.call_id + "|" + ack.to.tag);
  if (it == dialogs_.end()) {
    return;  // an ACK for nothing we know: RFC 3261 says drop it silently
  }
  Call* call = find(it->second.call);
  if (!call) {
    return;
  }
  if (onDelayedAck(*call, it->second.leg, ack)) {
    return;
  }
  if (it->second.leg == Leg::A) {
    call->a_acked = true;
  }
}

void CallManager::onBye(Call& call, Leg from_leg, uint64_t txn, const sip::Message& req) {
  respond(txn, req, 200, "");
  Leg to = otherLeg(from_leg);
  if (call.state == CallState::Confirmed || call.state == CallState::Answering) {
    sip::Message bye = buildInDialog(call, to, "BYE");
    for (auto v : req.headerValues("Reason")) {
      bye.addHeader("Reason", std::string(v));
    }
    sendInDialog(call, to, std::move(bye), [](const TransactionLayer::ClientEvent&) {});
  } else if (from_leg == Leg::B) {
    relayToA(call, 487, "", "", nullptr);  // BYE on an early dialog from the callee
  }
  endCall(call.id, from_leg == Leg::A ? "bye_caller" : "bye_callee");
}

void CallManager::onReoffer(Call& call, Leg from_leg, uint64_t txn, const sip::Message& req) {
  if (call.state != CallState::Confirmed || call.reoffer || call.media->busy() ||
      call.media->offerPending()) {
    respond(txn, req, 491, "");
    return;
  }
  if (!hasSdp(req)) {
    if (req.method == "UPDATE") {
      respond(txn, req, 200, "");  // a session refresh without an offer
    } else {
      relayDelayedOffer(call, from_leg, txn, req);  // delayed_offer.cc
    }
    return;
  }
  auto offer = call.media->offer(from_leg, req.body);
  if (!offer) {
    respondError(txn, req, offer.error());
    return;
  }
  if (call.media->offerRestartsIce()) {
    ice_restarts_->Increment();
  }
  if (call.media->offerOnlyRestartsIce()) {
    answerReofferLocally(call, from_leg, txn, req);
    return;
  }
  Leg to = otherLeg(from_leg);
  sip::Message out = buildInDialog(call, to, req.method);
  out.content_type = "application/sdp";
  out.body = std::move(*offer);
  call.reoffer = Reoffer{from_leg, txn, req.method, out.cseq};
  uint64_t id = call.id;
  sip::Message original = req;
  sendInDialog(call, to, std::move(out),
               [this, id, to, from_leg, txn, original](const TransactionLayer::ClientEvent& ev) {
                 Call* c = find(id);
                 if (!c || c->state == CallState::Ended) {
                   return;
                 }
                 if (ev.error) {
                   c->media->cancelOffer();
                   c->reoffer.reset();
                   respond(txn, original, ev.error->code == ErrorCode::Timeout ? 408 : 503, "");
                   return;
                 }
                 const sip::Message& resp = *ev.response;
                 if (resp.status < 200) {
                   return;
                 }
                 if (resp.status >= 300) {
                   c->media->cancelOffer();
                   c->reoffer.reset();
                   respond(txn, original, resp.status, resp.reason);
                   return;
                 }
                 if (ev.retransmission) {
                   return;
                 }
                 DialogLeg& leg = c->leg(to);
                 if (!resp.contacts.empty()) {
                   leg.remote_target = resp.contacts.front().uri;
                 }
                 if (original.method == "INVITE") {
                   ackB(*c, leg, resp.cseq);
                 }
                 if (!hasSdp(resp)) {
                   c->media->cancelOffer();
                   c->reoffer.reset();
                   respond(txn, original, 488, "Answer without SDP");
                   return;
                 }
                 c->media->answer(
                     to, resp.body, [this, id, from_leg, txn, original](Result<std::string> r) {
                       Call* cc = find(id);
                       if (!cc) {
                         return;
                       }
                       cc->reoffer.reset();
                       if (!r) {
                         respondError(txn, original, r.error());
                         return;
                       }
                       programDtmf(*cc);  // the re-negotiated flows
                       auto ok = sip::makeResponse(original, 200, "", "");
                       ok.contacts.push_back(
                           contactFor(cc->leg(from_leg).realm, cc->leg(from_leg).peer.transport));
                       ok.content_type = "application/sdp";
                       ok.body = std::move(*r);
                       txn_.respond(txn, std::move(ok));
                     });
               });
}

// A re-offer that changes nothing for the other side (a browser's ICE restart, a refresh)
// is answered here from that side's last answer: no re-INVITE disturbs the PBX.
void CallManager::answerReofferLocally(Call& call, Leg from_leg, uint64_t txn,
                                       const sip::Message& req) {
  call.reoffer = Reoffer{from_leg, txn, req.method, req.cseq};
  uint64_t id = call.id;
  call.media->answerFromLast([this, id, from_leg, txn, req](Result<std::string> r) {
    Call* c = find(id);
    if (!c) {
      return;
    }
    c->reoffer.reset();
    if (!r) {
      respondError(txn, req, r.error());
      return;
    }
    auto ok = sip::makeResponse(req, 200, "", "");
    ok.contacts.push_back(contactFor(c->leg(from_leg).realm, c->leg(from_leg).peer.transport));
    ok.content_type = "application/sdp";
    ok.body = std::move(*r);
    txn_.respond(txn, std::move(ok));
  });
}

void CallManager::relayInDialog(Call& call, Leg from_leg, uint64_t txn, const sip::Message& req) {
  Leg to = otherLeg(from_leg);
  if (call.leg(to).remote_tag.empty()) {
    respond(txn, req, 481, "");
    return;
  }
  sip::Message out = buildInDialog(call, to, req.method);
  out.content_type = req.content_type;
  out.body = req.body;
  for (const char* h : {"Info-Package", "Event", "Subscription-State"}) {
    for (auto v : req.headerValues(h)) {
      out.addHeader(h, std::string(v));
    }
  }
  uint64_t id = call.id;
  sip::Message original = req;
  sendInDialog(
      call, to, std::move(out), [this, id, txn, original](const TransactionLayer::ClientEvent& ev) {
        if (!find(id)) {
          return;
        }
        if (ev.error) {
          respond(txn, original, ev.error->code == ErrorCode::Timeout ? 408 : 503, "");
          return;
        }
        if (ev.response->status < 200) {
          return;
        }
        auto resp = sip::makeResponse(original, ev.response->status, ev.response->reason, "");
        resp.content_type = ev.response->content_type;
        resp.body = ev.response->body;
        txn_.respond(txn, std::move(resp));
      });
}

}  // namespace rampart::cp
