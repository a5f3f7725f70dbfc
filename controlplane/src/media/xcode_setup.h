#pragma once
// The XcodeSetup of one transcoded direction, from the two legs' negotiated codecs
// (sdp::StreamMapping::sideA/sideB). Pure: unit-tested without a dataplane.
#include <cstdint>
#include <string>

#include <rampart/platform/abi.h>
#include <rampart/sdp/normalize.h>

namespace rampart::cp {

/// Media arriving as @p from, leaving as @p to. Opus: FEC is decoded whenever present and sent
/// when the receiver's fmtp asks (useinbandfec=1); its maxplaybackrate and stereo are honoured.
abi::XcodeSetup xcodeSetupFor(const sdp::TranscodeSide& from, const sdp::TranscodeSide& to,
                              uint64_t cookie);

/// "opus-PCMU" style label of a transcoded pair (leg A's codec first), for metrics.
std::string codecPairLabel(const sdp::TranscodeSide& a, const sdp::TranscodeSide& b);

}  // namespace rampart::cp
