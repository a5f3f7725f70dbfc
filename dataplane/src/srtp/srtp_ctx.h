#pragma once
// SrtpCtx: RAII owner of one direction of one flow's SRTP state, on one of two engines chosen
// when the flow is programmed: the fast path (srtp/srtp_fast.h: a flat record, intel-ipsec-mb
// bursts) or libsrtp2 (an srtp_t session: forced by dataplane.srtp_engine, or for what the fast
// path does not cover). Inbound contexts unprotect, outbound contexts protect; both carry the
// SRTCP keys of the same master key. Every packet operation returns a DropReason (kNoDrop on
// success) so the worker counts failures without translating engine codes itself.
//
// State is created only while applying a command; the packet path never allocates, except
// that libsrtp2 clones a stream once per new authenticated SSRC.
#include <cstdint>

#include <rampart/platform/abi.h>

#include "srtp/srtp_replay.h"
#include "stats/drop_reasons.h"

struct srtp_ctx_t_;

namespace rampart::dp {

struct FastSrtp;

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

// Process-wide engine choice, set once before workers start (dataplane.srtp_engine):
// true (default) puts every covered flow on the fast path, false keeps libsrtp2 for all.
void srtpSetFastPath(bool on);
bool srtpFastPath();
// Fast-path records go to DPDK memory (rte_malloc, NUMA-local) once EAL is up; before that,
// and in tests without EAL, to aligned heap memory.
void srtpUseDpdkMemory(bool on);

class SrtpCtx {
 public:
  enum class Dir : uint8_t { Inbound, Outbound };

  SrtpCtx() = default;
  SrtpCtx(const SrtpCtx&) = delete;
  SrtpCtx& operator=(const SrtpCtx&) = delete;
  SrtpCtx(SrtpCtx&& o) noexcept;
  SrtpCtx& operator=(SrtpCtx&& o) noexcept;
  ~SrtpCtx() { reset(); }

  // Creates the state for `params` (suite None yields an inactive context and kOk).
  // @return abi::kOk, abi::kErrNotSup (unknown suite), abi::kErrInval (wrong key length,
  // refused key) or abi::kErrNoSpace (no memory for the record).
  int32_t init(const abi::SrtpParams& params, Dir dir);
  // Frees the state, keys wiped first.
  void reset();
  bool active() const { return s_ != nullptr || fast_ != nullptr; }
  // abi::kSrtpEngineNone, kSrtpEngineFast or kSrtpEngineLibsrtp.
  uint8_t engine() const;
  FastSrtp* fast() const { return fast_; }
  // The most recent SSRC's stream state (RFC 3711 ROC and highest sequence number), for
  // FlowInfo. @return false when unknown (no packet yet, or libsrtp2's opaque session).
  bool streamState(uint32_t* ssrc, uint32_t* roc, uint16_t* seq) const;
  // Warms the state's first cache lines ahead of use.
  void prefetch() const;

  // In place. `len` is updated. protect* need `capacity - *len >= kSrtpMaxTrailer`.
  DropReason unprotectRtp(uint8_t* pkt, uint32_t* len);
  DropReason unprotectRtcp(uint8_t* pkt, uint32_t* len);
  DropReason protectRtp(uint8_t* pkt, uint32_t* len, uint32_t capacity);
  DropReason protectRtcp(uint8_t* pkt, uint32_t* len, uint32_t capacity);

  srtp_ctx_t_* session() const { return s_; }

 private:
  int32_t initFast(const abi::SrtpParams& params);

  srtp_ctx_t_* s_ = nullptr;
  FastSrtp* fast_ = nullptr;
  uint32_t fast_size_ = 0;
  bool fast_dpdk_ = false;  // fast_ came from rte_malloc
};

// One packet of a burst for srtpUnprotectBurst/srtpProtectBurst.
struct SrtpOp {
  SrtpCtx* ctx;
  uint8_t* pkt;
  uint32_t len;       // updated
  uint32_t capacity;  // protect: bytes available from pkt
  bool rtcp;
  DropReason result;  // set: kNoDrop or why the packet is dropped
};

// A burst of packets, each with its own context (active ones only). Fast-path packets run
// through ipsec-mb together; libsrtp2 ones one by one.
void srtpUnprotectBurst(SrtpOp* ops, uint32_t n);
void srtpProtectBurst(SrtpOp* ops, uint32_t n);

}  // namespace rampart::dp
