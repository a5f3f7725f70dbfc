#pragma once
// Process-wide stop requests: SIGINT and SIGTERM set a flag that main loops poll; SIGPIPE is
// ignored (peers closing sockets must not kill an SBC).
#include <cstdint>

namespace rampart::platform {

void installStopHandlers();
bool stopRequested();
void requestStop();
// Sleeps up to `ms` milliseconds, returning early (true) once a stop was requested.
bool waitForStop(uint32_t ms);

}  // namespace rampart::platform
