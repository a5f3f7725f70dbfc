#pragma once
// ICE-lite state of the flows that receive a browser's connectivity checks (abi::FlowIce), in a
// side table indexed like the flow table, so FlowEntry (the RTP path's cache lines) stays as
// it was. Only the owning worker reads or writes it.
#include <cstdint>
#include <memory>

#include <stun/stunagent.h>

namespace rampart::dp {

enum class IceOutcome : uint8_t {
#define X(name, label) name,
#include "stats/ice_outcomes.def"
#undef X
  Count
};
inline constexpr uint32_t kIceOutcomeCount = static_cast<uint32_t>(IceOutcome::Count);
const char* iceOutcomeLabel(IceOutcome o);

inline constexpr uint16_t kDefaultConsentTimeoutS = 30;  // RFC 7675 section 5.1

struct IceState {
  bool active;            // FlowIce applied
  bool selected;          // a nominated check chose the flow's remote
  bool consent_reported;  // ConsentExpired posted for the current silence
  bool out_selected;      // this flow is a paired flow whose out_remote a selection chose
  uint8_t local_ufrag_len;
  uint8_t local_pwd_len;
  uint8_t remote_ufrag_len;  // 0: the remote part of USERNAME is not checked
  uint16_t consent_timeout_s;
  uint64_t paired;         // abi handle of the flow sending toward the browser, 0: none
  uint64_t last_check_ns;  // CLOCK_MONOTONIC of the last valid check from the selected remote
  char local_ufrag[32];
  char local_pwd[64];
  char remote_ufrag[32];
};

// Per worker: one IceState per flow-table slot and the libnice STUN agent that validates and
// builds messages (it keeps no per-message state for requests received).
struct IceTable {
  std::unique_ptr<IceState[]> states;  // one per flow-table slot
  StunAgent agent{};
};

// Sets up the agent: RFC 5389 messages, short-term credentials, FINGERPRINT required and added.
void iceAgentInit(StunAgent* agent);

}  // namespace rampart::dp
