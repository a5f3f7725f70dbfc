#include "api/call_view.h"

#include <arpa/inet.h>

#include <ctime>
#include <map>
#include <utility>

#include <rampart/sdp/parser.h>

namespace rampart::cp {
namespace {

using nlohmann::json;

std::string realmName(const platform::Config& config, uint32_t realm) {
  return realm < config.realms.size() ? config.realms[realm].name : std::to_string(realm);
}

std::string peerText(const Destination& d) {
  if (d.address.is_unspecified()) {
    return "";
  }
  std::string host = d.address.is_v6() ? "[" + d.address.to_string() + "]" : d.address.to_string();
  return host + ":" + std::to_string(d.port) + ";" + platform::transportName(d.transport);
}

json legJson(const DialogLeg& l, const platform::Config& config) {
  return {{"realm", realmName(config, l.realm)},
          {"call_id", l.call_id},
          {"from", l.local.uri.str()},
          {"to", l.remote.uri.str()},
          {"remote_target", l.remote_target.str()},
          {"peer", peerText(l.peer)}};
}

std::string endpointText(const abi::Endpoint& e, bool v6) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, e.addr, buf, sizeof buf);
  return (v6 ? "[" + std::string(buf) + "]" : std::string(buf)) + ":" + std::to_string(e.port);
}

int64_t unixNowMinusSteady(int64_t steady_ms) {
  auto now_steady = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count();
  return static_cast<int64_t>(std::time(nullptr)) - (now_steady - steady_ms) / 1000;
}

// RFC 3551 static payload types peers often send without an a=rtpmap.
const char* staticCodec(std::string_view pt) {
  static const std::pair<std::string_view, const char*> kStatic[] = {
      {"0", "PCMU/8000"}, {"3", "GSM/8000"},  {"4", "G723/8000"},
      {"8", "PCMA/8000"}, {"9", "G722/8000"}, {"18", "G729/8000"}};
  for (const auto& [k, v] : kStatic) {
    if (k == pt) {
      return v;
    }
  }
  return nullptr;
}

// The m-line's formats in order, named by their rtpmap or the static table.
json codecsOf(const sdp::MediaView& m, const sdp::MediaLine& ml) {
  std::map<std::string, std::string, std::less<>> names;
  m.forEachAttribute("rtpmap", [&](std::string_view v) {
    std::size_t sp = v.find(' ');
    if (sp != std::string_view::npos) {
      names[std::string(v.substr(0, sp))] = std::string(v.substr(sp + 1));
    }
  });
  json codecs = json::array();
  std::string_view f = ml.formats;
  while (!f.empty()) {
    std::size_t sp = f.find(' ');
    std::string_view pt = f.substr(0, sp);
    auto it = names.find(pt);
    const char* fixed = staticCodec(pt);
    if (it != names.end()) {
      codecs.push_back(it->second);
    } else if (fixed != nullptr) {
      codecs.push_back(fixed);
    }
    f = sp == std::string_view::npos ? std::string_view() : f.substr(sp + 1);
  }
  return codecs;
}

json mediaSection(const sdp::Session& s, std::size_t i) {
  sdp::MediaView m = s.media(i);
  sdp::MediaLine ml = m.mediaLine();
  json codecs = codecsOf(m, ml);
  json srtp = json::array();
  m.forEachAttribute("crypto", [&](std::string_view v) {
    std::size_t a = v.find(' ');
    std::size_t b = a == std::string_view::npos ? a : v.find(' ', a + 1);
    if (a != std::string_view::npos) {
      srtp.push_back(std::string(v.substr(a + 1, b == std::string_view::npos ? b : b - a - 1)));
    }
  });
  bool dtls = m.hasAttribute("fingerprint") || s.findSessionAttribute("fingerprint") != nullptr;
  if (dtls) {
    srtp.push_back("DTLS-SRTP");
  }
  std::optional<sdp::Connection> c = m.connection(s.connection());
  return {{"kind", std::string(ml.kind)},
          {"port", ml.port},
          {"proto", std::string(ml.proto)},
          {"address", c ? std::string(c->address) : ""},
          {"codecs", codecs},
          {"srtp", srtp},
          {"rtcp_mux", m.hasAttribute("rtcp-mux")},
          {"ice", m.hasAttribute("ice-ufrag") || s.findSessionAttribute("ice-ufrag") != nullptr}};
}

}  // namespace

