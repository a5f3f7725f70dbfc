#include "flowctl/flowctl_args.h"

#include <sys/socket.h>

#include <cstring>

#include <rampart/platform/shm_region.h>

#include "media_peer/tool_util.h"

namespace rampart::tools {
namespace {

const char* const kUsage =
    "usage: rampart-flowctl [--shm NAME] [--timeout-ms MS] [--json] COMMAND [options]\n"
    "  hello                          handshake; print workers, epoch and live flows\n"
    "  add --worker W --in-port P --in-local IP:PORT --in-remote IP:PORT|IP:0 [--latch]\n"
    "      --out-port P --out-local IP:PORT --out-remote IP:PORT\n"
    "      [--out-rtcp-local PORT --out-rtcp-remote PORT] [--rtcp-mux-in] [--rtcp-only]\n"
    "      [--dscp N|default] [--video] [--ssrc-rewrite X] [--srtp-in SUITE:BASE64KEY]\n"
    "      [--srtp-out SUITE:BASE64KEY] [--latch-window-ms MS] [--idle-timeout S]\n"
    "      [--clock-rate HZ] [--cookie N] [--await-keys] [--ice-remote]\n"
    "                                 program a flow; prints its handle. --ice-remote: an\n"
    "                                 ICE check chooses the remote (--in-remote IP:0 without\n"
    "                                 --latch, --out-remote IP:0 allowed); --await-keys: hold\n"
    "                                 media until a modify brings the DTLS-SRTP keys\n"
    "  del --worker W HANDLE          delete a flow\n"
    "  list [--worker W]              every flow (all workers by default)\n"
    "  query --worker W HANDLE        one flow's state and counters\n"
    "  xcode --worker W HANDLE --from CODEC:PT[:PTIME] --to CODEC:PT[:PTIME]\n"
    "      [--from-dtmf PT] [--to-dtmf PT] [--out-ssrc X] [--opus-fec] [--bitrate KBPS]\n"
    "                                 transcode the flow's media (CODEC: pcmu, pcma, g722,\n"
    "                                 opus; --from none stops); prints ok\n"
    "  ice --worker W HANDLE --local-ufrag U --local-pwd P [--remote-ufrag R]\n"
    "      [--paired HANDLE] [--consent-timeout S]   ICE-lite credentials of a flow\n"
    "  batch                          add/del lines from stdin over one connection; prints\n"
    "                                 a handle (add) or ok (del) per line, stops at an error\n"
    "The shm name defaults to /rampart, the timeout to 5000 ms. Refused while a control\n"
    "plane is attached.\n";

struct Parser {
  const std::vector<std::string>& argv;
  std::size_t i = 0;
  std::string error;

