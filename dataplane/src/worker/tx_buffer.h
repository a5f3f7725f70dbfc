#pragma once
// Per-port TX batching (l3fwd send_burst): packets collect here and leave in bursts; whatever
// the PMD does not take is freed and counted, so no mbuf is ever leaked or retried forever.
#include <cstdint>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <rampart/dp/stats_layout.h>

#include "stats/drop_reasons.h"

namespace rampart::dp {

inline constexpr uint16_t kBurst = 32;

struct TxBuffer {
  uint16_t port;
  uint16_t queue;
  uint16_t count;
  rte_mbuf* pkts[kBurst];
};

// Sends what is buffered; frees and counts (TxFull) what the queue refused.
inline void txFlush(TxBuffer& tb, PortCounters& ctr) {
  if (tb.count == 0) {
    return;
  }
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < tb.count; ++i) {
    bytes += rte_pktmbuf_pkt_len(tb.pkts[i]);
  }
  uint16_t sent = rte_eth_tx_burst(tb.port, tb.queue, tb.pkts, tb.count);
  if (sent < tb.count) [[unlikely]] {
    for (uint16_t i = sent; i < tb.count; ++i) {
      bytes -= rte_pktmbuf_pkt_len(tb.pkts[i]);
      rte_pktmbuf_free(tb.pkts[i]);
    }
    bump(ctr.drops[static_cast<uint32_t>(DropReason::TxFull)], tb.count - sent);
  }
  bump(ctr.tx_packets, sent);
  bump(ctr.tx_bytes, bytes);
  tb.count = 0;
}

inline void txPush(TxBuffer& tb, PortCounters& ctr, rte_mbuf* m) {
  tb.pkts[tb.count++] = m;
  if (tb.count == kBurst) {
    txFlush(tb, ctr);
  }
}

}  // namespace rampart::dp
