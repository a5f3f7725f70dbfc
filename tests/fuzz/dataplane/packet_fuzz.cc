// Fuzz target: the packet parser and RFC 7983 classifier on arbitrary frames. Checks that a
// frame is either refused or described by offsets that stay inside it.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "pkt/demux.h"
#include "pkt/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::dp;
  if (size > 65535) {
    return 0;
  }
  // An exact-size heap copy so sanitizers see any read past the end.
  std::vector<uint8_t> frame(data, data + size);
  PacketInfo pi;
  if (parseFrame(frame.data(), static_cast<uint32_t>(size), &pi) != kNoDrop) {
    return 0;
  }
  if (static_cast<size_t>(pi.payload_off) + pi.payload_len > size) {
    std::abort();
  }
  if (pi.kind == PktKind::Udp) {
    PayloadKind k = demuxPayload(frame.data() + pi.payload_off, pi.payload_len);
    if ((k == PayloadKind::Rtp && pi.payload_len < kRtpMinLen) ||
        (k == PayloadKind::Rtcp && pi.payload_len < kRtcpMinLen)) {
      std::abort();
    }
  }
  return 0;
}
