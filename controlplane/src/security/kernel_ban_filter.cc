#include "security/kernel_ban_filter.h"

#include <linux/sock_diag.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <rampart/platform/log.h>

namespace rampart::cp::security {
namespace {

constexpr uint32_t kAccept = 0xffffffffu;  // keep the whole datagram
constexpr uint32_t kDrop = 0;
constexpr std::size_t kPrologue = 7;
// Bans change in bursts under a flood of new sources: one program per interval at most.
constexpr std::chrono::milliseconds kMinInterval{50};

uint32_t netOff(int offset) { return static_cast<uint32_t>(SKF_NET_OFF + offset); }

bool isV4(const AddressKey& k) {
  static constexpr std::array<uint8_t, 12> kMapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::equal(kMapped.begin(), kMapped.end(), k.bytes.begin());
}

// Address bytes 4i..4i+3 as the number a BPF word load gives (network order read as a value).
uint32_t word(const AddressKey& k, int i) {
  const uint8_t* b = k.bytes.data() + 4 * i;
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

sock_filter stmt(uint16_t code, uint32_t k) { return sock_filter{code, 0, 0, k}; }
sock_filter jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
  return sock_filter{code, jt, jf, k};
}

// Sorted addresses as a binary search: at each node drop on equality, else go right (a long
// jump, so subtrees of any size fit) when greater, left (the next instruction) when smaller.
void emitTree(std::vector<sock_filter>& c, std::span<const uint32_t> a) {
  if (a.empty()) {
    c.push_back(stmt(BPF_RET | BPF_K, kAccept));
    return;
  }
  std::size_t mid = a.size() / 2;
  c.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, a[mid], 0, 1));
  c.push_back(stmt(BPF_RET | BPF_K, kDrop));
  c.push_back(jump(BPF_JMP | BPF_JGT | BPF_K, a[mid], 0, 1));
  std::size_t right = c.size();
  c.push_back(stmt(BPF_JMP | BPF_JA, 0));
  emitTree(c, a.first(mid));
  c[right].k = static_cast<uint32_t>(c.size() - right - 1);
  emitTree(c, a.subspan(mid + 1));
}

// One block per address: four word compares, each skipping to the next block on a mismatch.
void emitV6(std::vector<sock_filter>& c, const std::vector<AddressKey>& v6) {
  for (const AddressKey& k : v6) {
    for (int i = 0; i < 4; ++i) {
      c.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, netOff(8 + 4 * i)));
      c.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, word(k, i), 0, static_cast<uint8_t>(7 - 2 * i)));
    }
    c.push_back(stmt(BPF_RET | BPF_K, kDrop));
  }
  c.push_back(stmt(BPF_RET | BPF_K, kAccept));
}

}  // namespace

BanFilterProgram compileBanFilter(std::span<const AddressKey> bans) {
  std::vector<AddressKey> v6;
  for (const AddressKey& k : bans) {
    if (!isV4(k) && v6.size() < kMaxV6) {
      v6.push_back(k);
    }
  }
  const std::size_t v4_room = (BPF_MAXINSNS - kPrologue - 2 - 9 * v6.size() - 1) / 5;
  std::vector<uint32_t> v4;
  for (const AddressKey& k : bans) {
    if (isV4(k) && v4.size() < v4_room) {
      v4.push_back(word(k, 3));
    }
  }
  std::sort(v4.begin(), v4.end());
  v4.erase(std::unique(v4.begin(), v4.end()), v4.end());
  BanFilterProgram p;
  p.covered = v4.size() + v6.size();
  if (p.covered == 0) {
    return p;
  }
  std::vector<sock_filter>& c = p.code;
  c.push_back(stmt(BPF_LD | BPF_B | BPF_ABS, netOff(0)));  // IP version
  c.push_back(stmt(BPF_ALU | BPF_RSH | BPF_K, 4));
  c.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, 4, 0, 1));
  c.push_back(stmt(BPF_JMP | BPF_JA, 0));  // -> IPv4 part
  c.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 1));
  c.push_back(stmt(BPF_JMP | BPF_JA, 0));  // -> IPv6 part
  c.push_back(stmt(BPF_RET | BPF_K, kAccept));
  c[3].k = static_cast<uint32_t>(c.size() - 4);
  c.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, netOff(12)));  // IPv4 source
  emitTree(c, v4);
  c[5].k = static_cast<uint32_t>(c.size() - 6);
  emitV6(c, v6);
  return p;
}

