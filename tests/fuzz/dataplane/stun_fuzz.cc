// Fuzz target: ICE-lite in the worker (ice/stun_stage.cc) through the real worker pass. Each
// input gets a fresh worker with two browser legs (IPv4 and IPv6: a flow receiving the checks
// and media, paired with the flow sending the PBX's media toward the browser, out_remote port
// 0 until a nomination), then feeds it records of untrusted bytes: raw UDP payloads (STUN,
// DTLS, RTP or anything) from the browser, another port of it or a stranger, or STUN requests
// built and signed by libnice from fuzzed attributes (so mutations get past FINGERPRINT and
// MESSAGE-INTEGRITY and reach the role, attribute and selection logic), media from the PBX,
// and consent clock jumps that run the idle scan. Every record runs one worker pass.
//
// Input: byte 0 (bit 0: the peers' MACs are known, else replies park and solicitations go
// out; bit 1: no ICE state; bit 2: no paired flows; bit 3: kFlowAwaitKeys on every flow;
// bit 4: the remote ufrag is not checked), then records [selector][length][length bytes]:
//   selector bits 0-1: source: the browser, the browser's other port, a stranger, the browser
//                      over IPv6 (to the IPv6 leg)
//   bit 2: signed: bytes = [control][attributes...] -> a request built by libnice: control
//          bits 0-1 class, bit 2 a method other than Binding, bit 3 no USERNAME, bit 4 wrong
//          key, bit 5 no key (no MESSAGE-INTEGRITY), bit 6 no FINGERPRINT, bit 7 USE-CANDIDATE;
//          attributes are [type16][len8][value], appended as given
//   bit 3: first move every ICE flow's last valid check 60 s back and run the idle scan
//   bit 4: the bytes come from the PBX to the flow sending toward the browser
// Invariants: every frame sent parses; every STUN message the worker sends is a well-formed
// response or error response; every mbuf comes back to the pool once the worker is gone.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <rte_mempool.h>

#include "harness.h"
#include "pkt/parse.h"
#include "stun_client.h"

