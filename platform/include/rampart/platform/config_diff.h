#pragma once
// Configuration files compared key by key, in the loader's key spelling, so a reload and the
// audit log can say what changed ("routes[0].target: sip:a -> sip:b").
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rampart::platform {

/// A configuration file's values by key path ("realms[0].media.port_min" -> "20000"; empty
/// maps and lists as "{}" and "[]"). @return an empty map when the text is not YAML.
std::map<std::string, std::string> flattenConfigText(const std::string& yaml);

/// One key whose value differs between two files (nullopt: absent on that side).
struct ConfigChange {
  std::string key;
  std::optional<std::string> before;
  std::optional<std::string> after;
};
/// The keys that differ between two configuration texts, in key order (removed keys first).
std::vector<ConfigChange> diffConfigText(const std::string& before, const std::string& after);

}  // namespace rampart::platform
