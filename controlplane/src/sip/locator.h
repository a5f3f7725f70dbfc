#pragma once
// RFC 3263 section 4: where to send a request for a SIP URI. An IP literal is used as it is; a
// host name is resolved through DnsResolver (asynchronously, on the loop):
//   port given               -> A/AAAA of the host, transport from ;transport= (default UDP)
//   ;transport= without port -> SRV _sip._udp/_sip._tcp/_sips._tcp, else A/AAAA, default port
//   neither                  -> NAPTR (SIP+D2U, SIP+D2T, SIPS+D2T; "s" flag), in order and
//                               preference, each replacement's SRV; no NAPTR: the SRV records
//                               of the first transport that has some; none: A/AAAA, UDP
// SRV records are ordered by priority and weight (RFC 2782, weightedOrder) and every address of
// every record becomes one destination, so failover walks the SRV set in that order.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sip/message.h"
#include "transport/dns_resolver.h"
#include "transport/transport_layer.h"

namespace rampart::cp::sip {

/// The transport a URI asks for: ;transport= or sips: (TLS); nullopt when it names none.
std::optional<Transport> uriTransport(const Uri& uri);
/// 5061 for TLS, 5060 otherwise.
uint16_t defaultPort(Transport t);
/// The destination of a URI whose host is an IP literal; nullopt for a host name.
std::optional<Destination> literalDestination(const Uri& uri, uint32_t realm);

class Locator {
 public:
  static constexpr std::size_t kMaxDestinations = 16;
  using Done = std::function<void(std::vector<Destination>)>;

  explicit Locator(DnsResolver& dns) : dns_(dns) {}

  /// The destinations to try for `uri`, in order; empty when nothing resolved (counted as
  /// rampart_cp_dns_failures_total{reason="no_address"}). `done` runs later, on the loop.
  void locate(const Uri& uri, uint32_t realm, Done done);

 private:
  struct Job;
  struct SrvName {
    std::string name;
    Transport transport;
  };
  using Next = std::function<void()>;
  void afterNaptr(const std::shared_ptr<Job>& job, const DnsAnswer& answer);
  void srvChain(const std::shared_ptr<Job>& job, std::vector<SrvName> names, std::size_t i,
                bool all);
  void srvTargets(const std::shared_ptr<Job>& job, std::vector<SrvRecord> records,
                  Transport transport, std::size_t i, Next next);
  void hostAddresses(const std::shared_ptr<Job>& job, const std::string& host, uint16_t port,
                     Transport transport, Next next);
  void finish(const std::shared_ptr<Job>& job);

  DnsResolver& dns_;
};

}  // namespace rampart::cp::sip
