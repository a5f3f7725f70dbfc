#pragma once
// The dataplane's SRTP fast path: RFC 3711 / RFC 7714 framing done here over intel-ipsec-mb,
// with every bit of one direction's crypto state in one flat, cache-line-aligned record
// (FastSrtp) that the flow entry points at directly. libsrtp2 keeps a session in about a dozen
// small allocations reached through pointer chains; at 10,000 flows most of its per-packet cost
// is waiting on those cache misses. Here a packet touches the record's first lines (suite,
// limits, the RTP key schedule and HMAC states) and its SSRC slot, all prefetchable.
//
// AES-CM suites go through ipsec-mb's burst API: a burst's HMAC-SHA1 computations run as one
// multi-lane hash burst, the AES-CTR work as one cipher burst. Inbound, every tag is verified
// before any byte is decrypted; replay state is committed only for authenticated packets and in
// packet order, so duplicates inside one burst are caught too. AEAD-AES-GCM uses ipsec-mb's
// single-buffer VAES calls per packet. What the fast path does not cover (MKI, other suites)
// never gets here: SrtpCtx decides at FlowAdd and keeps libsrtp2 for it.
#include <cstdint>

#include <rampart/platform/abi.h>

#include "srtp/srtp_replay.h"
#include "stats/drop_reasons.h"

struct IMB_MGR;

namespace rampart::dp {

// SSRC streams tracked per direction. libsrtp2 keeps one stream per SSRC without bound; two
// cover a sender restarting its stream (old and new SSRC interleaved for a moment). A third
// SSRC that authenticates takes the least recently used slot.
inline constexpr uint32_t kFastSsrcSlots = 2;

struct SsrcSlot {
  uint32_t ssrc;
  uint32_t stamp;  // last use (FastSrtp::clock); 0: free
  RtpIndexState rtp;
  RtcpIndexState rtcp;
};

// AES-128 key schedule, HMAC-SHA1 inner/outer states and session salt of one of SRTP/SRTCP.
struct CmKeys {
  alignas(16) uint8_t aes[176];
  uint8_t ipad[20];
  uint8_t opad[20];
  uint8_t salt[14];
  uint8_t _pad[2];
};

struct alignas(64) FastSrtp {
  abi::SrtpSuite suite;
  uint8_t tag_len;        // SRTP tag: 10, 4 or 16
  uint8_t rtcp_tag_len;   // SRTCP tag: 10 or 16
  uint32_t clock;         // SSRC slot use counter
  uint64_t packets_left;  // RFC 3711 key lifetime (2^48 SRTP packets), counted down
  uint8_t gcm_salt[12];   // AEAD: SRTP session salt
  uint8_t gcm_rtcp_salt[12];
  uint8_t _pad[25];
  // The lines every SRTP packet touches come first and together (SrtpCtx::prefetch warms
  // them with the flow lookups): the header above, the RTP keys and the SSRC slots.
  CmKeys rtp;  // AES-CM suites
  SsrcSlot slots[kFastSsrcSlots];
  CmKeys rtcp;
};

// The record plus, for AEAD suites, ipsec-mb's precomputed GCM key data (about 1 KB each).
struct alignas(64) FastSrtpGcm : FastSrtp {
  alignas(64) uint8_t gcm_rtp[1024];
  alignas(64) uint8_t gcm_rtcp[1024];
};

// True when the fast path handles `suite` (all four abi suites, no MKI).
bool fastSrtpCovers(abi::SrtpSuite suite);
// Bytes to allocate for `suite` (FastSrtp or FastSrtpGcm).
uint32_t fastSrtpSize(abi::SrtpSuite suite);

// Derives the session keys (RFC 3711 section 4.3, key derivation rate 0) into `rec` (zeroed
// memory of fastSrtpSize bytes). @return abi::kOk or abi::kErrInval (key length).
int32_t fastSrtpInit(FastSrtp* rec, const abi::SrtpParams& params);

// The calling thread's ipsec-mb manager (allocated on first use; workers call it at start so
// the packet path never allocates). nullptr when ipsec-mb could not be set up.
IMB_MGR* fastSrtpMgr();
// The ipsec-mb code path in use ("avx512", "avx2", ...) and the library version.
const char* fastSrtpArch();
const char* fastSrtpVersion();

// One packet of a burst. `len` is updated in place; `capacity` bounds what protect may append.
struct FastOp {
  FastSrtp* rec;
  uint8_t* pkt;
  uint32_t len;
  uint32_t capacity;
  bool rtcp;
  DropReason result;
};

// Unprotect/protect a burst (RTP and RTCP mixed; each op's own record). Sets every op's
// result (kNoDrop on success) and len.
void fastUnprotectBurst(FastOp* ops, uint32_t n);
void fastProtectBurst(FastOp* ops, uint32_t n);

// The most recently used SSRC's stream state (for FlowInfo): false when no packet passed yet.
bool fastSrtpState(const FastSrtp& rec, uint32_t* ssrc, uint32_t* roc, uint16_t* seq);

}  // namespace rampart::dp
