// AEAD-AES-128/256-GCM for SRTP and SRTCP (RFC 7714) through ipsec-mb's single-buffer calls
// (its VAES code on AVX-512 machines). One packet per call: GCM has no multi-lane hash to
// batch, and the single call already runs near the crypto's own cost.
#include <cstring>

#include <intel-ipsec-mb.h>

#include "srtp/srtp_fast_internal.h"

namespace rampart::dp {
namespace {

constexpr uint32_t kGcmTag = 16;

const gcm_key_data* keyData(const FastSrtp& r, bool rtcp) {
  const auto& g = static_cast<const FastSrtpGcm&>(r);
  return reinterpret_cast<const gcm_key_data*>(rtcp ? g.gcm_rtcp : g.gcm_rtp);
}

bool aes256(const FastSrtp& r) { return r.suite == abi::SrtpSuite::AeadAes256Gcm; }

void encrypt(IMB_MGR* m, const FastSrtp& r, bool rtcp, uint8_t* buf, uint64_t len,
             const uint8_t* iv, const uint8_t* aad, uint64_t aad_len, uint8_t* tag) {
  gcm_context_data ctx;
  if (aes256(r)) {
    IMB_AES256_GCM_ENC(m, keyData(r, rtcp), &ctx, buf, buf, len, iv, aad, aad_len, tag, kGcmTag);
  } else {
    IMB_AES128_GCM_ENC(m, keyData(r, rtcp), &ctx, buf, buf, len, iv, aad, aad_len, tag, kGcmTag);
  }
}

// Decrypts in place and computes the tag; the caller drops the packet (plaintext included)
// when it differs from the received one.
void decrypt(IMB_MGR* m, const FastSrtp& r, bool rtcp, uint8_t* buf, uint64_t len,
             const uint8_t* iv, const uint8_t* aad, uint64_t aad_len, uint8_t* tag) {
  gcm_context_data ctx;
  if (aes256(r)) {
    IMB_AES256_GCM_DEC(m, keyData(r, rtcp), &ctx, buf, buf, len, iv, aad, aad_len, tag, kGcmTag);
  } else {
    IMB_AES128_GCM_DEC(m, keyData(r, rtcp), &ctx, buf, buf, len, iv, aad, aad_len, tag, kGcmTag);
  }
}

// RFC 7714 8.1: 00 00 || SSRC || ROC || SEQ, XOR the session salt.
void rtpIv(const uint8_t* salt, const uint8_t* ssrc_be, uint64_t index, uint8_t* iv) {
  iv[0] = iv[1] = 0;
  std::memcpy(iv + 2, ssrc_be, 4);
  store32(iv + 6, static_cast<uint32_t>(index >> 16));
  store16(iv + 10, static_cast<uint16_t>(index));
  for (int i = 0; i < 12; ++i) {
    iv[i] ^= salt[i];
  }
}

// RFC 7714 9.1: 00 00 || SSRC || 00 00 || 0 || SRTCP index, XOR the SRTCP session salt.
void rtcpIv(const uint8_t* salt, const uint8_t* ssrc_be, uint32_t index, uint8_t* iv) {
  iv[0] = iv[1] = 0;
  std::memcpy(iv + 2, ssrc_be, 4);
  iv[6] = iv[7] = 0;
  store32(iv + 8, index);
  for (int i = 0; i < 12; ++i) {
    iv[i] ^= salt[i];
  }
}

bool spendKey(FastSrtp& r) { return r.packets_left != 0 && --r.packets_left != 0; }

}  // namespace

DropReason gcmUnprotectRtp(IMB_MGR* m, FastOp& op) {
  FastSrtp& r = *op.rec;
  uint32_t hlen = rtpHeaderLen(op.pkt, op.len);
  if (hlen == 0) {
    return DropReason::SrtpError;
  }
  uint32_t ssrc = load32(op.pkt + 8);
  uint16_t seq = load16(op.pkt + 2);
  SsrcSlot* s = findSlot(r, ssrc);
  int32_t delta = seq;
  uint64_t est = seq;
  if (s != nullptr) {
    est = s->rtp.estimate(seq, &delta);
    if (DropReason d = verdictDrop(s->rtp.check(delta)); d != kNoDrop) {
      return d;
    }
  }
  if (op.len < hlen + kGcmTag) {
    return DropReason::SrtpError;
  }
  if (!spendKey(r)) {
    return DropReason::SrtpError;
  }
  uint8_t iv[12];
  rtpIv(r.gcm_salt, op.pkt + 8, est, iv);
  uint8_t tag[kGcmTag];
  uint32_t body = op.len - hlen - kGcmTag;
  decrypt(m, r, false, op.pkt + hlen, body, iv, op.pkt, hlen, tag);
  if (!tagEqual(tag, op.pkt + hlen + body, kGcmTag)) {
    return DropReason::SrtpAuth;
  }
  if (s == nullptr) {
    s = claimSlot(r, ssrc);
  }
  touch(r, s);
  s->rtp.add(delta);
  op.len -= kGcmTag;
  return kNoDrop;
}

DropReason gcmProtectRtp(IMB_MGR* m, FastOp& op) {
  FastSrtp& r = *op.rec;
  uint32_t hlen = rtpHeaderLen(op.pkt, op.len);
  if (hlen == 0 || op.capacity < op.len + kGcmTag) {
    return DropReason::SrtpError;
  }
  SsrcSlot* s = slotFor(r, load32(op.pkt + 8));
  if (!spendKey(r)) {
    return DropReason::SrtpError;
  }
  int32_t delta = 0;
  uint64_t est = s->rtp.estimate(load16(op.pkt + 2), &delta);
  if (DropReason d = verdictDrop(s->rtp.check(delta)); d != kNoDrop) {
    return d;
  }
  s->rtp.add(delta);
  uint8_t iv[12];
  rtpIv(r.gcm_salt, op.pkt + 8, est, iv);
  encrypt(m, r, false, op.pkt + hlen, op.len - hlen, iv, op.pkt, hlen, op.pkt + op.len);
  op.len += kGcmTag;
  return kNoDrop;
}

// SRTCP: header (8) | ciphertext | tag (16) | E || index (4). The AAD is the header and the
// E||index word (RFC 7714 9.2), or, without the E flag, everything before the tag.
DropReason gcmUnprotectRtcp(IMB_MGR* m, FastOp& op) {
  FastSrtp& r = *op.rec;
  if (op.len < 8 + kGcmTag + 4) {
    return DropReason::SrtpError;
  }
  uint32_t ssrc = load32(op.pkt + 4);
  uint8_t* trailer = op.pkt + op.len - 4;
  uint32_t word = load32(trailer);
  uint32_t index = word & ~kSrtcpE;
  SsrcSlot* s = findSlot(r, ssrc);
  if (s != nullptr && s->rtcp.check(index) != ReplayVerdict::Ok) {
    return DropReason::SrtpReplay;
  }
  uint8_t iv[12];
  rtcpIv(r.gcm_rtcp_salt, op.pkt + 4, index, iv);
  uint32_t body = op.len - 8 - kGcmTag - 4;
  uint8_t tag[kGcmTag];
  uint8_t aad[abi::kPacketSlotSize];
  if ((word & kSrtcpE) != 0) {
    std::memcpy(aad, op.pkt, 8);
    std::memcpy(aad + 8, trailer, 4);
    decrypt(m, r, true, op.pkt + 8, body, iv, aad, 12, tag);
  } else {
    if (8 + body + 4 > sizeof(aad)) {
      return DropReason::SrtpError;
    }
    std::memcpy(aad, op.pkt, 8 + body);
    std::memcpy(aad + 8 + body, trailer, 4);
    decrypt(m, r, true, op.pkt, 0, iv, aad, 8 + body + 4, tag);
  }
  if (!tagEqual(tag, op.pkt + 8 + body, kGcmTag)) {
    return DropReason::SrtpAuth;
  }
  commitRtcp(r, s, ssrc, index);
  op.len -= kGcmTag + 4;
  return kNoDrop;
}

DropReason gcmProtectRtcp(IMB_MGR* m, FastOp& op) {
  FastSrtp& r = *op.rec;
  if (op.len < 8 || op.capacity < op.len + kGcmTag + 4) {
    return DropReason::SrtpError;
  }
  SsrcSlot* s = slotFor(r, load32(op.pkt + 4));
  uint32_t index = 0;
  if (!s->rtcp.next(&index)) {
    return DropReason::SrtpError;
  }
  uint8_t* trailer = op.pkt + op.len + kGcmTag;
  store32(trailer, kSrtcpE | index);
  uint8_t aad[12];
  std::memcpy(aad, op.pkt, 8);
  std::memcpy(aad + 8, trailer, 4);
  uint8_t iv[12];
  rtcpIv(r.gcm_rtcp_salt, op.pkt + 4, index, iv);
  encrypt(m, r, true, op.pkt + 8, op.len - 8, iv, aad, 12, op.pkt + op.len);
  op.len += kGcmTag + 4;
  return kNoDrop;
}

}  // namespace rampart::dp
