#pragma once
// HMAC-SHA1 for libsrtp2's AES_CM_128_HMAC_SHA1_80/_32 suites with allocation-free per-packet
// state (why: hmac_sha1.cc). srtpGlobalInit installs it once, after srtp_init, unless the
// environment variable RAMPART_LIBSRTP_HMAC=1 asks for libsrtp2's own (for comparison).
#include <srtp2/auth.h>

namespace rampart::dp {

// The auth type (for tests: srtp_auth_type_test with further vectors).
const srtp_auth_type_t& hmacSha1Type();

// Replaces libsrtp2's SRTP_HMAC_SHA1 auth type. libsrtp2 runs the RFC 2202 self-test first.
// @return false when libsrtp2 refused it (its own HMAC then stays in place).
bool installHmacSha1();

}  // namespace rampart::dp
