#pragma once
// Prometheus view of the workers' statistics areas, evaluated at scrape time on the metrics
// thread. Labels are bounded: worker, realm and drop reason (never per flow).
#include <memory>

#include <prometheus/collectable.h>

#include <rampart/platform/shm_region.h>

#include "net/iface.h"

namespace rampart::dp {

// `region` and `ifaces` must outlive the collector.
std::shared_ptr<prometheus::Collectable> makeDataplaneCollector(const platform::ShmRegion* region,
                                                                const IfaceSet* ifaces);

}  // namespace rampart::dp
