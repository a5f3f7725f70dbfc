#include "media/ice_credentials.h"

#include <openssl/rand.h>

#include <vector>

namespace rampart::cp::ice {

Result<std::string> randomChars(size_t count) {
  static constexpr char kIceChars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<unsigned char> raw(count);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    return Error(ErrorCode::Internal, "CSPRNG failed while making ICE credentials");
  }
  std::string out;
  out.reserve(count);
  for (unsigned char b : raw) {
    out.push_back(kIceChars[b & 63]);  // 64 symbols: masking keeps the choice uniform
  }
  return out;
}

}  // namespace rampart::cp::ice
