// Input: a request target on the first line, then anything (an audit file). Checks that
// matching, decoding and chain verification never crash and that matches are consistent.
#include <cstddef>
#include <cstdint>
#include <string>

#include <rampart/mgmt/api_core_routes.h>
#include <rampart/mgmt/audit_log.h>
#include <rampart/mgmt/api_router.h>

namespace {

const rampart::mgmt::Router& router() {
  static rampart::mgmt::Router* r = [] {
    auto* rt = new rampart::mgmt::Router();
    rampart::mgmt::addCoreRoutes(*rt, {});
    rt->add({"GET", "/api/v1/calls/{id}", rampart::mgmt::Role::Viewer, nullptr, ""});
    rt->add({"DELETE", "/api/v1/registrations/{id}", rampart::mgmt::Role::Operator, nullptr, ""});
    return rt;
  }();
  return *r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  std::size_t nl = input.find('\n');
  std::string target = input.substr(0, nl);
  std::string path = target.substr(0, target.find('?'));
  for (const char* method : {"GET", "DELETE", "POST"}) {
    rampart::mgmt::Router::Match m = router().match(method, path);
    if (m.route != nullptr && m.route->method != method) {
      __builtin_trap();
    }
  }
  std::optional<std::string> decoded = rampart::mgmt::percentDecode(target);
  if (decoded && rampart::mgmt::percentDecode(rampart::mgmt::percentEncode(*decoded)) != decoded) {
    __builtin_trap();  // encoding then decoding must give the same bytes back
  }
  if (nl != std::string::npos) {
    rampart::mgmt::AuditVerdict v = rampart::mgmt::verifyAuditChain(input.substr(nl + 1));
    if (!v.ok && v.bad_line == 0) {
      __builtin_trap();
    }
  }
  return 0;
}
