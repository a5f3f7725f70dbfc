#pragma once
// A cheap check of a punted datagram before any byte reaches OpenSSL: every DTLS record in it
// has a known content type (20..25), DTLS version bytes, and a length that stays inside the
// datagram, and the records fill the datagram exactly. Plaintext handshake records (epoch 0)
// also get their handshake header checked (fragment inside the message, fragment length equal
// to what the record carries). OpenSSL would drop most of this silently anyway; checking first
// lets us count garbage by reason and keeps malformed plaintext from reaching a handshake in
// progress. No allocation, no state: safe on every punted packet.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace rampart::cp::dtls {

inline constexpr size_t kRecordHeaderBytes = 13;     // type, version, epoch, seq(6), length
inline constexpr size_t kHandshakeHeaderBytes = 12;  // type, length(3), seq(2), offset(3), len(3)
// DTLSCiphertext.length may not exceed 2^14 + 2048 (RFC 6347 section 4.1).
inline constexpr size_t kMaxRecordBody = 16384 + 2048;

enum class RecordVerdict : uint8_t {
  Ok,
  Empty,           // no bytes at all
  BadContentType,  // a record's type is outside 20..25
  BadVersion,      // not 0xFEFF (DTLS 1.0, first ClientHello) or 0xFEFD (DTLS 1.2/1.3)
  BadLength,       // a header or body runs past the datagram, or a record is empty
  BadHandshake,    // an epoch-0 handshake header that contradicts its record
};
inline constexpr size_t kRecordVerdicts = 6;

/// @return a short label for @p v ("bad_content_type"), for metrics.
std::string_view verdictLabel(RecordVerdict v);

struct DemuxResult {
  RecordVerdict verdict = RecordVerdict::Empty;
  uint16_t records = 0;  // records seen before the verdict (all of them when Ok)
  bool has_handshake = false;
};

/// Walks every record of one UDP payload.
DemuxResult checkDatagram(std::span<const uint8_t> datagram);

/// @return true when a record of @p datagram (already through checkDatagram) is protected
///   (epoch > 0) and shorter than @p min_body, the smallest ciphertext of the negotiated
///   cipher. OpenSSL 3.0 treats such an AEAD record as an internal error and ends the
///   connection instead of discarding it, so a single forged record could kill a session.
bool hasShortCiphertext(std::span<const uint8_t> datagram, size_t min_body);

}  // namespace rampart::cp::dtls
