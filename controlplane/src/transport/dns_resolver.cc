#include "transport/dns_resolver.h"

#include <ares.h>
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

#include <rampart/platform/log.h>

namespace rampart::cp {
namespace {

constexpr int kClassIn = 1;

ares_channel chan(void* c) { return static_cast<ares_channel>(c); }

std::string lower(std::string s) {
  for (auto& ch : s) {
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return s;
}

// Skips one (possibly compressed) domain name at buf[*pos]. @return false past the end.
bool skipName(const unsigned char* buf, int len, int* pos) {
  for (int labels = 0; labels < 128 && *pos < len; ++labels) {
    unsigned char b = buf[*pos];
    if ((b & 0xC0) == 0xC0) {
      *pos += 2;
      return *pos <= len;
    }
    *pos += 1 + b;
    if (b == 0) {
      return *pos <= len;
    }
  }
  return false;
}

// The smallest TTL among the answer records (c-ares' SRV and NAPTR parsers drop TTLs).
bool minAnswerTtl(const unsigned char* buf, int len, uint32_t* ttl) {
  if (len < 12) {
    return false;
  }
  int questions = buf[4] << 8 | buf[5];
  int answers = buf[6] << 8 | buf[7];
  int pos = 12;
  for (int i = 0; i < questions; ++i) {
    if (!skipName(buf, len, &pos) || (pos += 4) > len) {
      return false;
    }
  }
  *ttl = DnsResolver::kMaxTtlS;
  for (int i = 0; i < answers; ++i) {
    if (!skipName(buf, len, &pos) || pos + 10 > len) {
      return false;
    }
    uint32_t t = static_cast<uint32_t>(buf[pos + 4]) << 24 | buf[pos + 5] << 16 |
                 buf[pos + 6] << 8 | buf[pos + 7];
    *ttl = std::min(*ttl, t & 0x7fffffffu);  // RFC 2181 8: a set top bit means 0
    pos += 10 + (buf[pos + 8] << 8 | buf[pos + 9]);
  }
  return pos <= len;
}

bool parseNaptr(const unsigned char* buf, int len, DnsAnswer* a) {
  ares_naptr_reply* head = nullptr;
  if (ares_parse_naptr_reply(buf, len, &head) != ARES_SUCCESS) {
    return false;
  }
  for (auto* r = head; r; r = r->next) {
    NaptrRecord n;
    n.order = r->order;
    n.preference = r->preference;
    n.flags = lower(reinterpret_cast<const char*>(r->flags));
    n.service = reinterpret_cast<const char*>(r->service);
    for (auto& ch : n.service) {
      ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    n.replacement = r->replacement;
    a->naptr.push_back(std::move(n));
  }
  ares_free_data(head);
  return true;
}

bool parseSrv(const unsigned char* buf, int len, DnsAnswer* a) {
  ares_srv_reply* head = nullptr;
  if (ares_parse_srv_reply(buf, len, &head) != ARES_SUCCESS) {
    return false;
  }
  for (auto* r = head; r; r = r->next) {
    a->srv.push_back(SrvRecord{r->priority, r->weight, r->port, r->host});
  }
  ares_free_data(head);
  return true;
}

bool parseAddresses(DnsType type, const unsigned char* buf, int len, DnsAnswer* a) {
  constexpr int kMax = 32;
  int n = kMax;
  if (type == DnsType::A) {
    ares_addrttl v4[kMax];
    if (ares_parse_a_reply(buf, len, nullptr, v4, &n) != ARES_SUCCESS) {
      return false;
    }
    for (int i = 0; i < n; ++i) {
      a->addresses.emplace_back(boost::asio::ip::address_v4(ntohl(v4[i].ipaddr.s_addr)));
    }
    return true;
  }
  ares_addr6ttl v6[kMax];
  if (ares_parse_aaaa_reply(buf, len, nullptr, v6, &n) != ARES_SUCCESS) {
    return false;
  }
  for (int i = 0; i < n; ++i) {
    boost::asio::ip::address_v6::bytes_type b;
    std::copy_n(reinterpret_cast<const unsigned char*>(&v6[i].ip6addr), 16, b.begin());
    a->addresses.emplace_back(boost::asio::ip::address_v6(b));
  }
  return true;
}

const char* failureReason(int status) {
  switch (status) {
    case ARES_ETIMEOUT: return "timeout";
    case ARES_ESERVFAIL:
    case ARES_ECONNREFUSED: return "server_failure";  // c-ares: no server gave an answer
    case ARES_EREFUSED: return "refused";
    case ARES_EBADRESP:
    case ARES_EFORMERR: return "bad_reply";
    default: return "other";
  }
}

}  // namespace

const char* dnsTypeName(DnsType t) {
  switch (t) {
    case DnsType::A: return "A";
    case DnsType::Aaaa: return "AAAA";
    case DnsType::Srv: return "SRV";
    case DnsType::Naptr: return "NAPTR";
  }
  return "?";
}

bool parseDnsReply(DnsType type, const unsigned char* buf, int len, DnsAnswer* answer) {
  *answer = DnsAnswer{};
  uint32_t ttl = 0;
  if (!minAnswerTtl(buf, len, &ttl)) {
    return false;
  }
  bool ok = type == DnsType::Naptr ? parseNaptr(buf, len, answer)
            : type == DnsType::Srv ? parseSrv(buf, len, answer)
                                   : parseAddresses(type, buf, len, answer);
  if (!ok) {
    return false;
  }
  bool empty = answer->naptr.empty() && answer->srv.empty() && answer->addresses.empty();
  answer->status = empty ? DnsStatus::NoData : DnsStatus::Ok;
  answer->ttl_s = empty ? DnsResolver::kNegativeTtlS : ttl;
  return true;
}

// --- sockets and timer: c-ares on the Asio loop --------------------------------------------

struct DnsResolver::Watch {
  Watch(boost::asio::io_context& io, int fd) : sd(io, fd) {}
  boost::asio::posix::stream_descriptor sd;  // not the owner: c-ares closes the fd
  bool want_read = false;
  bool want_write = false;
  bool reading = false;
  bool writing = false;
};

struct DnsResolver::Pending {
  DnsResolver* self;
  std::string key;
  DnsType type;
};

DnsResolver::DnsResolver(boost::asio::io_context& io, std::vector<std::string> servers,
                         prometheus::Registry& registry)
    : io_(io), servers_(std::move(servers)), timer_(io) {
  failures_ = &prometheus::BuildCounter()
                   .Name("rampart_cp_dns_failures_total")
                   .Help(
                       "DNS lookups that failed (timeout, server failure, refused, bad reply; "
                       "no_address: a target name with no usable address)")
                   .Register(registry);
  queries_ = &prometheus::BuildCounter()
                  .Name("rampart_cp_dns_queries_total")
                  .Help("DNS queries sent (cache misses), by record type")
                  .Register(registry);
}

DnsResolver::~DnsResolver() { stop(); }

Result<void> DnsResolver::start() {
  static int library = ares_library_init(ARES_LIB_INIT_ALL);
  if (library != ARES_SUCCESS) {
    return Error{ErrorCode::Io, std::string("c-ares: ") + ares_strerror(library)};
  }
  ares_options opts{};
  opts.sock_state_cb = [](void* self, ares_socket_t fd, int r, int w) {
    onSockState(self, fd, r, w);
  };
  opts.sock_state_cb_data = this;
  opts.timeout = 1000;  // per try, ms; c-ares doubles it per round
  opts.tries = 2;
  opts.flags = ARES_FLAG_NOSEARCH;  // targets are absolute names
  ares_channel c = nullptr;
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS;
  int rc = ares_init_options(&c, &opts, mask);
  if (rc != ARES_SUCCESS) {
    return Error{ErrorCode::Io, std::string("c-ares init: ") + ares_strerror(rc)};
  }
  channel_ = c;
  if (!servers_.empty()) {
    std::string csv;
    for (const auto& s : servers_) {
      csv += (csv.empty() ? "" : ",") + s;
    }
    rc = ares_set_servers_ports_csv(c, csv.c_str());
    if (rc != ARES_SUCCESS) {
      return Error{ErrorCode::Io, "c-ares servers '" + csv + "': " + ares_strerror(rc)};
    }
  }
  return {};
}

void DnsResolver::stop() {
  if (!channel_) {
    return;
  }
  *alive_ = false;
  ares_destroy(chan(channel_));  // replies ARES_EDESTRUCTION to every query: callbacks dropped
  channel_ = nullptr;
  timer_.cancel();
  for (auto& [fd, w] : watches_) {
    w->sd.cancel();
    w->sd.release();
  }
  watches_.clear();
  in_flight_.clear();
}

void DnsResolver::onSockState(void* self, int fd, int readable, int writable) {
  static_cast<DnsResolver*>(self)->sockState(fd, readable != 0, writable != 0);
}

// c-ares calls this before it closes a socket (readable and writable both false): the
// descriptor is released, never closed by us.
void DnsResolver::sockState(int fd, bool readable, bool writable) {
  auto it = watches_.find(fd);
  if (!readable && !writable) {
    if (it != watches_.end()) {
      it->second->sd.cancel();
      it->second->sd.release();
      watches_.erase(it);
    }
    return;
  }
  if (it == watches_.end()) {
    it = watches_.emplace(fd, std::make_shared<Watch>(io_, fd)).first;
  }
  it->second->want_read = readable;
  it->second->want_write = writable;
  armWatch(fd);
}

void DnsResolver::armWatch(int fd) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) {
    return;
  }
  std::shared_ptr<Watch> w = it->second;
  std::weak_ptr<Watch> weak = w;
  auto wait = [this, fd, weak](bool read) {
    return [this, fd, weak, read](boost::system::error_code ec) {
      auto watch = weak.lock();
      if (!watch) {
        return;  // released: c-ares closed the socket
      }
      (read ? watch->reading : watch->writing) = false;
      if (ec) {
        return;
      }
      process(read ? fd : ARES_SOCKET_BAD, read ? ARES_SOCKET_BAD : fd);
      armWatch(fd);
    };
  };
  using Sd = boost::asio::posix::stream_descriptor;
  if (w->want_read && !w->reading) {
    w->reading = true;
    w->sd.async_wait(Sd::wait_read, wait(true));
  }
  if (w->want_write && !w->writing) {
    w->writing = true;
    w->sd.async_wait(Sd::wait_write, wait(false));
  }
}

void DnsResolver::process(int read_fd, int write_fd) {
  if (channel_) {
    ares_process_fd(chan(channel_), read_fd, write_fd);
    resetTimer();
  }
}

// One timer for c-ares' own deadlines (retransmission to the next server, timeouts).
void DnsResolver::resetTimer() {
  timeval tv{};
  if (!channel_ || !ares_timeout(chan(channel_), nullptr, &tv)) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
  timer_.async_wait([this, alive = alive_](boost::system::error_code ec) {
    if (!ec && *alive) {
      process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    }
  });
}

// --- queries and cache ----------------------------------------------------------------------

void DnsResolver::query(DnsType type, const std::string& name, Done done) {
  std::string key = std::string(dnsTypeName(type)) + " " + lower(name);
  auto cached = cache_.find(key);
  if (cached != cache_.end() && cached->second.expires > std::chrono::steady_clock::now()) {
    boost::asio::post(io_, [done = std::move(done), a = cached->second.answer] { done(a); });
    return;
  }
  if (!channel_) {
    boost::asio::post(io_, [done = std::move(done)] { done(DnsAnswer{}); });
    return;
  }
  auto& waiters = in_flight_[key];
  waiters.push_back(std::move(done));
  if (waiters.size() > 1) {
    return;  // the same question is already on the wire
  }
  queries_->Add({{"type", dnsTypeName(type)}}).Increment();
  auto* p = new Pending{this, key, type};
  ares_query(chan(channel_), name.c_str(), kClassIn, static_cast<int>(type), &DnsResolver::onReply,
             p);
  resetTimer();
}

void DnsResolver::onReply(void* arg, int status, int timeouts, unsigned char* buf, int len) {
  (void)timeouts;
  std::unique_ptr<Pending> p(static_cast<Pending*>(arg));
  if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {
    return;  // stop(): nobody waits any more
  }
  DnsAnswer answer;
  if (status == ARES_SUCCESS) {
    if (!parseDnsReply(p->type, buf, len, &answer)) {
      answer = DnsAnswer{};
      status = ARES_EBADRESP;
    }
  } else if (status == ARES_ENODATA || status == ARES_ENOTFOUND) {
    answer.status = DnsStatus::NoData;
    answer.ttl_s = kNegativeTtlS;
  }
  if (answer.status == DnsStatus::Failure) {
    p->self->countFailure(failureReason(status));
    RAMPART_LOG(platform::LogLevel::Warn, "dns", "%s: %s", p->key.c_str(), ares_strerror(status));
  }
  p->self->complete(p->key, std::move(answer));
}

void DnsResolver::complete(const std::string& key, DnsAnswer answer) {
  if (answer.status != DnsStatus::Failure) {
    remember(key, answer);
  }
  auto it = in_flight_.find(key);
  if (it == in_flight_.end()) {
    return;
  }
  std::vector<Done> waiters = std::move(it->second);
  in_flight_.erase(it);
  for (auto& done : waiters) {
    done(answer);
  }
}

void DnsResolver::remember(const std::string& key, const DnsAnswer& answer) {
  if (answer.ttl_s == 0) {
    return;  // TTL 0: use once, never cache (RFC 1035 3.2.1)
  }
  if (cache_.size() >= kMaxCacheEntries) {
    auto now = std::chrono::steady_clock::now();
    std::erase_if(cache_, [now](const auto& kv) { return kv.second.expires <= now; });
    if (cache_.size() >= kMaxCacheEntries) {
      cache_.erase(cache_.begin());
    }
  }
  auto ttl = std::chrono::seconds(std::min(answer.ttl_s, kMaxTtlS));
  cache_[key] = CacheEntry{answer, std::chrono::steady_clock::now() + ttl};
}

void DnsResolver::countFailure(const char* reason) {
  failures_->Add({{"reason", reason}}).Increment();
}

}  // namespace rampart::cp
