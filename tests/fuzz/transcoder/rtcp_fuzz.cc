// Fuzzes the transcoder's RTCP input (xcode_rtcp.h): a peer's compound packet is untrusted.
// Input: 4 bytes naming the SSRC whose report block is wanted, then the packet. A valid packet
// drives what the engine does with it (LSR, round trip, the next report), and the report
// Rampart then writes must parse back; an invalid one must simply be refused.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "xcode_rtcp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::xc;
  if (size < 4) {
    return 0;
  }
  uint32_t ssrc = (static_cast<uint32_t>(data[0]) << 24) | (static_cast<uint32_t>(data[1]) << 16) |
                  (static_cast<uint32_t>(data[2]) << 8) | data[3];
  RtcpIn in;
  if (!parseRtcp(data + 4, size - 4, ssrc, &in)) {
    return 0;
  }
  RtcpReceiver rx;
  rx.onRtp(static_cast<uint16_t>(in.sender_ssrc), in.sr_ntp_mid, in.sender_ssrc, ssrc);
  rx.lsr = in.sr_ntp_mid;
  rx.lsr_at_ns = 1;
  uint32_t rtt = 0;
  if (in.block && roundTrip(in.about.lsr + in.about.dlsr + 7, in.about.lsr, in.about.dlsr, &rtt) &&
      rtt != 7) {
    std::abort();
  }
  RtcpSender tx;
  tx.ssrc = ssrc;
  tx.onSent(in.about.ext_max_seq, in.about.jitter & 0x3ff, true, 1);
  ReportBlock rb = makeReportBlock(rx, in.about.dlsr);
  uint8_t out[128];
  std::size_t n = writeReport(out, sizeof out, tx, &rb, in.about.lsr, in.about.dlsr);
  RtcpIn back;
  if (n == 0 || !parseRtcp(out, n, rb.ssrc, &back) || !back.block || back.sender_ssrc != ssrc) {
    std::abort();  // what Rampart writes must always be valid RTCP
  }
  return 0;
}
