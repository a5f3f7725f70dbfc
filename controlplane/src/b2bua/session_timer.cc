// RFC 4028 session timers, per leg. Rampart asks for a session timer on the B leg with itself
// as refresher (refresher=uac), and offers one to the A leg when the caller supports "timer"
// (refresher=uas: Rampart again). Every half interval it sends a bare UPDATE on each leg it
// refreshes; a refresh answered 408/481 or not at all means the peer is gone, and the call is
// hung up, so no call outlives one of its ends for longer than the interval.
#include <algorithm>
#include <cstdlib>

#include <rampart/platform/log.h>

#include "b2bua/call_manager.h"

namespace rampart::cp {
namespace {

// The delta-seconds of a Session-Expires value and whether it names `refresher=uac`.
uint32_t sessionExpires(std::string_view value, bool* uac) {
  uint32_t se = static_cast<uint32_t>(std::strtoul(std::string(value).c_str(), nullptr, 10));
  *uac = value.find("refresher=uac") != std::string_view::npos;
  return se;
}

bool supports(const sip::Message& m, const char* ext) {
  return std::find(m.supported.begin(), m.supported.end(), ext) != m.supported.end() ||
         std::find(m.require.begin(), m.require.end(), ext) != m.require.end();
}

}  // namespace

void CallManager::negotiateTimers(Call& call, const sip::Message& b_answer) {
  uint32_t ours = config_.sip.session_expires_s;
  if (ours == 0) {
    return;
  }
  uint32_t interval = ours;
  if (auto se = b_answer.header("Session-Expires")) {
    bool uac = false;
    uint32_t v = sessionExpires(*se, &uac);
    if (v >= 90) {
      interval = std::min(interval, v);
    }
    call.refresh_b = uac;  // refresher=uas: the callee refreshes us
  }
  if (const sip::Message* a = txn_.request(call.a_invite_txn)) {
    if (supports(*a, "timer")) {
      call.refresh_a = true;
      if (auto se = a->header("Session-Expires")) {
        bool uac = false;
        uint32_t v = sessionExpires(*se, &uac);
        if (v >= 90) {
          interval = std::min(interval, v);
        }
      }
    }
  }
  call.session_expires_s = (call.refresh_a || call.refresh_b) ? interval : 0;
}

void CallManager::addTimerHeaders(const Call& call, sip::Message& a_answer) const {
  if (!call.refresh_a || call.session_expires_s == 0) {
    return;
  }
  a_answer.addHeader("Session-Expires", std::to_string(call.session_expires_s) + ";refresher=uas");
  a_answer.require.push_back("timer");
}

void CallManager::armRefresh(Call& call) {
  if (call.session_expires_s == 0) {
    return;
  }
  uint64_t id = call.id;
  call.refresh.expires_after(std::chrono::seconds(call.session_expires_s / 2));
  call.refresh.async_wait([this, id](boost::system::error_code ec) {
    Call* c = find(id);
    if (ec || !c || c->state != CallState::Confirmed) {
      return;
    }
    c->glare_retries = 0;
    for (Leg l : {Leg::A, Leg::B}) {
      if ((l == Leg::A && c->refresh_a) || (l == Leg::B && c->refresh_b)) {
        sendRefresh(*c, l);
      }
    }
    armRefresh(*c);
  });
}

// A bare UPDATE; 408/481 (or no answer) means the peer is gone, 491 is glare (glare.cc).
void CallManager::sendRefresh(Call& call, Leg l) {
  uint64_t id = call.id;
  sip::Message update = buildInDialog(call, l, "UPDATE");
  update.supported = {"timer"};
  update.addHeader("Session-Expires", std::to_string(call.session_expires_s) +
                                          (l == Leg::A ? ";refresher=uas" : ";refresher=uac"));
  sendInDialog(call, l, std::move(update), [this, id, l](const TransactionLayer::ClientEvent& ev) {
    Call* cc = find(id);
    if (!cc || (ev.response && ev.response->status < 200)) {
      return;
    }
    int status = ev.response ? ev.response->status : 408;
    if (status == 491 && cc->state == CallState::Confirmed) {
      onRefreshGlare(*cc, l);
    } else if (status == 408 || status == 481) {
      RAMPART_LOG(platform::LogLevel::Info, "b2bua",
                  "call %llu: session refresh answered %d, hanging up",
                  static_cast<unsigned long long>(id), status);
      hangUp(*cc, "session_expired");
    }
  });
}

}  // namespace rampart::cp
