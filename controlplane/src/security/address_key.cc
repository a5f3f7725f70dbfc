#include "security/address_key.h"

namespace rampart::cp::security {

CidrSet::CidrSet(const std::vector<platform::Cidr>& cidrs) {
  for (const platform::Cidr& c : cidrs) {
    add(c);
  }
}

void CidrSet::add(const platform::Cidr& c) {
  Prefix p;
  if (c.address.family == 4) {
    p.net.bytes[10] = 0xff;
    p.net.bytes[11] = 0xff;
    std::memcpy(p.net.bytes.data() + 12, c.address.bytes, 4);
    p.bits = 96 + c.prefix_len;
  } else {
    std::memcpy(p.net.bytes.data(), c.address.bytes, 16);
    p.bits = c.prefix_len;
  }
  prefixes_.push_back(p);
}

bool CidrSet::contains(const AddressKey& k) const {
  for (const Prefix& p : prefixes_) {
    int whole = p.bits / 8;
    if (std::memcmp(p.net.bytes.data(), k.bytes.data(), static_cast<std::size_t>(whole)) != 0) {
      continue;
    }
    int rest = p.bits % 8;
    if (rest == 0) {
      return true;
    }
    auto mask = static_cast<uint8_t>(0xff << (8 - rest));
    if ((p.net.bytes[static_cast<std::size_t>(whole)] & mask) ==
        (k.bytes[static_cast<std::size_t>(whole)] & mask)) {
      return true;
    }
  }
  return false;
}

}  // namespace rampart::cp::security
