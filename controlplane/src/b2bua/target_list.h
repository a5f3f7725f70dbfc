#pragma once
// A route's targets (already in priority/weight order) turned into the list a call or a
// REGISTER walks: IP-literal targets as they are, each host-name target replaced by the
// destinations RFC 3263 gives for it (sip/locator.h), in their order. Failover then walks
// across targets and across SRV records alike.
#include <functional>
#include <memory>
#include <vector>

#include "b2bua/routing.h"
#include "sip/locator.h"

namespace rampart::cp {

class TargetList {
 public:
  using Done = std::function<void(std::vector<Target>)>;
  explicit TargetList(sip::Locator& locator) : locator_(locator) {}

  /// `done` gets the expanded list (empty when nothing resolved). It runs at once when no
  /// target needs DNS (the common, literal case stays synchronous), later on the loop otherwise.
  void expand(std::vector<Target> ordered, Done done);

 private:
  void step(std::shared_ptr<std::vector<Target>> in, std::size_t i,
            std::shared_ptr<std::vector<Target>> out, Done done);
  sip::Locator& locator_;
};

}  // namespace rampart::cp