namespace {

using namespace rampart;
using namespace rampart::dp;
using namespace rampart::dp::test;

const Addr kBrowser = v4(198, 18, 2, 2);
const Addr kBrowser6 = v6(0x2001, 2, 0, 2, 2);
const Addr kStranger = v4(198, 18, 2, 99);
const Addr kPbx = v4(198, 18, 4, 2);
const Addr kNone4 = v4(0, 0, 0, 0);
const Addr kNone6 = v6(0, 0, 0, 0, 0);

struct Leg {
  uint64_t in = 0;   // receives the browser's checks and media
  uint64_t out = 0;  // sends the PBX's media toward the browser
  uint16_t wan_port = 0;
  uint16_t lan_port = 0;
  bool v6 = false;
};

uint64_t program(Harness& h, abi::FlowAdd f) {
  abi::Ack a = h.call(f.hdr);
  if (a.status != abi::kOk) {
    std::abort();
  }
  return a.hdr.flow;
}

Leg addLeg(Harness& h, uint8_t setup, bool v6) {
  Leg l;
  l.v6 = v6;
  l.wan_port = v6 ? 20002 : 20000;
  l.lan_port = v6 ? 30002 : 30000;
  const uint16_t hold = (setup & 8) != 0 ? abi::kFlowAwaitKeys : 0;
  abi::FlowAdd a = makeFlow(h, 0, l.wan_port, v6 ? kNone6 : kNone4, 0, 1, l.lan_port, kPbx, 6000);
  a.flags |= hold | abi::kFlowRtcpMuxIn;
  l.in = program(h, a);
  abi::FlowAdd b = makeFlow(h, 1, l.lan_port, kPbx, 6000, 0, l.wan_port, v6 ? kNone6 : kNone4, 0);
  b.flags |= hold | abi::kFlowRtcpMuxIn;
  l.out = program(h, b);
  if ((setup & 2) == 0) {
    abi::FlowIce m{};
    m.hdr.type = abi::MsgType::FlowIce;
    m.hdr.size = sizeof(m);
    m.hdr.flow = l.in;
    m.paired_flow = (setup & 4) == 0 ? l.out : 0;
    m.local_ufrag_len = sizeof(kIceLocalUfrag) - 1;
    std::memcpy(m.local_ufrag, kIceLocalUfrag, m.local_ufrag_len);
    m.local_pwd_len = sizeof(kIceLocalPwd) - 1;
    std::memcpy(m.local_pwd, kIceLocalPwd, m.local_pwd_len);
    if ((setup & 16) == 0) {
      m.remote_ufrag_len = sizeof(kIceRemoteUfrag) - 1;
      std::memcpy(m.remote_ufrag, kIceRemoteUfrag, m.remote_ufrag_len);
    }
    if (h.call(m.hdr).status != abi::kOk) {
      std::abort();
    }
  }
  return l;
}

// A request from fuzzed attributes, built and signed by libnice.
std::vector<uint8_t> signedRequest(const std::vector<uint8_t>& bytes) {
  static StunAgent agent;
  static StunAgent plain;
  static bool init = false;
  static const uint16_t kAttrs[] = {0};
  if (!init) {
    stun_agent_init(&agent, kAttrs, STUN_COMPATIBILITY_RFC5389,
                    static_cast<StunAgentUsageFlags>(STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
                                                     STUN_AGENT_USAGE_USE_FINGERPRINT));
    stun_agent_init(&plain, kAttrs, STUN_COMPATIBILITY_RFC5389,
                    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS);
    init = true;
  }
  const uint8_t ctl = bytes.empty() ? 0 : bytes[0];
  StunAgent* a = (ctl & 0x40) != 0 ? &plain : &agent;
  uint8_t buf[1024];
  StunMessage msg{};
  StunTransactionId id;
  static_assert(sizeof(id) == 16);
  const uint8_t cookie[4] = {0x21, 0x12, 0xa4, 0x42};  // RFC 5389: the id's first 4 bytes
  std::memcpy(id, cookie, 4);
  for (int i = 4; i < 16; ++i) {
    id[i] = static_cast<uint8_t>(i * 37 + bytes.size());
  }
  const auto method = (ctl & 4) != 0 ? STUN_ALLOCATE : STUN_BINDING;
  msg.buffer = buf;
  msg.buffer_len = sizeof(buf);
  msg.agent = a;
  if (!stun_message_init(&msg, static_cast<StunClass>(ctl & 3), method, id)) {
    return {};
  }
  if ((ctl & 8) == 0) {
    const std::string user = std::string(kIceLocalUfrag) + ":" + kIceRemoteUfrag;
    stun_message_append_bytes(&msg, STUN_ATTRIBUTE_USERNAME, user.data(), user.size());
  }
  if ((ctl & 0x80) != 0) {
    stun_message_append_flag(&msg, STUN_ATTRIBUTE_USE_CANDIDATE);
  }
  size_t off = 1;
  while (off + 3 <= bytes.size()) {
    const auto type = static_cast<uint16_t>((bytes[off] << 8) | bytes[off + 1]);
    size_t len = bytes[off + 2];
    off += 3;
    len = len < bytes.size() - off ? len : bytes.size() - off;
    if (type != STUN_ATTRIBUTE_MESSAGE_INTEGRITY && type != STUN_ATTRIBUTE_FINGERPRINT) {
      stun_message_append_bytes(&msg, static_cast<StunAttribute>(type), bytes.data() + off, len);
    }
    off += len;
  }
  static const char kWrong[] = "not-the-password-at-all";
  const char* key = (ctl & 0x10) != 0 ? kWrong : kIceLocalPwd;
  const size_t key_len = (ctl & 0x20) != 0 ? 0 : std::strlen(key);
  size_t n = stun_agent_finish_message(
      a, &msg, key_len != 0 ? reinterpret_cast<const uint8_t*>(key) : nullptr, key_len);
  stun_agent_forget_transaction(a, id);
  return std::vector<uint8_t>(buf, buf + n);
}

void checkSent(Harness& h, const Leg* legs) {
  for (uint32_t iface = 0; iface < 2; ++iface) {
    for (const auto& f : h.tx(iface)) {
      PacketInfo pi;
      if (parseFrame(f.data(), static_cast<uint32_t>(f.size()), &pi) != kNoDrop) {
        std::abort();  // the worker built a frame it would itself refuse
      }
      const uint8_t* p = f.data() + pi.payload_off;
      bool from_ice_port = iface == 0 && pi.kind == PktKind::Udp &&
                           (pi.src_port == legs[0].wan_port || pi.src_port == legs[1].wan_port);
      if (from_ice_port && pi.payload_len > 0 && p[0] <= 3) {
        // A STUN answer: one well-formed message, a response or an error response.
        if (stun_message_validate_buffer_length(p, pi.payload_len, true) !=
                static_cast<int>(pi.payload_len) ||
            (p[0] & 0x01) == 0) {
          std::abort();
        }
      }
    }
  }
  std::vector<std::vector<uint8_t>> punted;
  h.punted(&punted);
  h.events();
}

void ageConsent(Harness& h) {
  LcoreCtx& ctx = h.ctx();
  for (uint32_t i = 0; i < ctx.flows.capacity(); ++i) {
    IceState& s = ctx.ice.states[i];
    s.last_check_ns = s.last_check_ns > 60'000'000'000ull ? s.last_check_ns - 60'000'000'000ull : 0;
  }
  ctx.next_idle_tsc = 0;
}

void runInput(const uint8_t* data, size_t size) {
  Harness h(16);
  if (h.hello() != abi::kOk) {
    std::abort();
  }
  const uint8_t setup = data[0];
  if ((setup & 1) != 0) {
    h.learnPeers();
  }
  const Leg legs[2] = {addLeg(h, setup, false), addLeg(h, setup, true)};
  size_t off = 1;
  while (off + 2 <= size) {
    const uint8_t selector = data[off];
    size_t len = data[off + 1];
    off += 2;
    len = len < size - off ? len : size - off;
    std::vector<uint8_t> bytes(data + off, data + off + len);
    off += len;
    if ((selector & 8) != 0) {
      ageConsent(h);
    }
    const uint32_t source = selector & 3;
    const Leg& leg = legs[source == 3 ? 1 : 0];
    if ((selector & 4) != 0) {
      bytes = signedRequest(bytes);
    }
    if ((selector & 16) != 0) {
      Addr lan_local = v4(198, 18, 4, 1);
      h.rx(1, udpFrame(h.lan().mac, kPeerLanMac, kPbx, lan_local, 6000, leg.lan_port, bytes));
    } else {
      const Addr& src = source == 3 ? kBrowser6 : source == 2 ? kStranger : kBrowser;
      Addr dst = source == 3 ? v6(0x2001, 2, 0, 2, 1) : v4(198, 18, 2, 1);
      const uint16_t sport = source == 1 ? 5001 : source == 2 ? 7777 : 5000;
      h.rx(0, udpFrame(h.wan().mac, kPeerWanMac, src, dst, sport, leg.wan_port, bytes));
    }
    h.pass();
    checkSent(h, legs);
  }
  if (std::getenv("RAMPART_STUN_FUZZ_STATS") != nullptr) {
    const WorkerStats& ws = *h.ctx().stats;
    for (uint32_t o = 0; o < kIceOutcomeCount; ++o) {
      std::fprintf(stderr, "%s=%llu ", iceOutcomeLabel(static_cast<IceOutcome>(o)),
                   static_cast<unsigned long long>(ws.ice_checks[o]));
    }
    std::fprintf(stderr, "selected=%llu consent_expired=%llu tx=%llu\n",
                 static_cast<unsigned long long>(ws.ice_selected),
                 static_cast<unsigned long long>(ws.ice_consent_expired),
                 static_cast<unsigned long long>(ws.ports[0].tx_packets + ws.ports[1].tx_packets));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 16384) {
    return 0;
  }
  if (!ensureEal()) {
    std::abort();
  }
  runInput(data, size);
  // The worker is gone and the rings drained: every mbuf is back in the pool.
  if (rte_mempool_in_use_count(testPool()) != 0) {
    std::abort();
  }
  return 0;
}
