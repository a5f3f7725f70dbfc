#pragma once
// Drop reasons, generated from drop_reasons.def so the enum, the strings and the metric labels
// can never disagree (VPP foreach_*_error / Envoy ALL_*_STATS).
#include <cstdint>

#include <rampart/dp/stats_layout.h>

namespace rampart::dp {

enum class DropReason : uint8_t {
#define X(name, label, text) name,
#include "stats/drop_reasons.def"
#undef X
  Count
};

inline constexpr uint32_t kDropReasonCount = static_cast<uint32_t>(DropReason::Count);
// One more reason than the stats area has room for would count past PortCounters::drops into
// the next field of the shared region.
static_assert(kDropReasonCount <= kMaxDropSlots, "drop_reasons.def outgrew kMaxDropSlots");

// Sentinel for "no drop" returned by stages that may drop (kept outside the counter range).
inline constexpr DropReason kNoDrop = DropReason::Count;

const char* dropReasonLabel(DropReason r);
const char* dropReasonText(DropReason r);

}  // namespace rampart::dp
