#pragma once
// Flow commands of a MediaSession batch, and comparing and wiping their specs (abi::FlowAdd
// holds SRTP master keys).
#include <openssl/crypto.h>

#include <cstring>

#include <rampart/platform/abi.h>

#include "media/media_session.h"
#include "media/sdes_keys.h"

namespace rampart::cp {

/// Specs compare without their header (assigned per command).
inline bool sameSpec(const abi::FlowAdd& x, const abi::FlowAdd& y) {
  abi::FlowAdd a = x;
  abi::FlowAdd b = y;
  a.hdr = {};
  b.hdr = {};
  bool same = std::memcmp(&a, &b, sizeof a) == 0;
  OPENSSL_cleanse(&a, sizeof a);
  OPENSSL_cleanse(&b, sizeof b);
  return same;
}

inline void wipeSpec(abi::FlowAdd& f) {
  sdes::wipe(f.srtp_in);
  sdes::wipe(f.srtp_out);
}

/// One flow command of a batch.
struct MediaSession::Op {
  enum class Kind : uint8_t { Add, Modify, Del, Ice, Xcode };
  Kind kind = Kind::Add;
  FlowKey key;
  abi::FlowAdd spec{};
  abi::FlowIce ice{};       // Kind::Ice
  abi::XcodeSetup xcode{};  // Kind::Xcode
  abi::FlowAdd oldSpec{};   // Modify: what a rollback restores
  uint64_t handle = 0;
  bool ok = false;
  Error error;

  Op() = default;
  Op(const Op&) = default;
  Op& operator=(const Op&) = default;
  ~Op() {
    wipeSpec(spec);
    wipeSpec(oldSpec);
    OPENSSL_cleanse(&ice, sizeof ice);
  }
};

}  // namespace rampart::cp
