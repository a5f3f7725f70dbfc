#pragma once
// Building blocks for collectors that fill prometheus-cpp metric families by hand at scrape
// time (shared-memory counters of either process).
#include <vector>

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <prometheus/metric_type.h>

namespace rampart::mgmt {

// An empty family with its name, help text and type.
prometheus::MetricFamily family(const char* name, const char* help, prometheus::MetricType type);

// Appends one sample with `labels`; the value goes to the counter or the gauge by the family's
// type.
void addValue(prometheus::MetricFamily& f, std::vector<prometheus::ClientMetric::Label> labels,
              double v);

}  // namespace rampart::mgmt
