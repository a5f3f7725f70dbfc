#pragma once
// A committed SDP reduced to what the media layer programs flows from, and the mapping of SDP
// library errors to the control plane's. Internal to src/media.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <rampart/platform/result.h>
#include <rampart/sdp/normalize.h>

namespace rampart::cp {

// One m-line of an SDP, reduced to what flows are made of.
struct StreamInfo {
  std::string kind;
  std::string address;  // c= (media-level, else session-level); "" when absent
  bool hold = false;    // 0.0.0.0 / :: / no address: the peer's address is unknown
  bool ipv6 = false;
  uint16_t port = 0;
  uint16_t rtcpPort = 0;  // a=rtcp, else port + 1
  bool mux = false;
  std::vector<std::string> cryptos;  // a=crypto values: secret

  StreamInfo() = default;
  StreamInfo(const StreamInfo&) = default;
  StreamInfo& operator=(const StreamInfo&) = default;
  ~StreamInfo();
};

// The control plane's error for an SDP library error (488-class, conflict or internal).
Error sdpError(const sdp::Error& e);

// The m-lines of `body` ("" gives none). @return the SDP error when it does not parse.
Result<std::vector<StreamInfo>> readStreams(std::string_view body);

// The tag of an a=crypto value (its first field), 0 when unreadable.
uint32_t cryptoTag(std::string_view value);

}  // namespace rampart::cp
