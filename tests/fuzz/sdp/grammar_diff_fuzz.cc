// Differential fuzz target: the fast-path splitters extract() uses on lines parse() has
// already checked (sdp/src/checked_split.h) against the checking grammars. Whenever a checking
// parser accepts a value, the splitter must read the same fields out of it.
//
// Input: byte 0 picks the grammar (m= line, a=rtpmap, a=ptime, c= line, an RTP format number);
// the rest is the value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "checked_split.h"

namespace {

using namespace rampart::sdp;

void check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

void mediaLine(std::string_view v) {
  MediaLine checked;
  if (!parseMediaLine(v, checked).ok()) {
    return;
  }
  MediaLine split;
  detail::splitMediaLine(v, split);
  check(split.kind == checked.kind && split.port == checked.port &&
        split.port_count == checked.port_count && split.has_port_count == checked.has_port_count &&
        split.proto == checked.proto && split.formats == checked.formats);
}

void rtpmap(std::string_view v) {
  Rtpmap checked;
  if (!parseRtpmap(v, checked).ok()) {
    return;
  }
  Rtpmap split;
  detail::splitRtpmap(v, split);
  check(split.payload_type == checked.payload_type && split.encoding == checked.encoding &&
        split.clock_rate == checked.clock_rate && split.channels == checked.channels &&
        split.has_channels == checked.has_channels);
}

void ptime(std::string_view v) {
  uint32_t checked = 0;
  if (parsePtime(v, checked).ok()) {
    check(detail::splitPtime(v) == checked);
  }
}

void connection(std::string_view v) {
  Connection checked;
  if (parseConnection(v, checked).ok()) {
    check(detail::connectionAddress(v) == checked.address);
  }
}

void formatNumber(std::string_view v) {
  uint64_t checked = 0;
  if (parseUint(v, checked, 127)) {
    check(detail::checkedNumber(v) == checked);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  std::string_view v(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 5) {
    case 0: mediaLine(v); break;
    case 1: rtpmap(v); break;
    case 2: ptime(v); break;
    case 3: connection(v); break;
    default: formatNumber(v); break;
  }
  return 0;
}
