#include <rampart/mgmt/api_router.h>

#include <algorithm>
#include <string_view>

namespace rampart::mgmt {
namespace {

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 1;  // paths start with '/'
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) {
      end = path.size();
    }
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool isParam(const std::string& seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

// Matches one pattern; fills `params` (decoded) on success.
bool matches(const std::string& pattern, const std::vector<std::string>& path,
             std::map<std::string, std::string>* params) {
  std::vector<std::string> pat = segments(pattern);
  if (pat.size() != path.size()) {
    return false;
  }
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < pat.size(); ++i) {
    if (isParam(pat[i])) {
      std::optional<std::string> v = percentDecode(path[i]);
      if (!v || v->empty()) {
        return false;
      }
      found[pat[i].substr(1, pat[i].size() - 2)] = *v;
    } else if (pat[i] != path[i]) {
      return false;
    }
  }
  *params = std::move(found);
  return true;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

constexpr std::string_view kHttpMethods[] = {"get", "put", "post", "delete", "patch", "options"};

}  // namespace

Role roleFrom(platform::ApiRole r) {
  switch (r) {
    case platform::ApiRole::Viewer: return Role::Viewer;
    case platform::ApiRole::Operator: return Role::Operator;
    case platform::ApiRole::Admin: return Role::Admin;
  }
  return Role::Viewer;
}

const char* roleName(Role r) {
  switch (r) {
    case Role::Public: return "public";
    case Role::Viewer: return "viewer";
    case Role::Operator: return "operator";
    case Role::Admin: return "admin";
  }
  return "?";
}

std::string ApiRequest::arg(const std::string& key, const std::string& fallback) const {
  auto it = query.find(key);
  return it == query.end() ? fallback : it->second;
}

ApiResponse ApiResponse::json(unsigned status, nlohmann::json body) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

ApiResponse ApiResponse::error(unsigned status, const std::string& code,
                               const std::string& message) {
  return json(status, {{"error", code}, {"message", message}});
}

void Router::add(Route route) {
  for (Route& r : routes_) {
    if (r.method == route.method && r.pattern == route.pattern) {
      r = std::move(route);
      return;
    }
  }
  routes_.push_back(std::move(route));
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  Match m;
  if (path.empty() || path.front() != '/') {
    return m;
  }
  std::vector<std::string> segs = segments(path);
  for (const Route& r : routes_) {
    std::map<std::string, std::string> params;
    if (!matches(r.pattern, segs, &params)) {
      continue;
    }
    if (r.method == method) {
      m.route = &r;
      m.params = std::move(params);
      m.allowed.clear();
      return m;
    }
    m.allowed.push_back(r.method);
  }
  return m;
}

std::vector<std::string> Router::undocumented(const nlohmann::json& openapi) const {
  std::vector<std::string> out;
  const nlohmann::json& paths = openapi.value("paths", nlohmann::json::object());
  for (const Route& r : routes_) {
    auto p = paths.find(r.pattern);
    if (p == paths.end() || !p->is_object() || !p->contains(lower(r.method))) {
      out.push_back(r.method + " " + r.pattern);
    }
  }
  return out;
}

std::vector<std::string> Router::unserved(const nlohmann::json& openapi) const {
  std::vector<std::string> out;
  const nlohmann::json& paths = openapi.value("paths", nlohmann::json::object());
  for (auto p = paths.begin(); p != paths.end(); ++p) {
    for (std::string_view m : kHttpMethods) {
      if (!p->contains(std::string(m))) {
        continue;
      }
      std::string method = upper(std::string(m));
      bool served = std::any_of(routes_.begin(), routes_.end(), [&](const Route& r) {
        return r.method == method && r.pattern == p.key();
      });
      if (!served) {
        out.push_back(method + " " + p.key());
      }
    }
  }
  return out;
}

std::optional<std::string> percentDecode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      return std::nullopt;
    }
    out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
    i += 2;
  }
  return out;
}

std::string percentEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace rampart::mgmt
