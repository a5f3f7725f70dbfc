// Fast-path set-up: the per-thread ipsec-mb manager and RFC 3711 key derivation into a
// FastSrtp record. Runs only while a command is applied, never per packet.
#include <cstring>

#include <intel-ipsec-mb.h>

#include "srtp/srtp_fast.h"
#include "srtp/srtp_fast_internal.h"

namespace rampart::dp {
namespace {

static_assert(sizeof(gcm_key_data) <= sizeof(FastSrtpGcm::gcm_rtp), "GCM key data grew");
static_assert(alignof(gcm_key_data) <= 64, "GCM key data alignment");

// RFC 3711 section 4.3.1 labels (auth = enc + 1, salt = enc + 2, relied on below).
constexpr uint8_t kLabelRtpEnc = 0;
constexpr uint8_t kLabelRtcpEnc = 3;

thread_local IMB_MGR* t_mgr = nullptr;
IMB_ARCH g_arch = IMB_ARCH_NONE;

// The AES-CM PRF: `len` bytes of keystream under the master key, counter block
// (master_salt XOR label << 48) << 16. `salt` is the master salt padded to 14 bytes.
bool prf(IMB_MGR* m, const uint8_t* key_sched, bool aes256, const uint8_t* salt, uint8_t label,
         uint8_t* out, uint32_t len) {
  uint8_t iv[16] = {};
  std::memcpy(iv, salt, 14);
  iv[7] ^= label;
  uint8_t zeros[32] = {};
  IMB_JOB job{};
  ctrJob(job, key_sched, aes256 ? 32 : 16, zeros, 0, len, iv, out);
  uint32_t done = IMB_SUBMIT_CIPHER_BURST(m, &job, 1, IMB_CIPHER_CNTR, IMB_DIR_ENCRYPT,
                                          aes256 ? IMB_KEY_256_BYTES : IMB_KEY_128_BYTES);
  explicit_bzero(iv, sizeof(iv));
  return done == 1 && job.status == IMB_STATUS_COMPLETED;
}

// HMAC-SHA1 inner and outer states of a 20-byte key (RFC 2104), as ipsec-mb's jobs take them.
void hmacStates(IMB_MGR* m, const uint8_t* key, uint8_t* ipad, uint8_t* opad) {
  uint8_t block[64];
  for (uint32_t i = 0; i < 64; ++i) {
    block[i] = static_cast<uint8_t>((i < 20 ? key[i] : 0) ^ 0x36);
  }
  IMB_SHA1_ONE_BLOCK(m, block, ipad);
  for (uint32_t i = 0; i < 64; ++i) {
    block[i] = static_cast<uint8_t>((i < 20 ? key[i] : 0) ^ 0x5c);
  }
  IMB_SHA1_ONE_BLOCK(m, block, opad);
  explicit_bzero(block, sizeof(block));
}

bool deriveCm(IMB_MGR* m, const uint8_t* sched, const uint8_t* salt, uint8_t enc_label, CmKeys* k) {
  uint8_t enc[16];
  uint8_t auth[20];
  bool ok = prf(m, sched, false, salt, enc_label, enc, 16) &&
            prf(m, sched, false, salt, static_cast<uint8_t>(enc_label + 1), auth, 20) &&
            prf(m, sched, false, salt, static_cast<uint8_t>(enc_label + 2), k->salt, 14);
  if (ok) {
    alignas(16) uint8_t dec_unused[16 * 15];
    IMB_AES_KEYEXP_128(m, enc, k->aes, dec_unused);
    explicit_bzero(dec_unused, sizeof(dec_unused));
    hmacStates(m, auth, k->ipad, k->opad);
  }
  explicit_bzero(enc, sizeof(enc));
  explicit_bzero(auth, sizeof(auth));
  return ok;
}

bool deriveGcm(IMB_MGR* m, const uint8_t* sched, bool aes256, const uint8_t* salt,
               uint8_t enc_label, uint8_t* key_data, uint8_t* session_salt) {
  uint8_t enc[32];
  uint32_t klen = aes256 ? 32 : 16;
  bool ok = prf(m, sched, aes256, salt, enc_label, enc, klen) &&
            prf(m, sched, aes256, salt, static_cast<uint8_t>(enc_label + 2), session_salt, 12);
  if (ok) {
    auto* kd = reinterpret_cast<gcm_key_data*>(key_data);
    if (aes256) {
      IMB_AES256_GCM_PRE(m, enc, kd);
    } else {
      IMB_AES128_GCM_PRE(m, enc, kd);
    }
  }
  explicit_bzero(enc, sizeof(enc));
  return ok;
}

bool isGcm(abi::SrtpSuite s) {
  return s == abi::SrtpSuite::AeadAes128Gcm || s == abi::SrtpSuite::AeadAes256Gcm;
}

}  // namespace

IMB_MGR* fastSrtpMgr() {
  if (t_mgr == nullptr) {
    IMB_MGR* m = alloc_mb_mgr(0);
    if (m == nullptr) {
      return nullptr;
    }
    IMB_ARCH arch = IMB_ARCH_NONE;
    init_mb_mgr_auto(m, &arch);
    if (imb_get_errno(m) != 0) {
      free_mb_mgr(m);
      return nullptr;
    }
    g_arch = arch;
    t_mgr = m;
  }
  return t_mgr;
}

const char* fastSrtpArch() {
  switch (g_arch) {
    case IMB_ARCH_NOAESNI: return "no-aesni";
    case IMB_ARCH_SSE: return "sse";
    case IMB_ARCH_AVX: return "avx";
    case IMB_ARCH_AVX2: return "avx2";
    case IMB_ARCH_AVX512: return "avx512";
    default: return "none";
  }
}

const char* fastSrtpVersion() { return imb_get_version_str(); }

bool fastSrtpCovers(abi::SrtpSuite suite) {
  switch (suite) {
    case abi::SrtpSuite::AesCm128HmacSha1_80:
    case abi::SrtpSuite::AesCm128HmacSha1_32:
    case abi::SrtpSuite::AeadAes128Gcm:
    case abi::SrtpSuite::AeadAes256Gcm: return true;
    case abi::SrtpSuite::None: break;
  }
  return false;
}

uint32_t fastSrtpSize(abi::SrtpSuite suite) {
  return isGcm(suite) ? sizeof(FastSrtpGcm) : sizeof(FastSrtp);
}

int32_t fastSrtpInit(FastSrtp* rec, const abi::SrtpParams& params) {
  IMB_MGR* m = fastSrtpMgr();
  bool gcm = isGcm(params.suite);
  bool aes256 = params.suite == abi::SrtpSuite::AeadAes256Gcm;
  uint32_t klen = aes256 ? 32 : 16;
  uint32_t slen = gcm ? 12 : 14;
  if (m == nullptr || !fastSrtpCovers(params.suite)) {
    return abi::kErrNotSup;
  }
  if (params.key_len != klen + slen) {
    return abi::kErrInval;
  }
  rec->suite = params.suite;
  rec->tag_len = gcm ? 16 : (params.suite == abi::SrtpSuite::AesCm128HmacSha1_32 ? 4 : 10);
  rec->rtcp_tag_len = gcm ? 16 : 10;  // the short tag applies to SRTP only (RFC 4568 6.2.1)
  rec->packets_left = (uint64_t{1} << 48) - 1;  // libsrtp2's default key limit
  // The master salt padded to 14 bytes (RFC 7714 section 11: the 96-bit salt, zero-extended).
  uint8_t salt[14] = {};
  std::memcpy(salt, params.key + klen, slen);
  alignas(16) uint8_t enc_sched[16 * 15];
  alignas(16) uint8_t dec_sched[16 * 15];
  if (aes256) {
    IMB_AES_KEYEXP_256(m, params.key, enc_sched, dec_sched);
  } else {
    IMB_AES_KEYEXP_128(m, params.key, enc_sched, dec_sched);
  }
  bool ok = false;
  if (gcm) {
    auto* g = static_cast<FastSrtpGcm*>(rec);
    ok = deriveGcm(m, enc_sched, aes256, salt, kLabelRtpEnc, g->gcm_rtp, rec->gcm_salt) &&
         deriveGcm(m, enc_sched, aes256, salt, kLabelRtcpEnc, g->gcm_rtcp, rec->gcm_rtcp_salt);
  } else {
    ok = deriveCm(m, enc_sched, salt, kLabelRtpEnc, &rec->rtp) &&
         deriveCm(m, enc_sched, salt, kLabelRtcpEnc, &rec->rtcp);
  }
  explicit_bzero(enc_sched, sizeof(enc_sched));
  explicit_bzero(dec_sched, sizeof(dec_sched));
  explicit_bzero(salt, sizeof(salt));
  return ok ? abi::kOk : abi::kErrInval;
}

bool fastSrtpState(const FastSrtp& rec, uint32_t* ssrc, uint32_t* roc, uint16_t* seq) {
  const SsrcSlot* best = nullptr;
  for (const SsrcSlot& s : rec.slots) {
    if (s.stamp != 0 && (best == nullptr || s.stamp > best->stamp)) {
      best = &s;
    }
  }
  if (best == nullptr) {
    return false;
  }
  *ssrc = best->ssrc;
  *roc = static_cast<uint32_t>(best->rtp.index >> 16);
  *seq = static_cast<uint16_t>(best->rtp.index);
  return true;
}

}  // namespace rampart::dp