const char* srtpSuiteName(abi::SrtpSuite suite) {
  switch (suite) {
    case abi::SrtpSuite::None: return "none";
    case abi::SrtpSuite::AesCm128HmacSha1_80: return "AES_CM_128_HMAC_SHA1_80";
    case abi::SrtpSuite::AesCm128HmacSha1_32: return "AES_CM_128_HMAC_SHA1_32";
    case abi::SrtpSuite::AeadAes128Gcm: return "AEAD_AES_128_GCM";
    case abi::SrtpSuite::AeadAes256Gcm: return "AEAD_AES_256_GCM";
  }
  return "?";
}

json sdpSummary(const std::string& body) {
  if (body.empty()) {
    return json::object();
  }
  auto s = sdp::parse(body);
  if (!s.ok()) {
    return {{"error", "unparsable SDP"}};
  }
  json media = json::array();
  for (std::size_t i = 0; i < s->mediaCount(); ++i) {
    media.push_back(mediaSection(*s, i));
  }
  return {{"media", media}};
}

json callSummary(const Call& call, const platform::Config& config) {
  int64_t started = unixNowMinusSteady(call.created_ms);
  int64_t now = std::time(nullptr);
  return {{"id", call.id},
          {"state", callStateName(call.state)},
          {"route", call.route_name},
          {"from", call.a.remote.uri.str()},
          {"to", call.a.local.uri.str()},
          {"a_realm", realmName(config, call.a.realm)},
          {"b_realm", realmName(config, call.b.realm)},
          {"started_at", started},
          {"answered_at", call.answered_unix_s},
          {"duration_s", call.answered_unix_s > 0 ? now - call.answered_unix_s : 0}};
}

json callDetail(const Call& call, const platform::Config& config) {
  json j = callSummary(call, config);
  json a = legJson(call.a, config);
  json b = legJson(call.b, config);
  if (call.media) {
    a["sdp_received"] = sdpSummary(call.media->remoteSdp(Leg::A));
    a["sdp_sent"] = sdpSummary(call.media->localSdp(Leg::A));
    b["sdp_received"] = sdpSummary(call.media->remoteSdp(Leg::B));
    b["sdp_sent"] = sdpSummary(call.media->localSdp(Leg::B));
    j["worker"] = call.media->worker();
  }
  j["legs"] = {{"a", a}, {"b", b}};
  j["flows"] = flowList(call);
  return j;
}

json flowList(const Call& call) {
  json flows = json::array();
  if (!call.media) {
    return flows;
  }
  for (const ProgrammedFlow& f : call.media->flows()) {
    bool v6 = (f.spec.flags & abi::kFlowIpv6) != 0;
    flows.push_back({{"handle", f.handle},
                     {"from_leg", f.key.from == 0 ? "a" : "b"},
                     {"m_line", f.key.slot},
                     {"rtcp", f.key.rtcp != 0},
                     {"local", endpointText(f.spec.in_local, v6)},
                     {"srtp_in", srtpSuiteName(f.spec.srtp_in.suite)},
                     {"srtp_out", srtpSuiteName(f.spec.srtp_out.suite)},
                     {"clock_rate", f.spec.clock_rate == 0 ? 8000 : f.spec.clock_rate}});
  }
  return flows;
}

json flowStats(const abi::FlowInfo& info, uint32_t clock_rate) {
  double rate = clock_rate == 0 ? 8000.0 : clock_rate;
  bool v6 = (info.flags & abi::kFlowIpv6) != 0;
  return {{"handle", info.hdr.flow},
          {"remote", endpointText(info.in_remote, v6)},
          {"packets", info.packets},
          {"bytes", info.bytes},
          {"drops", info.drops},
          {"rtp_lost", info.rtp_lost},
          {"jitter_ms", info.jitter_ts / rate * 1000.0},
          {"last_seen_ns", info.last_seen_ns}};
}

}  // namespace rampart::cp
