// Configuration files as flat key paths, so a reload or an audit record can say what changed
// key by key ("routes[0].target: sip:a -> sip:b") in the loader's own key spelling.
#include <map>
#include <string>

#include <yaml-cpp/yaml.h>

#include <rampart/platform/config_diff.h>

namespace rampart::platform {
namespace {

void flatten(const YAML::Node& n, const std::string& path,
             std::map<std::string, std::string>* out) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      if (n.size() == 0) {
        (*out)[path] = "{}";
      }
      for (auto it = n.begin(); it != n.end(); ++it) {
        YAML::Node k = (*it).first;
        YAML::Node v = (*it).second;
        std::string key = k.IsScalar() ? k.Scalar() : "?";
        flatten(v, path.empty() ? key : path + "." + key, out);
      }
      break;
    case YAML::NodeType::Sequence:
      if (n.size() == 0) {
        (*out)[path] = "[]";
      }
      for (std::size_t i = 0; i < n.size(); ++i) {
        flatten(n[i], path + "[" + std::to_string(i) + "]", out);
      }
      break;
    case YAML::NodeType::Scalar: (*out)[path] = n.Scalar(); break;
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: (*out)[path] = ""; break;
  }
}

}  // namespace

std::map<std::string, std::string> flattenConfigText(const std::string& yaml) {
  std::map<std::string, std::string> out;
  try {
    flatten(YAML::Load(yaml), "", &out);
  } catch (const std::exception&) {
    out.clear();
  }
  return out;
}

std::vector<ConfigChange> diffConfigText(const std::string& before, const std::string& after) {
  std::map<std::string, std::string> a = flattenConfigText(before);
  std::map<std::string, std::string> b = flattenConfigText(after);
  std::vector<ConfigChange> out;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end()) {
      out.push_back({k, v, std::nullopt});
    } else if (it->second != v) {
      out.push_back({k, v, it->second});
    }
  }
  for (const auto& [k, v] : b) {
    if (a.find(k) == a.end()) {
      out.push_back({k, std::nullopt, v});
    }
  }
  return out;
}

}  // namespace rampart::platform
