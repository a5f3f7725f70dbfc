#pragma once
// The management API's route table: one list of routes, each a method, a path pattern, the
// least role allowed to call it and a handler. The HTTPS server (api_server.h) authenticates,
// matches the table, checks the role and calls the handler on the control plane's event loop,
// so handlers may read and change calls, bindings and config directly (no locks).
//
// HOW ANOTHER MODULE ADDS ROUTES: write `void addXxxRoutes(mgmt::Router& r, Xxx& x)` next to
// the module's own code (see controlplane/src/api/*_routes.cc), calling
//   r.add({"GET", "/api/v1/bans", Role::Viewer, [&x](const ApiRequest& q, Respond done) {
//            done(ApiResponse::json(200, x.list()));
//          }});
// and call it from Server::startApi() (controlplane/src/server.cc) before the API starts.
// Path parameters are written {name} and read as q.params.at("name"). Every route must also be
// described in mgmt/openapi.json: the API refuses to start when a route is not documented, and
// the mgmt_api test checks that every documented operation is served.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <rampart/platform/config.h>

namespace rampart::mgmt {

// Public routes need no token (health and readiness, for systemd and load balancers).
enum class Role { Public = 0, Viewer = 1, Operator = 2, Admin = 3 };
Role roleFrom(platform::ApiRole r);
const char* roleName(Role r);

struct ApiRequest {
  std::string method;                         // "GET", "POST", "DELETE", ...
  std::string path;                           // without the query string
  std::string pattern;                        // the matched route's pattern (metric label)
  std::map<std::string, std::string> params;  // from {name} segments, percent-decoded
  std::map<std::string, std::string> query;   // ?a=b&c=d, percent-decoded
  std::string body;
  std::string content_type;
  // Who and from where (the audit log records both).
  std::string principal;  // token name; "" on public routes called without a token
  Role role = Role::Public;
  std::string peer;  // "address:port"

  /// The query value of `key`, or `fallback`.
  std::string arg(const std::string& key, const std::string& fallback = "") const;
};

struct ApiResponse {
  unsigned status = 200;
  nlohmann::json body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers

  static ApiResponse json(unsigned status, nlohmann::json body);
  /// {"error": code, "message": message}; `code` is a short machine-readable word.
  static ApiResponse error(unsigned status, const std::string& code, const std::string& message);
};

// Handlers answer exactly once, now or later (e.g. after a dataplane Ack); later answers must
// be given on the event loop the server runs on.
using Respond = std::function<void(ApiResponse)>;
using Handler = std::function<void(const ApiRequest&, Respond)>;

struct Route {
  std::string method;
  std::string pattern;  // "/api/v1/calls/{id}"
  Role min_role = Role::Viewer;
  Handler handler;
  std::string summary;  // one line, for logs
};

class Router {
 public:
  /// Adds a route; a second route with the same method and pattern replaces the first.
  void add(Route route);

  struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
    // Set when the path exists under other methods only (405 with an Allow header).
    std::vector<std::string> allowed;
  };
  /// Finds the route for `method` and `path` (no query string).
  Match match(const std::string& method, const std::string& path) const;

  const std::vector<Route>& routes() const { return routes_; }

  /// Routes missing from an OpenAPI 3 document's `paths` ("METHOD pattern" each).
  std::vector<std::string> undocumented(const nlohmann::json& openapi) const;
  /// Operations of the document this table does not serve ("METHOD pattern" each).
  std::vector<std::string> unserved(const nlohmann::json& openapi) const;

 private:
  std::vector<Route> routes_;
};

/// Percent-decodes `s` ('+' stays '+'). @return nullopt on a bad escape.
std::optional<std::string> percentDecode(const std::string& s);
/// Percent-encodes everything but RFC 3986 unreserved characters (for ids in paths).
std::string percentEncode(const std::string& s);

/// The OpenAPI 3 description of the API (mgmt/openapi.json, compiled in).
const nlohmann::json& openApiDocument();

}  // namespace rampart::mgmt
