#include "srtp/srtp_ctx.h"

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <rte_malloc.h>
#include <srtp2/srtp.h>

#include "srtp/hmac_sha1.h"
#include "srtp/srtp_fast.h"

namespace rampart::dp {
namespace {

bool g_fast_path = true;
bool g_dpdk_memory = false;

DropReason mapStatus(srtp_err_status_t st) {
  switch (st) {
    case srtp_err_status_ok: return kNoDrop;
    case srtp_err_status_auth_fail: return DropReason::SrtpAuth;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old: return DropReason::SrtpReplay;
    default: return DropReason::SrtpError;
  }
}

// Sets RTP and RTCP crypto policies for a suite. SHA1_32 keeps an 80-bit SRTCP tag
// (RFC 4568 section 6.2.1 / RFC 3711: the short tag applies to SRTP only).
bool setPolicies(abi::SrtpSuite suite, srtp_policy_t* p) {
  switch (suite) {
    case abi::SrtpSuite::AesCm128HmacSha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
      return true;
    case abi::SrtpSuite::AesCm128HmacSha1_32:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
      return true;
    case abi::SrtpSuite::AeadAes128Gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
      return true;
    case abi::SrtpSuite::AeadAes256Gcm:
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
      return true;
    case abi::SrtpSuite::None: break;
  }
  return false;
}

}  // namespace

bool srtpGlobalInit() {
  static bool ok =
      srtp_init() == srtp_err_status_ok && (srtpUsesLibsrtpHmac() || installHmacSha1());
  return ok;
}

bool srtpUsesLibsrtpHmac() {
  const char* v = std::getenv("RAMPART_LIBSRTP_HMAC");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

uint32_t srtpKeyLen(abi::SrtpSuite suite) {
  switch (suite) {
    case abi::SrtpSuite::AesCm128HmacSha1_80:
    case abi::SrtpSuite::AesCm128HmacSha1_32: return 30;  // 16 key + 14 salt
    case abi::SrtpSuite::AeadAes128Gcm: return 28;        // 16 key + 12 salt (RFC 7714)
    case abi::SrtpSuite::AeadAes256Gcm: return 44;        // 32 key + 12 salt
    case abi::SrtpSuite::None: break;
  }
  return 0;
}

void srtpSetFastPath(bool on) { g_fast_path = on; }
bool srtpFastPath() { return g_fast_path; }
void srtpUseDpdkMemory(bool on) { g_dpdk_memory = on; }

SrtpCtx::SrtpCtx(SrtpCtx&& o) noexcept
    : s_(std::exchange(o.s_, nullptr)),
      fast_(std::exchange(o.fast_, nullptr)),
      fast_size_(o.fast_size_),
      fast_dpdk_(o.fast_dpdk_) {}

SrtpCtx& SrtpCtx::operator=(SrtpCtx&& o) noexcept {
  if (this != &o) {
    reset();
    s_ = std::exchange(o.s_, nullptr);
    fast_ = std::exchange(o.fast_, nullptr);
    fast_size_ = o.fast_size_;
    fast_dpdk_ = o.fast_dpdk_;
  }
  return *this;
}

void SrtpCtx::reset() {
  if (s_ != nullptr) {
    srtp_dealloc(s_);
    s_ = nullptr;
  }
  if (fast_ != nullptr) {
    explicit_bzero(static_cast<void*>(fast_), fast_size_);
    if (fast_dpdk_) {
      rte_free(fast_);
    } else {
      std::free(fast_);
    }
    fast_ = nullptr;
  }
}

uint8_t SrtpCtx::engine() const {
  if (fast_ != nullptr) {
    return abi::kSrtpEngineFast;
  }
  return s_ != nullptr ? abi::kSrtpEngineLibsrtp : abi::kSrtpEngineNone;
}

bool SrtpCtx::streamState(uint32_t* ssrc, uint32_t* roc, uint16_t* seq) const {
  return fast_ != nullptr && fastSrtpState(*fast_, ssrc, roc, seq);
}

void SrtpCtx::prefetch() const {
  if (fast_ != nullptr) {
    const auto* p = reinterpret_cast<const uint8_t*>(fast_);
    // Header, RTP key schedule, HMAC states and SSRC slots (srtp_fast.h keeps them first).
    for (uint32_t off = 0; off < offsetof(FastSrtp, rtcp); off += 64) {
      __builtin_prefetch(p + off, 1);
    }
    if (fast_size_ > sizeof(FastSrtp)) {  // AEAD: the start of the GCM key data too
      const uint8_t* g = static_cast<const FastSrtpGcm*>(fast_)->gcm_rtp;
      for (uint32_t off = 0; off < 384; off += 64) {
        __builtin_prefetch(g + off);
      }
    }
  } else if (s_ != nullptr) {
    __builtin_prefetch(s_);
  }
}

namespace {

// The flat record in DPDK memory when EAL is up, else aligned heap memory; zeroed.
FastSrtp* allocFast(uint32_t size, bool* dpdk) {
  void* p = nullptr;
  *dpdk = false;
  if (g_dpdk_memory) {
    p = rte_zmalloc("srtp_fast", size, 64);
    *dpdk = p != nullptr;
  }
  if (p == nullptr) {
    p = std::aligned_alloc(64, (size + 63) & ~63u);
    if (p != nullptr) {
      std::memset(p, 0, size);
    }
  }
  return static_cast<FastSrtp*>(p);
}

}  // namespace

int32_t SrtpCtx::initFast(const abi::SrtpParams& params) {
  uint32_t size = fastSrtpSize(params.suite);
  bool dpdk = false;
  FastSrtp* rec = allocFast(size, &dpdk);
  if (rec == nullptr) {
    return abi::kErrNoSpace;
  }
  fast_ = rec;
  fast_size_ = size;
  fast_dpdk_ = dpdk;
  int32_t st = fastSrtpInit(rec, params);
  if (st != abi::kOk) {
    reset();
  }
  return st;
}

int32_t SrtpCtx::init(const abi::SrtpParams& params, Dir dir) {
  reset();
  if (params.suite == abi::SrtpSuite::None) {
    return abi::kOk;
  }
  uint32_t need = srtpKeyLen(params.suite);
  if (need == 0) {
    return abi::kErrNotSup;
  }
  if (params.key_len != need || need > sizeof(params.key)) {
    return abi::kErrInval;
  }
  if (g_fast_path && fastSrtpCovers(params.suite)) {
    return initFast(params);  // one record serves either direction
  }
  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof(policy));
  if (!setPolicies(params.suite, &policy)) {
    return abi::kErrNotSup;
  }
  // libsrtp keeps its own expanded copy; this stack copy is wiped before returning.
  uint8_t key[48];
  std::memcpy(key, params.key, need);
  policy.key = key;
  policy.ssrc.type = dir == Dir::Inbound ? ssrc_any_inbound : ssrc_any_outbound;
  policy.window_size = kRtpWindow;  // the fast path's window too (srtp_replay.h)
  policy.allow_repeat_tx = 0;
  srtp_t session = nullptr;
  srtp_err_status_t st = srtp_create(&session, &policy);
  explicit_bzero(key, sizeof(key));
  if (st != srtp_err_status_ok) {
    return abi::kErrInval;
  }
  s_ = session;
  return abi::kOk;
}

DropReason SrtpCtx::unprotectRtp(uint8_t* pkt, uint32_t* len) {
  SrtpOp op{this, pkt, *len, *len, false, kNoDrop};
  srtpUnprotectBurst(&op, 1);
  *len = op.len;
  return op.result;
}

DropReason SrtpCtx::unprotectRtcp(uint8_t* pkt, uint32_t* len) {
  SrtpOp op{this, pkt, *len, *len, true, kNoDrop};
  srtpUnprotectBurst(&op, 1);
  *len = op.len;
  return op.result;
}

DropReason SrtpCtx::protectRtp(uint8_t* pkt, uint32_t* len, uint32_t capacity) {
  SrtpOp op{this, pkt, *len, capacity, false, kNoDrop};
  srtpProtectBurst(&op, 1);
  *len = op.len;
  return op.result;
}

DropReason SrtpCtx::protectRtcp(uint8_t* pkt, uint32_t* len, uint32_t capacity) {
  SrtpOp op{this, pkt, *len, capacity, true, kNoDrop};
  srtpProtectBurst(&op, 1);
  *len = op.len;
  return op.result;
}

namespace {

DropReason libsrtpOp(srtp_ctx_t_* s, SrtpOp& op, bool protect) {
  if (protect && op.capacity < op.len + kSrtpMaxTrailer) {
    return DropReason::SrtpError;
  }
  int l = static_cast<int>(op.len);
  srtp_err_status_t st =
      protect ? (op.rtcp ? srtp_protect_rtcp(s, op.pkt, &l) : srtp_protect(s, op.pkt, &l))
              : (op.rtcp ? srtp_unprotect_rtcp(s, op.pkt, &l) : srtp_unprotect(s, op.pkt, &l));
  op.len = static_cast<uint32_t>(l);
  return mapStatus(st);
}

constexpr uint32_t kChunk = 64;

// Fast-path ops go to fastXxxBurst together (in chunks), libsrtp2 ones one by one.
template <typename FastBurst>
void runBurst(SrtpOp* ops, uint32_t n, bool protect, FastBurst fast) {
  FastOp fo[kChunk];
  uint32_t back[kChunk];
  uint32_t k = 0;
  auto flush = [&] {
    fast(fo, k);
    for (uint32_t j = 0; j < k; ++j) {
      ops[back[j]].len = fo[j].len;
      ops[back[j]].result = fo[j].result;
    }
    k = 0;
  };
  for (uint32_t i = 0; i < n; ++i) {
    SrtpOp& op = ops[i];
    FastSrtp* rec = op.ctx->fast();
    if (rec != nullptr) {
      fo[k] = FastOp{rec, op.pkt, op.len, op.capacity, op.rtcp, kNoDrop};
      back[k++] = i;
      if (k == kChunk) {
        flush();
      }
    } else {
      op.result = libsrtpOp(op.ctx->session(), op, protect);
    }
  }
  if (k != 0) {
    flush();
  }
}

}  // namespace

void srtpUnprotectBurst(SrtpOp* ops, uint32_t n) { runBurst(ops, n, false, fastUnprotectBurst); }

void srtpProtectBurst(SrtpOp* ops, uint32_t n) { runBurst(ops, n, true, fastProtectBurst); }

}  // namespace rampart::dp
