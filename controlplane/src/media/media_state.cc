// MediaSession's per-call state for a state store (the coming HA work): toJson and fromJson.
// The state holds SRTP keys: whoever stores it stores secrets.
#include <openssl/crypto.h>

#include <cstring>
#include <string>

#include <rampart/sdp/parser.h>

#include "media/media_session.h"
#include "media/sdes_keys.h"

namespace rampart::cp {
namespace {

std::string hex(const uint8_t* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s.push_back(kHex[p[i] >> 4]);
    s.push_back(kHex[p[i] & 15]);
  }
  return s;
}

bool unhex(std::string_view s, uint8_t* out, size_t n) {
  if (s.size() != n * 2) {
    return false;
  }
  auto nib = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : (c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1);
  };
  for (size_t i = 0; i < n; ++i) {
    int hi = nib(s[2 * i]);
    int lo = nib(s[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return false;
    }
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

// Non-throwing readers for nlohmann::json (get<T>() throws on a type mismatch).
bool readU64(const nlohmann::json& v, uint64_t& out) {
  // A json built in memory holds signed integers; one parsed from text holds unsigned ones.
  if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<int64_t>() < 0)) {
    return false;
  }
  out = v.get<uint64_t>();
  return true;
}

bool readU64(const nlohmann::json& j, const char* key, uint64_t& out) {
  auto it = j.find(key);
  return it != j.end() && readU64(*it, out);
}

bool readStr(const nlohmann::json& j, const char* key, std::string& out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) {
    return false;
  }
  out = it->get<std::string>();
  return true;
}

const nlohmann::json* readArray(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? &*it : nullptr;
}

Error badState(const std::string& what) {
  return Error(ErrorCode::Malformed, "media state: " + what);
}

}  // namespace

nlohmann::json MediaSession::toJson() const {
  using nlohmann::json;
  json j = json::object();
  j["version"] = kStateVersion;
  // SRTP master keys (ours and the peers', also inside the SDPs): a store must encrypt this.
  j["contains_secrets"] = true;
  j["call_id"] = callId_;
  j["worker"] = worker_;
  j["last_offerer"] = lastOfferer_ ? json(*lastOfferer_ == Leg::A ? "A" : "B") : json(nullptr);
  json legs = json::array();
  for (const LegState& l : legs_) {
    json leg = json::object();
    leg["realm"] = l.realm.realm_index;
    leg["remote_sdp"] = l.remoteSdp;
    leg["local_sdp"] = l.localSdp;
    json ports = json::array();
    for (const sdp::PortPair& p : l.ports) {
      ports.push_back(json::array({p.rtp, p.rtcp}));
    }
    leg["ports"] = std::move(ports);
    json keys = json::array();
    for (const abi::SrtpParams& k : l.keys) {
      if (k.key_len == 0) {
        keys.push_back(nullptr);
      } else {
        keys.push_back(json{{"suite", sdes::suiteName(k.suite)}, {"key", sdes::encodeInline(k)}});
      }
    }
    leg["sdes"] = std::move(keys);
    legs.push_back(std::move(leg));
  }
  j["legs"] = std::move(legs);
  json flows = json::array();
  for (const ProgrammedFlow& f : flows_) {
    // Remote endpoints are kept for RFC 2543 hold (the SDP no longer says where the peer is).
    flows.push_back(json{{"from", f.key.from},
                         {"slot", f.key.slot},
                         {"rtcp", f.key.rtcp != 0},
                         {"handle", f.handle},
                         {"in_remote", hex(f.spec.in_remote.addr, 16)},
                         {"in_remote_port", f.spec.in_remote.port},
                         {"flags", f.spec.flags}});
  }
  j["flows"] = std::move(flows);
  return j;
}

Result<std::unique_ptr<MediaSession>> MediaSession::fromJson(MediaContext& ctx, const MediaRealm& a,
                                                             const MediaRealm& b,
                                                             const nlohmann::json& state) {
  uint64_t version = 0, callId = 0, worker = 0;
  if (!state.is_object() || !readU64(state, "version", version)) {
    return badState("not an object with a version");
  }
  if (version != kStateVersion) {
    return badState("unknown version " + std::to_string(version));
  }
  const nlohmann::json* legs = readArray(state, "legs");
  const nlohmann::json* flows = readArray(state, "flows");
  if (!readU64(state, "call_id", callId) || !readU64(state, "worker", worker) || legs == nullptr ||
      legs->size() != 2 || flows == nullptr || worker > UINT32_MAX) {
    return badState("call_id, worker, legs[2] and flows are required");
  }
  auto s = std::make_unique<MediaSession>(ctx, a, b, callId);
  s->worker_ = static_cast<uint32_t>(worker);
  s->hasWorker_ = true;
  ctx.workers.acquire(s->worker_);
  for (size_t i = 0; i < 2; ++i) {
    if (Result<void> r = readLeg(s->legs_[i], (*legs)[i], i); !r.ok()) {
      return r.error();  // ports reserved so far are freed by the session's destructor
    }
  }
  s->syncBridgeLocal(Leg::A);
  s->syncBridgeLocal(Leg::B);
  if (Result<void> r = s->replayLastOffer(state); !r.ok()) {
    return r.error();
  }
  if (Result<void> r = s->restoreFlows(*flows); !r.ok()) {
    return r.error();
  }
  ++ctx.stats.sessions_restored;
  return s;
}

