#pragma once
// Asynchronous DNS on the control plane's event loop: c-ares does the protocol, Asio does the
// waiting. c-ares reports the sockets it wants watched (ARES_OPT_SOCK_STATE_CB); each becomes a
// non-owning posix::stream_descriptor whose readiness calls ares_process_fd, and one timer
// drives c-ares' retransmissions and timeouts. Nothing here blocks.
//
// Answers are cached for the smallest TTL of their records (RFC 1035 section 3.2.1), negative
// answers (no such name, no records of the type) for kNegativeTtlS; failures (timeout,
// SERVFAIL, REFUSED) are not cached but counted in rampart_cp_dns_failures_total{reason}.
// Concurrent queries for the same name and type share one request on the wire.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>

#include <rampart/platform/result.h>

namespace rampart::cp {

enum class DnsType : uint16_t { A = 1, Naptr = 35, Srv = 33, Aaaa = 28 };
const char* dnsTypeName(DnsType t);

struct NaptrRecord {
  uint16_t order = 0;
  uint16_t preference = 0;
  std::string flags;    // lower case
  std::string service;  // upper case, e.g. "SIP+D2U"
  std::string replacement;
};

struct SrvRecord {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  std::string target;
};

enum class DnsStatus {
  Ok,       // records found
  NoData,   // the name does not exist or has no records of the type (cached briefly)
  Failure,  // timeout, server failure, refusal, bad reply (not cached, counted)
};

struct DnsAnswer {
  DnsStatus status = DnsStatus::Failure;
  uint32_t ttl_s = 0;
  std::vector<NaptrRecord> naptr;
  std::vector<SrvRecord> srv;
  std::vector<boost::asio::ip::address> addresses;  // A or AAAA
};

class DnsResolver {
 public:
  static constexpr uint32_t kNegativeTtlS = 30;
  static constexpr uint32_t kMaxTtlS = 86400;
  static constexpr std::size_t kMaxCacheEntries = 4096;

  using Done = std::function<void(const DnsAnswer&)>;

  /// `servers`: "addr", "addr:port" or "[v6]:port" (config sip.dns_servers); empty: the
  /// system's resolv.conf.
  DnsResolver(boost::asio::io_context& io, std::vector<std::string> servers,
              prometheus::Registry& registry);
  ~DnsResolver();
  DnsResolver(const DnsResolver&) = delete;
  DnsResolver& operator=(const DnsResolver&) = delete;

  /// Creates the c-ares channel. @return Io when c-ares refuses its options or the servers.
  Result<void> start();
  /// Cancels every query (their callbacks are not called) and releases the sockets.
  void stop();

  /// Resolves `name` (an absolute name; no search list). `done` is always called later on the
  /// loop, never from inside query(), also for cached answers.
  void query(DnsType type, const std::string& name, Done done);

  /// Counts a failure the caller found (e.g. a target name with no address at all).
  void countFailure(const char* reason);
  std::size_t cacheSize() const { return cache_.size(); }
  boost::asio::io_context& io() { return io_; }

 private:
  struct Watch;
  struct Pending;
  struct CacheEntry {
    DnsAnswer answer;
    std::chrono::steady_clock::time_point expires;
  };
  static void onSockState(void* self, int fd, int readable, int writable);
  static void onReply(void* arg, int status, int timeouts, unsigned char* buf, int len);
  void sockState(int fd, bool readable, bool writable);
  void armWatch(int fd);
  void process(int read_fd, int write_fd);
  void resetTimer();
  void complete(const std::string& key, DnsAnswer answer);
  void remember(const std::string& key, const DnsAnswer& answer);

  boost::asio::io_context& io_;
  std::vector<std::string> servers_;
  void* channel_ = nullptr;  // ares_channel (kept opaque so c-ares stays out of this header)
  boost::asio::steady_timer timer_;
  std::unordered_map<int, std::shared_ptr<Watch>> watches_;
  std::unordered_map<std::string, std::vector<Done>> in_flight_;
  std::map<std::string, CacheEntry> cache_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  prometheus::Family<prometheus::Counter>* failures_;
  prometheus::Family<prometheus::Counter>* queries_;
};

/// Parses a raw DNS reply of `type` into `answer` (records and the smallest answer TTL).
/// Exposed for the unit tests and the fuzz target. @return false when the reply is malformed.
bool parseDnsReply(DnsType type, const unsigned char* buf, int len, DnsAnswer* answer);

}  // namespace rampart::cp
