#pragma once
// The control plane <-> dataplane contract: plain C-layout messages carried in the rings of
// the shared-memory region. This is the only message header both processes include.
//
// Rules (see docs/ARCHITECTURE.md "The shared-memory contract"):
//  - MsgType values are append-only and never renumbered or reused.
//  - A struct only grows at its end; growing one bumps kAbiMinor. Any other change bumps
//    kAbiMajor, and the handshake then refuses the other side with a clear message.
//  - Every message starts with MsgHeader; `size` is the sender's sizeof, so a receiver accepts
//    anything at least as large as the size it knows (newer sender) and rejects anything
//    smaller.
//  - tests/unit/platform/abi_layout_test.cc pins every size and offset.
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace rampart::abi {

inline constexpr uint16_t kAbiMajor = 1;
// 1: FlowAdd.clock_rate; 2: ICE-lite (FlowIce, events); 3: source drop list (BanAdd/Del/Clear);
// 4: transcoding (XcodeSetup); 5: SRTP stream state in FlowInfo (srtp_*_roc/seq/ssrc/engine);
// 6: RTCP round-trip inputs in FlowInfo (rtcp_sr_*, rtcp_rr_*); 7: DTMF interworking
// (DtmfReport, DtmfEvent, DtmfInject); 8: RTCP on the transcoder rings (kPacketXcRtcp,
// XcodeSetupSlot.reverse_flow); 9: XcodeRestart (a restarted transcoder, its setups replayed);
// 10: kPacketXcBye (the transcoder's last report with RTCP BYE when a transcoded flow ends);
// in-band DTMF reported as events (DtmfReport.inband, kPacketXcToneReport, kPacketXcTone);
// DtmfInject on relayed flows (event_pt, clock_rate)
inline constexpr uint16_t kAbiMinor = 10;
inline constexpr uint32_t kCmdSlotSize = 256;                 // command and event rings
inline constexpr uint32_t kPacketSlotSize = 2048;             // punt and inject rings
inline constexpr uint16_t kMaxPacket = kPacketSlotSize - 64;  // slot minus PacketSlot header

enum class MsgType : uint16_t {
  Hello = 1,            // cp -> dp: first message after attaching (per worker)
  HelloAck = 2,         // dp -> cp: handshake verdict
  FlowAdd = 3,          // cp -> dp: program one direction of one media leg
  FlowModify = 4,       // cp -> dp: replace the action of an existing flow (re-key, re-target)
  FlowDel = 5,          // cp -> dp: remove a flow, wiping its keys
  FlowQuery = 6,        // cp -> dp: ask for one flow's state and counters
  Ack = 7,              // dp -> cp: status of a command, by sequence
  FlowInfo = 8,         // dp -> cp: answer to FlowQuery, and one entry of a dump
  FlowDump = 9,         // cp -> dp: list every flow (resynchronisation after a cp restart)
  FlowDumpEnd = 10,     // dp -> cp: the dump is complete
  FlowIdle = 11,        // dp -> cp: no packet for the configured idle time
  SsrcChange = 12,      // dp -> cp: a flow saw a new SSRC
  FlowIce = 13,         // cp -> dp: ICE-lite credentials of a flow (replaces earlier ones)
  IceSelected = 14,     // dp -> cp: an authenticated USE-CANDIDATE check moved a flow's remote
  ConsentExpired = 15,  // dp -> cp: no valid ICE check for the consent timeout (RFC 7675)
  BanAdd = 16,          // cp -> dp: drop every packet from one source address (each worker)
  BanDel = 17,          // cp -> dp: lift one source's ban
  BanClear = 18,        // cp -> dp: lift every ban (a control plane that attaches resends its list)
  // 19: unused (answered kErrNotSup).
  XcodeSetup = 20,    // cp -> dp: route a flow's media through rampart-transcoder (1.4)
  DtmfReport = 21,    // cp -> dp: report (and optionally drop) a flow's RFC 4733 events (1.7)
  DtmfEvent = 22,     // dp -> cp: an RFC 4733 event on a flow has ended
  DtmfInject = 23,    // cp -> dp: send an RFC 4733 event on a transcoded flow's out leg
  XcodeRestart = 24,  // dp -> cp: a new rampart-transcoder attached; resend the XcodeSetups
  Count               // keep last
};

// Status codes carried in Ack/HelloAck (negative errno values, 0 = success). Append-only.
inline constexpr int32_t kOk = 0;
inline constexpr int32_t kErrProto = -71;    // EPROTO: incompatible ABI
inline constexpr int32_t kErrMsgSize = -90;  // EMSGSIZE: message shorter than known minimum
inline constexpr int32_t kErrInval = -22;    // EINVAL: bad field value
inline constexpr int32_t kErrNoSpace = -28;  // ENOSPC: flow table full
inline constexpr int32_t kErrNoEnt = -2;     // ENOENT: unknown flow handle / stale generation
inline constexpr int32_t kErrExist = -17;    // EEXIST: a flow with that match already exists
inline constexpr int32_t kErrNotSup = -95;   // EOPNOTSUPP: unknown message type or suite
// ENOBUFS (as Linux's neighbour-table overflow): the out leg's next hop needs a neighbour
// entry and every one is held by other flows or parked packets.
inline constexpr int32_t kErrNeighFull = -105;
// EBUSY: XcodeSetup found the transcoder's ring full, or the dataplane has no transcoder region.
inline constexpr int32_t kErrBusy = -16;

// Flow handle: slot index in the worker's flow table plus a generation, so a handle from a
// deleted flow never addresses its successor (no ABA).
struct FlowHandle {
  uint32_t index;
  uint32_t generation;
};
inline constexpr uint64_t packHandle(FlowHandle h) {
  return (static_cast<uint64_t>(h.generation) << 32) | h.index;
}
inline constexpr FlowHandle unpackHandle(uint64_t v) {
  return {static_cast<uint32_t>(v), static_cast<uint32_t>(v >> 32)};
}

struct MsgHeader {
  MsgType type;
  uint16_t size;  // bytes including this header
  uint32_t seq;   // assigned by the sender of a command; echoed in its Ack
  uint64_t flow;  // packHandle(), 0 when not about one flow
};

struct Hello {
  MsgHeader hdr;
  uint16_t abi_major;
  uint16_t abi_minor;
  uint32_t cp_pid;
  uint64_t dp_epoch_seen;  // epoch the cp read from the region header
  uint16_t msg_size[static_cast<std::size_t>(MsgType::Count)];  // sender's sizeof per type
};

struct HelloAck {
  MsgHeader hdr;
  int32_t status;  // kOk or kErrProto / kErrMsgSize
  uint16_t abi_major;
  uint16_t abi_minor;
  uint64_t dp_epoch;
  uint32_t worker;
  uint32_t flows_live;  // how many flows this worker holds (a new cp dumps them)
  char reason[96];      // NUL-terminated, for the log when status != kOk
};

struct Ack {
  MsgHeader hdr;  // seq and flow echo the command
  int32_t status;
  uint16_t cmd_type;  // MsgType of the command acknowledged
  uint16_t _pad;
};

enum class SrtpSuite : uint8_t {
  None = 0,  // plain RTP
  AesCm128HmacSha1_80 = 1,
  AesCm128HmacSha1_32 = 2,
  AeadAes128Gcm = 3,
  AeadAes256Gcm = 4,
};

struct SrtpParams {
  SrtpSuite suite;
  uint8_t key_len;  // master key + salt bytes
  uint8_t _pad[2];
  uint8_t key[48];
};

struct Endpoint {
  uint8_t addr[16];  // IPv4 in the first 4 bytes
  uint16_t port;     // host byte order
  uint8_t _pad[2];
};

// Flow flags.
inline constexpr uint16_t kFlowLatch = 1u << 0;      // learn the remote from the first
                                                     // authenticated packet
inline constexpr uint16_t kFlowRtcpMuxIn = 1u << 1;  // RTCP arrives on the RTP port
inline constexpr uint16_t kFlowRtcpOnly = 1u << 2;   // this flow is a separate RTCP port
inline constexpr uint16_t kFlowIpv6 = 1u << 3;
inline constexpr uint16_t kFlowVideo = 1u << 4;    // video: realm's video DSCP by default
inline constexpr uint16_t kFlowOutIpv6 = 1u << 5;  // the out leg is IPv6 (kFlowIpv6: in leg)
// DTLS-SRTP: media is dropped (counted) until a FlowModify without this flag brings the keys,
// so nothing is forwarded before the handshake has verified the peer.
inline constexpr uint16_t kFlowAwaitKeys = 1u << 6;

// FlowAdd.dscp value meaning "the realm's default for the media kind" (audio EF, video AF41).
inline constexpr uint8_t kDscpRealmDefault = 0xff;

// One direction of one media leg: match packets arriving at `in_local` from `in_remote` on
// port `in_port`, apply the SRTP action, send from `out_local` to `out_remote` on `out_port`.
struct FlowAdd {
  MsgHeader hdr;  // hdr.flow = 0 on add; the Ack carries the handle
  uint16_t in_port;
  uint16_t out_port;
  uint16_t flags;
  uint8_t dscp;
  uint8_t _pad0;
  Endpoint in_local;
  Endpoint in_remote;  // port 0 with kFlowLatch: learn
  Endpoint out_local;
  Endpoint out_remote;
  uint16_t out_rtcp_local_port;  // 0: RTCP leaves like RTP (rtcp-mux on the out leg)
  uint16_t out_rtcp_remote_port;
  uint16_t latch_window_ms;
  uint16_t idle_timeout_s;  // 0: the dataplane default
  uint32_t ssrc_rewrite;    // 0: keep the SSRC
  uint32_t _pad1;
  SrtpParams srtp_in;   // suite None: input is plain RTP
  SrtpParams srtp_out;  // suite None: output is plain RTP
  uint64_t cookie;      // opaque to the dataplane (the cp's call/leg id)
  // Appended in 1.1.
  uint32_t clock_rate;  // RTP clock in Hz for RFC 3550 jitter; 0: 8000
  uint32_t _pad2;
};

// FlowModify has the same body as FlowAdd, addressed by hdr.flow.
using FlowModify = FlowAdd;

struct FlowDel {
  MsgHeader hdr;  // hdr.flow addresses the flow
};

struct FlowQuery {
  MsgHeader hdr;
};

struct FlowDump {
  MsgHeader hdr;
};

// BanAdd, BanDel and BanClear (which ignores the address). Banned sources' packets are dropped
// on arrival, before any flow lookup or crypto, counted as DropReason "banned".
struct BanMsg {
  MsgHeader hdr;
  uint8_t addr[16];  // IPv4 in the first 4 bytes
  uint8_t family;    // 4 or 6
  uint8_t _pad[7];
};

inline constexpr uint32_t kRtcpSrSlots = 4;  // sender reports a flow remembers for RTT

struct FlowInfo {
  MsgHeader hdr;  // hdr.flow = handle, hdr.seq = the query's/dump's seq
  uint64_t cookie;
  uint16_t in_port;
  uint16_t flags;
  uint32_t ssrc_in;
  Endpoint in_local;
  Endpoint in_remote;  // the latched remote once learned
  uint64_t packets;
  uint64_t bytes;
  uint64_t drops;
  uint64_t last_seen_ns;
  uint32_t rtp_lost;
  uint32_t jitter_ts;  // RFC 3550 interarrival jitter, timestamp units
  // Appended in 1.5: SRTP stream state, so another node can resume the stream (RFC 3711
  // index = roc << 16 | seq). srtp_*_engine: kSrtpEngine*.
  uint8_t srtp_in_engine;
  uint8_t srtp_out_engine;
  uint16_t srtp_in_seq;  // highest authenticated sequence number (inbound)
  uint32_t srtp_in_roc;
  uint32_t srtp_out_roc;
  uint16_t srtp_out_seq;  // highest sequence number protected (outbound)
  uint16_t _pad2;
  uint32_t srtp_in_ssrc;  // the SSRC these figures belong to (the most recent one)
  uint32_t srtp_out_ssrc;
  // Appended in 1.6: RFC 3550 section 6.4.1 round-trip inputs from the RTCP this flow relayed
  // (times: CLOCK_MONOTONIC in microseconds, modulo 2^32). The control plane pairs the report
  // blocks one party sends (rtcp_rr_*) with the sender reports forwarded to it on the leg's
  // other flow (rtcp_sr_*): RTT = rtcp_rr_at_us - rtcp_sr_at_us[i] where rtcp_rr_lsr ==
  // rtcp_sr_mid[i].
  uint32_t rtcp_sr_mid[kRtcpSrSlots];    // NTP middle 32 bits of the last SRs forwarded, 0: none
  uint32_t rtcp_sr_at_us[kRtcpSrSlots];  // when each was forwarded
  uint32_t rtcp_rr_lsr;                  // LSR of the last report block received, 0: none
  uint32_t rtcp_rr_at_us;                // its arrival minus its DLSR
};
inline constexpr uint8_t kSrtpEngineNone = 0;  // plain RTP
inline constexpr uint8_t kSrtpEngineFast = 1;  // dataplane fast path (intel-ipsec-mb)
inline constexpr uint8_t kSrtpEngineLibsrtp =
    2;  // libsrtp2 (forced, or a case the fast path lacks)

struct FlowDumpEnd {
  MsgHeader hdr;
  uint32_t flows;
  uint32_t _pad;
};

struct FlowIdle {
  MsgHeader hdr;
  uint64_t cookie;
  uint32_t idle_s;
  uint32_t _pad;
};

struct SsrcChange {
  MsgHeader hdr;
  uint64_t cookie;
  uint32_t old_ssrc;
  uint32_t new_ssrc;
};

// ICE-lite (RFC 8445 section 2.5) for the flow in hdr.flow, the one receiving the browser's
// checks. The worker answers Binding requests whose USERNAME is "local_ufrag:remote_ufrag" and
// whose MESSAGE-INTEGRITY verifies with local_pwd. An authenticated check carrying
// USE-CANDIDATE makes its source the flow's remote and `paired_flow`'s out_remote (the flow
// sending toward the browser, on the same worker). A FlowModify keeps the ICE state and the
// selected address. Lengths of 0 for remote_ufrag skip its check (a ufrag longer than 32).
struct FlowIce {
  MsgHeader hdr;
  uint64_t paired_flow;        // packHandle(), 0: none
  uint16_t consent_timeout_s;  // 0: 30 (RFC 7675)
  uint8_t local_ufrag_len;
  uint8_t local_pwd_len;
  uint8_t remote_ufrag_len;
  uint8_t _pad[3];
  char local_ufrag[32];
  char local_pwd[64];
  char remote_ufrag[32];
};

struct IceSelected {
  MsgHeader hdr;  // hdr.flow: the flow whose remote moved
  uint64_t cookie;
  Endpoint remote;  // the checked source address
  uint8_t family;   // 4 or 6
  uint8_t _pad[3];
};

struct ConsentExpired {
  MsgHeader hdr;
  uint64_t cookie;
  uint32_t silent_s;  // seconds since the last valid check
  uint32_t _pad;
};

// Transcoding (ABI 1.3). One side of a transcoded direction: what arrives on the flow
// (`from`) or what leaves toward the other leg (`to`).
enum class XcodeCodecId : uint8_t { None = 0, Pcmu = 1, Pcma = 2, G722 = 3, Opus = 4 };
inline constexpr uint8_t kXcOpusFec = 1u << 0;     // useinbandfec=1 (send FEC; use it on input)
inline constexpr uint8_t kXcOpusDtx = 1u << 1;     // usedtx=1
inline constexpr uint8_t kXcOpusStereo = 1u << 2;  // stereo=1
struct XcodeCodec {
  XcodeCodecId codec;
  uint8_t payload_type;        // 0-127
  uint8_t channels;            // 1 or 2 (Opus only)
  uint8_t ptime_ms;            // 10, 20, 30, 40 (encoder frame); 0: 20
  uint32_t clock_rate;         // RTP clock in Hz (Opus 48000, G.722 8000, G.711 8000)
  uint8_t dtmf_pt;             // telephone-event PT at this clock rate; 0: none
  uint8_t opus_flags;          // kXcOpus*
  uint16_t bitrate_kbps;       // Opus encoder target; 0: 32
  uint32_t max_playback_rate;  // Opus maxplaybackrate; 0: 48000
};

// hdr.flow: the flow whose arriving media is transcoded before it leaves by that flow's out
// action. A setup on a flow that already has one replaces it (codec change in a re-INVITE).
// `from.codec = None` stops transcoding (the flow relays again).
struct XcodeSetup {
  MsgHeader hdr;
  uint64_t cookie;
  XcodeCodec from;
  XcodeCodec to;
  uint32_t out_ssrc;  // SSRC of the transcoded stream on the other leg; 0: the worker picks
  uint32_t _pad;
};

// DTMF interworking (ABI 1.7), RFC 4733 <-> SIP INFO. hdr.flow: the flow whose arriving
// telephone-events (payload type `event_pt`, 0: stop) are reported as DtmfEvent when each
// ends; with `drop` set they are not forwarded (the other leg hears them as SIP INFO), counted
// as the drop dtmf_signalled. With `inband` set (ABI 1.10) the digits rampart-transcoder
// detects as tones in the flow's G.711 input are reported the same way (DtmfEvent, once per
// digit at its end) and sent to neither leg as RFC 4733 events; event_pt may then be 0.
struct DtmfReport {
  MsgHeader hdr;
  uint8_t event_pt;
  uint8_t drop;
  uint8_t inband;
  uint8_t _pad[5];
};

// A worker saw rampart-transcoder attach again (XcodeStats.attached_ns changed): the codec
// state of every transcoded flow of that worker is gone and the control plane sends their
// XcodeSetups again. hdr.flow 0.
struct XcodeRestart {
  MsgHeader hdr;
  uint64_t attached_ns;  // the new transcoder's attach time (its CLOCK_MONOTONIC)
};

struct DtmfEvent {
  MsgHeader hdr;  // hdr.flow: the flow the event arrived on
  uint64_t cookie;
  uint32_t rtp_ts;      // the event's RTP timestamp (one event per timestamp)
  uint16_t duration;    // in the flow's RTP clock units (FlowAdd.clock_rate)
  uint8_t event;        // 0-15: 0-9, *, #, A-D
  uint8_t volume;       // -dBm0
  uint32_t clock_rate;  // the flow's RTP clock (0: unknown; 8000 assumed)
  uint32_t _pad;
};

// hdr.flow: a transcoded flow, whose rampart-transcoder sends the event on the flow's out leg
// with its telephone-event PT, paced with the audio (start, updates, three end packets); or
// (minor 10) a relayed flow, where the worker sends the event itself with `event_pt` and
// `clock_rate` in the stream's SSRC, shifting the relayed sequence numbers after it.
struct DtmfInject {
  MsgHeader hdr;
  uint8_t event;   // 0-15
  uint8_t volume;  // -dBm0 (0-63)
  uint16_t duration_ms;
  uint32_t _pad;
  uint8_t event_pt;  // relayed flows: the out leg's telephone-event PT (0: refused)
  uint8_t _pad2[3];
  uint32_t clock_rate;  // relayed flows: its clock (0: the flow's clock, else 8000)
};

// Punt (dp -> cp) and inject (cp -> dp) rings carry one packet per slot: this header, then the
// UDP payload.
struct PacketSlot {
  uint16_t len;    // payload bytes
  uint16_t port;   // port position in config order (as FlowAdd.in_port), not a DPDK id
  uint8_t family;  // 4 or 6
  uint8_t kind;    // kPacketStun / kPacketDtls (punt); ignored on inject
  uint8_t _pad[2];
  Endpoint local;   // Rampart's address:port
  Endpoint remote;  // the peer's address:port
  uint64_t flow;    // handle of the flow whose port received it, 0 if none
};
// PacketSlot.kind (append-only; 3 is reserved: an "other" kind was declared, never sent).
inline constexpr uint8_t kPacketStun = 1;
inline constexpr uint8_t kPacketDtls = 2;
// Kinds on the transcoder rings (<shm>.xc region, ABI 1.3). flow = the transcoded flow.
inline constexpr uint8_t kPacketXcRtp = 20;       // plain RTP (dp -> xc: arrived; xc -> dp: send)
inline constexpr uint8_t kPacketXcSetup = 21;     // dp -> xc: payload is the XcodeSetup
inline constexpr uint8_t kPacketXcTeardown = 22;  // dp -> xc: free the flow's codec state
// Plain RTCP (ABI 1.8). dp -> xc: arrived from the peer the flow receives from (rtcp-mux or
// its separate RTCP port); xc -> dp: Rampart's own report, sent by the flow's out action.
inline constexpr uint8_t kPacketXcRtcp = 23;
inline constexpr uint8_t kPacketXcDtmf = 24;  // dp -> xc: payload is the DtmfInject
// xc -> dp (ABI 1.10): the answer to a teardown, Rampart's last compound RTCP on the flow's out
// leg (SR/RR, SDES, BYE; RFC 3550 6.6). The worker sends it like kPacketXcRtcp, through the
// out action it kept for the purpose when the teardown came from a FlowDel.
inline constexpr uint8_t kPacketXcBye = 25;
// dp -> xc (ABI 1.10): payload one byte, 1: report the digits detected in-band on the flow's
// input instead of sending them as events (DtmfReport.inband), 0: stop. The worker sends it
// after DtmfReport and after every setup of a flow that has it set.
inline constexpr uint8_t kPacketXcToneReport = 26;
// xc -> dp (ABI 1.10): payload XcTone, a digit that ended on the flow's input; the worker
// posts it as the flow's DtmfEvent when the flow reports in-band digits.
inline constexpr uint8_t kPacketXcTone = 27;

struct XcTone {
  uint32_t rtp_ts;      // the event's timestamp (its onset, output clock)
  uint32_t clock_rate;  // the clock of `duration`
  uint16_t duration;    // how long the tone lasted
  uint8_t event;        // 0-15
  uint8_t volume;       // -dBm0
};
// Payload of a kPacketXcSetup slot (ABI 1.8; before it, the XcodeSetup alone). The worker
// names the flow carrying the call's other transcoded direction, so the transcoder can pair
// the two sessions that make up one leg's RTCP (docs/ARCHITECTURE.md, "Transcoding").
struct XcodeSetupSlot {
  XcodeSetup setup;
  uint64_t reverse_flow;  // handle of the reverse transcoded flow on the same worker; 0: none
};

// Minimum accepted sizes, indexed by MsgType.
constexpr uint16_t minSize(MsgType t) {
  switch (t) {
    case MsgType::Hello: return sizeof(Hello);
    case MsgType::HelloAck: return sizeof(HelloAck);
    case MsgType::FlowAdd: return sizeof(FlowAdd);
    case MsgType::FlowModify: return sizeof(FlowModify);
    case MsgType::FlowDel: return sizeof(FlowDel);
    case MsgType::FlowQuery: return sizeof(FlowQuery);
    case MsgType::Ack: return sizeof(Ack);
    case MsgType::FlowInfo: return sizeof(FlowInfo);
    case MsgType::FlowDump: return sizeof(FlowDump);
    case MsgType::FlowDumpEnd: return sizeof(FlowDumpEnd);
    case MsgType::FlowIdle: return sizeof(FlowIdle);
    case MsgType::SsrcChange: return sizeof(SsrcChange);
    case MsgType::FlowIce: return sizeof(FlowIce);
    case MsgType::IceSelected: return sizeof(IceSelected);
    case MsgType::ConsentExpired: return sizeof(ConsentExpired);
    case MsgType::BanAdd:
    case MsgType::BanDel:
    case MsgType::BanClear: return sizeof(BanMsg);
    case MsgType::XcodeSetup: return sizeof(XcodeSetup);
    case MsgType::DtmfReport: return sizeof(DtmfReport);
    case MsgType::DtmfEvent: return sizeof(DtmfEvent);
    case MsgType::DtmfInject: return sizeof(DtmfInject);
    case MsgType::XcodeRestart: return sizeof(XcodeRestart);
    case MsgType::Count: break;
  }
  return 0;
}

template <typename T>
inline constexpr bool kIsWireType = std::is_trivially_copyable_v<T>&& std::is_standard_layout_v<T>;
static_assert(kIsWireType<Hello> && kIsWireType<HelloAck> && kIsWireType<FlowAdd> &&
              kIsWireType<Ack> && kIsWireType<FlowInfo> && kIsWireType<PacketSlot>);
static_assert(sizeof(Hello) <= kCmdSlotSize && sizeof(HelloAck) <= kCmdSlotSize &&
              sizeof(FlowAdd) <= kCmdSlotSize && sizeof(FlowInfo) <= kCmdSlotSize);
static_assert(kIsWireType<FlowIce> && kIsWireType<IceSelected> && kIsWireType<ConsentExpired>);
static_assert(sizeof(FlowIce) <= kCmdSlotSize);
static_assert(kIsWireType<BanMsg> && sizeof(BanMsg) <= kCmdSlotSize);
static_assert(kIsWireType<XcodeSetup> && sizeof(XcodeSetup) <= kCmdSlotSize);
static_assert(kIsWireType<XcodeSetupSlot> && sizeof(XcodeSetupSlot) <= kMaxPacket);
static_assert(kIsWireType<DtmfReport> && kIsWireType<DtmfEvent> && kIsWireType<DtmfInject>);
static_assert(kIsWireType<XcodeRestart>);
static_assert(kIsWireType<XcTone> && sizeof(XcTone) <= kMaxPacket);
static_assert(sizeof(PacketSlot) + kMaxPacket <= kPacketSlotSize);

// Fills a Hello for this build.
Hello makeHello(uint32_t seq, uint32_t cp_pid, uint64_t epoch_seen);

// Checks a peer's Hello against this build. Returns kOk, or kErrProto / kErrMsgSize with a
// reason written to `reason` (NUL-terminated, at most reason_len bytes).
int32_t checkHello(const Hello& hello, std::size_t received_bytes, char* reason,
                   std::size_t reason_len);

// Checks that a received command slot is a known type of acceptable size. Returns kOk,
// kErrNotSup (unknown type) or kErrMsgSize.
int32_t checkHeader(const MsgHeader& hdr, std::size_t slot_size);

const char* msgTypeName(MsgType t);

}  // namespace rampart::abi
