#include "media_peer/srtp_session.h"

#include <srtp2/srtp.h>

#include <cstring>
#include <mutex>

namespace rampart::tools {
namespace {

SrtpStatus toStatus(srtp_err_status_t s) {
  switch (s) {
    case srtp_err_status_ok: return SrtpStatus::Ok;
    case srtp_err_status_auth_fail: return SrtpStatus::AuthFail;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old: return SrtpStatus::ReplayFail;
    default: return SrtpStatus::Other;
  }
}

bool setPolicy(SrtpSuite suite, srtp_policy_t& p) {
  switch (suite) {
    case SrtpSuite::AesCm128HmacSha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
      return true;
    case SrtpSuite::AesCm128HmacSha1_32:
      // RFC 4568 section 6.2.4: SRTCP keeps the 80-bit tag with the _32 suite.
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
      return true;
    case SrtpSuite::AeadAes128Gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
      return true;
    case SrtpSuite::AeadAes256Gcm:
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
      return true;
    case SrtpSuite::None: break;
  }
  return false;
}

}  // namespace

void SrtpSession::Deleter::operator()(srtp_ctx_t_* ctx) const { srtp_dealloc(ctx); }

std::optional<SrtpSession> SrtpSession::create(SrtpSuite suite, const std::vector<uint8_t>& key,
                                               bool inbound, uint32_t ssrc, std::string& why) {
  static std::once_flag once;
  static srtp_err_status_t init_status = srtp_err_status_ok;
  std::call_once(once, [] { init_status = srtp_init(); });
  if (init_status != srtp_err_status_ok) {
    why = "srtp_init failed (" + std::to_string(init_status) + ")";
    return std::nullopt;
  }
  srtp_policy_t p;
  std::memset(&p, 0, sizeof(p));
  if (!setPolicy(suite, p)) {
    why = "no SRTP policy for this suite";
    return std::nullopt;
  }
  if (key.size() != suiteInfo(suite).key_len) {
    why = "key length does not match the suite";
    return std::nullopt;
  }
  // libsrtp copies the key during srtp_create, but takes a non-const pointer.
  std::vector<uint8_t> copy = key;
  p.key = copy.data();
  p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_specific;
  p.ssrc.value = ssrc;
  // Wide enough for a relay that reorders within a burst of a second.
  p.window_size = 1024;
  p.allow_repeat_tx = 0;
  srtp_t ctx = nullptr;
  const srtp_err_status_t s = srtp_create(&ctx, &p);
  std::memset(copy.data(), 0, copy.size());
  if (s != srtp_err_status_ok) {
    why = "srtp_create failed (" + std::to_string(s) + ")";
    return std::nullopt;
  }
  return SrtpSession(ctx);
}

SrtpStatus SrtpSession::protectRtp(uint8_t* buf, int& len) {
  return toStatus(srtp_protect(ctx_.get(), buf, &len));
}

SrtpStatus SrtpSession::unprotectRtp(uint8_t* buf, int& len) {
  return toStatus(srtp_unprotect(ctx_.get(), buf, &len));
}

SrtpStatus SrtpSession::protectRtcp(uint8_t* buf, int& len) {
  return toStatus(srtp_protect_rtcp(ctx_.get(), buf, &len));
}

SrtpStatus SrtpSession::unprotectRtcp(uint8_t* buf, int& len) {
  return toStatus(srtp_unprotect_rtcp(ctx_.get(), buf, &len));
}

}  // namespace rampart::tools
