#include "media_peer/options.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <utility>

namespace rampart::tools {
namespace {

const char* const kUsage =
    "usage: rampart-media-peer --local ADDR:PORT [--remote ADDR:PORT] [options]\n"
    "  --mode send|recv|both        (default both)\n"
    "  --streams N                  streams, 1-4096 (default 1)\n"
    "  --port-step S                port distance between streams (default 2)\n"
    "  --duration SECONDS           sending time, at most 600 (default 10)\n"
    "  --drain-ms MS                keep receiving after the send window (default 500)\n"
    "  --start-delay-ms MS          wait before the first packet (default 200)\n"
    "  --payload-bytes B            RTP payload, 32-1400 (default 160 = 20 ms PCMU)\n"
    "  --payload-type PT            RTP payload type (default 0)\n"
    "  --srtp SUITE                 none, AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32,\n"
    "                               AEAD_AES_128_GCM, AEAD_AES_256_GCM (default none)\n"
    "  --send-key BASE64            SDES inline key (key+salt) for what we send\n"
    "  --recv-key BASE64            SDES inline key for what we receive\n"
    "  --rtcp off|mux|separate      RTCP SR/RR (SRTCP with SRTP); separate = RTP port + 1\n"
    "  --rtcp-interval-ms MS        (default 1000)\n"
    "  --rtcp-delay-ms MS           hold each RTCP compound MS ms after building it, as a\n"
    "                               one-way path delay for RTCP only, 0-5000 (default 0)\n"
    "  --ssrc X                     SSRC of stream 0, stream i uses X+i (default 0x52500000)\n"
    "  --expect-ssrc X              stream i expects SSRC X+i (relay rewrites SSRC)\n"
    "  --nonce N                    run nonce, same on both ends (default 1)\n"
    "  --send-tos T                 IP TOS / traffic class byte for sent packets, 0-255\n"
    "  --late-ms MS                 delay above which a packet counts as late (default 100)\n"
    "  --loss-pct P                 drop P % of RTP packets before sending, 0-100 (default 0)\n"
    "  --jitter-ms J                delay each RTP packet by a random 0-J ms, order kept,\n"
    "                               0-1000 (default 0)\n"
    "  --impair-seed N              seed of the loss/jitter PRNG (default 1)\n"
    "  --per-stream                 add per-stream figures to the JSON\n"
    "  --quiet                      no human summary on stderr\n"
    "Prints one JSON object on stdout when done; exit 2 on bad arguments.\n";

}  // namespace

const char* peerUsage() { return kUsage; }

const char* modeName(PeerMode m) {
  switch (m) {
    case PeerMode::Send: return "send";
    case PeerMode::Recv: return "recv";
    case PeerMode::Both: return "both";
  }
  return "?";
}

const char* rtcpModeName(RtcpMode m) {
  switch (m) {
    case RtcpMode::Off: return "off";
    case RtcpMode::Mux: return "mux";
    case RtcpMode::Separate: return "separate";
  }
  return "?";
}

namespace {

// What the option handlers fill in; the SDES keys are decoded once the suite is known.
struct ParseState {
  PeerOptions o;
  std::string send_key_text;
  std::string recv_key_text;
};

// Reads an option's value into the state. @return "" or why the value is refused.
using ValueHandler = std::string (*)(ParseState& s, const std::string& v);

struct ValueOption {
  const char* name;
  ValueHandler apply;
};

// A whole number in [min, max] into @p field, else @p expected.
template <typename T>
std::string setNumber(T& field, const std::string& v, uint64_t min, uint64_t max,
                      const std::string& expected) {
  std::optional<uint64_t> n = parseUnsigned(v, min, max);
  if (!n) {
    return expected;
  }
  field = static_cast<T>(*n);
  return {};
}

std::string setAddress(std::optional<SockAddr>& field, const std::string& v) {
  std::optional<SockAddr> a = parseSockAddr(v);
  if (!a) {
    return "expected IPv4:PORT or [IPv6]:PORT";
  }
  field = *a;
  return {};
}

std::string setMode(ParseState& s, const std::string& v) {
  if (v == "send") {
    s.o.mode = PeerMode::Send;
  } else if (v == "recv") {
    s.o.mode = PeerMode::Recv;
  } else if (v == "both") {
    s.o.mode = PeerMode::Both;
  } else {
    return "expected send, recv or both";
  }
  return {};
}

std::string setRtcp(ParseState& s, const std::string& v) {
  if (v == "off") {
    s.o.rtcp = RtcpMode::Off;
  } else if (v == "mux") {
    s.o.rtcp = RtcpMode::Mux;
  } else if (v == "separate") {
    s.o.rtcp = RtcpMode::Separate;
  } else {
    return "expected off, mux or separate";
  }
  return {};
}

std::string setDuration(ParseState& s, const std::string& v) {
  std::optional<double> d = parseDouble(v, 0.0, kMaxDurationS);
  if (!d || *d <= 0.0) {
    return "expected seconds, more than 0 and at most 600";
  }
  s.o.duration_s = *d;
  return {};
}

std::string setPayloadType(ParseState& s, const std::string& v) {
  std::optional<uint64_t> n = parseUnsigned(v, 0, 127);
  // 64-95 collide with RTCP packet types under rtcp-mux (RFC 5761 section 4).
  if (!n || (*n >= 64 && *n <= 95)) {
    return "expected 0-63 or 96-127";
  }
  s.o.payload_type = static_cast<uint32_t>(*n);
  return {};
}

std::string setSuite(ParseState& s, const std::string& v) {
  std::optional<SuiteInfo> suite = suiteByName(v);
  if (!suite) {
    return "unknown suite; expected one of " + suiteNames();
  }
  s.o.suite = suite->suite;
  return {};
}

std::string setExpectSsrc(ParseState& s, const std::string& v) {
  uint32_t ssrc = 0;
  std::string why =
      setNumber(ssrc, v, 0, 0xffffffffull, "expected a 32-bit number (decimal or 0x hex)");
  if (why.empty()) {
    s.o.expect_ssrc = ssrc;
  }
  return why;
}

std::string setSendTos(ParseState& s, const std::string& v) {
  uint8_t tos = 0;
  std::string why = setNumber(tos, v, 0, 255, "expected 0-255 (TOS byte; DSCP 46 = 184)");
  if (why.empty()) {
    s.o.send_tos = tos;
  }
  return why;
}

std::string setLossPct(ParseState& s, const std::string& v) {
  std::optional<double> d = parseDouble(v, 0.0, 100.0);
  if (!d) {
    return "expected a percentage, 0-100";
  }
  s.o.loss_pct = *d;
  return {};
}

// Options with a value, in the order of the usage text.
const ValueOption kValueOptions[] = {
    {"--local", [](ParseState& s, const std::string& v) { return setAddress(s.o.local, v); }},
    {"--remote", [](ParseState& s, const std::string& v) { return setAddress(s.o.remote, v); }},
    {"--mode", setMode},
    {"--streams",
     [](ParseState& s, const std::string& v) {
       return setNumber(s.o.streams, v, 1, kMaxStreams,
                        "expected 1-" + std::to_string(kMaxStreams));
     }},
    {"--port-step",
     [](ParseState& s, const std::string& v) {
       return setNumber(s.o.port_step, v, 1, 1000, "expected 1-1000");
     }},
    {"--duration", setDuration},
    {"--drain-ms",
     [](ParseState& s, const std::string& v) {
       return setNumber(s.o.drain_ms, v, 0, 10000, "expected 0-10000");
     }},
    {"--start-delay-ms",
     [](ParseState& s, const std::string& v) {
       return setNumber(s.o.start_delay_ms, v, 0, 10000, "expected 0-10000");
     }},
    {"--payload-bytes",
     [](ParseState& s, const std::string& v) {
       return setNumber(
           s.o.payload_bytes, v, kMinPayloadBytes, kMaxPayloadBytes,
           "expected " + std::to_string(kMinPayloadBytes) + "-" + std::to_string(kMaxPayloadBytes));
     }},
    {"--payload-type", setPayloadType},
    {"--srtp", setSuite},
    {"--send-key",
     [](ParseState& s, const std::string& v) {
       s.send_key_text = v;
       return std::string();
     }},
    {"--recv-key",
     [](ParseState& s, const std::string& v) {
       s.recv_key_text = v;
       return std::string();
     }},
    {"--rtcp", setRtcp},
    {"--rtcp-interval-ms",
     [](ParseState& s, const std::string& v) {
       return setNumber(s.o.rtcp_interval_ms, v, 20, 60000, "expected 20-60000");
     }},
    {"--rtcp-delay-ms",
     [](ParseState& s, const std::string& v) {
       return setNumber(s.o.rtcp_delay_ms, v, 0, 5000, "expected 0-5000");
     }},
    {"--ssrc",
     [](ParseState& s, const std::string& v) {
       return setNumber(s.o.ssrc_base, v, 0, 0xffffffffull,
                        "expected a 32-bit number (decimal or 0x hex)");
     }},
    {"--expect-ssrc", setExpectSsrc},
    {"--nonce",
     [](ParseState& s, const std::string& v) {
       return setNumber(s.o.nonce, v, 0, UINT64_MAX, "expected a 64-bit number");
     }},
    {"--send-tos", setSendTos},
    {"--late-ms",
     [](ParseState& s, const std::string& v) {
       return setNumber(s.o.late_ms, v, 1, 60000, "expected 1-60000");
     }},
    {"--loss-pct", setLossPct},
    {"--jitter-ms",
     [](ParseState& s, const std::string& v) {
       return setNumber(s.o.jitter_ms, v, 0, kMaxJitterMs,
                        "expected 0-" + std::to_string(kMaxJitterMs));
     }},
    {"--impair-seed",
     [](ParseState& s, const std::string& v) {
       return setNumber(s.o.impair_seed, v, 0, UINT64_MAX, "expected a 64-bit number");
     }},
};

// The options that only make sense together. @return "" or the error naming the option.
std::string checkCombination(const PeerOptions& o) {
  if (!o.local) {
    return "--local: required (base address:port to bind)";
  }
  if (o.sends() && !o.remote) {
    return "--remote: required in mode " + std::string(modeName(o.mode));
  }
  if (o.remote && o.remote->family() != o.local->family()) {
    return "--remote: address family differs from --local";
  }
  const uint32_t span = (o.streams - 1) * o.port_step + (o.rtcp == RtcpMode::Separate ? 1 : 0);
  if (o.local->port() == 0 || o.local->port() + span > 65535) {
    return "--local: port must be 1-65535 and leave room for " + std::to_string(o.streams) +
           " streams";
  }
  if (o.remote && (o.remote->port() == 0 || o.remote->port() + span > 65535)) {
    return "--remote: port must be 1-65535 and leave room for " + std::to_string(o.streams) +
           " streams";
  }
  if (o.rtcp == RtcpMode::Separate && o.port_step < 2) {
    return "--port-step: must be at least 2 with --rtcp separate";
  }
  return {};
}

// One SDES key of the suite, required when @p needed. @return "" or the error.
std::string decodeKey(const char* option, bool needed, const std::string& text, SrtpSuite suite,
                      std::vector<uint8_t>& key) {
  if (!needed) {
    return {};
  }
  if (text.empty()) {
    return std::string(option) + ": required with --srtp " + suiteInfo(suite).name;
  }
  std::string why;
  auto k = decodeSdesKey(text, suite, why);
  if (!k) {
    return std::string(option) + ": " + why;
  }
  key = std::move(*k);
  return {};
}

// The SDES keys the suite needs. RTCP flows both ways, so it needs both keys even in send or
// recv mode.
std::string decodeKeys(ParseState& s) {
  PeerOptions& o = s.o;
  if (o.suite == SrtpSuite::None) {
    if (!s.send_key_text.empty() || !s.recv_key_text.empty()) {
      return "--send-key/--recv-key: given without --srtp SUITE";
    }
    return {};
  }
  const bool rtcp = o.rtcp != RtcpMode::Off;
  std::string why =
      decodeKey("--send-key", o.sends() || rtcp, s.send_key_text, o.suite, o.send_key);
  if (why.empty()) {
    why = decodeKey("--recv-key", o.receives() || rtcp, s.recv_key_text, o.suite, o.recv_key);
  }
  return why;
}

}  // namespace

ParseOutcome parsePeerOptions(const std::vector<std::string>& args) {
  ParseOutcome out;
  ParseState s;
  auto fail = [&](const std::string& msg) {
    out.error = msg;
    return out;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& opt = args[i];
    if (opt == "--help" || opt == "-h") {
      out.help = true;
      return out;
    }
    if (opt == "--per-stream" || opt == "--quiet") {
      (opt == "--quiet" ? s.o.quiet : s.o.per_stream) = true;
      continue;
    }
    if (opt.rfind("--", 0) != 0) {
      return fail("unexpected argument '" + opt + "'");
    }
    if (i + 1 >= args.size()) {
      return fail(opt + ": missing value");
    }
    const std::string& v = args[++i];
    const auto* it = std::find_if(std::begin(kValueOptions), std::end(kValueOptions),
                                  [&](const ValueOption& vo) { return opt == vo.name; });
    if (it == std::end(kValueOptions)) {
      return fail("unknown option '" + opt + "'");
    }
    if (std::string why = it->apply(s, v); !why.empty()) {
      return fail(opt + " '" + v + "': " + why);
    }
  }
  if (std::string why = checkCombination(s.o); !why.empty()) {
    return fail(why);
  }
  if (std::string why = decodeKeys(s); !why.empty()) {
    return fail(why);
  }
  out.options = std::move(s.o);
  return out;
}

}  // namespace rampart::tools
