#include "b2bua/target_list.h"

#include <algorithm>
#include <memory>

namespace rampart::cp {

void TargetList::expand(std::vector<Target> ordered, Done done) {
  bool dns =
      std::any_of(ordered.begin(), ordered.end(), [](const Target& t) { return t.needs_dns; });
  if (!dns) {
    done(std::move(ordered));
    return;
  }
  step(std::make_shared<std::vector<Target>>(std::move(ordered)), 0,
       std::make_shared<std::vector<Target>>(), std::move(done));
}

// One target at a time, so the list keeps the route's order whatever DNS answers first.
void TargetList::step(std::shared_ptr<std::vector<Target>> in, std::size_t i,
                      std::shared_ptr<std::vector<Target>> out, Done done) {
  for (; i < in->size() && !(*in)[i].needs_dns; ++i) {
    out->push_back((*in)[i]);
  }
  if (i == in->size()) {
    done(std::move(*out));
    return;
  }
  const Target& t = (*in)[i];
  locator_.locate(
      t.uri, t.dst.realm,
      [this, in, i, out, done = std::move(done)](std::vector<Destination> dsts) mutable {
        for (const auto& d : dsts) {
          Target resolved = (*in)[i];
          resolved.dst = d;
          resolved.needs_dns = false;
          out->push_back(std::move(resolved));
        }
        step(in, i + 1, out, std::move(done));
      });
}

}  // namespace rampart::cp