// One leg of a stored session: its SDPs, ports (reserved again) and SDES keys.
Result<void> MediaSession::readLeg(LegState& l, const nlohmann::json& lj, size_t i) {
  uint64_t realm = 0;
  if (!lj.is_object() || !readU64(lj, "realm", realm)) {
    return badState("legs[" + std::to_string(i) + "].realm missing");
  }
  if (realm != l.realm.realm_index) {
    return Error(ErrorCode::InvalidArgument, "media state: leg " + std::to_string(i) +
                                                 " belongs to realm " + std::to_string(realm) +
                                                 ", not " + std::to_string(l.realm.realm_index));
  }
  const nlohmann::json* ports = readArray(lj, "ports");
  const nlohmann::json* keys = readArray(lj, "sdes");
  if (!readStr(lj, "remote_sdp", l.remoteSdp) || !readStr(lj, "local_sdp", l.localSdp) ||
      ports == nullptr || keys == nullptr) {
    return badState("legs[" + std::to_string(i) + "] needs remote_sdp, local_sdp, ports, sdes");
  }
  for (const nlohmann::json& p : *ports) {
    uint64_t rtp = 0, rtcp = 0;
    if (!p.is_array() || p.size() != 2 || !readU64(p[0], rtp) || !readU64(p[1], rtcp) ||
        rtp > 0xffff || rtcp > 0xffff) {
      return badState("bad port pair");
    }
    sdp::PortPair pp{static_cast<uint16_t>(rtp), static_cast<uint16_t>(rtcp)};
    if (pp.rtp != 0) {
      if (Result<void> r = l.realm.ports->reserve(pp.rtp); !r.ok()) {
        return r.error();  // ports reserved so far are freed by the session's destructor
      }
    }
    l.ports.push_back(pp);
  }
  for (const nlohmann::json& k : *keys) {
    abi::SrtpParams params{};
    if (!k.is_null()) {
      std::string suite, key;
      if (!k.is_object() || !readStr(k, "suite", suite) || !readStr(k, "key", key)) {
        return badState("bad sdes entry");
      }
      Result<abi::SrtpParams> d = sdes::decodeInline(suite, key);
      sdes::wipe(key);
      if (!d.ok()) {
        return badState(d.error().message);
      }
      params = d.value();
      sdes::wipe(d.value());
    }
    l.keys.push_back(params);
    sdes::wipe(params);
  }
  return {};
}

// The Bridge has no serialised form: replaying the last offer/answer rebuilds its layout and
// payload maps. TODO(media): o= versions restart at 1 (peers comparing versions see a change).
Result<void> MediaSession::replayLastOffer(const nlohmann::json& state) {
  std::string offerer;
  if (readStr(state, "last_offerer", offerer)) {
    if (offerer != "A" && offerer != "B") {
      return badState("last_offerer must be A or B");
    }
    const Leg x = offerer == "A" ? Leg::A : Leg::B;
    const Leg y = otherLeg(x);
    sdp::Result<sdp::Session> o = sdp::parse(legs_[idx(x)].remoteSdp);
    sdp::Result<sdp::Session> ans = sdp::parse(legs_[idx(y)].remoteSdp);
    if (!o.ok() || !ans.ok()) {
      return badState("stored SDP does not parse");
    }
    sdp::Result<std::string> r1 = bridge_.offer(x, o.value());
    if (!r1.ok()) {
      return badState("replaying the offer: " + sdp::describe(r1.error()));
    }
    sdp::Result<std::string> r2 = bridge_.answer(y, ans.value());
    if (!r2.ok()) {
      return badState("replaying the answer: " + sdp::describe(r2.error()));
    }
    lastOfferer_ = x;
  }
  return {};
}

// The stored flows, checked against what the stored SDPs call for, keep their handles.
Result<void> MediaSession::restoreFlows(const nlohmann::json& flows) {
  FlowList stored;
  for (const nlohmann::json& f : flows) {
    uint64_t from = 0, slot = 0, handle = 0, port = 0, flags = 0;
    std::string remote;
    auto rtcp = f.is_object() ? f.find("rtcp") : f.end();
    if (!f.is_object() || !readU64(f, "from", from) || !readU64(f, "slot", slot) ||
        !readU64(f, "handle", handle) || !readU64(f, "in_remote_port", port) ||
        !readU64(f, "flags", flags) || !readStr(f, "in_remote", remote) || rtcp == f.end() ||
        !rtcp->is_boolean() || from > 1 || slot > 0xffff || port > 0xffff || flags > 0xffff) {
      return badState("bad flow entry");
    }
    ProgrammedFlow pf;
    pf.key = FlowKey{static_cast<uint8_t>(from), static_cast<uint8_t>(rtcp->get<bool>() ? 1 : 0),
                     static_cast<uint16_t>(slot)};
    pf.handle = handle;
    if (!unhex(remote, pf.spec.in_remote.addr, 16)) {
      return badState("bad flow in_remote");
    }
    pf.spec.in_remote.port = static_cast<uint16_t>(port);
    pf.spec.flags = static_cast<uint16_t>(flags);
    stored.push_back(pf);
  }
  Result<FlowList> desired = desiredFlows(stored);
  if (!desired.ok()) {
    return badState(desired.error().message);
  }
  if (desired.value().size() != stored.size()) {
    return badState("stored flows do not match the stored SDP");
  }
  for (ProgrammedFlow& f : desired.value()) {
    auto it = std::find_if(stored.begin(), stored.end(),
                           [&](const ProgrammedFlow& p) { return p.key == f.key; });
    if (it == stored.end()) {
      return badState("stored flows do not match the stored SDP");
    }
    f.handle = it->handle;
  }
  flows_ = std::move(desired.value());
  return {};
}

}  // namespace rampart::cp
