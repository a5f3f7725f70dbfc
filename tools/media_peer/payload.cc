#include "media_peer/payload.h"

#include <cstring>

#include "media_peer/wire_bytes.h"

namespace rampart::tools {
namespace {

constexpr uint32_t kMagic = 0x524d5031;  // "RMP1"

uint64_t seedOf(uint64_t nonce, uint32_t stream, uint32_t index) {
  return mix64(nonce ^ mix64((static_cast<uint64_t>(stream) << 32) | index));
}

uint32_t checkWord(const PayloadFields& f) {
  return static_cast<uint32_t>(mix64(seedOf(f.nonce, f.stream, f.index) ^ f.send_ns));
}

// Filler: successive splitmix64 outputs from the packet's seed, written big-endian.
template <typename Fn>
void forEachFillerWord(uint64_t seed, std::size_t len, Fn&& fn) {
  uint64_t state = seed;
  for (std::size_t off = kPayloadHeaderBytes; off < len; off += 8) {
    state = mix64(state);
    fn(off, state);
  }
}

}  // namespace

void writePayload(uint8_t* out, std::size_t len, const PayloadFields& f) {
  put32(out, kMagic);
  put32(out + 4, f.stream);
  put32(out + 8, f.index);
  put32(out + 12, checkWord(f));
  put64(out + 16, f.send_ns);
  put64(out + 24, f.nonce);
  forEachFillerWord(seedOf(f.nonce, f.stream, f.index), len, [&](std::size_t off, uint64_t w) {
    uint8_t word[8];
    put64(word, w);
    std::memcpy(out + off, word, len - off < 8 ? len - off : 8);
  });
}

PayloadCheck checkPayload(const uint8_t* in, std::size_t len, uint64_t nonce, PayloadFields& f) {
  if (len < kMinPayloadBytes || get32(in) != kMagic) {
    return PayloadCheck::Garbage;
  }
  f.stream = get32(in + 4);
  f.index = get32(in + 8);
  f.send_ns = get64(in + 16);
  f.nonce = get64(in + 24);
  if (get32(in + 12) != checkWord(f)) {
    return PayloadCheck::Garbage;
  }
  if (f.nonce != nonce) {
    return PayloadCheck::Stale;
  }
  bool same = true;
  forEachFillerWord(seedOf(f.nonce, f.stream, f.index), len, [&](std::size_t off, uint64_t w) {
    uint8_t word[8];
    put64(word, w);
    if (std::memcmp(in + off, word, len - off < 8 ? len - off : 8) != 0) {
      same = false;
    }
  });
  return same ? PayloadCheck::Ok : PayloadCheck::Garbage;
}

}  // namespace rampart::tools
