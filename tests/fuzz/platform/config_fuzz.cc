// Fuzzes the configuration loader end to end (YAML parse, schema walk, validation, error
// formatting). The loader promises never to throw and to return exactly one of a config or
// a non-empty error list; a broken promise aborts so libFuzzer records the input.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <rampart/platform/config.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  // A directory that does not exist keeps relative TLS paths from touching real files.
  rampart::platform::ConfigLoadResult r =
      rampart::platform::loadConfigText(text, "/nonexistent/rampart-config-fuzz");
  if (r.config.has_value() == !r.errors.empty()) {
    std::abort();
  }
  for (const rampart::platform::ConfigError& e : r.errors) {
    if (e.reason.empty() || e.line < 0) {
      std::abort();
    }
  }
  std::string formatted = rampart::platform::formatConfigErrors("fuzz.yaml", r.errors);
  if (formatted.size() < r.errors.size()) {
    std::abort();
  }
  return 0;
}
