// HMAC-SHA1 (RFC 2104) for libsrtp2, installed through libsrtp2's own extension point
// (srtp_replace_auth_type). The hashing is still OpenSSL's SHA-1 (SHA-NI where the CPU has
// it); what changes is the bookkeeping around it. libsrtp2 2.5's OpenSSL 3 path goes through
// EVP_MAC: per packet it re-initialises the MAC, which duplicates a digest context twice (two
// malloc/free pairs), looks up OSSL_PARAM names with strcmp and wipes buffers, and each
// session's HMAC state is spread over about ten heap objects. Here the state is the inner and
// outer SHA-1 states computed once from the key, plus a working copy, in one 64-byte aligned
// block: per packet two 96-byte copies and the compressions themselves, no allocation.
//
// The low-level SHA1_* calls are deprecated in OpenSSL 3 in favour of EVP, whose contexts
// cannot be copied without allocating; they remain part of libcrypto 3's ABI.
#define OPENSSL_API_COMPAT 0x10101000L
#include "srtp/hmac_sha1.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <srtp2/auth.h>

namespace rampart::dp {
namespace {

constexpr int kDigestLen = SHA_DIGEST_LENGTH;  // 20
constexpr int kBlockLen = SHA_CBLOCK;          // 64

struct alignas(64) HmacState {
  SHA_CTX inner;  // after the key XOR ipad block
  SHA_CTX outer;  // after the key XOR opad block
  SHA_CTX work;   // the packet being authenticated
};

// srtp_auth_t and its state in one allocation (libsrtp2 frees through our dealloc).
struct alignas(64) HmacBlock {
  srtp_auth_t auth;
  HmacState state;
};

extern const srtp_auth_type_t kHmacType;

srtp_err_status_t hmacAlloc(srtp_auth_t** a, int key_len, int out_len) {
  // The same limits as libsrtp2's own HMAC: SRTP keys it with 20 octets, tags are <= 20.
  if (key_len < 0 || key_len > kDigestLen || out_len < 0 || out_len > kDigestLen) {
    return srtp_err_status_bad_param;
  }
  void* mem = std::aligned_alloc(alignof(HmacBlock), sizeof(HmacBlock));
  if (mem == nullptr) {
    return srtp_err_status_alloc_fail;
  }
  auto* b = new (mem) HmacBlock{};
  b->auth.type = &kHmacType;
  b->auth.state = &b->state;
  b->auth.out_len = out_len;
  b->auth.key_len = key_len;
  b->auth.prefix_len = 0;
  *a = &b->auth;
  return srtp_err_status_ok;
}

srtp_err_status_t hmacDealloc(srtp_auth_t* a) {
  auto* b = reinterpret_cast<HmacBlock*>(a);
  OPENSSL_cleanse(b, sizeof(*b));  // the states are as good as the key
  std::free(b);
  return srtp_err_status_ok;
}

srtp_err_status_t hmacInit(void* sv, const uint8_t* key, int key_len) {
  auto* s = static_cast<HmacState*>(sv);
  if (key_len < 0 || key_len > kBlockLen) {
    return srtp_err_status_bad_param;
  }
  uint8_t ipad[kBlockLen];
  uint8_t opad[kBlockLen];
  for (int i = 0; i < kBlockLen; ++i) {
    uint8_t k = i < key_len ? key[i] : 0;
    ipad[i] = static_cast<uint8_t>(k ^ 0x36);
    opad[i] = static_cast<uint8_t>(k ^ 0x5c);
  }
  bool ok = SHA1_Init(&s->inner) == 1 && SHA1_Update(&s->inner, ipad, kBlockLen) == 1 &&
            SHA1_Init(&s->outer) == 1 && SHA1_Update(&s->outer, opad, kBlockLen) == 1;
  OPENSSL_cleanse(ipad, sizeof(ipad));
  OPENSSL_cleanse(opad, sizeof(opad));
  return ok ? srtp_err_status_ok : srtp_err_status_auth_fail;
}

srtp_err_status_t hmacStart(void* sv) {
  auto* s = static_cast<HmacState*>(sv);
  s->work = s->inner;
  return srtp_err_status_ok;
}

srtp_err_status_t hmacUpdate(void* sv, const uint8_t* msg, int len) {
  auto* s = static_cast<HmacState*>(sv);
  if (len < 0) {
    return srtp_err_status_bad_param;
  }
  return SHA1_Update(&s->work, msg, static_cast<size_t>(len)) == 1 ? srtp_err_status_ok
                                                                   : srtp_err_status_auth_fail;
}

srtp_err_status_t hmacCompute(void* sv, const uint8_t* msg, int len, int tag_len, uint8_t* tag) {
  auto* s = static_cast<HmacState*>(sv);
  if (len < 0 || tag_len < 0 || tag_len > kDigestLen) {
    return srtp_err_status_bad_param;
  }
  uint8_t inner[kDigestLen];
  uint8_t full[kDigestLen];
  bool ok =
      SHA1_Update(&s->work, msg, static_cast<size_t>(len)) == 1 && SHA1_Final(inner, &s->work) == 1;
  s->work = s->outer;
  ok = ok && SHA1_Update(&s->work, inner, kDigestLen) == 1 && SHA1_Final(full, &s->work) == 1;
  std::memcpy(tag, full, static_cast<size_t>(tag_len));
  OPENSSL_cleanse(inner, sizeof(inner));
  return ok ? srtp_err_status_ok : srtp_err_status_auth_fail;
}

// RFC 2202 test case 1: libsrtp2 runs it when the type is installed and refuses a type that
// fails it.
constexpr uint8_t kTestKey[20] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                  0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
constexpr uint8_t kTestData[8] = {'H', 'i', ' ', 'T', 'h', 'e', 'r', 'e'};
constexpr uint8_t kTestTag[20] = {0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
                                  0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00};
const srtp_auth_test_case_t kTestCase = {20, kTestKey, 8, kTestData, 20, kTestTag, nullptr};

const srtp_auth_type_t kHmacType = {hmacAlloc,
                                    hmacDealloc,
                                    hmacInit,
                                    hmacCompute,
                                    hmacUpdate,
                                    hmacStart,
                                    "HMAC-SHA1 over OpenSSL SHA-1, precomputed pads (rampart)",
                                    &kTestCase,
                                    SRTP_HMAC_SHA1};

}  // namespace

const srtp_auth_type_t& hmacSha1Type() { return kHmacType; }

bool installHmacSha1() {
  return srtp_replace_auth_type(&kHmacType, SRTP_HMAC_SHA1) == srtp_err_status_ok;
}

}  // namespace rampart::dp
