#include "media/media_session.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "media/flow_spec.h"
#include "media/sdes_keys.h"
#include "media/transcode_book.h"
#include "media/xcode_setup.h"

namespace rampart::cp {

namespace {

Error ackError(const abi::Ack& ack) {
  std::string what = std::string("dataplane refused ") +
                     abi::msgTypeName(static_cast<abi::MsgType>(ack.cmd_type)) + " (status " +
                     std::to_string(ack.status) + ")";
  switch (ack.status) {
    case abi::kErrNoSpace: return Error(ErrorCode::Overloaded, what + ": flow table full");
    case abi::kErrExist: return Error(ErrorCode::AlreadyExists, what + ": endpoint in use");
    case abi::kErrInval: return Error(ErrorCode::InvalidArgument, what);
    case abi::kErrNotSup: return Error(ErrorCode::Unsupported, what);
    case abi::kErrNoEnt: return Error(ErrorCode::NotFound, what + ": no such flow");
    default: return Error(ErrorCode::Internal, what);
  }
}

Result<uint32_t> submitOp(MediaContext& ctx, uint32_t worker, const MediaSession::Op& op,
                          FlowSink::AckHandler handler) {
  using Kind = MediaSession::Op::Kind;
  ++ctx.stats.flow_commands;
  if (op.kind == Kind::Del) {
    abi::FlowDel d{};
    d.hdr.type = abi::MsgType::FlowDel;
    d.hdr.size = sizeof d;
    d.hdr.flow = op.handle;
    return ctx.sink.submit(worker, d.hdr, std::move(handler));
  }
  if (op.kind == Kind::Xcode) {
    abi::XcodeSetup x = op.xcode;
    x.hdr = {};
    x.hdr.type = abi::MsgType::XcodeSetup;
    x.hdr.size = sizeof x;
    x.hdr.flow = op.handle;
    return ctx.sink.submit(worker, x.hdr, std::move(handler));
  }
  if (op.kind == Kind::Ice) {
    abi::FlowIce m = op.ice;
    m.hdr = {};
    m.hdr.type = abi::MsgType::FlowIce;
    m.hdr.size = sizeof m;
    m.hdr.flow = op.handle;
    Result<uint32_t> r = ctx.sink.submit(worker, m.hdr, std::move(handler));
    OPENSSL_cleanse(&m, sizeof m);
    return r;
  }
  abi::FlowAdd m = op.spec;
  m.hdr = {};
  m.hdr.type = op.kind == Kind::Add ? abi::MsgType::FlowAdd : abi::MsgType::FlowModify;
  m.hdr.size = sizeof m;
  m.hdr.flow = op.kind == Kind::Modify ? op.handle : 0;
  Result<uint32_t> r = ctx.sink.submit(worker, m.hdr, std::move(handler));
  OPENSSL_cleanse(&m, sizeof m);
  return r;
}

struct BatchState {
  std::vector<MediaSession::Op> ops;
  size_t remaining = 0;
  std::function<void(std::vector<MediaSession::Op>&)> finished;
  std::weak_ptr<bool> alive;
  MediaContext* ctx = nullptr;
  uint32_t worker = 0;
};

void completeOne(const std::shared_ptr<BatchState>& st) {
  if (--st->remaining != 0) {
    return;
  }
  if (!st->alive.expired()) {
    st->finished(st->ops);
    return;
  }
  // The session is gone: nobody will delete what this batch created.
  for (const MediaSession::Op& op : st->ops) {
    if (op.ok && op.kind == MediaSession::Op::Kind::Add) {
      MediaSession::Op del;
      del.kind = MediaSession::Op::Kind::Del;
      del.handle = op.handle;
      static_cast<void>(submitOp(*st->ctx, st->worker, del, [](Result<abi::Ack>) {}));
    }
  }
}

// What a teardown waits for: every flow's delete answered (or given up), then its ports go
// back and `done` runs. Ports go back only when the dataplane no longer listens on them; a
// dataplane that does not answer has lost the flows or will with its restart, so they go back
// anyway (and counted).
struct Teardown {
  MediaContext* ctx = nullptr;
  std::vector<std::pair<PortAllocator*, uint16_t>> ports;
  size_t remaining = 0;
  std::function<void()> done;

