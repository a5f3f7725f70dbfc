// Fuzzes the SIP INFO DTMF body parser with both content types (the first input byte picks
// one): any body from a peer yields a digit 0-15 with a duration in 40..5000 ms, or nothing,
// and what Rampart would send for that digit parses back to it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "b2bua/dtmf_info.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::cp;
  if (size == 0) {
    return 0;
  }
  std::string_view type = (data[0] & 1) != 0 ? "application/dtmf-relay" : "application/dtmf";
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  auto d = parseDtmfInfo(type, body);
  if (!d) {
    return 0;
  }
  if (d->event > 15 || d->duration_ms < 40 || d->duration_ms > 5000) {
    std::abort();
  }
  auto back = parseDtmfInfo(dtmfInfoType(true), dtmfInfoBody(*d, true));
  if (!back || back->event != d->event || back->duration_ms != d->duration_ms) {
    std::abort();
  }
  return 0;
}
