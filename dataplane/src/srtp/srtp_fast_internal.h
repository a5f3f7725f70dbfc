#pragma once
// Helpers shared by the fast path's AES-CM (srtp_fast.cc) and AEAD-GCM (srtp_fast_gcm.cc)
// packet code. Internal to dataplane/src/srtp.
#include <cstdint>
#include <cstring>

#include <intel-ipsec-mb.h>

#include "pkt/bytes.h"
#include "pkt/rtp_header.h"
#include "srtp/srtp_fast.h"

namespace rampart::dp {

inline constexpr uint32_t kSrtcpE = 0x80000000u;

inline bool isGcm(const FastSrtp& r) {
  return r.suite == abi::SrtpSuite::AeadAes128Gcm || r.suite == abi::SrtpSuite::AeadAes256Gcm;
}

inline bool tagEqual(const uint8_t* a, const uint8_t* b, uint32_t n) {
  uint8_t d = 0;
  for (uint32_t i = 0; i < n; ++i) {
    d |= static_cast<uint8_t>(a[i] ^ b[i]);
  }
  return d == 0;
}

inline DropReason verdictDrop(ReplayVerdict v) {
  return v == ReplayVerdict::Ok ? kNoDrop : DropReason::SrtpReplay;
}

inline SsrcSlot* findSlot(FastSrtp& r, uint32_t ssrc) {
  for (SsrcSlot& s : r.slots) {
    if (s.stamp != 0 && s.ssrc == ssrc) {
      return &s;
    }
  }
  return nullptr;
}

// A fresh stream for `ssrc` in the free or least recently used slot.
inline SsrcSlot* claimSlot(FastSrtp& r, uint32_t ssrc) {
  SsrcSlot* victim = &r.slots[0];
  for (SsrcSlot& s : r.slots) {
    if (s.stamp < victim->stamp) {
      victim = &s;
    }
  }
  std::memset(static_cast<void*>(victim), 0, sizeof(*victim));
  victim->ssrc = ssrc;
  return victim;
}

inline void touch(FastSrtp& r, SsrcSlot* s) {
  if (++r.clock == 0) {  // wrapped: restart the stamps, keeping their order
    for (SsrcSlot& o : r.slots) {
      o.stamp = o.stamp != 0 ? 1 : 0;
    }
    r.clock = 2;
  }
  s->stamp = r.clock;
}

inline SsrcSlot* slotFor(FastSrtp& r, uint32_t ssrc) {
  SsrcSlot* s = findSlot(r, ssrc);
  if (s == nullptr) {
    s = claimSlot(r, ssrc);
  }
  touch(r, s);
  return s;
}

// An authenticated SRTCP index recorded in its SSRC's window (a slot claimed if new).
inline void commitRtcp(FastSrtp& r, SsrcSlot* s, uint32_t ssrc, uint32_t index) {
  if (s == nullptr) {
    s = claimSlot(r, ssrc);
  }
  touch(r, s);
  s->rtcp.add(index);
}

// An AES-CTR job over `len` bytes of `buf` from `off`, in place (the KDF passes a zero
// buffer as `buf`: the output then goes to `out`). `iv` is the full 16-byte counter block.
inline void ctrJob(IMB_JOB& j, const uint8_t* sched, uint32_t key_bytes, uint8_t* buf, uint32_t off,
                   uint32_t len, const uint8_t* iv, uint8_t* out = nullptr) {
  j.src = buf;
  j.dst = out != nullptr ? out : buf + off;
  j.cipher_start_src_offset_in_bytes = off;
  j.msg_len_to_cipher_in_bytes = len;
  j.enc_keys = sched;
  j.dec_keys = sched;
  j.key_len_in_bytes = key_bytes;
  j.iv = iv;
  j.iv_len_in_bytes = 16;
  j.cipher_mode = IMB_CIPHER_CNTR;
  j.cipher_direction = IMB_DIR_ENCRYPT;
  j.hash_alg = IMB_AUTH_NULL;
  j.chain_order = IMB_ORDER_CIPHER_HASH;
}

// An HMAC-SHA1 job over `len` bytes of `buf`; the full 20-byte MAC goes to `out`.
inline void hmacJob(IMB_JOB& j, const CmKeys& k, const uint8_t* buf, uint32_t len, uint8_t* out) {
  j.src = buf;
  j.hash_start_src_offset_in_bytes = 0;
  j.msg_len_to_hash_in_bytes = len;
  j.auth_tag_output = out;
  j.auth_tag_output_len_in_bytes = 20;
  j.u.HMAC._hashed_auth_key_xor_ipad = k.ipad;
  j.u.HMAC._hashed_auth_key_xor_opad = k.opad;
  j.hash_alg = IMB_AUTH_HMAC_SHA_1;
  j.cipher_mode = IMB_CIPHER_NULL;
  j.chain_order = IMB_ORDER_HASH_CIPHER;
}

// AEAD-AES-GCM (RFC 7714), one packet per call.
DropReason gcmUnprotectRtp(IMB_MGR* m, FastOp& op);
DropReason gcmProtectRtp(IMB_MGR* m, FastOp& op);
DropReason gcmUnprotectRtcp(IMB_MGR* m, FastOp& op);
DropReason gcmProtectRtcp(IMB_MGR* m, FastOp& op);

}  // namespace rampart::dp
