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

// NOLINTNEXTLINE(readability-function-size): TODO(issue 14): a table of option handlers.
FlowctlParse parseFlowctlArgs(const std::vector<std::string>& argv) {
  FlowctlParse out;
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
  std::string ice_only_opt;  // first option that only "ice" takes
  abi::FlowIce& ice = a.ice;
  std::memset(&ice, 0, sizeof(ice));
  ice.hdr.type = abi::MsgType::FlowIce;
  ice.hdr.size = sizeof(ice);
  std::string xcode_only_opt;  // first option that only "xcode" takes
  abi::XcodeSetup& xs = a.xcode;
  std::memset(&xs, 0, sizeof(xs));
  xs.hdr.type = abi::MsgType::XcodeSetup;
  xs.hdr.size = sizeof(xs);
  std::string add_only_opt;  // first option that only "add" takes, to reject it elsewhere
  abi::FlowAdd& f = a.add;
  std::memset(&f, 0, sizeof(f));
  f.hdr.type = abi::MsgType::FlowAdd;
  f.hdr.size = sizeof(f);
  // The realm's DSCP for the media kind unless --dscp says otherwise, as the control plane does.
  f.dscp = abi::kDscpRealmDefault;
  std::string& err = out.error;

  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& opt = argv[i];
    if (opt == "--help" || opt == "-h") {
      out.help = true;
      return out;
    }
    if (opt.rfind("--", 0) != 0) {
      if (!command) {
        command = opt;
      } else {
        positional.push_back(opt);
      }
      continue;
    }
    // Flags without a value.
    if (opt == "--json") {
      a.json = true;
      continue;
    }
    if (opt == "--latch") {
      add_only_opt = add_only_opt.empty() ? opt : add_only_opt;
      latch = true;
      continue;
    }
    if (opt == "--rtcp-mux-in") {
      add_only_opt = add_only_opt.empty() ? opt : add_only_opt;
      f.flags |= abi::kFlowRtcpMuxIn;
      continue;
    }
    if (opt == "--rtcp-only") {
      add_only_opt = add_only_opt.empty() ? opt : add_only_opt;
      f.flags |= abi::kFlowRtcpOnly;
      continue;
    }
    if (opt == "--await-keys") {
      add_only_opt = add_only_opt.empty() ? opt : add_only_opt;
      f.flags |= abi::kFlowAwaitKeys;
      continue;
    }
    if (opt == "--ice-remote") {
      add_only_opt = add_only_opt.empty() ? opt : add_only_opt;
      ice_remote = true;
      continue;
    }
    if (opt == "--opus-fec") {
      xcode_only_opt = xcode_only_opt.empty() ? opt : xcode_only_opt;
      xs.from.opus_flags |= abi::kXcOpusFec;
      xs.to.opus_flags |= abi::kXcOpusFec;
      continue;
    }
    if (opt == "--video") {
      add_only_opt = add_only_opt.empty() ? opt : add_only_opt;
      f.flags |= abi::kFlowVideo;
      continue;
    }
    if (i + 1 >= argv.size()) {
      err = opt + ": missing value";
      return out;
    }
    const std::string& v = argv[++i];
    uint64_t n = 0;
    bool ok = true;
    const bool ice_opt = opt == "--local-ufrag" || opt == "--local-pwd" ||
                         opt == "--remote-ufrag" || opt == "--paired" || opt == "--consent-timeout";
    const bool xcode_opt = opt == "--from" || opt == "--to" || opt == "--from-dtmf" ||
                           opt == "--to-dtmf" || opt == "--out-ssrc" || opt == "--bitrate";
    if (ice_opt) {
      ice_only_opt = ice_only_opt.empty() ? opt : ice_only_opt;
    } else if (xcode_opt) {
      xcode_only_opt = xcode_only_opt.empty() ? opt : xcode_only_opt;
    } else if (add_only_opt.empty() && opt != "--shm" && opt != "--timeout-ms" &&
               opt != "--worker") {
      add_only_opt = opt;
    }
    if (opt == "--local-ufrag" || opt == "--remote-ufrag") {
      const bool local = opt == "--local-ufrag";
      if (v.empty() || v.size() > 32 || v.find(':') != std::string::npos) {
        err = opt + " '" + v + "': expected 1-32 characters without ':'";
        return out;
      }
      std::memcpy(local ? ice.local_ufrag : ice.remote_ufrag, v.data(), v.size());
      (local ? ice.local_ufrag_len : ice.remote_ufrag_len) = static_cast<uint8_t>(v.size());
      continue;
    }
    if (opt == "--local-pwd") {
      if (v.size() < 22 || v.size() > 64) {
        err = opt + ": expected 22-64 characters (RFC 8445 ice-pwd)";
        return out;
      }
      std::memcpy(ice.local_pwd, v.data(), v.size());
      ice.local_pwd_len = static_cast<uint8_t>(v.size());
      continue;
    }
    if (opt == "--paired") {
      ok = parseNumberOpt(opt, v, 1, UINT64_MAX, n, err);
      ice.paired_flow = n;
    } else if (opt == "--consent-timeout") {
      ok = parseNumberOpt(opt, v, 1, 3600, n, err);
      ice.consent_timeout_s = static_cast<uint16_t>(n);
    } else if (opt == "--shm") {
      if (v.empty() || v[0] != '/' || v.size() > 200 || v.find('/', 1) != std::string::npos) {
        err = "--shm '" + v + "': expected a POSIX shm name like /rampart";
        return out;
      }
      a.shm = v;
    } else if (opt == "--timeout-ms") {
      ok = parseNumberOpt(opt, v, 1, 60000, n, err);
      a.timeout_ms = static_cast<uint32_t>(n);
    } else if (opt == "--worker") {
      ok = parseNumberOpt(opt, v, 0, platform::kMaxWorkers - 1, n, err);
      a.worker = static_cast<uint32_t>(n);
    } else if (opt == "--in-port" || opt == "--out-port") {
      ok = parseNumberOpt(opt, v, 0, 65535, n, err);
      (opt == "--in-port" ? f.in_port : f.out_port) = static_cast<uint16_t>(n);
      (opt == "--in-port" ? in_port : out_port) = true;
    } else if (opt == "--in-local") {
      ok = in_local = parseEndpoint(opt, v, f.in_local, in_family, err);
    } else if (opt == "--in-remote") {
      ok = in_remote = parseEndpoint(opt, v, f.in_remote, in_family, err);
    } else if (opt == "--out-local") {
      ok = out_local = parseEndpoint(opt, v, f.out_local, out_family, err);
    } else if (opt == "--out-remote") {
      ok = out_remote = parseEndpoint(opt, v, f.out_remote, out_family, err);
    } else if (opt == "--out-rtcp-local" || opt == "--out-rtcp-remote") {
      ok = parseNumberOpt(opt, v, 1, 65535, n, err);
      (opt == "--out-rtcp-local" ? rtcp_local : rtcp_remote) = static_cast<uint16_t>(n);
    } else if (opt == "--dscp") {
      if (v == "default") {
        f.dscp = abi::kDscpRealmDefault;
      } else {
        ok = parseNumberOpt(opt, v, 0, 63, n, err);
        f.dscp = static_cast<uint8_t>(n);
        if (!ok) {
          err += " or 'default'";
        }
      }
    } else if (opt == "--clock-rate") {
      ok = parseNumberOpt(opt, v, 1000, 192000, n, err);
      f.clock_rate = static_cast<uint32_t>(n);
    } else if (opt == "--ssrc-rewrite") {
      ok = parseNumberOpt(opt, v, 1, 0xffffffffull, n, err);
      f.ssrc_rewrite = static_cast<uint32_t>(n);
    } else if (opt == "--srtp-in") {
      ok = parseSrtp(opt, v, f.srtp_in, err);
    } else if (opt == "--srtp-out") {
      ok = parseSrtp(opt, v, f.srtp_out, err);
    } else if (opt == "--latch-window-ms") {
      ok = parseNumberOpt(opt, v, 1, 65535, n, err);
      f.latch_window_ms = static_cast<uint16_t>(n);
    } else if (opt == "--idle-timeout") {
      ok = parseNumberOpt(opt, v, 1, 65535, n, err);
      f.idle_timeout_s = static_cast<uint16_t>(n);
    } else if (opt == "--from" || opt == "--to") {
      ok = parseXcodeCodec(opt, v, opt == "--from" ? xs.from : xs.to, err);
    } else if (opt == "--from-dtmf" || opt == "--to-dtmf") {
      ok = parseNumberOpt(opt, v, 96, 127, n, err);
      (opt == "--from-dtmf" ? xs.from : xs.to).dtmf_pt = static_cast<uint8_t>(n);
    } else if (opt == "--out-ssrc") {
      ok = parseNumberOpt(opt, v, 1, UINT32_MAX, n, err);
      xs.out_ssrc = static_cast<uint32_t>(n);
    } else if (opt == "--bitrate") {
      ok = parseNumberOpt(opt, v, 6, 510, n, err);
      xs.from.bitrate_kbps = xs.to.bitrate_kbps = static_cast<uint16_t>(n);
    } else if (opt == "--cookie") {
      ok = parseNumberOpt(opt, v, 0, UINT64_MAX, n, err);
      f.cookie = n;
    } else {
      err = "unknown option '" + opt + "'";
      return out;
    }
    if (!ok) {
      return out;
    }
  }

  if (!command) {
    err = "missing command (hello, add, del, list, query, ice or batch)";
    return out;
  }
  const std::string& c = *command;
  auto need_worker = [&]() {
    if (!a.worker) {
      err = "--worker: required for " + c;
      return false;
    }
    return true;
  };
  auto need_handle = [&]() {
    if (positional.empty()) {
      err = "HANDLE: required for " + c + " (as printed by add or list)";
      return false;
    }
    auto h = parseUnsigned(positional[0], 1, UINT64_MAX);
    if (!h) {
      err = "HANDLE '" + positional[0] + "': expected a flow handle number";
      return false;
    }
    a.handle = *h;
    positional.erase(positional.begin());
    return true;
  };
  if (c == "hello") {
    a.command = FlowctlCommand::Hello;
  } else if (c == "batch") {
    a.command = FlowctlCommand::Batch;
  } else if (c == "list") {
    a.command = FlowctlCommand::List;
  } else if (c == "ice") {
    a.command = FlowctlCommand::Ice;
    if (!need_worker() || !need_handle()) {
      return out;
    }
    ice.hdr.flow = a.handle;
    if (ice.local_ufrag_len == 0 || ice.local_pwd_len == 0) {
      err = ice.local_ufrag_len == 0 ? "--local-ufrag: required for ice"
                                     : "--local-pwd: required for ice";
      return out;
    }
  } else if (c == "xcode") {
    a.command = FlowctlCommand::Xcode;
    if (!need_worker() || !need_handle()) {
      return out;
    }
    xs.hdr.flow = a.handle;
    if (xs.to.codec == abi::XcodeCodecId::None && xs.from.codec != abi::XcodeCodecId::None) {
      err = "--to: required for xcode (unless --from none)";
      return out;
    }
  } else if (c == "del" || c == "query") {
    a.command = c == "del" ? FlowctlCommand::Del : FlowctlCommand::Query;
    if (!need_worker() || !need_handle()) {
      return out;
    }
  } else if (c == "add") {
    a.command = FlowctlCommand::Add;
    const std::pair<bool, const char*> required[] = {
        {a.worker.has_value(), "--worker"}, {in_port, "--in-port"},   {in_local, "--in-local"},
        {in_remote, "--in-remote"},         {out_port, "--out-port"}, {out_local, "--out-local"},
        {out_remote, "--out-remote"},
    };
    for (const auto& [seen, name] : required) {
      if (!seen) {
        err = std::string(name) + ": required for add";
        return out;
      }
    }
    if (f.in_local.port == 0 || f.out_local.port == 0 || (f.out_remote.port == 0 && !ice_remote)) {
      err = std::string(f.in_local.port == 0    ? "--in-local"
                        : f.out_local.port == 0 ? "--out-local"
                                                : "--out-remote") +
            ": port 0 is only meaningful for --in-remote (learn with --latch) or with --ice-remote";
      return out;
    }
    if (f.in_remote.port == 0 && !latch && !ice_remote) {
      err = "--in-remote: port 0 (learn the remote) needs --latch or --ice-remote";
      return out;
    }
    if (rtcp_local.has_value() != rtcp_remote.has_value()) {
      err = rtcp_local ? "--out-rtcp-remote: required with --out-rtcp-local"
                       : "--out-rtcp-local: required with --out-rtcp-remote";
      return out;
    }
    f.out_rtcp_local_port = rtcp_local.value_or(0);
    f.out_rtcp_remote_port = rtcp_remote.value_or(0);
    if (latch) {
      f.flags |= abi::kFlowLatch;
    }
    if (in_family == AF_INET6) {
      f.flags |= abi::kFlowIpv6;
    }
    if (out_family == AF_INET6) {
      f.flags |= abi::kFlowOutIpv6;
    }
  } else {
    err = "unknown command '" + c + "' (expected hello, add, del, list, query, ice or batch)";
    return out;
  }
  if (a.command != FlowctlCommand::Add && !add_only_opt.empty()) {
    err = add_only_opt + ": only valid for add";
    return out;
  }
  if (a.command != FlowctlCommand::Xcode && !xcode_only_opt.empty()) {
    err = xcode_only_opt + ": only valid for xcode";
    return out;
  }
  if (a.command == FlowctlCommand::Xcode && a.handle != 0 && xcode_only_opt.empty()) {
    err = "--from: required for xcode";
    return out;
  }
  if (a.command != FlowctlCommand::Ice && !ice_only_opt.empty()) {
    err = ice_only_opt + ": only valid for ice";
    return out;
  }
  if (!positional.empty()) {
    err = "unexpected argument '" + positional[0] + "'";
    return out;
  }
  out.args = std::move(a);
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
