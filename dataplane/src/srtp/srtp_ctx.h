#pragma once
// SrtpCtx: RAII owner of one libsrtp2 session (srtp_t) for one direction of one flow.
// Inbound contexts unprotect, outbound contexts protect; both carry the SRTCP policy of the
// same master key. Every packet operation returns a DropReason (kNoDrop on success) so the
// worker can count failures without translating libsrtp codes itself.
//
// Sessions are created only while applying a command (srtp_create allocates); the packet
// path never allocates, except that libsrtp clones a stream once per new authenticated SSRC.
#include <cstdint>

#include <rampart/platform/abi.h>

#include "stats/drop_reasons.h"

struct srtp_ctx_t_;

namespace rampart::dp {

// Largest trailer protect() may append (auth tag + MKI + SRTCP index): libsrtp's
// SRTP_MAX_TRAILER_LEN.
inline constexpr uint32_t kSrtpMaxTrailer = 16 + 128 + 4;  // tag + MKI max + SRTCP index

// Initialises libsrtp2 once per process and installs Rampart's HMAC-SHA1 auth type
// (srtp/hmac_sha1.h) unless srtpUsesLibsrtpHmac(). @return false when either fails.
bool srtpGlobalInit();

// True when RAMPART_LIBSRTP_HMAC=1: libsrtp2's own HMAC stays (comparison, fallback).
bool srtpUsesLibsrtpHmac();

// Master key + salt bytes a suite needs (0 for None or an unknown suite).
uint32_t srtpKeyLen(abi::SrtpSuite suite);

class SrtpCtx {
 public:
  enum class Dir : uint8_t { Inbound, Outbound };

  SrtpCtx() = default;
  SrtpCtx(const SrtpCtx&) = delete;
  SrtpCtx& operator=(const SrtpCtx&) = delete;
  SrtpCtx(SrtpCtx&& o) noexcept : s_(o.s_), overhead_(o.overhead_) { o.s_ = nullptr; }
  SrtpCtx& operator=(SrtpCtx&& o) noexcept;
  ~SrtpCtx() { reset(); }

  // Creates a session for `params` (suite None yields an inactive context and kOk).
  // @return abi::kOk, abi::kErrNotSup (unknown suite) or abi::kErrInval (wrong key length,
  // libsrtp refusal).
  int32_t init(const abi::SrtpParams& params, Dir dir);
  // Frees the session; libsrtp zeroises its key schedule on dealloc.
  void reset();
  bool active() const { return s_ != nullptr; }
  // Warms the session's first cache line ahead of use (the rest is libsrtp's business).
  void prefetch() const {
    if (s_ != nullptr) {
      __builtin_prefetch(s_);
    }
  }

  // In place. `len` is updated. protect* need `capacity - *len >= kSrtpMaxTrailer`.
  DropReason unprotectRtp(uint8_t* pkt, uint32_t* len);
  DropReason unprotectRtcp(uint8_t* pkt, uint32_t* len);
  DropReason protectRtp(uint8_t* pkt, uint32_t* len, uint32_t capacity);
  DropReason protectRtcp(uint8_t* pkt, uint32_t* len, uint32_t capacity);

 private:
  srtp_ctx_t_* s_ = nullptr;
  uint32_t overhead_ = 0;
};

}  // namespace rampart::dp
