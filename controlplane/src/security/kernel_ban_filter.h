#pragma once
// Bans pushed down into the kernel. A classic BPF socket filter on every SIP UDP socket drops
// datagrams from banned sources before they are queued, so a banned source's flood costs the
// control plane no wakeup, no system call and no copy: the kernel's own receive path (softirq)
// is all it costs. The user-space ban check stays in front of the limiter for what the filter
// does not cover (stream transports, bans beyond the program's capacity).
//
// The program: IPv4 sources in a binary decision tree (unsigned compares, so a lookup is
// log2(n) steps; 5 instructions per address), IPv6 sources compared word by word (9 per
// address, at most kMaxV6 of them), within the kernel's 4096-instruction limit. When there are
// more bans than fit, the ones expiring last (the most recent) go in.
//
// Drops are counted by the kernel per socket (SO_MEMINFO's drop count, which also holds
// receive-buffer overflows):
//   rampart_cp_udp_kernel_drops_total{realm}
//   rampart_cp_kernel_ban_filter_addresses      bans in the attached program
#include <linux/filter.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "security/ban_list.h"
#include "transport/transport_layer.h"

namespace rampart::cp::security {

struct BanFilterProgram {
  std::vector<sock_filter> code;  // empty: no bans, no filter
  std::size_t covered = 0;        // addresses the program drops
};

inline constexpr std::size_t kMaxV6 = 64;

/// The filter dropping `bans` (most important first: the prefix that fits is taken).
BanFilterProgram compileBanFilter(std::span<const AddressKey> bans);

/// Attaches `program` to the socket (an empty one detaches). @return false on a kernel refusal.
bool attachBanFilter(int fd, const BanFilterProgram& program);

/// Datagrams the kernel dropped on this socket so far (filter and buffer overflows).
uint64_t socketDrops(int fd);

class KernelBanFilter : public BanList::Listener {
 public:
  KernelBanFilter(boost::asio::io_context& io, BanList& bans, TransportLayer& transport,
                  prometheus::Registry& registry, const std::vector<std::string>& realms);

  void onBanAdded(const Ban&) override { schedule(false); }
  // A lifted ban is served again at once (the removals of one sweep still share a program).
  void onBanRemoved(const Ban&, const char*) override { schedule(true); }
  /// Attaches the program for the list as it is now and starts copying the sockets' kernel
  /// drop counts into the metric once a second. Call once the transport is bound.
  void start();
  void stop();

 private:
  void schedule(bool now);
  void apply();
  void refreshDrops();

  boost::asio::io_context& io_;
  BanList& bans_;
  TransportLayer& transport_;
  boost::asio::steady_timer apply_timer_;
  boost::asio::steady_timer drops_timer_;
  bool pending_ = false;  // an apply() is due: the changes until then share it
  bool pending_now_ = false;
  std::chrono::steady_clock::time_point last_apply_{};
  prometheus::Gauge* covered_;
  prometheus::Counter* failed_;
  std::vector<prometheus::Counter*> drops_;  // per realm
  std::vector<uint64_t> seen_;               // per socket, last count read
};

}  // namespace rampart::cp::security
