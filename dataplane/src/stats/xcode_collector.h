#pragma once
// Prometheus view of rampart-transcoder's counters (platform/xcode_stats.h), which it keeps in
// the <shm>.xc region per dataplane worker; read at scrape time by the dataplane's /metrics, so
// the transcoder process needs no HTTP server of its own.
#include <memory>

#include <prometheus/collectable.h>

#include <rampart/platform/shm_region.h>

namespace rampart::dp {

// `xc` (the .xc region) must outlive the collector; an invalid region yields no series.
std::shared_ptr<prometheus::Collectable> makeXcodeCollector(const platform::ShmRegion* xc);

}  // namespace rampart::dp
