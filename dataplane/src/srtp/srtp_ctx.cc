#include "srtp/srtp_ctx.h"

#include <cstdlib>
#include <cstring>
#include <utility>

#include <srtp2/srtp.h>

#include "srtp/hmac_sha1.h"

namespace rampart::dp {
namespace {

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

SrtpCtx& SrtpCtx::operator=(SrtpCtx&& o) noexcept {
  if (this != &o) {
    reset();
    s_ = std::exchange(o.s_, nullptr);
    overhead_ = o.overhead_;
  }
  return *this;
}

void SrtpCtx::reset() {
  if (s_ != nullptr) {
    srtp_dealloc(s_);
    s_ = nullptr;
  }
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
  policy.window_size = 1024;
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
  int l = static_cast<int>(*len);
  DropReason r = mapStatus(srtp_unprotect(s_, pkt, &l));
  *len = static_cast<uint32_t>(l);
  return r;
}

DropReason SrtpCtx::unprotectRtcp(uint8_t* pkt, uint32_t* len) {
  int l = static_cast<int>(*len);
  DropReason r = mapStatus(srtp_unprotect_rtcp(s_, pkt, &l));
  *len = static_cast<uint32_t>(l);
  return r;
}

DropReason SrtpCtx::protectRtp(uint8_t* pkt, uint32_t* len, uint32_t capacity) {
  if (capacity < *len + kSrtpMaxTrailer) {
    return DropReason::SrtpError;
  }
  int l = static_cast<int>(*len);
  DropReason r = mapStatus(srtp_protect(s_, pkt, &l));
  *len = static_cast<uint32_t>(l);
  return r;
}

DropReason SrtpCtx::protectRtcp(uint8_t* pkt, uint32_t* len, uint32_t capacity) {
  if (capacity < *len + kSrtpMaxTrailer) {
    return DropReason::SrtpError;
  }
  int l = static_cast<int>(*len);
  DropReason r = mapStatus(srtp_protect_rtcp(s_, pkt, &l));
  *len = static_cast<uint32_t>(l);
  return r;
}

}  // namespace rampart::dp
