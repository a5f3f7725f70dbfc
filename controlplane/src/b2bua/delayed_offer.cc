// re-INVITE without SDP (RFC 3261 14.1, RFC 6337 5.3): the other leg gets an offerless
// re-INVITE too, its 2xx carries the offer, which MediaSession normalises for the asking leg
// and Rampart sends in its own 2xx; the asking leg's ACK carries the answer, which becomes the
// ACK's SDP on the other leg. Flows change only when the answer changes media (MediaSession
// compares before programming). A missing or refused answer ends the call, as RFC 3261
// 13.2.2.4 asks of a UAC that cannot accept an offer in a 2xx.
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

void CallManager::relayDelayedOffer(Call& call, Leg from_leg, uint64_t txn,
                                    const sip::Message& req) {
  Leg to = otherLeg(from_leg);
  sip::Message out = buildInDialog(call, to, "INVITE");
  Reoffer r{from_leg, txn, "INVITE", out.cseq};
  r.delayed = true;
  r.from_cseq = req.cseq;
  call.reoffer = r;
  uint64_t id = call.id;
  sip::Message original = req;
  sendInDialog(call, to, std::move(out),
               [this, id, txn, original](const TransactionLayer::ClientEvent& ev) {
                 onDelayedOfferResponse(id, txn, original, ev);
               });
}

void CallManager::onDelayedOfferResponse(uint64_t call_id, uint64_t txn,
                                         const sip::Message& original,
                                         const TransactionLayer::ClientEvent& ev) {
  Call* c = find(call_id);
  if (!c || c->state == CallState::Ended) {
    return;
  }
  if (ev.response && ev.response->status < 200) {
    return;
  }
  if (ev.response && ev.retransmission) {
    // Our ACK was lost: repeat it (with its answer), if it has been sent.
    const auto& ack = c->last_ack;
    if (ack && ack->cseq == ev.response->cseq) {
      ackB(*c, c->leg(ack->leg), ack->cseq, ack->sdp);
    }
    return;
  }
  if (!c->reoffer || !c->reoffer->delayed || c->reoffer->awaiting_ack) {
    return;
  }
  if (ev.error || ev.response->status >= 300) {
    c->reoffer.reset();
    int status =
        ev.error ? (ev.error->code == ErrorCode::Timeout ? 408 : 503) : ev.response->status;
    respond(txn, original, status, ev.error ? "" : ev.response->reason);
    return;
  }
  forwardDelayedOffer(*c, txn, original, *ev.response);
}

// The other leg's 2xx: its offer, normalised for the asking leg, goes in our 2xx.
void CallManager::forwardDelayedOffer(Call& call, uint64_t txn, const sip::Message& original,
                                      const sip::Message& resp) {
  Reoffer& r = *call.reoffer;
  Leg to = otherLeg(r.from);
  DialogLeg& leg = call.leg(to);
  if (!resp.contacts.empty()) {
    leg.remote_target = resp.contacts.front().uri;
  }
  Result<std::string> offer = hasSdp(resp)
                                  ? call.media->offer(to, resp.body)
                                  : Result<std::string>(Error{ErrorCode::NotAcceptable,
                                                              "2xx to an offerless re-INVITE "
                                                              "without an offer"});
  if (!offer) {
    ackB(call, leg, resp.cseq);
    respondError(txn, original, offer.error());
    failDelayedOffer(call, offer.error().message);
    return;
  }
  r.awaiting_ack = true;
  r.cseq = resp.cseq;
  auto ok = sip::makeResponse(original, 200, "", "");
  ok.contacts.push_back(contactFor(call.leg(r.from).realm, call.leg(r.from).peer.transport));
  ok.content_type = "application/sdp";
  ok.body = std::move(*offer);
  txn_.respond(txn, std::move(ok));
  // The ACK is due within 64*T1 (RFC 3261 13.3.1.4); without it there is no answer.
  uint64_t id = call.id;
  call.reoffer_guard.expires_after(txn_.timers().t1 * 64);
  call.reoffer_guard.async_wait([this, id](boost::system::error_code ec) {
    Call* c = find(id);
    if (!ec && c && c->reoffer && c->reoffer->delayed) {
      c->media->cancelOffer();
      ackB(*c, c->leg(otherLeg(c->reoffer->from)), c->reoffer->cseq);
      failDelayedOffer(*c, "no ACK for the 2xx with an offer");
    }
  });
}

bool CallManager::onDelayedAck(Call& call, Leg leg, const sip::Message& ack) {
  if (!call.reoffer || !call.reoffer->delayed || !call.reoffer->awaiting_ack ||
      call.reoffer->from != leg || ack.cseq != call.reoffer->from_cseq) {
    return false;
  }
  call.reoffer_guard.cancel();
  Leg to = otherLeg(leg);
  uint32_t cseq = call.reoffer->cseq;
  if (!hasSdp(ack)) {
    call.media->cancelOffer();
    ackB(call, call.leg(to), cseq);
    failDelayedOffer(call, "ACK without the SDP answer");
    return true;
  }
  uint64_t id = call.id;
  call.media->answer(leg, ack.body, [this, id, to, cseq](Result<std::string> r) {
    Call* c = find(id);
    if (!c || c->state == CallState::Ended) {
      return;
    }
    c->reoffer.reset();
    if (!r) {
      ackB(*c, c->leg(to), cseq);
      failDelayedOffer(*c, r.error().message);
      return;
    }
    c->last_ack = SentAck{to, cseq, *r};
    ackB(*c, c->leg(to), cseq, *r);
  });
  return true;
}

void CallManager::failDelayedOffer(Call& call, const std::string& why) {
  RAMPART_LOG(platform::LogLevel::Warn, "b2bua", "call %llu: delayed offer failed (%s), hanging up",
              static_cast<unsigned long long>(call.id), why.c_str());
  call.reoffer.reset();
  hangUp(call, "offer_failed");
}

}  // namespace rampart::cp
