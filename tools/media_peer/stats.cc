#include "media_peer/stats.h"

#include <algorithm>

namespace rampart::tools {
namespace {

constexpr uint64_t kFineBuckets = 100000;  // 1 us each: 0-100 ms
constexpr uint64_t kCoarseBuckets = 9900;  // 1 ms each: 100 ms-10 s

double ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

double jitterMs(const StreamRx& s) { return s.jitter_ts * 1000.0 / kRtpClockHz; }

}  // namespace

LatencyHistogram::LatencyHistogram() : fine_(kFineBuckets), coarse_(kCoarseBuckets) {}

void LatencyHistogram::add(uint64_t ns) {
  ++count_;
  max_ = std::max(max_, ns);
  const uint64_t us = ns / 1000;
  if (us < kFineBuckets) {
    ++fine_[us];
    return;
  }
  const uint64_t msec = ns / 1000000;
  if (msec - 100 < kCoarseBuckets) {
    ++coarse_[msec - 100];
    return;
  }
  ++overflow_;
}

uint64_t LatencyHistogram::percentileNs(double p) const {
  if (count_ == 0) {
    return 0;
  }
  const auto rank = static_cast<uint64_t>(static_cast<double>(count_) * p / 100.0 + 0.999999);
  uint64_t seen = 0;
  for (uint64_t i = 0; i < kFineBuckets; ++i) {
    seen += fine_[i];
    if (seen >= rank) {
      return std::min(max_, (i + 1) * 1000);
    }
  }
  for (uint64_t i = 0; i < kCoarseBuckets; ++i) {
    seen += coarse_[i];
    if (seen >= rank) {
      return std::min(max_, (i + 101) * 1000000);
    }
  }
  return max_;
}

namespace {

// Totals over the streams, for both reports. Jitter counts streams with two packets or more.
struct StreamSums {
  uint64_t received = 0;
  uint64_t bytes = 0;
  uint64_t expected = 0;
  uint64_t lost = 0;
  uint64_t dups = 0;
  uint64_t reordered = 0;
  uint64_t late = 0;
  double jitter_max = 0;
  double jitter_sum = 0;
  uint64_t jitter_n = 0;
};

StreamSums sumStreams(const std::vector<StreamRx>& streams) {
  StreamSums t;
  for (const StreamRx& s : streams) {
    t.received += s.received;
    t.bytes += s.bytes;
    t.expected += s.expected();
    t.lost += s.lost();
    t.dups += s.duplicates;
    t.reordered += s.reordered;
    t.late += s.late;
    if (s.received > 1) {
      t.jitter_max = std::max(t.jitter_max, jitterMs(s));
      t.jitter_sum += jitterMs(s);
      ++t.jitter_n;
    }
  }
  return t;
}

// The JSON document's parts, in the order docs/TOOLS.md shows them.
void writeHeadJson(std::FILE* out, const RunReport& r) {
  const PeerOptions& o = *r.options;
  std::fprintf(out,
               "{\"tool\":\"rampart-media-peer\",\"mode\":\"%s\",\"streams\":%u,"
               "\"suite\":\"%s\",\"rtcp\":\"%s\",\"payload_bytes\":%u,\"duration_s\":%.3f,"
               "\"elapsed_s\":%.3f,\"interrupted\":%s,\"nonce\":%llu,",
               modeName(o.mode), o.streams, suiteInfo(o.suite).name, rtcpModeName(o.rtcp),
               o.payload_bytes, o.duration_s, r.elapsed_s, r.interrupted ? "true" : "false",
               static_cast<unsigned long long>(o.nonce));
}

void writeSentJson(std::FILE* out, const PeerOptions& o, const TxTotals& tx) {
  std::fprintf(out,
               "\"sent\":{\"packets\":%llu,\"bytes\":%llu,\"scheduled\":%llu,\"dropped\":%llu,"
               "\"errno\":%d,\"late_max_ms\":%.3f,\"late_p99_ms\":%.3f,\"late_over_1ms\":%llu,"
               "\"impaired_dropped\":%llu,\"loss_pct\":%.3f,\"jitter_ms\":%u},",
               static_cast<unsigned long long>(tx.packets),
               static_cast<unsigned long long>(tx.bytes),
               static_cast<unsigned long long>(tx.scheduled),
               static_cast<unsigned long long>(tx.dropped), tx.first_errno, ms(tx.lateness.maxNs()),
               ms(tx.lateness.percentileNs(99)), static_cast<unsigned long long>(tx.late_over_1ms),
               static_cast<unsigned long long>(tx.impaired_dropped), o.loss_pct, o.jitter_ms);
}

void writeReceivedJson(std::FILE* out, const RxTotals& rx, const StreamSums& t) {
  std::fprintf(
      out,
      "\"received\":{\"datagrams\":%llu,\"packets\":%llu,\"bytes\":%llu,\"expected\":%llu,"
      "\"lost\":%llu,\"loss_ratio\":%.6f,\"duplicates\":%llu,\"reordered\":%llu,\"late\":%llu,"
      "\"garbage\":%llu,\"stale\":%llu,\"wrong_stream\":%llu,\"auth_failed\":%llu,"
      "\"replay_rejected\":%llu,\"srtp_errors\":%llu,\"ssrc_mismatch\":%llu,"
      "\"seq_mismatch\":%llu,\"jitter_ms_max\":%.3f,\"jitter_ms_mean\":%.3f,",
      static_cast<unsigned long long>(rx.datagrams), static_cast<unsigned long long>(t.received),
      static_cast<unsigned long long>(t.bytes), static_cast<unsigned long long>(t.expected),
      static_cast<unsigned long long>(t.lost),
      t.expected ? static_cast<double>(t.lost) / static_cast<double>(t.expected) : 0.0,
      static_cast<unsigned long long>(t.dups), static_cast<unsigned long long>(t.reordered),
      static_cast<unsigned long long>(t.late), static_cast<unsigned long long>(rx.garbage),
      static_cast<unsigned long long>(rx.stale), static_cast<unsigned long long>(rx.wrong_stream),
      static_cast<unsigned long long>(rx.auth_failed),
      static_cast<unsigned long long>(rx.replay_rejected),
      static_cast<unsigned long long>(rx.srtp_errors),
      static_cast<unsigned long long>(rx.ssrc_mismatch),
      static_cast<unsigned long long>(rx.seq_mismatch), t.jitter_max,
      t.jitter_n ? t.jitter_sum / static_cast<double>(t.jitter_n) : 0.0);
}

void writeDelayAndTosJson(std::FILE* out, const RxTotals& rx) {
  std::fprintf(out, "\"delay_ms\":{\"samples\":%llu,\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},",
               static_cast<unsigned long long>(rx.delay.count()), ms(rx.delay.percentileNs(50)),
               ms(rx.delay.percentileNs(99)), ms(rx.delay.maxNs()));
  std::fprintf(out, "\"tos_seen\":{");
  bool first = true;
  for (std::size_t t = 0; t < rx.tos.size(); ++t) {
    if (rx.tos[t] != 0) {
      std::fprintf(out, "%s\"%zu\":%llu", first ? "" : ",", t,
                   static_cast<unsigned long long>(rx.tos[t]));
      first = false;
    }
  }
  std::fprintf(out, "},\"dscp_seen\":{");
  first = true;
  for (std::size_t d = 0; d < 64; ++d) {
    uint64_t n = 0;
    for (std::size_t ecn = 0; ecn < 4; ++ecn) {
      n += rx.tos[d << 2 | ecn];
    }
    if (n != 0) {
      std::fprintf(out, "%s\"%zu\":%llu", first ? "" : ",", d, static_cast<unsigned long long>(n));
      first = false;
    }
  }
  std::fprintf(out, "},\"tos_missing\":%llu},", static_cast<unsigned long long>(rx.tos_missing));
}

void writeRtcpJson(std::FILE* out, const TxTotals& tx, const RxTotals& rx) {
  std::fprintf(
      out,
      "\"rtcp\":{\"sent\":%llu,\"dropped\":%llu,\"received\":%llu,\"sr\":%llu,"
      "\"rr\":%llu,\"auth_failed\":%llu,\"garbage\":%llu,\"rtt_samples\":%llu,"
      "\"rtt_ms\":%.3f,\"rtt_min_ms\":%.3f,\"rtt_max_ms\":%.3f,\"bye\":%llu,"
      "\"bye_ssrc\":%lu,\"sr_ssrc\":%lu}",
      static_cast<unsigned long long>(tx.rtcp), static_cast<unsigned long long>(tx.rtcp_dropped),
      static_cast<unsigned long long>(rx.rtcp_received),
      static_cast<unsigned long long>(rx.rtcp_sr), static_cast<unsigned long long>(rx.rtcp_rr),
      static_cast<unsigned long long>(rx.rtcp_auth_failed),
      static_cast<unsigned long long>(rx.rtcp_garbage),
      static_cast<unsigned long long>(rx.rtt_samples), rx.rtt_last_ms, rx.rtt_min_ms, rx.rtt_max_ms,
      static_cast<unsigned long long>(rx.rtcp_bye), static_cast<unsigned long>(rx.bye_ssrc),
      static_cast<unsigned long>(rx.sr_ssrc));
}

void writePerStreamJson(std::FILE* out, const std::vector<StreamRx>& streams) {
  std::fprintf(out, ",\"per_stream\":[");
  for (std::size_t i = 0; i < streams.size(); ++i) {
    const StreamRx& s = streams[i];
    std::fprintf(
        out,
        "%s{\"id\":%zu,\"received\":%llu,\"expected\":%llu,\"lost\":%llu,"
        "\"duplicates\":%llu,\"reordered\":%llu,\"late\":%llu,\"jitter_ms\":%.3f,"
        "\"rtcp_received\":%llu,\"last_ssrc\":%u}",
        i ? "," : "", i, static_cast<unsigned long long>(s.received),
        static_cast<unsigned long long>(s.expected()), static_cast<unsigned long long>(s.lost()),
        static_cast<unsigned long long>(s.duplicates), static_cast<unsigned long long>(s.reordered),
        static_cast<unsigned long long>(s.late), jitterMs(s),
        static_cast<unsigned long long>(s.rtcp_received), s.last_ssrc);
  }
  std::fprintf(out, "]");
}

}  // namespace

void writeJson(std::FILE* out, const RunReport& r) {
  writeHeadJson(out, r);
  writeSentJson(out, *r.options, *r.tx);
  writeReceivedJson(out, *r.rx, sumStreams(*r.streams));
  writeDelayAndTosJson(out, *r.rx);
  writeRtcpJson(out, *r.tx, *r.rx);
  if (r.options->per_stream) {
    writePerStreamJson(out, *r.streams);
  }
  std::fprintf(out, "}\n");
}

void writeSummary(std::FILE* out, const RunReport& r) {
  const PeerOptions& o = *r.options;
  const RxTotals& rx = *r.rx;
  const TxTotals& tx = *r.tx;
  StreamSums t = sumStreams(*r.streams);
  std::fprintf(out, "media-peer: %s, %u stream(s), %s, rtcp %s, %.1f s%s\n", modeName(o.mode),
               o.streams, suiteInfo(o.suite).name, rtcpModeName(o.rtcp), r.elapsed_s,
               r.interrupted ? " (interrupted)" : "");
  if (o.sends()) {
    std::fprintf(out,
                 "  sent      %llu/%llu packets, %llu dropped by the kernel, %llu by --loss-pct, "
                 "lateness max %.2f ms\n",
                 static_cast<unsigned long long>(tx.packets),
                 static_cast<unsigned long long>(tx.scheduled),
                 static_cast<unsigned long long>(tx.dropped),
                 static_cast<unsigned long long>(tx.impaired_dropped), ms(tx.lateness.maxNs()));
  }
  std::fprintf(out, "  received  %llu packets, lost %llu, dup %llu, reordered %llu, late %llu\n",
               static_cast<unsigned long long>(t.received), static_cast<unsigned long long>(t.lost),
               static_cast<unsigned long long>(t.dups),
               static_cast<unsigned long long>(t.reordered),
               static_cast<unsigned long long>(t.late));
  std::fprintf(out,
               "  rejected  garbage %llu, stale %llu, wrong stream %llu, auth failed %llu, "
               "replay %llu, ssrc mismatch %llu\n",
               static_cast<unsigned long long>(rx.garbage),
               static_cast<unsigned long long>(rx.stale),
               static_cast<unsigned long long>(rx.wrong_stream),
               static_cast<unsigned long long>(rx.auth_failed),
               static_cast<unsigned long long>(rx.replay_rejected),
               static_cast<unsigned long long>(rx.ssrc_mismatch));
  std::fprintf(out, "  delay     p50 %.3f ms, p99 %.3f ms, max %.3f ms; jitter max %.3f ms\n",
               ms(rx.delay.percentileNs(50)), ms(rx.delay.percentileNs(99)), ms(rx.delay.maxNs()),
               t.jitter_max);
  if (o.rtcp != RtcpMode::Off) {
    std::fprintf(
        out, "  rtcp      sent %llu, received %llu (SR %llu, RR %llu), auth failed %llu\n",
        static_cast<unsigned long long>(tx.rtcp), static_cast<unsigned long long>(rx.rtcp_received),
        static_cast<unsigned long long>(rx.rtcp_sr), static_cast<unsigned long long>(rx.rtcp_rr),
        static_cast<unsigned long long>(rx.rtcp_auth_failed));
  }
}

}  // namespace rampart::tools
