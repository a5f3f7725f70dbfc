#pragma once
// Minimal RTCP (RFC 3550) for the media peer: builds a compound SR or RR with one SDES CNAME
// and checks received compounds structurally, keeping what a round-trip estimate needs (RFC
// 3550 section 6.4.1: the SR's NTP time, the first report block's LSR and DLSR).
#include <cstddef>
#include <cstdint>

namespace rampart::tools {

struct ReportBlock {
  uint32_t ssrc = 0;          // source being reported on
  uint8_t fraction_lost = 0;  // since the previous report, /256
  uint32_t cumulative_lost = 0;
  uint32_t highest_seq = 0;  // extended
  uint32_t jitter = 0;       // timestamp units
  uint32_t lsr = 0;          // middle 32 bits of the NTP time of the last SR received, 0: none
  uint32_t dlsr = 0;         // delay since that SR, 1/65536 s
};

struct SenderInfo {
  uint64_t ntp = 0;  // NTP format 32.32
  uint32_t rtp_ts = 0;
  uint32_t packets = 0;
  uint32_t octets = 0;
};

// Writes SR (when `sender` is non-null) or RR, with `block` if non-null, then SDES CNAME.
// @return bytes written, or 0 if `cap` is too small.
std::size_t buildRtcp(uint8_t* out, std::size_t cap, uint32_t ssrc, const SenderInfo* sender,
                      const ReportBlock* block);

struct RtcpSummary {
  uint32_t ssrc = 0;  // SSRC of the first packet's sender
  bool sr = false;
  bool rr = false;
  uint32_t report_blocks = 0;
  uint64_t sr_ntp = 0;     // the first SR's NTP time
  bool has_block = false;  // the first report block's LSR/DLSR below are set
  uint32_t lsr = 0;
  uint32_t dlsr = 0;
  bool bye = false;       // the compound holds a BYE (RFC 3550 6.6) ...
  uint32_t bye_ssrc = 0;  // ... for this (first) SSRC
};

// Walks a (decrypted) compound packet: version 2 everywhere, first packet SR or RR, lengths
// adding up exactly. @return false for anything else.
bool parseRtcp(const uint8_t* in, std::size_t len, RtcpSummary& out);

// RFC 5761 section 4: with rtcp-mux, the second byte 192-223 marks RTCP.
inline bool isRtcp(const uint8_t* in, std::size_t len) {
  return len >= 2 && in[1] >= 192 && in[1] <= 223;
}

}  // namespace rampart::tools
