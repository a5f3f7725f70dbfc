#include "stats/drop_reasons.h"

namespace rampart::dp {
namespace {
constexpr const char* kLabels[] = {
#define X(name, label, text) label,
#include "stats/drop_reasons.def"
#undef X
};
constexpr const char* kTexts[] = {
#define X(name, label, text) text,
#include "stats/drop_reasons.def"
#undef X
};
static_assert(sizeof(kLabels) / sizeof(kLabels[0]) == kDropReasonCount);
}  // namespace

const char* dropReasonLabel(DropReason r) {
  auto i = static_cast<uint32_t>(r);
  return i < kDropReasonCount ? kLabels[i] : "none";
}

const char* dropReasonText(DropReason r) {
  auto i = static_cast<uint32_t>(r);
  return i < kDropReasonCount ? kTexts[i] : "no drop";
}

}  // namespace rampart::dp