bool attachBanFilter(int fd, const BanFilterProgram& program) {
  if (program.code.empty()) {
    int unused = 0;
    return ::setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof(unused)) == 0 ||
           errno == ENOENT;
  }
  sock_fprog prog{static_cast<unsigned short>(program.code.size()),
                  const_cast<sock_filter*>(program.code.data())};
  return ::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) == 0;
}

uint64_t socketDrops(int fd) {
  std::array<uint32_t, SK_MEMINFO_VARS> info{};
  socklen_t len = sizeof(info);
  if (::getsockopt(fd, SOL_SOCKET, SO_MEMINFO, info.data(), &len) != 0 ||
      len < sizeof(uint32_t) * (SK_MEMINFO_DROPS + 1)) {
    return 0;
  }
  return info[SK_MEMINFO_DROPS];
}

KernelBanFilter::KernelBanFilter(boost::asio::io_context& io, BanList& bans,
                                 TransportLayer& transport, prometheus::Registry& registry,
                                 const std::vector<std::string>& realms)
    : io_(io), bans_(bans), transport_(transport), apply_timer_(io), drops_timer_(io) {
  covered_ = &prometheus::BuildGauge()
                  .Name("rampart_cp_kernel_ban_filter_addresses")
                  .Help("Banned source addresses in the kernel filter of the SIP UDP sockets")
                  .Register(registry)
                  .Add({});
  failed_ = &prometheus::BuildCounter()
                 .Name("rampart_cp_kernel_ban_filter_failures_total")
                 .Help("Kernel ban filters the kernel refused to attach")
                 .Register(registry)
                 .Add({});
  auto& drops = prometheus::BuildCounter()
                    .Name("rampart_cp_udp_kernel_drops_total")
                    .Help(
                        "Datagrams the kernel dropped on the SIP UDP sockets: banned sources "
                        "(kernel ban filter) and receive-buffer overflows")
                    .Register(registry);
  for (const std::string& r : realms) {
    drops_.push_back(&drops.Add({{"realm", r}}));
  }
}

void KernelBanFilter::start() {
  apply();
  refreshDrops();
}

void KernelBanFilter::stop() {
  apply_timer_.cancel();
  drops_timer_.cancel();
}

void KernelBanFilter::schedule(bool now) {
  if (pending_ && (pending_now_ || !now)) {
    return;  // the one already due covers this change
  }
  pending_ = true;
  pending_now_ = now;
  // Setting the expiry cancels a wait already pending (its handler sees operation_aborted).
  apply_timer_.expires_at(now ? std::chrono::steady_clock::time_point{}
                              : last_apply_ + kMinInterval);
  apply_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) {
      apply();
    }
  });
}

void KernelBanFilter::apply() {
  pending_ = false;
  pending_now_ = false;
  last_apply_ = std::chrono::steady_clock::now();
  std::vector<Ban> list = bans_.list();
  // The bans expiring last first: the most recent when they do not all fit.
  std::sort(list.begin(), list.end(),
            [](const Ban& a, const Ban& b) { return a.expires_unix_s > b.expires_unix_s; });
  std::vector<AddressKey> keys;
  keys.reserve(list.size());
  for (const Ban& b : list) {
    keys.push_back(b.address);
  }
  BanFilterProgram program = compileBanFilter(keys);
  for (const auto& [fd, realm] : transport_.udpSockets()) {
    if (!attachBanFilter(fd, program)) {
      failed_->Increment();
      RAMPART_LOG(platform::LogLevel::Warn, "security", "kernel ban filter not attached: %s",
                  std::strerror(errno));
    }
  }
  covered_->Set(static_cast<double>(program.covered));
}

void KernelBanFilter::refreshDrops() {
  auto sockets = transport_.udpSockets();
  seen_.resize(sockets.size(), 0);
  for (std::size_t i = 0; i < sockets.size(); ++i) {
    uint64_t n = socketDrops(sockets[i].first);
    if (n > seen_[i] && sockets[i].second < drops_.size()) {
      drops_[sockets[i].second]->Increment(static_cast<double>(n - seen_[i]));
    }
    seen_[i] = n;
  }
  drops_timer_.expires_after(std::chrono::seconds(1));
  drops_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) {
      refreshDrops();
    }
  });
}

}  // namespace rampart::cp::security