  void finish() {
    if (--remaining != 0) {
      return;
    }
    for (const auto& [alloc, rtp] : ports) {
      static_cast<void>(alloc->free(rtp));
    }
    if (done) {
      done();
    }
  }
};

void deleteFlows(const std::shared_ptr<Teardown>& t, const std::vector<uint64_t>& handles,
                 uint32_t worker) {
  MediaContext& ctx = *t->ctx;
  t->remaining = handles.size() + 1;
  const bool ready = ctx.sink.ready();
  for (uint64_t h : handles) {
    if (!ready) {
      ++ctx.stats.deletes_unacked;
      t->finish();
      continue;
    }
    MediaSession::Op del;
    del.kind = MediaSession::Op::Kind::Del;
    del.handle = h;
    Result<uint32_t> r = submitOp(ctx, worker, del, [t](Result<abi::Ack> ack) {
      if (!ack.ok()) {
        ++t->ctx->stats.deletes_unacked;
      } else if (ack.value().status != abi::kOk && ack.value().status != abi::kErrNoEnt) {
        ++t->ctx->stats.flow_failures;
      }
      t->finish();
    });
    if (!r.ok()) {
      ++ctx.stats.deletes_unacked;
      t->finish();
    }
  }
  t->finish();
}

}  // namespace

MediaSession::MediaSession(MediaContext& ctx, const MediaRealm& a, const MediaRealm& b,
                           uint64_t callId)
    : ctx_(ctx),
      callId_(callId),
      bridge_(sdp::LegConfig{a.profile, {}}, sdp::LegConfig{b.profile, {}}) {
  legs_[0].realm = a;
  legs_[1].realm = b;
  for (Leg leg : {Leg::A, Leg::B}) {
    sdp::LocalMedia& lm = bridge_.local(leg);
    lm.address = legs_[idx(leg)].realm.address.text;
    // Unique per call and leg; RFC 8866 only asks for uniqueness.
    lm.session_id = (callId << 1) | static_cast<uint64_t>(idx(leg));
  }
}

MediaSession::~MediaSession() {
  alive_.reset();
  if (!closed_) {
    teardown(nullptr);
  }
  wipeSecrets();
}

void MediaSession::wipeSecrets() {
  for (LegState& l : legs_) {
    for (abi::SrtpParams& k : l.keys) {
      sdes::wipe(k);
    }
    l.keys.clear();
    if (l.web.keys) {
      sdes::wipe(l.web.keys->local);
      sdes::wipe(l.web.keys->remote);
    }
    sdes::wipe(l.remoteSdp);
    sdes::wipe(l.localSdp);
  }
  for (Leg leg : {Leg::A, Leg::B}) {
    for (std::string& k : bridge_.local(leg).sdes_keys) {
      sdes::wipe(k);
    }
  }
  sdes::wipe(pending_.body);
  sdes::wipe(pending_.outBody);
  for (ProgrammedFlow& f : flows_) {
    wipeSpec(f.spec);
  }
}

void MediaSession::syncBridgeLocal(Leg leg) {
  LegState& l = legs_[idx(leg)];
  sdp::LocalMedia& lm = bridge_.local(leg);
  lm.ports = l.ports;
  for (std::string& k : lm.sdes_keys) {
    sdes::wipe(k);
  }
  lm.sdes_keys.assign(l.keys.size(), std::string());
  for (size_t i = 0; i < l.keys.size(); ++i) {
    if (l.keys[i].key_len != 0) {
      lm.sdes_keys[i] = sdes::encodeInline(l.keys[i]);
    }
  }
}

MediaSession::SdpSnapshot MediaSession::snapshot() const {
  return {legs_[0].remoteSdp, legs_[0].localSdp, legs_[1].remoteSdp, legs_[1].localSdp};
}

void MediaSession::restore(SdpSnapshot& s) {
  for (size_t i = 0; i < 2; ++i) {
    sdes::wipe(legs_[i].remoteSdp);
    sdes::wipe(legs_[i].localSdp);
    legs_[i].remoteSdp = std::move(s[2 * i]);
    legs_[i].localSdp = std::move(s[2 * i + 1]);
  }
}

MediaSession::Batch MediaSession::changesTo(FlowList& desired, bool adds) const {
  Batch ops;
  for (ProgrammedFlow& want : desired) {
    auto cur = std::find_if(flows_.begin(), flows_.end(),
                            [&](const ProgrammedFlow& f) { return f.key == want.key; });
    if (cur == flows_.end() && adds) {
      Op op;
      op.kind = Op::Kind::Add;
      op.key = want.key;
      op.spec = want.spec;
      ops.push_back(op);
    } else if (cur != flows_.end() && !sameSpec(cur->spec, want.spec)) {
      Op op;
      op.kind = Op::Kind::Modify;
      op.key = want.key;
      op.spec = want.spec;
      op.oldSpec = cur->spec;
      op.handle = cur->handle;
      ops.push_back(op);
    }
    wipeSpec(want.spec);
  }
  return ops;
}

void MediaSession::runBatch(Batch ops, std::function<void(Batch&)> finished) {
  busy_ = true;
  auto st = std::make_shared<BatchState>();
  st->ops = std::move(ops);
  st->remaining = st->ops.size() + 1;  // +1: nothing completes before every op is submitted
  st->finished = std::move(finished);
  st->alive = alive_;
  st->ctx = &ctx_;
  st->worker = worker_;
  for (size_t i = 0; i < st->ops.size(); ++i) {
    Op& op = st->ops[i];
    Result<uint32_t> r = submitOp(ctx_, worker_, op, [st, i](Result<abi::Ack> ack) {
      Op& o = st->ops[i];
      if (!ack.ok()) {
        o.error = ack.error();
      } else if (ack.value().status == abi::kOk ||
                 (o.kind == Op::Kind::Del && ack.value().status == abi::kErrNoEnt)) {
        o.ok = true;
        if (o.kind == Op::Kind::Add) {
          o.handle = ack.value().hdr.flow;
        }
      } else {
        o.error = ackError(ack.value());
      }
      if (!o.ok) {
        ++st->ctx->stats.flow_failures;
      }
      completeOne(st);
    });
    if (!r.ok()) {
      op.error = r.error();
      ++ctx_.stats.flow_failures;
      completeOne(st);
    }
  }
  completeOne(st);
}

void MediaSession::afterBatch() {
  busy_ = false;
  if (closeRequested_) {
    closeRequested_ = false;
    teardown(std::move(closeDone_));
    return;
  }
  if (keysDirty_) {
    keysDirty_ = false;
    applyKeys();
  }
}

void MediaSession::close(std::function<void()> done) {
  if (closed_) {
    if (done) {
      done();
    }
    return;
  }
  if (busy_) {
    // Wait for the commands in flight: their Acks carry handles that must be deleted too.
    closeRequested_ = true;
    if (closeDone_ && done) {
      closeDone_ = [a = std::move(closeDone_), b = std::move(done)] {
        a();
        b();
      };
    } else if (done) {
      closeDone_ = std::move(done);
    }
    return;
  }
  teardown(std::move(done));
}

void MediaSession::teardown(std::function<void()> done) {
  closed_ = true;
  releaseTranscoding();
  for (LegState& l : legs_) {
    if (l.web.dtlsFlow != 0 && ctx_.dtls != nullptr) {
      ctx_.dtls->close(l.web.dtlsFlow);
      l.web.dtlsFlow = 0;
    }
  }
  if (pending_.active) {
    bridge_.cancelOffer();
    pending_ = PendingOffer{};
  }
  auto t = std::make_shared<Teardown>();
  t->ctx = &ctx_;
  t->done = std::move(done);
  for (LegState& l : legs_) {
    for (const sdp::PortPair& p : l.ports) {
      if (p.rtp != 0) {
        t->ports.emplace_back(l.realm.ports, p.rtp);
      }
    }
    l.ports.clear();
  }
  std::vector<uint64_t> handles;
  for (const ProgrammedFlow& f : flows_) {
    handles.push_back(f.handle);
  }
  wipeSecrets();
  flows_.clear();
  const uint32_t worker = worker_;
  if (hasWorker_) {
    ctx_.workers.release(worker_);
    hasWorker_ = false;
  }
  deleteFlows(t, handles, worker);
}

// A new dataplane knows nothing of transcoding either: each transcoded flow gets its setup
// again (the transcoder makes fresh codec state for it).
void MediaSession::reprogramXcode(std::function<void(Result<void>)> done) {
  Batch ops;
  for (const ProgrammedFlow& f : flows_) {
    if (f.xcode.from.codec != abi::XcodeCodecId::None) {
      Op op;
      op.kind = Op::Kind::Xcode;
      op.key = f.key;
      op.handle = f.handle;
      op.xcode = f.xcode;
      ops.push_back(op);
    }
  }
  if (ops.empty()) {
    afterBatch();
    done(Result<void>());
    return;
  }
  runBatch(std::move(ops), [this, done = std::move(done)](Batch& b) mutable {
    afterBatch();
    for (const Op& op : b) {
      if (!op.ok) {
        done(op.error);
        return;
      }
    }
    done(Result<void>());
  });
}

Result<void> MediaSession::bookTranscoding() {
  std::string pair;
  for (const sdp::StreamMapping& m : bridge_.mappings()) {
    if (m.active && m.transcoded && pair.empty()) {
      pair = codecPairLabel(m.side_a, m.side_b);
    }
  }
  if (pair == transcodePair_ || ctx_.transcode == nullptr) {
    transcodePair_ = ctx_.transcode == nullptr ? std::string() : pair;
    return {};
  }
  releaseTranscoding();
  if (!pair.empty()) {
    uint32_t a = legs_[0].realm.realm_index;
    uint32_t b = legs_[1].realm.realm_index;
    if (!ctx_.transcode->acquire(a, b, pair)) {
      return Error(ErrorCode::NotAcceptable,
                   "no codec in common and the realm's transcoded-call limit is reached");
    }
    transcodePair_ = pair;
  }
  return {};
}

void MediaSession::releaseTranscoding() {
  if (!transcodePair_.empty() && ctx_.transcode != nullptr) {
    ctx_.transcode->release(legs_[0].realm.realm_index, legs_[1].realm.realm_index, transcodePair_);
  }
  transcodePair_.clear();
}

void MediaSession::replayXcode(std::function<void(Result<void>)> done) {
  if (closed_ || closeRequested_) {
    done(Error(ErrorCode::Unavailable, "media session closed"));
  } else if (busy_) {
    done(Error(ErrorCode::Conflict, "flows are being programmed"));
  } else if (!ctx_.sink.ready()) {
    done(Error(ErrorCode::Unavailable, "dataplane not attached"));
  } else {
    reprogramXcode(std::move(done));
  }
}

void MediaSession::reprogram(std::function<void(Result<void>)> done) {
  if (closed_ || closeRequested_) {
    done(Error(ErrorCode::Unavailable, "media session closed"));
    return;
  }
  if (busy_) {
    done(Error(ErrorCode::Conflict, "flows are being programmed"));
    return;
  }
  if (flows_.empty()) {
    done(Result<void>());
    return;
  }
  if (!ctx_.sink.ready()) {
    done(Error(ErrorCode::Unavailable, "dataplane not attached"));
    return;
  }
  Batch adds;
  for (const ProgrammedFlow& f : flows_) {
    Op op;
    op.kind = Op::Kind::Add;
    op.key = f.key;
    op.spec = f.spec;
    adds.push_back(op);
  }
  runBatch(std::move(adds), [this, done = std::move(done)](Batch& b) mutable {
    bool ok = std::all_of(b.begin(), b.end(), [](const Op& o) { return o.ok; });
    if (ok) {
      for (size_t i = 0; i < b.size() && i < flows_.size(); ++i) {
        flows_[i].handle = b[i].handle;
      }
      reprogramXcode(std::move(done));
      return;
    }
    Error first;
    Batch dels;
    for (const Op& op : b) {
      if (op.ok) {
        Op del;
        del.kind = Op::Kind::Del;
        del.handle = op.handle;
        dels.push_back(del);
      } else if (first.message.empty()) {
        first = op.error;
      }
    }
    // The call cannot carry media any more; the B2BUA ends it (close() frees the ports).
    for (ProgrammedFlow& f : flows_) {
      wipeSpec(f.spec);
    }
    flows_.clear();
    runBatch(std::move(dels),
             [this, first = std::move(first), done = std::move(done)](Batch&) mutable {
               afterBatch();
               done(std::move(first));
             });
  });
}

}  // namespace rampart::cp
