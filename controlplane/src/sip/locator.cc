#include "sip/locator.h"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "transport/weighted_order.h"

namespace rampart::cp::sip {
namespace {

std::string lowerAscii(std::string s) {
  for (auto& c : s) {
    c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  return s;
}

std::string bareHost(const std::string& host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

std::string srvNameFor(Transport t, const std::string& host) {
  switch (t) {
    case Transport::Tcp: return "_sip._tcp." + host;
    case Transport::Tls: return "_sips._tcp." + host;
    default: return "_sip._udp." + host;
  }
}

// NAPTR services we can use (RFC 3263 4.1), for a sip: or a sips: URI.
std::optional<Transport> naptrTransport(const std::string& service, bool sips) {
  if (service == "SIPS+D2T") {
    return Transport::Tls;
  }
  if (sips) {
    return std::nullopt;
  }
  if (service == "SIP+D2U") {
    return Transport::Udp;
  }
  if (service == "SIP+D2T") {
    return Transport::Tcp;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Transport> uriTransport(const Uri& uri) {
  if (uri.scheme == "sips") {
    return Transport::Tls;
  }
  auto param = uri.param("transport");
  if (!param) {
    return std::nullopt;
  }
  std::string t = lowerAscii(*param);
  if (t == "tls") {
    return Transport::Tls;
  }
  if (t == "tcp") {
    return Transport::Tcp;
  }
  if (t == "ws") {
    return Transport::Ws;
  }
  if (t == "wss") {
    return Transport::Wss;
  }
  return Transport::Udp;
}

uint16_t defaultPort(Transport t) { return t == Transport::Tls ? 5061 : 5060; }

std::optional<Destination> literalDestination(const Uri& uri, uint32_t realm) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(bareHost(uri.host), ec);
  if (ec) {
    return std::nullopt;
  }
  Destination d;
  d.address = address;
  d.realm = realm;
  d.transport = uriTransport(uri).value_or(Transport::Udp);
  d.port = uri.port != 0 ? uri.port : defaultPort(d.transport);
  return d;
}

struct Locator::Job {
  Uri uri;
  std::string host;  // lower case, no brackets
  uint32_t realm = 0;
  Done done;
  std::vector<Destination> out;
};

void Locator::locate(const Uri& uri, uint32_t realm, Done done) {
  auto job =
      std::make_shared<Job>(Job{uri, lowerAscii(bareHost(uri.host)), realm, std::move(done), {}});
  if (auto literal = literalDestination(uri, realm)) {
    job->out.push_back(*literal);
    // Later, like every other answer: callers never see their callback run inside locate().
    boost::asio::post(dns_.io(), [job] { job->done(std::move(job->out)); });
    return;
  }
  std::optional<Transport> t = uriTransport(uri);
  if (uri.port != 0) {
    Transport tr = t.value_or(Transport::Udp);
    hostAddresses(job, job->host, uri.port, tr, [this, job] { finish(job); });
  } else if (t) {
    srvChain(job, {SrvName{srvNameFor(*t, job->host), *t}}, 0, false);
  } else {
    dns_.query(DnsType::Naptr, job->host, [this, job](const DnsAnswer& a) { afterNaptr(job, a); });
  }
}

void Locator::afterNaptr(const std::shared_ptr<Job>& job, const DnsAnswer& answer) {
  bool sips = job->uri.scheme == "sips";
  std::vector<NaptrRecord> records = answer.naptr;
  std::stable_sort(records.begin(), records.end(), [](const auto& x, const auto& y) {
    return x.order != y.order ? x.order < y.order : x.preference < y.preference;
  });
  std::vector<SrvName> names;
  for (const auto& r : records) {
    auto t = naptrTransport(r.service, sips);
    if (t && r.flags == "s" && !r.replacement.empty()) {
      names.push_back(SrvName{r.replacement, *t});
    }
  }
  if (!names.empty()) {
    srvChain(job, std::move(names), 0, true);
    return;
  }
  // No usable NAPTR: the SRV records of each transport we support, the first that has some.
  if (sips) {
    names = {SrvName{srvNameFor(Transport::Tls, job->host), Transport::Tls}};
  } else {
    for (Transport t : {Transport::Udp, Transport::Tcp, Transport::Tls}) {
      names.push_back(SrvName{srvNameFor(t, job->host), t});
    }
  }
  srvChain(job, std::move(names), 0, false);
}

// SRV names in turn: `all` collects every name's destinations (NAPTR order), otherwise the
// first name with records wins. Nothing at all: the host's own A/AAAA records.
void Locator::srvChain(const std::shared_ptr<Job>& job, std::vector<SrvName> names, std::size_t i,
                       bool all) {
  if (i == names.size() || (!all && !job->out.empty()) || job->out.size() >= kMaxDestinations) {
    if (!job->out.empty()) {
      finish(job);
      return;
    }
    Transport t = uriTransport(job->uri).value_or(Transport::Udp);
    hostAddresses(job, job->host, defaultPort(t), t, [this, job] { finish(job); });
    return;
  }
  std::string name = names[i].name;
  dns_.query(DnsType::Srv, name,
             [this, job, names = std::move(names), i, all](const DnsAnswer& a) mutable {
               std::vector<SrvRecord> records;
               std::vector<PriorityWeight> pw;
               for (const auto& r : a.srv) {
                 if (r.target != "." && !r.target.empty()) {  // "." : service not offered
                   records.push_back(r);
                   pw.push_back(PriorityWeight{r.priority, r.weight});
                 }
               }
               std::vector<SrvRecord> ordered;
               for (std::size_t k : weightedOrder(pw)) {
                 ordered.push_back(records[k]);
               }
               Transport t = names[i].transport;
               srvTargets(job, std::move(ordered), t, 0,
                          [this, job, names = std::move(names), i, all]() mutable {
                            srvChain(job, std::move(names), i + 1, all);
                          });
             });
}

void Locator::srvTargets(const std::shared_ptr<Job>& job, std::vector<SrvRecord> records,
                         Transport transport, std::size_t i, Next next) {
  if (i == records.size() || job->out.size() >= kMaxDestinations) {
    next();
    return;
  }
  std::string host = lowerAscii(records[i].target);
  uint16_t port = records[i].port;
  hostAddresses(job, host, port, transport,
                [this, job, records = std::move(records), transport, i, next]() mutable {
                  srvTargets(job, std::move(records), transport, i + 1, std::move(next));
                });
}

// A then AAAA of one host; each address is one destination.
void Locator::hostAddresses(const std::shared_ptr<Job>& job, const std::string& host, uint16_t port,
                            Transport transport, Next next) {
  auto add = [job, port, transport](const DnsAnswer& a) {
    for (const auto& address : a.addresses) {
      if (job->out.size() < kMaxDestinations) {
        job->out.push_back(Destination{transport, address, port, 0, job->realm, job->host});
      }
    }
  };
  dns_.query(DnsType::A, host, [this, job, host, add, next](const DnsAnswer& a) {
    add(a);
    dns_.query(DnsType::Aaaa, host, [add, next](const DnsAnswer& b) {
      add(b);
      next();
    });
  });
}

void Locator::finish(const std::shared_ptr<Job>& job) {
  if (job->out.empty()) {
    dns_.countFailure("no_address");
  }
  job->done(std::move(job->out));
}

}  // namespace rampart::cp::sip
