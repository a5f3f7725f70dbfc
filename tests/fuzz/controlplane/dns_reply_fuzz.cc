// Fuzzes DNS reply parsing (transport/dns_resolver.cc): the TTL walk over the answer section
// and c-ares' NAPTR, SRV, A and AAAA parsers, on whatever a server (or a spoofer) sends. The
// first input byte picks the record type the reply is read as.
#include <cstddef>
#include <cstdint>

#include "transport/dns_resolver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using rampart::cp::DnsType;
  if (size < 1) {
    return 0;
  }
  constexpr DnsType kTypes[] = {DnsType::Naptr, DnsType::Srv, DnsType::A, DnsType::Aaaa};
  DnsType type = kTypes[data[0] % 4];
  rampart::cp::DnsAnswer answer;
  (void)rampart::cp::parseDnsReply(type, data + 1, static_cast<int>(size - 1), &answer);
  return 0;
}
