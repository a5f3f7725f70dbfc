#include "media/xcode_setup.h"

#include <strings.h>

#include <charconv>
#include <string_view>

namespace rampart::cp {
namespace {

abi::XcodeCodecId codecId(const std::string& name) {
  if (strcasecmp(name.c_str(), "PCMU") == 0) {
    return abi::XcodeCodecId::Pcmu;
  }
  if (strcasecmp(name.c_str(), "PCMA") == 0) {
    return abi::XcodeCodecId::Pcma;
  }
  if (strcasecmp(name.c_str(), "G722") == 0) {
    return abi::XcodeCodecId::G722;
  }
  return strcasecmp(name.c_str(), "opus") == 0 ? abi::XcodeCodecId::Opus : abi::XcodeCodecId::None;
}

// The value of `key=` in an fmtp parameter list ("a=1;b=2"), or "".
std::string_view fmtpParam(std::string_view fmtp, std::string_view key) {
  while (!fmtp.empty()) {
    size_t end = fmtp.find(';');
    std::string_view item = fmtp.substr(0, end);
    while (!item.empty() && item.front() == ' ') {
      item.remove_prefix(1);
    }
    if (item.size() > key.size() && item.substr(0, key.size()) == key && item[key.size()] == '=') {
      return item.substr(key.size() + 1);
    }
    fmtp = end == std::string_view::npos ? std::string_view{} : fmtp.substr(end + 1);
  }
  return {};
}

abi::XcodeCodec codecOf(const sdp::TranscodeSide& s) {
  abi::XcodeCodec c{};
  c.codec = codecId(s.encoding);
  c.payload_type = s.pt;
  c.channels = 1;
  c.ptime_ms = static_cast<uint8_t>(s.ptime == 0 || s.ptime > 120 ? 20 : s.ptime);
  c.clock_rate = s.clock_rate;
  c.dtmf_pt = s.event_pt;
  c.bitrate_kbps = 32;
  return c;
}

}  // namespace

abi::XcodeSetup xcodeSetupFor(const sdp::TranscodeSide& from, const sdp::TranscodeSide& to,
                              uint64_t cookie) {
  abi::XcodeSetup x{};
  x.hdr.type = abi::MsgType::XcodeSetup;
  x.hdr.size = sizeof x;
  x.cookie = cookie;
  x.from = codecOf(from);
  x.to = codecOf(to);
  if (x.from.codec == abi::XcodeCodecId::Opus) {
    x.from.opus_flags = abi::kXcOpusFec;  // recover from the peer's FEC whenever it sends it
  }
  if (x.to.codec == abi::XcodeCodecId::Opus) {
    if (fmtpParam(to.fmtp, "useinbandfec") == "1") {
      x.to.opus_flags |= abi::kXcOpusFec;
    }
    if (fmtpParam(to.fmtp, "stereo") == "1") {
      x.to.opus_flags |= abi::kXcOpusStereo;
    }
    if (fmtpParam(to.fmtp, "usedtx") == "1") {
      x.to.opus_flags |= abi::kXcOpusDtx;
    }
    std::string_view rate = fmtpParam(to.fmtp, "maxplaybackrate");
    uint32_t v = 0;
    if (std::from_chars(rate.data(), rate.data() + rate.size(), v).ec == std::errc{}) {
      x.to.max_playback_rate = v;
    }
  }
  return x;
}

std::string codecPairLabel(const sdp::TranscodeSide& a, const sdp::TranscodeSide& b) {
  return a.encoding + "-" + b.encoding;
}

}  // namespace rampart::cp
