// MediaSession, browser legs: ICE-lite credentials and DTLS-SRTP keys (RFC 8445 lite agent,
// RFC 5763/5764). The dataplane answers the browser's connectivity checks with the credentials
// programmed here (FlowIce) and learns its address from them; DTLS records reach the DtlsLink
// punted from that flow; the exported keys are programmed with FlowModify, and until then the
// browser's flows carry kFlowAwaitKeys so nothing is forwarded unauthenticated.
#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string_view>
#include <vector>

#include <rampart/platform/log.h>
#include <rampart/sdp/parser.h>

#include "media/flow_spec.h"
#include "media/ice_credentials.h"
#include "media/media_session.h"
#include "media/sdes_keys.h"

namespace rampart::cp {

namespace {

template <size_t N>
uint8_t copyField(char (&dst)[N], const std::string& src) {
  if (src.size() > N) {
    return 0;  // too long for the ABI field: the dataplane skips the check (FlowIce comment)
  }
  std::memcpy(dst, src.data(), src.size());
  return static_cast<uint8_t>(src.size());
}

// The first value of @p name in the first active m-line, else at session level.
std::string webRtcAttribute(const sdp::Session& s, std::string_view name) {
  for (size_t i = 0; i < s.mediaCount(); ++i) {
    sdp::MediaView mv = s.media(i);
    if (mv.mediaLine().port == 0) {
      continue;
    }
    if (std::optional<std::string_view> v = mv.attribute(name)) {
      return std::string(*v);
    }
    break;
  }
  if (const sdp::Line* l = s.findSessionAttribute(name)) {
    return std::string(sdp::splitAttribute(l->value).value);
  }
  return {};
}

// What of a browser's SDP matters to the other leg and to the dataplane: the m= lines
// (without the default candidate's port), codecs, direction, DTLS and mux attributes. An ICE
// restart changes none of it (credentials, candidates, c= and header extensions are left out:
// a browser's re-offer drops the extensions the first answer did not take).
std::vector<std::string> mediaEssentials(std::string_view body) {
  static constexpr std::string_view kKept[] = {
      "m=",         "a=rtpmap:",  "a=fmtp:",        "a=sendrecv",  "a=sendonly",
      "a=recvonly", "a=inactive", "a=fingerprint:", "a=setup:",    "a=rtcp-mux",
      "a=mid:",     "a=group:",   "a=ptime:",       "a=maxptime:", "a=crypto:"};
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    std::string_view line = body.substr(pos, end == std::string_view::npos ? end : end - pos);
    pos = end == std::string_view::npos ? body.size() : end + 1;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    bool kept = std::any_of(std::begin(kKept), std::end(kKept),
                            [&](std::string_view p) { return line.starts_with(p); });
    if (!kept) {
      continue;
    }
    std::string l(line);
    if (l.starts_with("m=")) {
      size_t a = l.find(' ');
      size_t b = a == std::string::npos ? a : l.find(' ', a + 1);
      if (b != std::string::npos) {
        l.erase(a + 1, b - a - 1);  // the default candidate's port
      }
    }
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace

bool MediaSession::offerOnlyRestartsIce() const {
  if (!pending_.active || !isWebRtc(pending_.from) || lastOfferer_ != pending_.from ||
      legs_[idx(otherLeg(pending_.from))].remoteSdp.empty()) {
    return false;
  }
  std::vector<std::string> now = mediaEssentials(pending_.body);
  std::vector<std::string> before = mediaEssentials(legs_[idx(pending_.from)].remoteSdp);
  if (now != before) {
    auto diff = std::mismatch(now.begin(), now.end(), before.begin(), before.end());
    RAMPART_LOG(platform::LogLevel::Debug, "media",
                "call %llu: re-offer changes media: '%s' (was '%s')",
                static_cast<unsigned long long>(callId_),
                diff.first == now.end() ? "" : diff.first->c_str(),
                diff.second == before.end() ? "" : diff.second->c_str());
    return false;
  }
  return true;
}

bool MediaSession::isWebRtc(Leg leg) const {
  const MediaRealm& r = legs_[idx(leg)].realm;
  return r.profile != nullptr && r.profile->kind == sdp::ProfileKind::WebRtc;
}

Result<void> MediaSession::ensureWebRtcLocal(Leg leg, bool restart) {
  if (!isWebRtc(leg)) {
    return {};
  }
  sdp::LocalMedia& lm = bridge_.local(leg);
  if (lm.ice_ufrag.empty() || restart) {
    Result<std::string> ufrag = ice::randomChars(ice::kUfragLength);
    Result<std::string> pwd = ice::randomChars(ice::kPwdLength);
    if (!ufrag.ok() || !pwd.ok()) {
      return ufrag.ok() ? pwd.error() : ufrag.error();
    }
    lm.ice_ufrag = std::move(ufrag.value());
    sdes::wipe(lm.ice_pwd);
    lm.ice_pwd = std::move(pwd.value());
  }
  if (lm.fingerprint.empty() && ctx_.dtls != nullptr) {
    lm.fingerprint = ctx_.dtls->fingerprint();
  }
  return {};
}

Result<void> MediaSession::readWebRtcRemote(Leg leg) {
  if (!isWebRtc(leg)) {
    return {};
  }
  sdp::Result<sdp::Session> parsed = sdp::parse(legs_[idx(leg)].remoteSdp);
  if (!parsed.ok()) {
    return Error(ErrorCode::Malformed, "browser SDP: " + sdp::describe(parsed.error()));
  }
  WebRtcState& w = legs_[idx(leg)].web;
  w.remoteUfrag = webRtcAttribute(parsed.value(), "ice-ufrag");
  if (bridge_.keying(leg) != sdp::Keying::Dtls) {
    w.peerFingerprint.clear();  // SDES: the keys are in the a=crypto lines
    return {};
  }
  std::string fp = webRtcAttribute(parsed.value(), "fingerprint");
  if (fp.empty()) {
    return Error(ErrorCode::NotAcceptable,
                 "the browser's SDP has no a=fingerprint: DTLS-SRTP is required on this realm");
  }
  std::string setup = webRtcAttribute(parsed.value(), "setup");
  if (setup == "passive") {
    w.client = true;
  } else if (setup == "active") {
    w.client = false;
  } else {
    // The browser offered actpass: we answered with the realm's choice.
    w.client = legs_[idx(leg)].realm.profile->setup_answer == "active";
  }
  w.peerFingerprint = std::move(fp);
  return {};
}

const ProgrammedFlow* MediaSession::flowByHandle(uint64_t handle) const {
  auto it = std::find_if(flows_.begin(), flows_.end(),
                         [&](const ProgrammedFlow& f) { return f.handle == handle; });
  return it == flows_.end() ? nullptr : &*it;
}

const ProgrammedFlow* MediaSession::browserInFlow(Leg leg) const {
  auto it = std::find_if(flows_.begin(), flows_.end(), [&](const ProgrammedFlow& f) {
    return f.key.from == static_cast<uint8_t>(leg) && f.key.rtcp == 0;
  });
  return it == flows_.end() ? nullptr : &*it;
}

void MediaSession::programWebRtc(std::function<void(Result<void>)> then) {
  if (closed_ || closeRequested_) {
    then(Error(ErrorCode::Unavailable, "media session closed"));
    return;
  }
  Batch ops;
  for (Leg leg : {Leg::A, Leg::B}) {
    const ProgrammedFlow* in = isWebRtc(leg) ? browserInFlow(leg) : nullptr;
    if (in == nullptr) {
      continue;
    }
    // The flow sending toward the browser leaves from the port its checks arrive on.
    auto out = std::find_if(flows_.begin(), flows_.end(), [&](const ProgrammedFlow& f) {
      return f.key.from != static_cast<uint8_t>(leg) && f.key.rtcp == 0 &&
             f.spec.out_local.port == in->spec.in_local.port;
    });
    const sdp::LocalMedia& lm = bridge_.local(leg);
    const WebRtcState& w = legs_[idx(leg)].web;
    Op op;
    op.kind = Op::Kind::Ice;
    op.key = in->key;
    op.handle = in->handle;
    op.ice.hdr.flow = in->handle;
    op.ice.paired_flow = out == flows_.end() ? 0 : out->handle;
    op.ice.local_ufrag_len = copyField(op.ice.local_ufrag, lm.ice_ufrag);
    op.ice.local_pwd_len = copyField(op.ice.local_pwd, lm.ice_pwd);
    op.ice.remote_ufrag_len = copyField(op.ice.remote_ufrag, w.remoteUfrag);
    if (std::memcmp(&op.ice, &w.ice, sizeof op.ice) != 0) {
      ops.push_back(op);
    }
  }
  auto opened = [this](std::function<void(Result<void>)>& next) {
    for (Leg leg : {Leg::A, Leg::B}) {
      if (const ProgrammedFlow* in = isWebRtc(leg) ? browserInFlow(leg) : nullptr) {
        openDtls(leg, in->handle);
      }
    }
    next(Result<void>());
  };
  if (ops.empty()) {
    opened(then);
    return;
  }
  runBatch(std::move(ops), [this, then = std::move(then), opened](Batch& b) mutable {
    for (const Op& op : b) {
      if (!op.ok) {
        afterBatch();
        then(op.error);
        return;
      }
      legs_[op.key.from].web.ice = op.ice;
    }
    afterBatch();
    opened(then);
  });
}

void MediaSession::openDtls(Leg leg, uint64_t flow) {
  WebRtcState& w = legs_[idx(leg)].web;
  if (bridge_.keying(leg) != sdp::Keying::Dtls || ctx_.dtls == nullptr) {
    // SDES (perhaps after a re-INVITE moved away from DTLS): no handshake to run or keep.
    if (w.dtlsFlow != 0 && ctx_.dtls != nullptr) {
      ctx_.dtls->close(w.dtlsFlow);
    }
    w.dtlsFlow = 0;
    w.dtlsFingerprint.clear();
    if (w.keys) {
      sdes::wipe(w.keys->local);
      sdes::wipe(w.keys->remote);
      w.keys.reset();
    }
    return;
  }
  bool rebound = !w.keys && w.dtlsFlow != flow;
  bool renegotiated = w.peerFingerprint != w.dtlsFingerprint;
  if (!rebound && !renegotiated) {
    return;
  }
  if (w.dtlsFlow != 0) {
    ctx_.dtls->close(w.dtlsFlow);
    w.dtlsFlow = 0;
  }
  auto alive = std::weak_ptr<bool>(alive_);
  Result<void> r = ctx_.dtls->open(worker_, flow, w.client, w.peerFingerprint,
                                   [this, alive, leg, flow](Result<DtlsKeys> keys) {
                                     if (!alive.expired()) {
                                       onDtlsDone(leg, flow, std::move(keys));
                                     }
                                   });
  if (!r.ok()) {
    fail(r.error());
    return;
  }
  w.dtlsFlow = flow;
  w.dtlsFingerprint = w.peerFingerprint;
}

void MediaSession::onDtlsDone(Leg leg, uint64_t flow, Result<DtlsKeys> keys) {
  WebRtcState& w = legs_[idx(leg)].web;
  if (closed_ || flow != w.dtlsFlow) {
    return;  // a handshake this session no longer waits for
  }
  if (!keys.ok()) {
    fail(keys.error());
    return;
  }
  if (w.keys) {
    sdes::wipe(w.keys->local);
    sdes::wipe(w.keys->remote);
  }
  w.keys = keys.value();
  sdes::wipe(keys.value().local);
  sdes::wipe(keys.value().remote);
  applyKeys();
}

void MediaSession::applyKeys() {
  if (closed_ || closeRequested_) {
    return;
  }
  if (busy_) {
    keysDirty_ = true;
    return;
  }
  Result<FlowList> desired = desiredFlows(flows_);
  if (!desired.ok()) {
    fail(desired.error());
    return;
  }
  Batch mods = changesTo(desired.value(), false);  // keys change specs, never the flow set
  if (mods.empty()) {
    return;
  }
  runBatch(std::move(mods), [this](Batch& b) {
    std::optional<Error> first;
    for (const Op& op : b) {
      auto cur = std::find_if(flows_.begin(), flows_.end(),
                              [&](const ProgrammedFlow& f) { return f.key == op.key; });
      if (op.ok && cur != flows_.end()) {
        wipeSpec(cur->spec);
        cur->spec = op.spec;
      } else if (!op.ok && !first) {
        first = op.error;
      }
    }
    afterBatch();
    if (first) {
      fail(*first);
    }
  });
}

void MediaSession::fail(const Error& e) {
  if (ctx_.on_failure && !closed_) {
    ctx_.on_failure(callId_, e);
  }
}

}  // namespace rampart::cp