  bool fail(const std::string& msg) {
    if (error.empty()) {
      error = msg;
    }
    return false;
  }
};

bool parseEndpoint(const std::string& opt, const std::string& v, abi::Endpoint& out, int& family,
                   std::string& error) {
  auto a = parseSockAddr(v);
  if (!a) {
    error = opt + " '" + v + "': expected IPv4:PORT or [IPv6]:PORT";
    return false;
  }
  if (family != 0 && family != a->family()) {
    error = opt + " '" + v + "': address family differs from the other address of this leg";
    return false;
  }
  family = a->family();
  std::memset(&out, 0, sizeof(out));
  std::memcpy(out.addr, a->addrBytes(), a->addrLen());
  out.port = a->port();
  return true;
}

bool parseSrtp(const std::string& opt, const std::string& v, abi::SrtpParams& out,
               std::string& error) {
  const auto colon = v.find(':');
  if (colon == std::string::npos) {
    error = opt + " '" + v + "': expected SUITE:BASE64KEY";
    return false;
  }
  const auto suite = suiteByName(std::string_view(v).substr(0, colon));
  if (!suite || suite->suite == SrtpSuite::None) {
    error = opt + ": unknown suite '" + v.substr(0, colon) + "'; expected one of " +
            suiteNames().substr(6);  // without "none, "
    return false;
  }
  std::string why;
  auto key = decodeSdesKey(std::string_view(v).substr(colon + 1), suite->suite, why);
  if (!key) {
    error = opt + ": key " + why;
    return false;
  }
  std::memset(&out, 0, sizeof(out));
  out.suite = static_cast<abi::SrtpSuite>(suite->suite);
  out.key_len = static_cast<uint8_t>(key->size());
  std::memcpy(out.key, key->data(), key->size());
  return true;
}

bool parseNumberOpt(const std::string& opt, const std::string& v, uint64_t min, uint64_t max,
                    uint64_t& out, std::string& error) {
  auto n = parseUnsigned(v, min, max);
  if (!n) {
    error =
        opt + " '" + v + "': expected a number " + std::to_string(min) + "-" + std::to_string(max);
    return false;
  }
  out = *n;
  return true;
}

static_assert(static_cast<int>(SrtpSuite::AesCm128HmacSha1_80) ==
                      static_cast<int>(abi::SrtpSuite::AesCm128HmacSha1_80) &&
                  static_cast<int>(SrtpSuite::AesCm128HmacSha1_32) ==
                      static_cast<int>(abi::SrtpSuite::AesCm128HmacSha1_32) &&
                  static_cast<int>(SrtpSuite::AeadAes128Gcm) ==
                      static_cast<int>(abi::SrtpSuite::AeadAes128Gcm) &&
                  static_cast<int>(SrtpSuite::AeadAes256Gcm) ==
                      static_cast<int>(abi::SrtpSuite::AeadAes256Gcm),
              "tool suite numbering must match the ABI");

}  // namespace

const char* flowctlUsage() { return kUsage; }

std::string statusText(int32_t status) {
  switch (status) {
    case abi::kOk: return "ok";
    case abi::kErrProto: return "incompatible ABI (EPROTO)";
    case abi::kErrMsgSize: return "message too short (EMSGSIZE)";
    case abi::kErrInval: return "invalid argument (EINVAL)";
    case abi::kErrNoSpace: return "flow table full (ENOSPC)";
    case abi::kErrNoEnt: return "no such flow (ENOENT)";
    case abi::kErrExist: return "a flow with that match exists (EEXIST)";
    case abi::kErrNotSup: return "not supported (EOPNOTSUPP)";
    case abi::kErrNeighFull: return "neighbour table full (ENOBUFS)";
    case abi::kErrBusy: return "transcoder ring full or no transcoder region (EBUSY)";
    default: break;
  }
  return "error " + std::to_string(status);
}

// Long on purpose: one flat branch per option, each with its own validation and message, in
// the order of the usage text; splitting it would scatter the options over several functions.
// "CODEC:PT[:PTIME]" for xcode; "none" stops transcoding.
bool parseXcodeCodec(const std::string& opt, const std::string& v, abi::XcodeCodec& c,
                     std::string& err) {
  std::string name = v.substr(0, v.find(':'));
  static const std::pair<const char*, abi::XcodeCodecId> kNames[] = {
      {"pcmu", abi::XcodeCodecId::Pcmu},
      {"pcma", abi::XcodeCodecId::Pcma},
      {"g722", abi::XcodeCodecId::G722},
      {"opus", abi::XcodeCodecId::Opus}};
  if (name == "none") {
    c.codec = abi::XcodeCodecId::None;
    return true;
  }
  c.codec = abi::XcodeCodecId::None;
  for (const auto& [n, id] : kNames) {
    c.codec = name == n ? id : c.codec;
  }
  std::vector<std::string> parts;
  for (size_t pos = 0; pos <= v.size();) {
    size_t next = v.find(':', pos);
    next = next == std::string::npos ? v.size() : next;
    parts.push_back(v.substr(pos, next - pos));
    pos = next + 1;
  }
  auto pt = parts.size() >= 2 ? parseUnsigned(parts[1], 0, 127) : std::nullopt;
  auto ptime = parts.size() >= 3 ? parseUnsigned(parts[2], 10, 60) : std::optional<uint64_t>(20);
  if (c.codec == abi::XcodeCodecId::None || !pt || !ptime || parts.size() > 3) {
    err = opt + " '" + v + "': expected CODEC:PT[:PTIME] (pcmu, pcma, g722, opus; PT 0-127; " +
          "PTIME 10-60)";
    return false;
  }
  c.payload_type = static_cast<uint8_t>(*pt);
  c.ptime_ms = static_cast<uint8_t>(*ptime);
  c.channels = 1;
  c.clock_rate = c.codec == abi::XcodeCodecId::Opus ? 48000 : 8000;
  return true;
}

namespace {

// Which command an option belongs to; one given to another command is refused.
enum class OptScope { Any, Add, Ice, Xcode };

// What parseFlowctlArgs gathers while it reads the options: the messages being filled, and
// what the command checks need afterwards.
struct ParseState {
  FlowctlArgs a;
  std::optional<std::string> command;
  std::vector<std::string> positional;
  // Seen-flags for required options of "add".
  bool in_port = false, out_port = false, in_local = false, in_remote = false;
  bool out_local = false, out_remote = false;
  std::optional<uint16_t> rtcp_local;
  std::optional<uint16_t> rtcp_remote;
  // Each leg has one family; the in and out legs may differ (IPv4 <-> IPv6 relaying).
  int in_family = 0;
  int out_family = 0;
  bool latch = false;
  bool ice_remote = false;
  // The first option given that only one command takes, to reject it for the others.
  std::string add_only_opt, ice_only_opt, xcode_only_opt;
  std::string err;

