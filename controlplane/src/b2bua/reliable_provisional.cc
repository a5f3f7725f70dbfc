// RFC 3262 on the A leg: a caller that supports (or requires) 100rel gets Rampart's 18x
// reliably: Require: 100rel and an RSeq, retransmitted from T1 doubling until its PRACK comes,
// one at a time (later provisionals wait their turn), and a 2xx waits for the PRACK of a
// provisional that carried SDP (RFC 3262 3). No PRACK in 64*T1: the call is torn down with a
// 5xx to the caller. The B leg is independent (call_setup.cc PRACKs the callee's provisionals
// itself), so either side may use 100rel without the other.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>

#include <rampart/platform/log.h>

#include "b2bua/call_manager.h"

namespace rampart::cp {
namespace {

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool names100rel(const std::vector<std::string>& list) {
  return std::find(list.begin(), list.end(), "100rel") != list.end();
}

constexpr std::size_t kMaxQueued = 8;  // provisionals waiting for a PRACK; more are dropped

}  // namespace

void CallManager::enableReliableToA(Call& call, const sip::Message& invite) {
  if (!names100rel(invite.supported) && !names100rel(invite.require)) {
    return;
  }
  call.a_rel = std::make_unique<ReliableToA>(io_);
  call.a_rel->invite_cseq = invite.cseq;
  // RFC 3262 3: the first RSeq is random in 1..2^31-1; kept small so it never wraps.
  thread_local std::mt19937 rng{std::random_device{}()};
  call.a_rel->rseq = std::uniform_int_distribution<uint32_t>(1, 1u << 30)(rng);
}

void CallManager::sendToA(Call& call, sip::Message resp) {
  ReliableToA* rel = call.a_rel.get();
  if (!rel || resp.status == 100) {
    txn_.respond(call.a_invite_txn, std::move(resp));
    return;
  }
  if (resp.status < 200) {
    if (rel->unacked) {
      if (rel->queued.size() < kMaxQueued) {
        rel->queued.push_back(std::move(resp));
      }
      return;
    }
    sendReliable(call, std::move(resp));
    return;
  }
  if (resp.status < 300 && rel->unacked && rel->unacked_sdp) {
    rel->held_2xx = std::move(resp);  // sent when the SDP provisional is PRACKed
    return;
  }
  rel->unacked = false;  // a final response ends the provisionals (RFC 3262 3)
  rel->queued.clear();
  rel->timer.cancel();
  txn_.respond(call.a_invite_txn, std::move(resp));
}

void CallManager::sendReliable(Call& call, sip::Message resp) {
  ReliableToA& rel = *call.a_rel;
  resp.require.push_back("100rel");
  resp.addHeader("RSeq", std::to_string(++rel.rseq));
  rel.unacked = true;
  rel.unacked_sdp = !resp.body.empty();
  rel.pending = resp;
  rel.interval = txn_.timers().t1;
  rel.deadline_ms = steadyMs() + 64 * txn_.timers().t1.count();
  txn_.respond(call.a_invite_txn, std::move(resp));
  uint64_t id = call.id;
  rel.timer.expires_after(rel.interval);
  rel.timer.async_wait([this, id](boost::system::error_code ec) {
    if (!ec) {
      retransmitReliable(id);
    }
  });
}

void CallManager::retransmitReliable(uint64_t call_id) {
  Call* call = find(call_id);
  if (!call || !call->a_rel || !call->a_rel->unacked || call->state == CallState::Ended) {
    return;
  }
  ReliableToA& rel = *call->a_rel;
  if (steadyMs() >= rel.deadline_ms) {
    RAMPART_LOG(platform::LogLevel::Info, "b2bua", "call %llu: no PRACK from the caller",
                static_cast<unsigned long long>(call_id));
    rel.unacked = false;
    rel.held_2xx.reset();
    countAttempt(*call, "failed");
    hangUp(*call, "no_prack");  // a 5xx to the caller, CANCEL or BYE to the callee
    return;
  }
  txn_.respond(call->a_invite_txn, rel.pending);
  rel.interval *= 2;
  rel.timer.expires_after(rel.interval);
  rel.timer.async_wait([this, call_id](boost::system::error_code ec) {
    if (!ec) {
      retransmitReliable(call_id);
    }
  });
}

// PRACK from the caller: RAck "rseq cseq INVITE" names the provisional it acknowledges.
void CallManager::onPrack(Call& call, uint64_t txn, const sip::Message& req) {
  ReliableToA* rel = call.a_rel.get();
  auto rack = req.header("RAck");
  uint32_t rseq = 0;
  uint32_t cseq = 0;
  if (rack) {
    std::string text(*rack);
    char* end = nullptr;
    rseq = static_cast<uint32_t>(std::strtoul(text.c_str(), &end, 10));
    cseq = static_cast<uint32_t>(std::strtoul(end, nullptr, 10));
  }
  if (!rel || !rel->unacked || rseq != rel->rseq || cseq != rel->invite_cseq) {
    respond(txn, req, 481, "No matching reliable provisional");
    return;
  }
  rel->unacked = false;
  rel->timer.cancel();
  if (!req.body.empty()) {
    respond(txn, req, 488, "Offers in PRACK are not supported");
  } else {
    respond(txn, req, 200, "");
  }
  if (rel->held_2xx) {
    sip::Message ok = std::move(*rel->held_2xx);
    rel->held_2xx.reset();
    sendToA(call, std::move(ok));
  } else if (!rel->queued.empty()) {
    sip::Message next = std::move(rel->queued.front());
    rel->queued.erase(rel->queued.begin());
    sendReliable(call, std::move(next));
  }
}

}  // namespace rampart::cp
