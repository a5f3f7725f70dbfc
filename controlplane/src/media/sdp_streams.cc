#include "media/sdp_streams.h"

#include <optional>

#include <rampart/sdp/parser.h>

#include "media/sdes_keys.h"

namespace rampart::cp {

StreamInfo::~StreamInfo() {
  for (std::string& c : cryptos) {
    sdes::wipe(c);
  }
}

Error sdpError(const sdp::Error& e) {
  using C = sdp::ErrorCode;
  ErrorCode code = ErrorCode::Malformed;
  switch (e.code) {
    case C::OfferPending:
    case C::NoPendingOffer: code = ErrorCode::Conflict; break;
    case C::NoAcceptableMedia:
    case C::ReofferRemovedMedia:
    case C::MidChanged:
    case C::AnswerMismatch: code = ErrorCode::NotAcceptable; break;
    case C::MissingLocalParameter:
    case C::BadOption: code = ErrorCode::Internal; break;
    default: break;
  }
  return Error(code, "SDP: " + sdp::describe(e));
}

Result<std::vector<StreamInfo>> readStreams(std::string_view body) {
  std::vector<StreamInfo> out;
  if (body.empty()) {
    return out;
  }
  sdp::Result<sdp::Session> parsed = sdp::parse(body);
  if (!parsed.ok()) {
    return sdpError(parsed.error());
  }
  const sdp::Session& s = parsed.value();
  std::optional<sdp::Connection> sessionConn = s.connection();
  out.resize(s.mediaCount());
  for (size_t i = 0; i < s.mediaCount(); ++i) {
    sdp::MediaView mv = s.media(i);
    sdp::MediaLine ml = mv.mediaLine();
    StreamInfo& si = out[i];
    si.kind.assign(ml.kind);
    si.port = ml.port;
    if (std::optional<sdp::Connection> c = mv.connection(sessionConn)) {
      si.address.assign(c->address);
      si.ipv6 = c->addr_type == "IP6";
    }
    si.hold = si.address.empty() || si.address == "0.0.0.0" || si.address == "::";
    si.mux = mv.hasAttribute("rtcp-mux");
    si.rtcpPort = ml.port == 0 ? 0 : static_cast<uint16_t>(ml.port + 1);
    if (std::optional<std::string_view> rtcp = mv.attribute("rtcp")) {
      sdp::Rtcp r;
      if (sdp::parseRtcp(*rtcp, r).ok()) {
        si.rtcpPort = r.port;
      }
    }
    mv.forEachAttribute("crypto", [&](std::string_view v) { si.cryptos.emplace_back(v); });
  }
  return out;
}

uint32_t cryptoTag(std::string_view value) {
  uint64_t tag = 0;
  sdp::parseUint(value.substr(0, value.find(' ')), tag, UINT32_MAX);
  return static_cast<uint32_t>(tag);
}

}  // namespace rampart::cp