  void noteScope(OptScope scope, const std::string& opt) {
    std::string* first = scope == OptScope::Add     ? &add_only_opt
                         : scope == OptScope::Ice   ? &ice_only_opt
                         : scope == OptScope::Xcode ? &xcode_only_opt
                                                    : nullptr;
    if (first != nullptr && first->empty()) {
      *first = opt;
    }
  }
};

using FlagApply = void (*)(ParseState&);
struct FlagOption {
  const char* name;
  OptScope scope;
  FlagApply apply;
};

// Options without a value.
const FlagOption kFlagOptions[] = {
    {"--json", OptScope::Any, [](ParseState& s) { s.a.json = true; }},
    {"--latch", OptScope::Add, [](ParseState& s) { s.latch = true; }},
    {"--rtcp-mux-in", OptScope::Add, [](ParseState& s) { s.a.add.flags |= abi::kFlowRtcpMuxIn; }},
    {"--rtcp-only", OptScope::Add, [](ParseState& s) { s.a.add.flags |= abi::kFlowRtcpOnly; }},
    {"--await-keys", OptScope::Add, [](ParseState& s) { s.a.add.flags |= abi::kFlowAwaitKeys; }},
    {"--ice-remote", OptScope::Add, [](ParseState& s) { s.ice_remote = true; }},
    {"--opus-fec", OptScope::Xcode,
     [](ParseState& s) {
       s.a.xcode.from.opus_flags |= abi::kXcOpusFec;
       s.a.xcode.to.opus_flags |= abi::kXcOpusFec;
     }},
    {"--video", OptScope::Add, [](ParseState& s) { s.a.add.flags |= abi::kFlowVideo; }},
};

// A number in [min, max] into @p field; the error names the option.
template <typename T>
bool numberInto(ParseState& s, const std::string& opt, const std::string& v, uint64_t min,
                uint64_t max, T& field) {
  uint64_t n = 0;
  if (!parseNumberOpt(opt, v, min, max, n, s.err)) {
    return false;
  }
  field = static_cast<T>(n);
  return true;
}

bool iceUfrag(ParseState& s, const std::string& opt, const std::string& v) {
  const bool local = opt == "--local-ufrag";
  if (v.empty() || v.size() > 32 || v.find(':') != std::string::npos) {
    s.err = opt + " '" + v + "': expected 1-32 characters without ':'";
    return false;
  }
  abi::FlowIce& ice = s.a.ice;
  std::memcpy(local ? ice.local_ufrag : ice.remote_ufrag, v.data(), v.size());
  (local ? ice.local_ufrag_len : ice.remote_ufrag_len) = static_cast<uint8_t>(v.size());
  return true;
}

bool icePwd(ParseState& s, const std::string& opt, const std::string& v) {
  if (v.size() < 22 || v.size() > 64) {
    s.err = opt + ": expected 22-64 characters (RFC 8445 ice-pwd)";
    return false;
  }
  std::memcpy(s.a.ice.local_pwd, v.data(), v.size());
  s.a.ice.local_pwd_len = static_cast<uint8_t>(v.size());
  return true;
}

bool shmName(ParseState& s, const std::string&, const std::string& v) {
  if (v.empty() || v[0] != '/' || v.size() > 200 || v.find('/', 1) != std::string::npos) {
    s.err = "--shm '" + v + "': expected a POSIX shm name like /rampart";
    return false;
  }
  s.a.shm = v;
  return true;
}

bool dscp(ParseState& s, const std::string& opt, const std::string& v) {
  if (v == "default") {
    s.a.add.dscp = abi::kDscpRealmDefault;
    return true;
  }
  if (!numberInto(s, opt, v, 0, 63, s.a.add.dscp)) {
    s.err += " or 'default'";
    return false;
  }
  return true;
}

bool endpoint(ParseState& s, const std::string& opt, const std::string& v) {
  const bool in = opt.rfind("--in-", 0) == 0;
  const bool local = opt.find("-local") != std::string::npos;
  abi::FlowAdd& f = s.a.add;
  abi::Endpoint& e = in ? (local ? f.in_local : f.in_remote) : (local ? f.out_local : f.out_remote);
  bool& seen = in ? (local ? s.in_local : s.in_remote) : (local ? s.out_local : s.out_remote);
  seen = parseEndpoint(opt, v, e, in ? s.in_family : s.out_family, s.err);
  return seen;
}

using ValueApply = bool (*)(ParseState&, const std::string& opt, const std::string& v);
struct ValueOption {
  const char* name;
  OptScope scope;
  ValueApply apply;
};

// Options with a value, each with its range or grammar.
const ValueOption kValueOptions[] = {
    {"--local-ufrag", OptScope::Ice, iceUfrag},
    {"--remote-ufrag", OptScope::Ice, iceUfrag},
    {"--local-pwd", OptScope::Ice, icePwd},
    {"--paired", OptScope::Ice,
     [](ParseState& s, const std::string& o, const std::string& v) {
       return numberInto(s, o, v, 1, UINT64_MAX, s.a.ice.paired_flow);
     }},
    {"--consent-timeout", OptScope::Ice,
     [](ParseState& s, const std::string& o, const std::string& v) {
       return numberInto(s, o, v, 1, 3600, s.a.ice.consent_timeout_s);
     }},
    {"--shm", OptScope::Any, shmName},
    {"--timeout-ms", OptScope::Any,
     [](ParseState& s, const std::string& o, const std::string& v) {
       return numberInto(s, o, v, 1, 60000, s.a.timeout_ms);
     }},
    {"--worker", OptScope::Any,
     [](ParseState& s, const std::string& o, const std::string& v) {
       uint32_t w = 0;
       const bool ok = numberInto(s, o, v, 0, platform::kMaxWorkers - 1, w);
       s.a.worker = w;
       return ok;
     }},
    {"--in-port", OptScope::Add,
     [](ParseState& s, const std::string& o, const std::string& v) {
       s.in_port = true;
       return numberInto(s, o, v, 0, 65535, s.a.add.in_port);
     }},
    {"--out-port", OptScope::Add,
     [](ParseState& s, const std::string& o, const std::string& v) {
       s.out_port = true;
       return numberInto(s, o, v, 0, 65535, s.a.add.out_port);
     }},
    {"--in-local", OptScope::Add, endpoint},
    {"--in-remote", OptScope::Add, endpoint},
    {"--out-local", OptScope::Add, endpoint},
    {"--out-remote", OptScope::Add, endpoint},
    {"--out-rtcp-local", OptScope::Add,
     [](ParseState& s, const std::string& o, const std::string& v) {
       return numberInto(s, o, v, 1, 65535, s.rtcp_local.emplace());
     }},
    {"--out-rtcp-remote", OptScope::Add,
     [](ParseState& s, const std::string& o, const std::string& v) {
       return numberInto(s, o, v, 1, 65535, s.rtcp_remote.emplace());
     }},
    {"--dscp", OptScope::Add, dscp},
    {"--clock-rate", OptScope::Add,
     [](ParseState& s, const std::string& o, const std::string& v) {
       return numberInto(s, o, v, 1000, 192000, s.a.add.clock_rate);
     }},
    {"--ssrc-rewrite", OptScope::Add,
     [](ParseState& s, const std::string& o, const std::string& v) {
       return numberInto(s, o, v, 1, 0xffffffffull, s.a.add.ssrc_rewrite);
     }},
    {"--srtp-in", OptScope::Add,
     [](ParseState& s, const std::string& o, const std::string& v) {
       return parseSrtp(o, v, s.a.add.srtp_in, s.err);
     }},
    {"--srtp-out", OptScope::Add,
     [](ParseState& s, const std::string& o, const std::string& v) {
       return parseSrtp(o, v, s.a.add.srtp_out, s.err);
     }},
    {"--latch-window-ms", OptScope::Add,
     [](ParseState& s, const std::string& o, const std::string& v) {
       return numberInto(s, o, v, 1, 65535, s.a.add.latch_window_ms);
     }},
    {"--idle-timeout", OptScope::Add,
     [](ParseState& s, const std::string& o, const std::string& v) {
       return numberInto(s, o, v, 1, 65535, s.a.add.idle_timeout_s);
     }},
    {"--cookie", OptScope::Add,
     [](ParseState& s, const std::string& o, const std::string& v) {
       return numberInto(s, o, v, 0, UINT64_MAX, s.a.add.cookie);
     }},
    {"--from", OptScope::Xcode,
     [](ParseState& s, const std::string& o, const std::string& v) {
       return parseXcodeCodec(o, v, s.a.xcode.from, s.err);
     }},
    {"--to", OptScope::Xcode,
     [](ParseState& s, const std::string& o, const std::string& v) {
       return parseXcodeCodec(o, v, s.a.xcode.to, s.err);
     }},
    {"--from-dtmf", OptScope::Xcode,
     [](ParseState& s, const std::string& o, const std::string& v) {
       return numberInto(s, o, v, 96, 127, s.a.xcode.from.dtmf_pt);
     }},
    {"--to-dtmf", OptScope::Xcode,
     [](ParseState& s, const std::string& o, const std::string& v) {
       return numberInto(s, o, v, 96, 127, s.a.xcode.to.dtmf_pt);
     }},
    {"--out-ssrc", OptScope::Xcode,
     [](ParseState& s, const std::string& o, const std::string& v) {
       return numberInto(s, o, v, 1, UINT32_MAX, s.a.xcode.out_ssrc);
     }},
    {"--bitrate", OptScope::Xcode,
     [](ParseState& s, const std::string& o, const std::string& v) {
       const bool ok = numberInto(s, o, v, 6, 510, s.a.xcode.from.bitrate_kbps);
       s.a.xcode.to.bitrate_kbps = s.a.xcode.from.bitrate_kbps;
       return ok;
     }},
};

// Reads argv[i] (and its value, advancing i). False with s.err set on an error; true with
// help set for --help.
bool readOption(ParseState& s, const std::vector<std::string>& argv, std::size_t& i, bool& help) {
  const std::string& opt = argv[i];
  if (opt == "--help" || opt == "-h") {
    help = true;
    return true;
  }
  if (opt.rfind("--", 0) != 0) {
    if (!s.command) {
      s.command = opt;
    } else {
      s.positional.push_back(opt);
    }
    return true;
  }
  for (const FlagOption& f : kFlagOptions) {
    if (opt == f.name) {
      s.noteScope(f.scope, opt);
      f.apply(s);
      return true;
    }
  }
  if (i + 1 >= argv.size()) {
    s.err = opt + ": missing value";
    return false;
  }
  const std::string& v = argv[++i];
  for (const ValueOption& o : kValueOptions) {
    if (opt == o.name) {
      s.noteScope(o.scope, opt);
      return o.apply(s, opt, v);
    }
  }
  s.err = "unknown option '" + opt + "'";
  return false;
}

bool needWorker(ParseState& s) {
  if (!s.a.worker) {
    s.err = "--worker: required for " + *s.command;
    return false;
  }
  return true;
}

bool needHandle(ParseState& s) {
  if (s.positional.empty()) {
    s.err = "HANDLE: required for " + *s.command + " (as printed by add or list)";
    return false;
  }
  auto h = parseUnsigned(s.positional[0], 1, UINT64_MAX);
  if (!h) {
    s.err = "HANDLE '" + s.positional[0] + "': expected a flow handle number";
    return false;
  }
  s.a.handle = *h;
  s.positional.erase(s.positional.begin());
  return true;
}

// "add": every required option, ports and latching consistent; sets the flags they imply.
bool checkAdd(ParseState& s) {
  abi::FlowAdd& f = s.a.add;
  const std::pair<bool, const char*> required[] = {
      {s.a.worker.has_value(), "--worker"}, {s.in_port, "--in-port"},
      {s.in_local, "--in-local"},           {s.in_remote, "--in-remote"},
      {s.out_port, "--out-port"},           {s.out_local, "--out-local"},
      {s.out_remote, "--out-remote"},
  };
  for (const auto& [seen, name] : required) {
    if (!seen) {
      s.err = std::string(name) + ": required for add";
      return false;
    }
  }
  if (f.in_local.port == 0 || f.out_local.port == 0 || (f.out_remote.port == 0 && !s.ice_remote)) {
    s.err = std::string(f.in_local.port == 0    ? "--in-local"
                        : f.out_local.port == 0 ? "--out-local"
                                                : "--out-remote") +
            ": port 0 is only meaningful for --in-remote (learn with --latch) or with --ice-remote";
    return false;
  }
  if (f.in_remote.port == 0 && !s.latch && !s.ice_remote) {
    s.err = "--in-remote: port 0 (learn the remote) needs --latch or --ice-remote";
    return false;
  }
  if (s.rtcp_local.has_value() != s.rtcp_remote.has_value()) {
    s.err = s.rtcp_local ? "--out-rtcp-remote: required with --out-rtcp-local"
                         : "--out-rtcp-local: required with --out-rtcp-remote";
    return false;
  }
  f.out_rtcp_local_port = s.rtcp_local.value_or(0);
  f.out_rtcp_remote_port = s.rtcp_remote.value_or(0);
  f.flags |= (s.latch ? abi::kFlowLatch : 0) | (s.in_family == AF_INET6 ? abi::kFlowIpv6 : 0) |
             (s.out_family == AF_INET6 ? abi::kFlowOutIpv6 : 0);
  return true;
}

// The command word and what it requires.
bool checkCommand(ParseState& s) {
  const std::string& c = *s.command;
  FlowctlArgs& a = s.a;
  if (c == "hello") {
    a.command = FlowctlCommand::Hello;
  } else if (c == "batch") {
    a.command = FlowctlCommand::Batch;
  } else if (c == "list") {
    a.command = FlowctlCommand::List;
  } else if (c == "ice") {
    a.command = FlowctlCommand::Ice;
    if (!needWorker(s) || !needHandle(s)) {
      return false;
    }
    a.ice.hdr.flow = a.handle;
    if (a.ice.local_ufrag_len == 0 || a.ice.local_pwd_len == 0) {
      s.err = a.ice.local_ufrag_len == 0 ? "--local-ufrag: required for ice"
                                         : "--local-pwd: required for ice";
      return false;
    }
  } else if (c == "xcode") {
    a.command = FlowctlCommand::Xcode;
    if (!needWorker(s) || !needHandle(s)) {
      return false;
    }
    a.xcode.hdr.flow = a.handle;
    if (a.xcode.to.codec == abi::XcodeCodecId::None &&
        a.xcode.from.codec != abi::XcodeCodecId::None) {
      s.err = "--to: required for xcode (unless --from none)";
      return false;
    }
  } else if (c == "del" || c == "query") {
    a.command = c == "del" ? FlowctlCommand::Del : FlowctlCommand::Query;
    return needWorker(s) && needHandle(s);
  } else if (c == "add") {
    a.command = FlowctlCommand::Add;
    return checkAdd(s);
  } else {
    s.err = "unknown command '" + c + "' (expected hello, add, del, list, query, ice or batch)";
    return false;
  }
  return true;
}

// Options that only another command takes, and leftover words.
bool checkScopes(ParseState& s) {
  const FlowctlCommand cmd = s.a.command;
  if (cmd != FlowctlCommand::Add && !s.add_only_opt.empty()) {
    s.err = s.add_only_opt + ": only valid for add";
  } else if (cmd != FlowctlCommand::Xcode && !s.xcode_only_opt.empty()) {
    s.err = s.xcode_only_opt + ": only valid for xcode";
  } else if (cmd == FlowctlCommand::Xcode && s.a.handle != 0 && s.xcode_only_opt.empty()) {
    s.err = "--from: required for xcode";
  } else if (cmd != FlowctlCommand::Ice && !s.ice_only_opt.empty()) {
    s.err = s.ice_only_opt + ": only valid for ice";
  } else if (!s.positional.empty()) {
    s.err = "unexpected argument '" + s.positional[0] + "'";
  }
  return s.err.empty();
}

template <typename Msg>
void initMessage(Msg& m, abi::MsgType type) {
  std::memset(&m, 0, sizeof(m));
  m.hdr.type = type;
  m.hdr.size = sizeof(m);
}

}  // namespace

FlowctlParse parseFlowctlArgs(const std::vector<std::string>& argv) {
  FlowctlParse out;
  ParseState s;
  initMessage(s.a.ice, abi::MsgType::FlowIce);
  initMessage(s.a.xcode, abi::MsgType::XcodeSetup);
  initMessage(s.a.add, abi::MsgType::FlowAdd);
  // The realm's DSCP for the media kind unless --dscp says otherwise, as the control plane does.
  s.a.add.dscp = abi::kDscpRealmDefault;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (!readOption(s, argv, i, out.help)) {
      out.error = std::move(s.err);
      return out;
    }
    if (out.help) {
      return out;
    }
  }
  if (!s.command) {
    out.error = "missing command (hello, add, del, list, query, ice or batch)";
    return out;
  }
  if (!checkCommand(s) || !checkScopes(s)) {
    out.error = std::move(s.err);
    return out;
  }
  out.args = std::move(s.a);
  return out;
}

}  // namespace rampart::tools

namespace rampart::tools {

FlowctlParse parseBatchLine(const std::string& line, const FlowctlArgs& global) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) {
      ++i;
    }
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
      ++i;
    }
    if (i > start) {
      words.push_back(line.substr(start, i - start));
    }
  }
  FlowctlParse out;
  if (words.empty() || words[0][0] == '#') {
    return out;
  }
  if (words[0] != "add" && words[0] != "del") {
    out.error = "'" + words[0] + "': only add and del lines are allowed in a batch";
    return out;
  }
  for (const auto& w : words) {
    if (w == "--shm" || w == "--timeout-ms" || w == "--json") {
      out.error = w + ": give it on the batch command line, not per line";
      return out;
    }
  }
  out = parseFlowctlArgs(words);
  if (out.args) {
    out.args->shm = global.shm;
    out.args->timeout_ms = global.timeout_ms;
    out.args->json = global.json;
  }
  return out;
}

}  // namespace rampart::tools
