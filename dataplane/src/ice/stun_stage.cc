#include "ice/stun_stage.h"

#include <netinet/in.h>
#include <strings.h>
#include <cstring>

#include <stun/stunagent.h>
#include <stun/stunmessage.h>

#include "pkt/bytes.h"
#include "worker/egress.h"
#include "worker/neighbour_resolution.h"
#include "worker/post_event.h"

namespace rampart::dp {
namespace {

// Attributes whose meaning we know; any other comprehension-required one (below 0x8000) in an
// authenticated request is answered with 420 by libnice's agent.
const uint16_t kKnownAttributes[] = {
    STUN_ATTRIBUTE_USERNAME,           STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
    STUN_ATTRIBUTE_ERROR_CODE,         STUN_ATTRIBUTE_PRIORITY,
    STUN_ATTRIBUTE_USE_CANDIDATE,      STUN_ATTRIBUTE_FINGERPRINT,
    STUN_ATTRIBUTE_ICE_CONTROLLED,     STUN_ATTRIBUTE_ICE_CONTROLLING,
    STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, 0};

// A success response is 20 + 24 (XOR-MAPPED-ADDRESS, IPv6) + 24 (MESSAGE-INTEGRITY) + 8
// (FINGERPRINT) bytes; error responses add a reason phrase or the unknown attributes.
constexpr size_t kReplyMax = 512;

constexpr const char* kOutcomeLabels[] = {
#define X(name, label) label,
#include "stats/ice_outcomes.def"
#undef X
};
static_assert(kIceOutcomeCount <= kMaxIceOutcomeSlots, "ice_outcomes.def outgrew its slots");

void count(LcoreCtx& ctx, IceOutcome o) { bump(ctx.stats->ice_checks[static_cast<uint32_t>(o)]); }

void dropStun(LcoreCtx& ctx, const Iface& in, uint32_t index, rte_mbuf* m, IceOutcome o,
              DropReason r) {
  count(ctx, o);
  ctx.drop(in.index, r);
  bump(ctx.flow_stats[index].drops);
  rte_pktmbuf_free(m);
}

bool sameAddress(const uint8_t* a, uint16_t a_port, const PacketInfo& pi) {
  return a_port == pi.src_port && std::memcmp(a, pi.src, pi.family == 4 ? 4 : 16) == 0;
}

bool fromRemote(const FlowEntry& f, const PacketInfo& pi) {
  return f.remote_known && sameAddress(f.remote, f.remote_port, pi);
}

// libnice's MESSAGE-INTEGRITY key lookup: USERNAME must be "local_ufrag:remote_ufrag" (the
// remote part checked when programmed); the key is local_pwd (RFC 8445 section 7.2.2).
struct Credentials {
  const IceState* s;
  bool ufrag_known;  // USERNAME matched: a failure after this is bad integrity
};

bool lookupKey(StunAgent* /*agent*/, StunMessage* /*msg*/, uint8_t* username, uint16_t username_len,
               uint8_t** password, size_t* password_len, void* user_data) {
  auto* c = static_cast<Credentials*>(user_data);
  const IceState& s = *c->s;
  const uint32_t lu = s.local_ufrag_len;
  if (username == nullptr || username_len <= lu || username[lu] != ':' ||
      std::memcmp(username, s.local_ufrag, lu) != 0) {
    return false;
  }
  const uint32_t ru = username_len - lu - 1;
  if (s.remote_ufrag_len != 0 &&
      (ru != s.remote_ufrag_len || std::memcmp(username + lu + 1, s.remote_ufrag, ru) != 0)) {
    return false;
  }
  c->ufrag_known = true;
  *password = reinterpret_cast<uint8_t*>(const_cast<char*>(s.local_pwd));
  *password_len = s.local_pwd_len;
  return true;
}

// Media toward the browser leaves with the paired flow's DSCP; without one, the realm's.
uint8_t replyTos(LcoreCtx& ctx, const Iface& in, const FlowEntry& f, const IceState& s) {
  const FlowEntry* p = s.paired != 0 ? ctx.flows.get(s.paired) : nullptr;
  if (p != nullptr) {
    return p->tos;
  }
  uint8_t dscp = (f.flags & abi::kFlowVideo) != 0 ? in.dscp_video : in.dscp_audio;
  return static_cast<uint8_t>(dscp << 2);
}

// Sends `reply` from the flow's local address:port to the check's source, reusing `m`, through
// the arrival port's neighbour table like media (a new address is resolved, the reply parked
// meanwhile).
void sendReply(LcoreCtx& ctx, const Iface& in, rte_mbuf* m, const PacketInfo& pi, uint32_t index,
               const uint8_t* reply, size_t len, uint8_t tos, IceOutcome o) {
  uint8_t nh_ip[16];
  if (!nextHopAddress(in, pi.family, pi.src, nh_ip)) {
    dropStun(ctx, in, index, m, o, DropReason::NoRoute);
    return;
  }
  uint16_t nh = neighbourFor(ctx, pi.family, in.index, nh_ip);
  if (nh == kNoNeigh) {
    dropStun(ctx, in, index, m, o, DropReason::NoNeighbour);
    return;
  }
  uint32_t cap =
      static_cast<uint32_t>(rte_pktmbuf_tailroom(m)) + rte_pktmbuf_data_len(m) - pi.payload_off;
  if (len > cap) {
    dropStun(ctx, in, index, m, o, DropReason::NoMbuf);  // never with default mbufs
    return;
  }
  std::memcpy(rte_pktmbuf_mtod(m, uint8_t*) + pi.payload_off, reply, len);
  m->data_len = static_cast<uint16_t>(pi.payload_off + len);
  m->pkt_len = m->data_len;
  L4Tuple t{pi.family, tos, pi.dst_port, pi.src_port, pi.dst, pi.src};
  if (!writeUdpHeaders(ctx, in, m, pi.payload_off, t)) {
    dropStun(ctx, in, index, m, o, DropReason::NoRoute);
    return;
  }
  count(ctx, o);
  sendViaNeighbour(ctx, in.index, nh, m);
}

void replyError(LcoreCtx& ctx, const Iface& in, rte_mbuf* m, const PacketInfo& pi, uint32_t index,
                StunMessage& req, StunError code, uint8_t tos, IceOutcome o) {
  uint8_t reply[kReplyMax];
  StunMessage resp{};
  // The agent signs the error with the request's key when the request authenticated, and
  // leaves MESSAGE-INTEGRITY out otherwise (RFC 5389 section 10.1.2).
  size_t n = 0;
  if (stun_agent_init_error(&ctx.ice.agent, &resp, reply, sizeof(reply), &req, code)) {
    n = stun_agent_finish_message(&ctx.ice.agent, &resp, nullptr, 0);
  }
  if (n == 0) {
    dropStun(ctx, in, index, m, IceOutcome::Malformed, DropReason::StunMalformed);
    return;
  }
  sendReply(ctx, in, m, pi, index, reply, n, tos, o);
}

void postSelected(LcoreCtx& ctx, const FlowEntry& f, uint32_t index, const PacketInfo& pi) {
  auto ev = flowEvent<abi::IceSelected>(ctx, abi::MsgType::IceSelected, f, index);
  std::memcpy(ev.remote.addr, pi.src, pi.family == 4 ? 4 : 16);
  ev.remote.port = pi.src_port;
  ev.family = pi.family;
  postEvent(ctx, ev);
}

// An authenticated USE-CANDIDATE check: its source becomes the flow's remote (strict source
// from now on) and the paired flow's out_remote, with the next hop it needs. @return false when
// the paired flow's next hop cannot be had (neighbour table full): nothing changes then.
bool selectRemote(LcoreCtx& ctx, FlowEntry& f, uint32_t index, IceState& s, const PacketInfo& pi) {
  const uint32_t alen = pi.family == 4 ? 4 : 16;
  bool changed = !fromRemote(f, pi);
  FlowEntry* p = s.paired != 0 ? ctx.flows.get(s.paired) : nullptr;
  if (p != nullptr && p->out_family == pi.family && !sameAddress(p->out_remote, p->out_rport, pi)) {
    uint8_t nh_ip[16];
    if (!nextHopAddress(ctx.ifaces->ifaces[p->out_iface], pi.family, pi.src, nh_ip)) {
      return false;
    }
    uint16_t nh = neighbourFor(ctx, pi.family, p->out_iface, nh_ip);
    if (nh == kNoNeigh) {
      return false;
    }
    ctx.neigh.at(nh).refs++;
    if (p->neigh != kNoNeigh) {
      ctx.neigh.unref(p->neigh);
    }
    p->neigh = nh;
    std::memset(p->out_remote, 0, 16);
    std::memcpy(p->out_remote, pi.src, alen);
    p->out_rport = pi.src_port;
    ctx.ice.states[ctx.flows.indexOf(p)].out_selected = true;
    changed = true;
  }
  std::memset(f.remote, 0, 16);
  std::memcpy(f.remote, pi.src, alen);
  f.remote_port = pi.src_port;
  f.remote_known = true;
  f.latch_deadline_tsc = 0;
  s.selected = true;
  s.last_check_ns = ctx.now_ns;
  s.consent_reported = false;
  if (changed) {
    bump(ctx.stats->ice_selected);
    postSelected(ctx, f, index, pi);
  }
  return true;
}

void toSockaddr(const PacketInfo& pi, sockaddr_storage* ss, socklen_t* len) {
  std::memset(ss, 0, sizeof(*ss));
  if (pi.family == 4) {
    auto* a = reinterpret_cast<sockaddr_in*>(ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(pi.src_port);
    std::memcpy(&a->sin_addr, pi.src, 4);
    *len = sizeof(sockaddr_in);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(pi.src_port);
    std::memcpy(&a->sin6_addr, pi.src, 16);
    *len = sizeof(sockaddr_in6);
  }
}

}  // namespace

const char* iceOutcomeLabel(IceOutcome o) {
  auto i = static_cast<uint32_t>(o);
  return i < kIceOutcomeCount ? kOutcomeLabels[i] : "none";
}

void iceAgentInit(StunAgent* agent) {
  stun_debug_disable();  // libnice logs per message when enabled; hot paths never log
  stun_agent_init(agent, kKnownAttributes, STUN_COMPATIBILITY_RFC5389,
                  static_cast<StunAgentUsageFlags>(STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
                                                   STUN_AGENT_USAGE_USE_FINGERPRINT));
}

namespace {

// A request for a flow that runs ICE, in one segment; anything else is dropped here.
bool admitStun(LcoreCtx& ctx, const Iface& in, rte_mbuf* m, const uint8_t* pkt, uint32_t index) {
  if (!ctx.ice.states[index].active) {
    dropStun(ctx, in, index, m, IceOutcome::NoIceState, DropReason::NoIceState);
    return false;
  }
  // Class bits C1 (0x0100) and C0 (0x0010) of the message type: 00 is a request. Rampart
  // sends no requests, so no response or indication is expected.
  if ((load16(pkt) & 0x0110) != 0) {
    dropStun(ctx, in, index, m, IceOutcome::NotRequest, DropReason::StunNotRequest);
    return false;
  }
  if (m->nb_segs != 1) {
    dropStun(ctx, in, index, m, IceOutcome::Malformed, DropReason::Multiseg);
    return false;
  }
  return true;
}

// libnice's verdict on the request; false when it was answered or dropped here.
bool validateStun(LcoreCtx& ctx, const Iface& in, rte_mbuf* m, const PacketInfo& pi, uint32_t index,
                  StunValidationStatus v, const Credentials& cred, StunMessage& req, uint8_t tos) {
  switch (v) {
    case STUN_VALIDATION_SUCCESS: return true;
    case STUN_VALIDATION_UNAUTHORIZED_BAD_REQUEST:
      // USERNAME or MESSAGE-INTEGRITY missing: 400, unsigned.
      replyError(ctx, in, m, pi, index, req, STUN_ERROR_BAD_REQUEST, tos, IceOutcome::Malformed);
      return false;
    case STUN_VALIDATION_UNAUTHORIZED:
      // Unknown ufrag or wrong integrity. RFC 5389 would answer 401; an SBC does not answer
      // unauthenticated strangers (no reflection, no oracle for guessing credentials).
      dropStun(ctx, in, index, m,
               cred.ufrag_known ? IceOutcome::BadIntegrity : IceOutcome::UnknownUfrag,
               DropReason::IceUnauthenticated);
      return false;
    case STUN_VALIDATION_UNKNOWN_REQUEST_ATTRIBUTE: {
      uint8_t reply[kReplyMax];
      StunMessage resp{};
      size_t n = stun_agent_build_unknown_attributes_error(&ctx.ice.agent, &resp, reply,
                                                           sizeof(reply), &req);
      if (n == 0) {
        dropStun(ctx, in, index, m, IceOutcome::Malformed, DropReason::StunMalformed);
      } else {
        sendReply(ctx, in, m, pi, index, reply, n, tos, IceOutcome::UnknownAttribute);
      }
      return false;
    }
    default:
      // Not STUN, truncated, no magic cookie, FINGERPRINT missing or wrong: RFC 5389 section
      // 7.3 discards such a message silently.
      dropStun(ctx, in, index, m, IceOutcome::Malformed, DropReason::StunMalformed);
      return false;
  }
}

// A Binding request from a controlling agent with a PRIORITY; false when answered with an error.
bool checkIceRequest(LcoreCtx& ctx, const Iface& in, rte_mbuf* m, const PacketInfo& pi,
                     uint32_t index, StunMessage& req, uint8_t tos) {
  if (stun_message_get_method(&req) != STUN_BINDING) {
    replyError(ctx, in, m, pi, index, req, STUN_ERROR_BAD_REQUEST, tos, IceOutcome::Malformed);
    return false;
  }
  // Rampart is always the controlled (lite) agent: a peer that claims to be controlled too is
  // told to switch (RFC 8445 section 7.3.1.1).
  uint64_t tie = 0;
  if (stun_message_find64(&req, STUN_ATTRIBUTE_ICE_CONTROLLED, &tie) ==
      STUN_MESSAGE_RETURN_SUCCESS) {
    replyError(ctx, in, m, pi, index, req, STUN_ERROR_ROLE_CONFLICT, tos, IceOutcome::RoleConflict);
    return false;
  }
  uint32_t priority = 0;
  if (stun_message_find32(&req, STUN_ATTRIBUTE_PRIORITY, &priority) !=
          STUN_MESSAGE_RETURN_SUCCESS ||
      !stun_message_has_attribute(&req, STUN_ATTRIBUTE_ICE_CONTROLLING)) {
    replyError(ctx, in, m, pi, index, req, STUN_ERROR_BAD_REQUEST, tos, IceOutcome::Malformed);
    return false;
  }
  return true;
}

// The success response (XOR-MAPPED-ADDRESS, signed with the request's key); a nomination
// selects the pair, a check on the selected pair refreshes consent.
void answerCheck(LcoreCtx& ctx, const Iface& in, rte_mbuf* m, const PacketInfo& pi, FlowEntry& f,
                 uint32_t index, StunMessage& req, uint8_t tos) {
  IceState& s = ctx.ice.states[index];
  uint8_t reply[kReplyMax];
  StunMessage resp{};
  sockaddr_storage src;
  socklen_t src_len = 0;
  toSockaddr(pi, &src, &src_len);
  size_t n = 0;
  if (stun_agent_init_response(&ctx.ice.agent, &resp, reply, sizeof(reply), &req) &&
      stun_message_append_xor_addr(&resp, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &src, src_len) ==
          STUN_MESSAGE_RETURN_SUCCESS) {
    n = stun_agent_finish_message(&ctx.ice.agent, &resp, nullptr, 0);  // the request's key
  }
  if (n == 0) {
    dropStun(ctx, in, index, m, IceOutcome::Malformed, DropReason::StunMalformed);
    return;
  }
  const bool nominate = stun_message_has_attribute(&req, STUN_ATTRIBUTE_USE_CANDIDATE);
  if (nominate) {
    selectRemote(ctx, f, index, s, pi);
  } else if (s.selected && fromRemote(f, pi)) {
    // RFC 7675: a valid check on the selected pair refreshes consent.
    s.last_check_ns = ctx.now_ns;
    s.consent_reported = false;
  }
  sendReply(ctx, in, m, pi, index, reply, n, tos,
            nominate ? IceOutcome::Nominated : IceOutcome::Ok);
}

}  // namespace

// Order of the checks (RFC 5389 section 10.1.2, RFC 8445 section 7.3): class, then libnice's
// validation (FINGERPRINT, USERNAME and MESSAGE-INTEGRITY present, key lookup, integrity,
// unknown required attributes), then method, role and ICE attributes.
void handleStun(LcoreCtx& ctx, const Iface& in, rte_mbuf* m, const PacketInfo& pi, FlowEntry& f,
                uint32_t index) {
  const uint8_t* pkt = rte_pktmbuf_mtod(m, uint8_t*) + pi.payload_off;
  if (!admitStun(ctx, in, m, pkt, index)) {
    return;
  }
  IceState& s = ctx.ice.states[index];
  Credentials cred{&s, false};
  StunMessage req{};
  StunValidationStatus v =
      stun_agent_validate(&ctx.ice.agent, &req, pkt, pi.payload_len, lookupKey, &cred);
  const uint8_t tos = replyTos(ctx, in, f, s);
  if (validateStun(ctx, in, m, pi, index, v, cred, req, tos) &&
      checkIceRequest(ctx, in, m, pi, index, req, tos)) {
    answerCheck(ctx, in, m, pi, f, index, req, tos);
  }
}

bool dtlsAdmitted(const LcoreCtx& ctx, const FlowEntry& f, uint32_t index, const PacketInfo& pi) {
  return !ctx.ice.states[index].active || fromRemote(f, pi);
}

bool checkConsent(LcoreCtx& ctx, uint32_t index) {
  IceState& s = ctx.ice.states[index];
  if (!s.active || !s.selected || s.consent_reported) {
    return true;
  }
  const uint64_t timeout_ns = uint64_t{s.consent_timeout_s} * 1000000000ull;
  if (ctx.now_ns <= s.last_check_ns || ctx.now_ns - s.last_check_ns < timeout_ns) {
    return true;
  }
  const FlowEntry& f = ctx.flows.at(index);
  auto ev = flowEvent<abi::ConsentExpired>(ctx, abi::MsgType::ConsentExpired, f, index);
  ev.silent_s = static_cast<uint32_t>((ctx.now_ns - s.last_check_ns) / 1000000000ull);
  if (!postEvent(ctx, ev)) {
    return false;
  }
  s.consent_reported = true;  // once per silence; a new valid check re-arms it
  bump(ctx.stats->ice_consent_expired);
  return true;
}

int32_t applyFlowIce(LcoreCtx& ctx, const abi::FlowIce& m) {
  FlowEntry* e = ctx.flows.get(m.hdr.flow);
  if (e == nullptr) {
    return abi::kErrNoEnt;
  }
  if (m.local_ufrag_len < 1 || m.local_ufrag_len > sizeof(m.local_ufrag) || m.local_pwd_len < 22 ||
      m.local_pwd_len > sizeof(m.local_pwd) || m.remote_ufrag_len > sizeof(m.remote_ufrag)) {
    return abi::kErrInval;
  }
  if (m.paired_flow != 0) {
    // The flow sending toward the browser: on this worker, not this flow, and leaving from the
    // family the checks arrive in (its out_remote becomes a check's source).
    const FlowEntry* p = ctx.flows.get(m.paired_flow);
    if (p == nullptr || p == e || p->out_family != e->key.family) {
      return abi::kErrInval;
    }
  }
  IceState& s = ctx.ice.states[abi::unpackHandle(m.hdr.flow).index];
  // An ICE restart replaces the credentials; the selected remote and its consent clock stay
  // until a check with the new credentials nominates again.
  const bool keep = s.active;
  const bool selected = keep && s.selected;
  const bool reported = keep && s.consent_reported;
  const uint64_t last = keep ? s.last_check_ns : 0;
  const bool out_selected = s.out_selected;  // this flow's own out leg, if another's pair
  explicit_bzero(&s, sizeof(s));
  s.out_selected = out_selected;
  s.active = true;
  s.selected = selected;
  s.consent_reported = reported;
  s.last_check_ns = last;
  s.local_ufrag_len = m.local_ufrag_len;
  s.local_pwd_len = m.local_pwd_len;
  s.remote_ufrag_len = m.remote_ufrag_len;
  s.consent_timeout_s = m.consent_timeout_s != 0 ? m.consent_timeout_s : kDefaultConsentTimeoutS;
  s.paired = m.paired_flow;
  std::memcpy(s.local_ufrag, m.local_ufrag, m.local_ufrag_len);
  std::memcpy(s.local_pwd, m.local_pwd, m.local_pwd_len);
  std::memcpy(s.remote_ufrag, m.remote_ufrag, m.remote_ufrag_len);
  // Only an authenticated check moves the remote of an ICE flow: no latching window.
  e->latch_deadline_tsc = 0;
  return abi::kOk;
}

void clearIce(LcoreCtx& ctx, uint32_t index) {
  explicit_bzero(&ctx.ice.states[index], sizeof(IceState));
}

}  // namespace rampart::dp
