#pragma once
// The media peer's RTP payload: a header the receiver checks (stream id, packet index, send
// time, run nonce, a check word) followed by filler that is a pure function of
// (nonce, stream, index). A receiver recomputes all of it, so corruption by a relay, packets
// delivered to the wrong stream and packets left over from an earlier run are told apart.
#include <cstddef>
#include <cstdint>

namespace rampart::tools {

inline constexpr std::size_t kPayloadHeaderBytes = 32;
inline constexpr std::size_t kMinPayloadBytes = kPayloadHeaderBytes;
inline constexpr std::size_t kMaxPayloadBytes = 1400;

struct PayloadFields {
  uint32_t stream = 0;
  uint32_t index = 0;    // packet number in the stream, from 0; does not wrap like RTP seq
  uint64_t send_ns = 0;  // scheduled send time, CLOCK_MONOTONIC
  uint64_t nonce = 0;    // run nonce shared by sender and receiver
};

enum class PayloadCheck {
  Ok,
  Garbage,  // too short, no magic, wrong check word or filler: not our packet or corrupted
  Stale,    // well-formed but carries another run's nonce
};

// Writes `len` (>= kMinPayloadBytes) bytes.
void writePayload(uint8_t* out, std::size_t len, const PayloadFields& fields);

// Verifies every byte of `len` bytes against `nonce`; fills `fields` when Ok (and, for Stale,
// the fields as read).
PayloadCheck checkPayload(const uint8_t* in, std::size_t len, uint64_t nonce,
                          PayloadFields& fields);

}  // namespace rampart::tools
