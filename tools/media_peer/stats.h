#pragma once
// Receive-side accounting of the media peer: per-stream loss/duplicate/reorder tracking by
// packet index, RFC 3550 interarrival jitter, a one-way delay histogram, and the JSON report.
#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "media_peer/options.h"

namespace rampart::tools {

inline constexpr uint32_t kPacketsPerSecond = 50;
inline constexpr uint32_t kSamplesPerPacket = 160;  // 20 ms at 8 kHz
inline constexpr uint32_t kRtpClockHz = 8000;
// Largest packet index a sender can produce within the maximum duration.
inline constexpr uint32_t kMaxIndex = static_cast<uint32_t>(kMaxDurationS) * kPacketsPerSecond;

// Two-tier histogram: 1 us buckets up to 100 ms, then 1 ms buckets up to 10 s.
class LatencyHistogram {
 public:
  LatencyHistogram();
  void add(uint64_t ns);
  uint64_t count() const { return count_; }
  uint64_t maxNs() const { return max_; }
  // Upper bound of the bucket holding the p-th percentile (0 < p <= 100), in ns.
  uint64_t percentileNs(double p) const;

 private:
  std::vector<uint64_t> fine_;
  std::vector<uint64_t> coarse_;
  uint64_t overflow_ = 0;
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

struct StreamRx {
  uint32_t expected_ssrc = 0;
  std::vector<uint64_t> seen;  // bitmap by packet index
  uint64_t received = 0;
  uint64_t bytes = 0;
  uint64_t duplicates = 0;
  uint64_t reordered = 0;
  uint64_t late = 0;
  int64_t highest = -1;
  double jitter_ts = 0;  // RFC 3550 J, timestamp units
  double last_transit = 0;
  bool have_transit = false;
  uint32_t last_ssrc = 0;
  // Values at the previous RTCP report, for the fraction lost (RFC 3550 A.3).
  uint64_t expected_prior = 0;
  uint64_t received_prior = 0;
  uint64_t rtcp_received = 0;
  // RFC 3550 section 6.4.1: the last SR received (NTP middle 32 bits, when), for LSR/DLSR.
  uint32_t last_sr_mid = 0;
  uint64_t last_sr_rx_ns = 0;

  uint64_t expected() const { return highest < 0 ? 0 : static_cast<uint64_t>(highest) + 1; }
  uint64_t lost() const { return expected() > received ? expected() - received : 0; }
};

struct RxTotals {
  uint64_t datagrams = 0;
  uint64_t garbage = 0;
  uint64_t stale = 0;
  uint64_t wrong_stream = 0;
  uint64_t auth_failed = 0;
  uint64_t replay_rejected = 0;
  uint64_t srtp_errors = 0;
  uint64_t ssrc_mismatch = 0;
  uint64_t seq_mismatch = 0;
  uint64_t rtcp_received = 0;
  uint64_t rtcp_sr = 0;
  uint64_t rtcp_rr = 0;
  uint64_t rtcp_auth_failed = 0;
  uint64_t rtcp_garbage = 0;
  uint64_t rtcp_bye = 0;  // compounds holding a BYE
  uint32_t bye_ssrc = 0;  // the SSRC the last one said goodbye for
  uint32_t sr_ssrc = 0;   // the sender of the last SR
  // Round trips from report blocks quoting our SRs (peer to peer, through any relay).
  uint64_t rtt_samples = 0;
  double rtt_last_ms = 0;
  double rtt_min_ms = 0;
  double rtt_max_ms = 0;
  uint64_t no_timestamp = 0;
  std::array<uint64_t, 256> tos{};
  uint64_t tos_missing = 0;
  LatencyHistogram delay;
};

struct TxTotals {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t scheduled = 0;
  uint64_t dropped = 0;  // the kernel refused (buffer full, no route): counted, not retried
  uint64_t impaired_dropped = 0;  // left out on purpose by --loss-pct
  uint64_t rtcp = 0;
  uint64_t rtcp_dropped = 0;
  int first_errno = 0;
  uint64_t late_over_1ms = 0;
  LatencyHistogram lateness;
};

struct RunReport {
  const PeerOptions* options = nullptr;
  const std::vector<StreamRx>* streams = nullptr;
  const RxTotals* rx = nullptr;
  const TxTotals* tx = nullptr;
  double elapsed_s = 0;
  bool interrupted = false;
};

void writeJson(std::FILE* out, const RunReport& r);
void writeSummary(std::FILE* out, const RunReport& r);

}  // namespace rampart::tools
