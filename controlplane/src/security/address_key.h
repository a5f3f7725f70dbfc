#pragma once
// A source address as a fixed 16-byte key (IPv4 as v4-mapped IPv6), so per-source tables,
// ban lists and CIDR checks treat both families alike and hash without allocating.
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>

#include <boost/asio/ip/address.hpp>

#include <rampart/platform/config.h>

namespace rampart::cp::security {

struct AddressKey {
  std::array<uint8_t, 16> bytes{};

  static AddressKey of(const boost::asio::ip::address& a) {
    AddressKey k;
    if (a.is_v4()) {
      auto b4 = a.to_v4().to_bytes();
      k.bytes[10] = 0xff;
      k.bytes[11] = 0xff;
      std::memcpy(k.bytes.data() + 12, b4.data(), 4);
    } else {
      k.bytes = a.to_v6().to_bytes();
    }
    return k;
  }
  boost::asio::ip::address address() const {
    boost::asio::ip::address_v6 v6(bytes);
    if (v6.is_v4_mapped()) {
      return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6);
    }
    return v6;
  }
  std::string str() const { return address().to_string(); }
  bool operator==(const AddressKey&) const = default;
};

struct AddressKeyHash {
  std::size_t operator()(const AddressKey& k) const {
    uint64_t a = 0;
    uint64_t b = 0;
    std::memcpy(&a, k.bytes.data(), 8);
    std::memcpy(&b, k.bytes.data() + 8, 8);
    return std::hash<uint64_t>()(a * 0x9E3779B97F4A7C15ull ^ b);
  }
};

// CIDR prefixes of both families, matched against AddressKeys. Lists are short (operators'
// allow/deny entries), so a linear scan beats any tree here.
class CidrSet {
 public:
  CidrSet() = default;
  explicit CidrSet(const std::vector<platform::Cidr>& cidrs);
  void add(const platform::Cidr& c);
  bool empty() const { return prefixes_.empty(); }
  bool contains(const AddressKey& k) const;

 private:
  struct Prefix {
    AddressKey net;
    int bits = 0;  // over the 128-bit key (IPv4 /n is 96 + n)
  };
  std::vector<Prefix> prefixes_;
};

}  // namespace rampart::cp::security
