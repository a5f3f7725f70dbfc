// The fast path's packet work (design and why: srtp_fast.h). Byte layouts follow RFC 3711
// (SRTP/SRTCP with AES-CM and HMAC-SHA1) and RFC 7714 (AEAD-AES-GCM); every accept/drop rule
// follows libsrtp2 2.5, which the differential test (tests/unit/dataplane) holds us to.
#include <cstring>

#include <intel-ipsec-mb.h>

#include "pkt/bytes.h"
#include "srtp/srtp_fast.h"
#include "srtp/srtp_fast_internal.h"

namespace rampart::dp {
namespace {

constexpr uint32_t kMaxOps = 64;  // a burst is split into chunks of this many packets

// AES-CM counter block (RFC 3711 4.1.1): salt XOR ssrc << 64 XOR index << 16.
void cmIv(const uint8_t* salt, const uint8_t* ssrc_be, uint64_t index, uint8_t* iv) {
  std::memcpy(iv, salt, 14);
  iv[14] = iv[15] = 0;
  for (int i = 0; i < 4; ++i) {
    iv[4 + i] ^= ssrc_be[i];
  }
  for (int i = 0; i < 6; ++i) {
    iv[8 + i] ^= static_cast<uint8_t>(index >> (40 - 8 * i));
  }
}

void runCipher(IMB_MGR* m, IMB_JOB* jobs, uint32_t n) {
  if (n != 0) {
    IMB_SUBMIT_CIPHER_BURST_NOCHECK(m, jobs, n, IMB_CIPHER_CNTR, IMB_DIR_ENCRYPT,
                                    IMB_KEY_128_BYTES);
  }
}

void runHash(IMB_MGR* m, IMB_JOB* jobs, uint32_t n) {
  if (n != 0) {
    IMB_SUBMIT_HASH_BURST_NOCHECK(m, jobs, n, IMB_AUTH_HMAC_SHA_1);
  }
}

void cmCipherOne(IMB_MGR* m, const CmKeys& k, uint8_t* buf, uint32_t off, uint32_t len,
                 const uint8_t* iv) {
  IMB_JOB j{};
  ctrJob(j, k.aes, 16, buf, off, len, iv);
  runCipher(m, &j, 1);
}

void hmacOne(IMB_MGR* m, const CmKeys& k, const uint8_t* buf, uint32_t len, uint8_t* out) {
  IMB_JOB j{};
  hmacJob(j, k, buf, len, out);
  runHash(m, &j, 1);
}

void storeRoc(uint8_t* p, uint64_t index) { store32(p, static_cast<uint32_t>(index >> 16)); }

// ---- AES-CM SRTP, inbound: verify a burst's tags in one hash burst, then decrypt. ----------

struct CmIn {
  uint32_t hlen;
  uint64_t est;
  int32_t delta;
  bool had_slot;
  bool hashed;          // passed the first checks: its tag is computed in the hash burst
  bool replay_pending;  // refused as a replay against the state before the burst
  uint8_t tag[10];
  uint8_t mac[20];
  uint8_t iv[16];
};

// Header checks, index estimate and replay check against the committed state; the ROC goes
// where the tag was (saved) so the hash covers packet || ROC in place.
DropReason cmInPrepare(FastOp& op, CmIn& c) {
  FastSrtp& r = *op.rec;
  c.hlen = rtpHeaderLen(op.pkt, op.len);
  if (c.hlen == 0 || op.len < c.hlen + r.tag_len) {
    return DropReason::SrtpError;
  }
  SsrcSlot* s = findSlot(r, load32(op.pkt + 8));
  c.had_slot = s != nullptr;
  uint16_t seq = load16(op.pkt + 2);
  if (s != nullptr) {
    c.est = s->rtp.estimate(seq, &c.delta);
    DropReason d = verdictDrop(s->rtp.check(c.delta));
    if (d != kNoDrop) {
      c.replay_pending = true;  // final only if earlier packets of the burst change nothing
      return d;
    }
  } else {
    c.est = seq;
    c.delta = seq;
  }
  uint8_t* tag_at = op.pkt + op.len - r.tag_len;
  std::memcpy(c.tag, tag_at, r.tag_len);
  storeRoc(tag_at, c.est);
  return kNoDrop;
}

// In packet order: the estimate again against the state earlier packets of the burst left
// (a differing one means the tag was checked under the wrong ROC: redo the packet alone), the
// replay check, the tag, the key lifetime, then the commit.
enum class Commit : uint8_t { Done, Dropped, Redo };

Commit cmInCommit(FastOp& op, CmIn& c) {
  FastSrtp& r = *op.rec;
  uint32_t ssrc = load32(op.pkt + 8);
  SsrcSlot* s = findSlot(r, ssrc);
  if (s == nullptr && c.had_slot) {
    return Commit::Redo;  // evicted by a third SSRC earlier in this burst
  }
  if (s != nullptr) {
    int32_t delta = 0;
    if (s->rtp.estimate(load16(op.pkt + 2), &delta) != c.est) {
      return Commit::Redo;
    }
    c.delta = delta;  // relative to what earlier packets of the burst committed
    op.result = verdictDrop(s->rtp.check(c.delta));
    if (op.result != kNoDrop) {
      return Commit::Dropped;
    }
  }
  if (!tagEqual(c.mac, c.tag, r.tag_len)) {
    op.result = DropReason::SrtpAuth;
    return Commit::Dropped;
  }
  if (r.packets_left == 0 || --r.packets_left == 0) {
    op.result = DropReason::SrtpError;  // key lifetime spent: a new key is needed
    return Commit::Dropped;
  }
  if (s == nullptr) {
    s = claimSlot(r, ssrc);
  }
  touch(r, s);
  s->rtp.add(c.delta);
  cmIv(r.rtp.salt, op.pkt + 8, c.est, c.iv);
  return Commit::Done;
}

// A packet refused as a replay before the burst: earlier packets of the burst may since have
// moved the index so that its estimate (and libsrtp2's verdict) is different.
Commit cmInRecheck(const FastOp& op, const CmIn& c) {
  SsrcSlot* s = findSlot(*op.rec, load32(op.pkt + 8));
  int32_t delta = 0;
  if (s == nullptr || s->rtp.estimate(load16(op.pkt + 2), &delta) != c.est) {
    return Commit::Redo;
  }
  return Commit::Dropped;  // same index: the window only moved on, still a replay
}

void cmUnprotectRtp(IMB_MGR* m, FastOp* ops, const uint32_t* idx, uint32_t n);

// The packet again, alone, against the state its burst's earlier packets left.
void cmUnprotectRedo(IMB_MGR* m, FastOp* ops, uint32_t k, const CmIn& c) {
  FastOp& op = ops[k];
  if (c.hashed) {
    std::memcpy(op.pkt + op.len - op.rec->tag_len, c.tag, op.rec->tag_len);
  }
  cmUnprotectRtp(m, ops, &k, 1);
}

void cmUnprotectRtp(IMB_MGR* m, FastOp* ops, const uint32_t* idx, uint32_t n) {
  CmIn c[kMaxOps];
  IMB_JOB jobs[kMaxOps];
  uint32_t jn = 0;
  for (uint32_t i = 0; i < n; ++i) {
    FastOp& op = ops[idx[i]];
    c[i].replay_pending = false;
    op.result = cmInPrepare(op, c[i]);
    c[i].hashed = op.result == kNoDrop;
    if (c[i].hashed) {
      std::memset(&jobs[jn], 0, sizeof(IMB_JOB));
      hmacJob(jobs[jn++], op.rec->rtp, op.pkt, op.len - op.rec->tag_len + 4, c[i].mac);
    }
  }
  runHash(m, jobs, jn);
  uint32_t cn = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (!c[i].hashed && !c[i].replay_pending) {
      continue;  // refused for good (header, length)
    }
    FastOp& op = ops[idx[i]];
    Commit v = c[i].hashed ? cmInCommit(op, c[i]) : cmInRecheck(op, c[i]);
    if (v == Commit::Redo) {
      cmUnprotectRedo(m, ops, idx[i], c[i]);
      continue;
    }
    if (v == Commit::Done) {
      op.len -= op.rec->tag_len;
      std::memset(&jobs[cn], 0, sizeof(IMB_JOB));
      ctrJob(jobs[cn++], op.rec->rtp.aes, 16, op.pkt, c[i].hlen, op.len - c[i].hlen, c[i].iv);
    }
  }
  runCipher(m, jobs, cn);
}

// ---- AES-CM SRTP, outbound: state first (as libsrtp2), one cipher burst, one hash burst. ----

DropReason cmOutPrepare(FastOp& op, uint32_t* hlen, uint8_t* iv) {
  FastSrtp& r = *op.rec;
  *hlen = rtpHeaderLen(op.pkt, op.len);
  if (*hlen == 0 || op.capacity < op.len + r.tag_len + 4) {
    return DropReason::SrtpError;
  }
  SsrcSlot* s = slotFor(r, load32(op.pkt + 8));
  if (r.packets_left == 0 || --r.packets_left == 0) {
    return DropReason::SrtpError;
  }
  int32_t delta = 0;
  uint64_t est = s->rtp.estimate(load16(op.pkt + 2), &delta);
  DropReason d = verdictDrop(s->rtp.check(delta));
  if (d != kNoDrop) {
    return d;
  }
  s->rtp.add(delta);
  cmIv(r.rtp.salt, op.pkt + 8, est, iv);
  storeRoc(op.pkt + op.len, est);  // after the payload, where the tag will go
  return kNoDrop;
}

void cmProtectRtp(IMB_MGR* m, FastOp* ops, const uint32_t* idx, uint32_t n) {
  uint8_t iv[kMaxOps][16];
  uint8_t mac[kMaxOps][20];
  IMB_JOB jobs[kMaxOps];
  uint32_t live[kMaxOps];
  uint32_t jn = 0;
  for (uint32_t i = 0; i < n; ++i) {
    FastOp& op = ops[idx[i]];
    uint32_t hlen = 0;
    op.result = cmOutPrepare(op, &hlen, iv[jn]);
    if (op.result == kNoDrop) {
      std::memset(&jobs[jn], 0, sizeof(IMB_JOB));
      ctrJob(jobs[jn], op.rec->rtp.aes, 16, op.pkt, hlen, op.len - hlen, iv[jn]);
      live[jn++] = idx[i];
    }
  }
  runCipher(m, jobs, jn);
  for (uint32_t j = 0; j < jn; ++j) {
    FastOp& op = ops[live[j]];
    std::memset(&jobs[j], 0, sizeof(IMB_JOB));
    hmacJob(jobs[j], op.rec->rtp, op.pkt, op.len + 4, mac[j]);
  }
  runHash(m, jobs, jn);
  for (uint32_t j = 0; j < jn; ++j) {
    FastOp& op = ops[live[j]];
    std::memcpy(op.pkt + op.len, mac[j], op.rec->tag_len);
    op.len += op.rec->tag_len;
  }
}

// ---- AES-CM SRTCP (RFC 3711 3.4): rare, one packet at a time. ------------------------------

DropReason cmUnprotectRtcp(IMB_MGR* m, FastOp& op) {
  FastSrtp& r = *op.rec;
  uint32_t tag = r.rtcp_tag_len;
  if (op.len < 8 + 4 + tag) {
    return DropReason::SrtpError;
  }
  uint8_t* trailer = op.pkt + op.len - tag - 4;
  uint32_t word = load32(trailer);
  if ((word & kSrtcpE) == 0) {
    return DropReason::SrtpError;  // unencrypted SRTCP was not negotiated
  }
  uint32_t index = word & ~kSrtcpE;
  uint32_t ssrc = load32(op.pkt + 4);
  SsrcSlot* s = findSlot(r, ssrc);
  if (s != nullptr && s->rtcp.check(index) != ReplayVerdict::Ok) {
    return DropReason::SrtpReplay;
  }
  uint8_t mac[20];
  hmacOne(m, r.rtcp, op.pkt, op.len - tag, mac);
  if (!tagEqual(mac, op.pkt + op.len - tag, tag)) {
    return DropReason::SrtpAuth;
  }
  uint8_t iv[16];
  cmIv(r.rtcp.salt, op.pkt + 4, index, iv);
  cmCipherOne(m, r.rtcp, op.pkt, 8, op.len - tag - 4 - 8, iv);
  commitRtcp(r, s, ssrc, index);
  op.len -= tag + 4;
  return kNoDrop;
}

DropReason cmProtectRtcp(IMB_MGR* m, FastOp& op) {
  FastSrtp& r = *op.rec;
  uint32_t tag = r.rtcp_tag_len;
  if (op.len < 8 || op.capacity < op.len + 4 + tag) {
    return DropReason::SrtpError;
  }
  SsrcSlot* s = slotFor(r, load32(op.pkt + 4));
  uint32_t index = 0;
  if (!s->rtcp.next(&index)) {
    return DropReason::SrtpError;
  }
  uint8_t iv[16];
  cmIv(r.rtcp.salt, op.pkt + 4, index, iv);
  cmCipherOne(m, r.rtcp, op.pkt, 8, op.len - 8, iv);
  store32(op.pkt + op.len, kSrtcpE | index);
  uint8_t mac[20];
  hmacOne(m, r.rtcp, op.pkt, op.len + 4, mac);
  std::memcpy(op.pkt + op.len + 4, mac, tag);
  op.len += 4 + tag;
  return kNoDrop;
}

// Runs `cm` over the burst's AES-CM RTP packets in chunks; everything else one by one.
template <typename CmBurst, typename One>
void dispatch(FastOp* ops, uint32_t n, CmBurst cm, One one) {
  IMB_MGR* m = fastSrtpMgr();
  uint32_t idx[kMaxOps];
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; ++i) {
    FastOp& op = ops[i];
    if (m == nullptr) {
      op.result = DropReason::SrtpError;
    } else if (!op.rtcp && !isGcm(*op.rec)) {
      idx[k++] = i;
      if (k == kMaxOps) {
        cm(m, ops, idx, k);
        k = 0;
      }
    } else {
      if (op.rtcp && k != 0) {  // keep packet order within an AES-CM flow's SSRC slots
        cm(m, ops, idx, k);
        k = 0;
      }
      op.result = one(m, op);
    }
  }
  if (k != 0) {
    cm(m, ops, idx, k);
  }
}

}  // namespace

void fastUnprotectBurst(FastOp* ops, uint32_t n) {
  dispatch(ops, n, cmUnprotectRtp, [](IMB_MGR* m, FastOp& op) {
    if (isGcm(*op.rec)) {
      return op.rtcp ? gcmUnprotectRtcp(m, op) : gcmUnprotectRtp(m, op);
    }
    return cmUnprotectRtcp(m, op);
  });
}

void fastProtectBurst(FastOp* ops, uint32_t n) {
  dispatch(ops, n, cmProtectRtp, [](IMB_MGR* m, FastOp& op) {
    if (isGcm(*op.rec)) {
      return op.rtcp ? gcmProtectRtcp(m, op) : gcmProtectRtp(m, op);
    }
    return cmProtectRtcp(m, op);
  });
}

}  // namespace rampart::dp
