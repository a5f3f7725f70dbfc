#include "media_peer/options.h"

#include <cstdio>

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

// Long on purpose: one flat branch per option, each with its own validation and message, in
// the order of the usage text; splitting it would scatter the options over several functions.
// NOLINTNEXTLINE(readability-function-size): flat on purpose, as said above.
ParseOutcome parsePeerOptions(const std::vector<std::string>& args) {
  ParseOutcome out;
  PeerOptions o;
  std::string send_key_text;
  std::string recv_key_text;
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
    if (opt == "--per-stream") {
      o.per_stream = true;
      continue;
    }
    if (opt == "--quiet") {
      o.quiet = true;
      continue;
    }
    if (opt.rfind("--", 0) != 0) {
      return fail("unexpected argument '" + opt + "'");
    }
    if (i + 1 >= args.size()) {
      return fail(opt + ": missing value");
    }
    const std::string& v = args[++i];
    auto bad = [&](const std::string& why) { return fail(opt + " '" + v + "': " + why); };
    auto number = [&](uint64_t min, uint64_t max) { return parseUnsigned(v, min, max); };
    if (opt == "--local" || opt == "--remote") {
      auto a = parseSockAddr(v);
      if (!a) {
        return bad("expected IPv4:PORT or [IPv6]:PORT");
      }
      (opt == "--local" ? o.local : o.remote) = *a;
    } else if (opt == "--mode") {
      if (v == "send") {
        o.mode = PeerMode::Send;
      } else if (v == "recv") {
        o.mode = PeerMode::Recv;
      } else if (v == "both") {
        o.mode = PeerMode::Both;
      } else {
        return bad("expected send, recv or both");
      }
    } else if (opt == "--streams") {
      auto n = number(1, kMaxStreams);
      if (!n) {
        return bad("expected 1-" + std::to_string(kMaxStreams));
      }
      o.streams = static_cast<uint32_t>(*n);
    } else if (opt == "--port-step") {
      auto n = number(1, 1000);
      if (!n) {
        return bad("expected 1-1000");
      }
      o.port_step = static_cast<uint32_t>(*n);
    } else if (opt == "--duration") {
      auto d = parseDouble(v, 0.0, kMaxDurationS);
      if (!d || *d <= 0.0) {
        return bad("expected seconds, more than 0 and at most 600");
      }
      o.duration_s = *d;
    } else if (opt == "--drain-ms" || opt == "--start-delay-ms") {
      auto n = number(0, 10000);
      if (!n) {
        return bad("expected 0-10000");
      }
      (opt == "--drain-ms" ? o.drain_ms : o.start_delay_ms) = static_cast<uint32_t>(*n);
    } else if (opt == "--payload-bytes") {
      auto n = number(kMinPayloadBytes, kMaxPayloadBytes);
      if (!n) {
        return bad("expected " + std::to_string(kMinPayloadBytes) + "-" +
                   std::to_string(kMaxPayloadBytes));
      }
      o.payload_bytes = static_cast<uint32_t>(*n);
    } else if (opt == "--payload-type") {
      auto n = number(0, 127);
      // 64-95 collide with RTCP packet types under rtcp-mux (RFC 5761 section 4).
      if (!n || (*n >= 64 && *n <= 95)) {
        return bad("expected 0-63 or 96-127");
      }
      o.payload_type = static_cast<uint32_t>(*n);
    } else if (opt == "--srtp") {
      auto s = suiteByName(v);
      if (!s) {
        return bad("unknown suite; expected one of " + suiteNames());
      }
      o.suite = s->suite;
    } else if (opt == "--send-key") {
      send_key_text = v;
    } else if (opt == "--recv-key") {
      recv_key_text = v;
    } else if (opt == "--rtcp") {
      if (v == "off") {
        o.rtcp = RtcpMode::Off;
      } else if (v == "mux") {
        o.rtcp = RtcpMode::Mux;
      } else if (v == "separate") {
        o.rtcp = RtcpMode::Separate;
      } else {
        return bad("expected off, mux or separate");
      }
    } else if (opt == "--rtcp-interval-ms") {
      auto n = number(20, 60000);
      if (!n) {
        return bad("expected 20-60000");
      }
      o.rtcp_interval_ms = static_cast<uint32_t>(*n);
    } else if (opt == "--rtcp-delay-ms") {
      auto n = number(0, 5000);
      if (!n) {
        return bad("expected 0-5000");
      }
      o.rtcp_delay_ms = static_cast<uint32_t>(*n);
    } else if (opt == "--ssrc" || opt == "--expect-ssrc") {
      auto n = number(0, 0xffffffffull);
      if (!n) {
        return bad("expected a 32-bit number (decimal or 0x hex)");
      }
      if (opt == "--ssrc") {
        o.ssrc_base = static_cast<uint32_t>(*n);
      } else {
        o.expect_ssrc = static_cast<uint32_t>(*n);
      }
    } else if (opt == "--nonce") {
      auto n = number(0, UINT64_MAX);
      if (!n) {
        return bad("expected a 64-bit number");
      }
      o.nonce = *n;
    } else if (opt == "--send-tos") {
      auto n = number(0, 255);
      if (!n) {
        return bad("expected 0-255 (TOS byte; DSCP 46 = 184)");
      }
      o.send_tos = static_cast<uint8_t>(*n);
    } else if (opt == "--late-ms") {
      auto n = number(1, 60000);
      if (!n) {
        return bad("expected 1-60000");
      }
      o.late_ms = static_cast<uint32_t>(*n);
    } else if (opt == "--loss-pct") {
      auto d = parseDouble(v, 0.0, 100.0);
      if (!d) {
        return bad("expected a percentage, 0-100");
      }
      o.loss_pct = *d;
    } else if (opt == "--jitter-ms") {
      auto n = number(0, kMaxJitterMs);
      if (!n) {
        return bad("expected 0-" + std::to_string(kMaxJitterMs));
      }
      o.jitter_ms = static_cast<uint32_t>(*n);
    } else if (opt == "--impair-seed") {
      auto n = number(0, UINT64_MAX);
      if (!n) {
        return bad("expected a 64-bit number");
      }
      o.impair_seed = *n;
    } else {
      return fail("unknown option '" + opt + "'");
    }
  }

  if (!o.local) {
    return fail("--local: required (base address:port to bind)");
  }
  if (o.sends() && !o.remote) {
    return fail("--remote: required in mode " + std::string(modeName(o.mode)));
  }
  if (o.remote && o.remote->family() != o.local->family()) {
    return fail("--remote: address family differs from --local");
  }
  const uint32_t span = (o.streams - 1) * o.port_step + (o.rtcp == RtcpMode::Separate ? 1 : 0);
  if (o.local->port() == 0 || o.local->port() + span > 65535) {
    return fail("--local: port must be 1-65535 and leave room for " + std::to_string(o.streams) +
                " streams");
  }
  if (o.remote && (o.remote->port() == 0 || o.remote->port() + span > 65535)) {
    return fail("--remote: port must be 1-65535 and leave room for " + std::to_string(o.streams) +
                " streams");
  }
  if (o.rtcp == RtcpMode::Separate && o.port_step < 2) {
    return fail("--port-step: must be at least 2 with --rtcp separate");
  }
  if (o.suite != SrtpSuite::None) {
    std::string why;
    // RTCP flows both ways, so it needs both keys even in send or recv mode.
    const bool rtcp = o.rtcp != RtcpMode::Off;
    if (o.sends() || rtcp) {
      if (send_key_text.empty()) {
        return fail("--send-key: required with --srtp " + std::string(suiteInfo(o.suite).name));
      }
      auto k = decodeSdesKey(send_key_text, o.suite, why);
      if (!k) {
        return fail("--send-key: " + why);
      }
      o.send_key = std::move(*k);
    }
    if (o.receives() || rtcp) {
      if (recv_key_text.empty()) {
        return fail("--recv-key: required with --srtp " + std::string(suiteInfo(o.suite).name));
      }
      auto k = decodeSdesKey(recv_key_text, o.suite, why);
      if (!k) {
        return fail("--recv-key: " + why);
      }
      o.recv_key = std::move(*k);
    }
  } else if (!send_key_text.empty() || !recv_key_text.empty()) {
    return fail("--send-key/--recv-key: given without --srtp SUITE");
  }
  out.options = std::move(o);
  return out;
}

}  // namespace rampart::tools
