#pragma once
// RFC 3261 14.1: after a 491 to its own re-INVITE/UPDATE, a UA waits before retrying: 2.1 to
// 4 s (10 ms steps) when it generated the dialog's Call-ID, 0 to 2 s when it did not, so the
// two ends of a glare retry at different times.
#include <chrono>

#include "transport/weighted_order.h"

namespace rampart::cp {

/// The random wait before retrying a request that got 491. `draw` as in weightedOrder.
std::chrono::milliseconds glareDelay(bool own_call_id, const UniformDraw& draw = {});

/// Retries of one refresh after 491 before giving up until the next refresh interval.
inline constexpr int kMaxGlareRetries = 3;

}  // namespace rampart::cp
