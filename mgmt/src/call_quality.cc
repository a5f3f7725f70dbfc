#include <rampart/mgmt/call_quality.h>

#include <algorithm>
#include <cctype>

namespace rampart::mgmt {
namespace {

struct CodecImpairment {
  double ie;
  double bpl;
};

CodecImpairment impairmentOf(std::string codec) {
  std::transform(codec.begin(), codec.end(), codec.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (codec == "G729" || codec == "G729A") {
    return {11, 19};
  }
  return {0, 25.1};  // G.711 with PLC; G.722/Opus rated the same (see the header)
}

}  // namespace

double mosFromR(double r) {
  if (r <= 0) {
    return 1;
  }
  if (r >= 100) {
    return 4.5;
  }
  return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}

StreamQuality estimateQuality(const StreamCounters& c, const std::string& codec) {
  StreamQuality q;
  uint64_t expected = c.packets + c.lost;
  q.loss_ratio = expected == 0 ? 0 : static_cast<double>(c.lost) / static_cast<double>(expected);
  q.jitter_ms = c.jitter_ms;
  CodecImpairment imp = impairmentOf(codec);
  double ppl = q.loss_ratio * 100;  // percent
  double ie_eff = imp.ie + (95 - imp.ie) * ppl / (ppl + imp.bpl);
  double ta = c.rtt_ms.value_or(0) / 2 + 2 * c.jitter_ms + 20;
  double id = 0.024 * ta + (ta > 177.3 ? 0.11 * (ta - 177.3) : 0);
  q.r_factor = std::clamp(93.2 - id - ie_eff, 0.0, 100.0);
  q.mos = mosFromR(q.r_factor);
  return q;
}

}  // namespace rampart::mgmt
