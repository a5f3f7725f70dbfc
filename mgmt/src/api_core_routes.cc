#include <rampart/mgmt/api_core_routes.h>

#include <unistd.h>

#include <chrono>

#include <openssl/crypto.h>
#include <boost/version.hpp>

namespace rampart::mgmt {

nlohmann::json buildInfo() {
  return {{"version", RAMPART_VERSION},
          {"compiler", __VERSION__},
          {"build_type", RAMPART_BUILD_TYPE},
          {"boost", BOOST_LIB_VERSION},
          {"openssl", OpenSSL_version(OPENSSL_VERSION)}};
}

void addCoreRoutes(Router& router, CoreInfo info) {
  auto started = std::chrono::system_clock::now();
  router.add({"GET", "/api/v1/health", Role::Public,
              [](const ApiRequest&, Respond done) {
                done(ApiResponse::json(200, {{"status", "ok"}}));
              },
              "the process answers"});
  router.add({"GET", "/api/v1/ready", Role::Public,
              [ready = info.readiness](const ApiRequest&, Respond done) {
                nlohmann::json r = ready ? ready() : nlohmann::json{{"ready", true}};
                done(ApiResponse::json(r.value("ready", false) ? 200 : 503, r));
              },
              "the process can take calls"});
  router.add(
      {"GET", "/api/v1/version", Role::Viewer,
       [info, started](const ApiRequest&, Respond done) {
         nlohmann::json b = buildInfo();
         b["process"] = info.process;
         b["node"] = info.node;
         b["pid"] = static_cast<int>(getpid());
         b["started_at"] =
             std::chrono::duration_cast<std::chrono::seconds>(started.time_since_epoch()).count();
         done(ApiResponse::json(200, b));
       },
       "version and build information"});
  router.add(
      {"GET", "/api/v1/openapi.json", Role::Viewer,
       [](const ApiRequest&, Respond done) { done(ApiResponse::json(200, openApiDocument())); },
       "this API's OpenAPI 3 description"});
}

}  // namespace rampart::mgmt
