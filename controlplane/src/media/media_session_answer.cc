// MediaSession's answer half of an offer/answer exchange: commit both legs' SDPs, then program
// the flows they call for in two phases (adds and modifies, then transcoding and deletes).
#include <algorithm>
#include <cstring>
#include <utility>

#include <rampart/sdp/parser.h>

#include "media/flow_spec.h"
#include "media/media_session.h"
#include "media/sdes_keys.h"
#include "media/sdp_streams.h"

namespace rampart::cp {

void MediaSession::answer(Leg from, std::string_view body,
                          std::function<void(Result<std::string>)> done) {
  SdpSnapshot old;
  Result<std::string> out = commitAnswer(from, body, old);
  if (!out.ok()) {
    done(out.error());
    return;
  }
  if (Result<void> r = bookTranscoding(); !r.ok()) {
    restore(old);
    done(r.error());
    return;
  }
  if (isWebRtc(Leg::A) || isWebRtc(Leg::B)) {
    done = afterWebRtc(std::move(done));
  }
  programAnswer(std::move(out).value(), std::move(old), std::move(done));
}

// Checks the answer against the pending offer and commits both legs' SDPs (@p old: what they
// were). @return the answer Rampart relays, or the error with nothing committed.
Result<std::string> MediaSession::commitAnswer(Leg from, std::string_view body, SdpSnapshot& old) {
  if (closed_ || closeRequested_) {
    return Error(ErrorCode::Unavailable, "media session closed");
  }
  if (busy_) {
    return Error(ErrorCode::Conflict, "flows of the last negotiation are still being programmed");
  }
  if (!pending_.active || pending_.from == from) {
    return Error(ErrorCode::Conflict, "no offer is pending toward this leg");
  }
  sdp::Result<sdp::Session> parsed = sdp::parse(body);
  if (!parsed.ok()) {
    return sdpError(parsed.error());
  }
  if (bridge_.iceRestartPending(pending_.from)) {
    if (Result<void> r = ensureWebRtcLocal(pending_.from, true); !r.ok()) {
      return r.error();
    }
  }
  sdp::Result<std::string> out = bridge_.answer(from, parsed.value());
  if (!out.ok()) {
    return sdpError(out.error());
  }
  const Leg x = pending_.from;
  const Leg y = from;
  old = snapshot();
  LegState& lx = legs_[idx(x)];
  LegState& ly = legs_[idx(y)];
  sdes::wipe(lx.remoteSdp);
  sdes::wipe(lx.localSdp);
  sdes::wipe(ly.remoteSdp);
  sdes::wipe(ly.localSdp);
  lx.remoteSdp = std::move(pending_.body);
  ly.localSdp = std::move(pending_.outBody);
  ly.remoteSdp.assign(body);
  lx.localSdp = out.value();
  lastOfferer_ = x;
  pending_ = PendingOffer{};

  for (Leg leg : {Leg::A, Leg::B}) {
    if (Result<void> r = readWebRtcRemote(leg); !r.ok()) {
      restore(old);
      return r.error();
    }
  }
  return std::move(out).value();
}

// The browser starts its checks and handshake as soon as it has the answer: ICE state and the
// DTLS endpoint must exist before the answer is relayed.
std::function<void(Result<std::string>)> MediaSession::afterWebRtc(
    std::function<void(Result<std::string>)> done) {
  return [this, alive = std::weak_ptr<bool>(alive_),
          inner = std::move(done)](Result<std::string> r) mutable {
    if (!r.ok() || alive.expired()) {
      inner(std::move(r));
      return;
    }
    programWebRtc(
        [inner = std::move(inner), body = std::move(r).value()](const Result<void>& w) mutable {
          if (w.ok()) {
            inner(std::move(body));
            return;
          }
          sdes::wipe(body);
          inner(w.error());
        });
  };
}

// Programs what the committed SDPs call for, then answers @p done with @p reply (at once when
// nothing changes for the dataplane).
void MediaSession::programAnswer(std::string reply, SdpSnapshot old,
                                 std::function<void(Result<std::string>)> done) {
  Result<FlowList> desired = desiredFlows(flows_);
  if (!desired.ok()) {
    restore(old);
    done(desired.error());
    return;
  }
  XcodeList xcodes;
  std::vector<FlowKey> wanted;
  for (const ProgrammedFlow& f : desired.value()) {
    xcodes.emplace_back(f.key, f.xcode);
    wanted.push_back(f.key);
  }
  Batch phase1 = changesTo(desired.value(), true);
  if (phase1.empty() && unchangedBeyond(wanted, xcodes)) {
    done(std::move(reply));
    return;
  }
  if (!ctx_.sink.ready()) {
    restore(old);
    done(Error(ErrorCode::Unavailable, "dataplane not attached"));
    return;
  }
  runBatch(std::move(phase1),
           [this, wanted = std::move(wanted), xcodes = std::move(xcodes), reply = std::move(reply),
            done = std::move(done), old = std::move(old)](Batch& b) mutable {
             // Phase 1 (adds and modifies) succeeded as a whole or is undone; transcoding set-ups
             // and deletes come after, so a failure never leaves a stream without its old flows.
             bool ok = std::all_of(b.begin(), b.end(), [](const Op& o) { return o.ok; });
             if (!ok) {
               finishAnswer(b, std::move(reply), std::move(done), std::move(old));
               return;
             }
             adoptPhase1(b);
             for (SdpSnapshot::value_type& s : old) {
               sdes::wipe(s);
             }
             programXcode(xcodes, std::move(wanted), std::move(reply), std::move(done));
           });
}

// True when no programmed flow goes (all are @p wanted) and no transcoding set-up changes.
bool MediaSession::unchangedBeyond(const std::vector<FlowKey>& wanted,
                                   const XcodeList& xcodes) const {
  for (const ProgrammedFlow& f : flows_) {
    if (std::find(wanted.begin(), wanted.end(), f.key) == wanted.end()) {
      return false;
    }
  }
  for (const auto& [key, want] : xcodes) {
    const FlowKey k = key;  // a structured binding is not captured by clang before C++20's fix
    auto cur = std::find_if(flows_.begin(), flows_.end(),
                            [&](const ProgrammedFlow& f) { return f.key == k; });
    abi::XcodeSetup none{};
    if (std::memcmp(cur != flows_.end() ? &cur->xcode : &none, &want, sizeof want) != 0) {
      return false;
    }
  }
  return true;
}

// Phase 1 succeeded: its adds and modifies become the programmed flows.
void MediaSession::adoptPhase1(Batch& b) {
  for (Op& op : b) {
    if (op.kind == Op::Kind::Add) {
      flows_.push_back(ProgrammedFlow{op.key, op.spec, op.handle, {}});
    } else {
      for (ProgrammedFlow& f : flows_) {
        if (f.key == op.key) {
          wipeSpec(f.spec);
          f.spec = op.spec;
        }
      }
    }
  }
}

// Each flow whose transcoding changed (a new transcoded call, a codec change in a re-INVITE,
// back to relaying) gets its XcodeSetup; the dataplane routes its media accordingly.
void MediaSession::programXcode(const XcodeList& desired, std::vector<FlowKey> wanted,
                                std::string reply, std::function<void(Result<std::string>)> done) {
  Batch ops;
  for (const auto& [key, x] : desired) {
    for (const ProgrammedFlow& f : flows_) {
      if (f.key == key && std::memcmp(&f.xcode, &x, sizeof x) != 0) {
        Op op;
        op.kind = Op::Kind::Xcode;
        op.key = key;
        op.handle = f.handle;
        op.xcode = x;
        ops.push_back(op);
      }
    }
  }
  if (ops.empty()) {
    deleteUnwanted(wanted, std::move(reply), std::move(done));
    return;
  }
  runBatch(std::move(ops), [this, wanted = std::move(wanted), reply = std::move(reply),
                            done = std::move(done)](Batch& b) mutable {
    std::optional<Error> first;
    for (const Op& op : b) {
      for (ProgrammedFlow& f : flows_) {
        if (op.ok && f.key == op.key) {
          f.xcode = op.xcode;
        }
      }
      if (!op.ok && !first) {
        first = op.error;  // the B2BUA ends the call; close() deletes every flow
      }
    }
    if (first) {
      afterBatch();
      sdes::wipe(reply);
      done(std::move(*first));
      return;
    }
    deleteUnwanted(wanted, std::move(reply), std::move(done));
  });
}

void MediaSession::deleteUnwanted(const std::vector<FlowKey>& wanted, std::string reply,
                                  std::function<void(Result<std::string>)> done) {
  Batch phase2;
  for (const ProgrammedFlow& f : flows_) {
    if (std::find(wanted.begin(), wanted.end(), f.key) == wanted.end()) {
      Op op;
      op.kind = Op::Kind::Del;
      op.key = f.key;
      op.handle = f.handle;
      phase2.push_back(op);
    }
  }
  if (phase2.empty()) {
    afterBatch();
    if (closed_) {
      done(Error(ErrorCode::Unavailable, "media session closed"));
    } else {
      done(std::move(reply));
    }
    return;
  }
  runBatch(std::move(phase2),
           [this, reply = std::move(reply), done = std::move(done)](Batch& dels) mutable {
             finishDeletes(dels, std::move(reply), std::move(done));
           });
}

void MediaSession::finishAnswer(Batch& phase1, std::string out,
                                std::function<void(Result<std::string>)> done, SdpSnapshot old) {
  sdes::wipe(out);
  Error first;
  bool found = false;
  Batch rollback;
  for (const Op& op : phase1) {
    if (!op.ok && !found) {
      first = op.error;
      found = true;
    }
    if (op.ok && op.kind == Op::Kind::Add) {
      Op del;
      del.kind = Op::Kind::Del;
      del.key = op.key;
      del.handle = op.handle;
      rollback.push_back(del);
    } else if (op.ok && op.kind == Op::Kind::Modify) {
      Op back;
      back.kind = Op::Kind::Modify;
      back.key = op.key;
      back.spec = op.oldSpec;
      back.handle = op.handle;
      rollback.push_back(back);
    }
  }
  restore(old);
  runBatch(std::move(rollback),
           [this, first = std::move(first), done = std::move(done)](Batch&) mutable {
             // A rollback that fails too leaves flows the B2BUA ends with the call (close()).
             afterBatch();
             done(std::move(first));
           });
}

void MediaSession::finishDeletes(Batch& phase2, std::string out,
                                 std::function<void(Result<std::string>)> done) {
  std::optional<Error> first;
  for (const Op& op : phase2) {
    if (op.ok) {
      auto it = std::find_if(flows_.begin(), flows_.end(),
                             [&](const ProgrammedFlow& f) { return f.key == op.key; });
      if (it != flows_.end()) {
        wipeSpec(it->spec);
        flows_.erase(it);
      }
    } else if (!first) {
      first = op.error;  // the flow stays listed: close() deletes it again
    }
  }
  afterBatch();
  if (first) {
    sdes::wipe(out);
    done(std::move(*first));
  } else if (closed_) {
    done(Error(ErrorCode::Unavailable, "media session closed"));
  } else {
    done(std::move(out));
  }
}

}  // namespace rampart::cp
