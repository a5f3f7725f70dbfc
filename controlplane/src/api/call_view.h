#pragma once
// Calls as the management API shows them: a summary per call for lists, and the detail of one
// call (both legs' dialogs, an SDP summary per leg with codecs and SRTP profiles, the flows).
// Never any key material: SDES keys and ICE passwords are left out of every view.
#include <string>

#include <nlohmann/json.hpp>

#include <rampart/platform/abi.h>
#include <rampart/platform/config.h>

#include "b2bua/call.h"

namespace rampart::cp {

nlohmann::json callSummary(const Call& call, const platform::Config& config);
nlohmann::json callDetail(const Call& call, const platform::Config& config);
/// Media sections of an SDP body: kind, port, proto, address, direction, codecs, SRTP suites
/// offered by SDES (a=crypto) or "DTLS-SRTP" (a=fingerprint), rtcp-mux, ICE. {} for "".
nlohmann::json sdpSummary(const std::string& sdp);
/// The programmed flows of a call (handle, leg packets arrive from, m-line, rtcp, SRTP suites).
nlohmann::json flowList(const Call& call);
/// One flow's live counters from a FlowInfo; jitter converted with the flow's RTP clock.
nlohmann::json flowStats(const abi::FlowInfo& info, uint32_t clock_rate);
const char* srtpSuiteName(abi::SrtpSuite suite);

}  // namespace rampart::cp
