// Public entry points of the configuration loader: reading the file, running the parse and
// validate passes (config_parse.cc, config_validate.cc) and formatting their errors.
#include <rampart/platform/config.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <new>
#include <sstream>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "config_internal.h"

namespace rampart::platform {

namespace config_detail {

void ErrorSink::add(std::string key, std::string reason, int line) {
  error_keys_.insert(key);
  errors_.push_back(ConfigError{std::move(key), std::move(reason), line});
}

void ErrorSink::setLine(const std::string& key, int line) {
  if (line > 0) {
    lines_.emplace(key, line);
  }
}

int ErrorSink::line(const std::string& key) const {
  std::string k = key;
  while (!k.empty()) {
    auto it = lines_.find(k);
    if (it != lines_.end()) {
      return it->second;
    }
    // Walk up one level: "a.b[2].c" -> "a.b[2]" -> "a.b" -> "a".
    std::size_t cut = k.find_last_of(".[");
    if (cut == std::string::npos) {
      break;
    }
    k.resize(cut);
  }
  return 0;
}

bool ErrorSink::failed(const std::string& key) const {
  if (error_keys_.count(key) != 0) {
    return true;
  }
  // Keys below `key` sort right after `key.` / `key[`; one ordered lookup each.
  for (char sep : {'.', '['}) {
    std::string prefix = key + sep;
    auto it = error_keys_.lower_bound(prefix);
    if (it != error_keys_.end() && it->compare(0, prefix.size(), prefix) == 0) {
      return true;
    }
  }
  return false;
}

bool ErrorSink::failedAt(const std::string& key) const { return error_keys_.count(key) != 0; }

std::vector<ConfigError> ErrorSink::take() {
  // Line-less errors (whole-file, unreadable file) sort last so file order reads naturally.
  std::stable_sort(errors_.begin(), errors_.end(), [](const ConfigError& a, const ConfigError& b) {
    int la = a.line > 0 ? a.line : INT_MAX;
    int lb = b.line > 0 ? b.line : INT_MAX;
    return la < lb;
  });
  return std::move(errors_);
}

}  // namespace config_detail

namespace {

using config_detail::ErrorSink;

ConfigLoadResult finish(Config config, ErrorSink* sink) {
  ConfigLoadResult result;
  if (sink->empty()) {
    result.config = std::move(config);
  } else {
    result.errors = sink->take();
  }
  return result;
}

// Sees where each document of the stream starts, without building nodes.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// False (and reported) unless the text is one syntactically valid YAML document.
// YAML::LoadAll is not used: in yaml-cpp 0.7 a token it cannot place (a lone ',') makes it
// emit empty documents at the same position forever. Here at most two documents are read,
// and a second one starting where the first did is that stuck token.
bool checkSingleDocument(const std::string& yaml, ErrorSink* sink) {
  std::istringstream in(yaml);
  YAML::Parser parser(in);
  DocumentStarts handler;
  try {
    for (int i = 0; i < 2 && parser.HandleNextDocument(handler); ++i) {
    }
  } catch (const YAML::Exception& e) {
    // yaml-cpp's line is 0-based; -1 when unknown.
    sink->add("", "YAML syntax error: " + e.msg, e.mark.line >= 0 ? e.mark.line + 1 : 0);
    return false;
  }
  if (handler.starts.size() < 2) {
    return true;
  }
  const YAML::Mark& second = handler.starts[1];
  int line = second.line >= 0 ? second.line + 1 : 0;
  if (second.pos == handler.starts[0].pos) {
    sink->add("", "YAML syntax error: unexpected token at document level", line);
  } else {
    sink->add("", "the file holds more than one YAML document; expected one", line);
  }
  return false;
}

ConfigLoadResult loadText(const std::string& yaml, const std::string& base_dir) {
  ErrorSink sink;
  Config config;
  if (yaml.size() > config_detail::kMaxConfigBytes) {
    sink.add("",
             "the file is larger than " + std::to_string(config_detail::kMaxConfigBytes) + " bytes",
             0);
    return finish(std::move(config), &sink);
  }
  if (!checkSingleDocument(yaml, &sink)) {
    return finish(std::move(config), &sink);
  }
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    // yaml-cpp's line is 0-based; -1 when unknown.
    sink.add("", "YAML syntax error: " + e.msg, e.mark.line >= 0 ? e.mark.line + 1 : 0);
    return finish(std::move(config), &sink);
  }
  config_detail::parseConfig(root, &config, &sink);
  config_detail::validateConfig(&config, base_dir, &sink);
  return finish(std::move(config), &sink);
}

ConfigLoadResult internalError(const char* what) {
  ConfigLoadResult result;
  result.errors.push_back(ConfigError{"", std::string("internal error while loading: ") + what, 0});
  return result;
}

}  // namespace

const char* transportName(Transport t) {
  switch (t) {
    case Transport::Udp: return "udp";
    case Transport::Tcp: return "tcp";
    case Transport::Tls: return "tls";
    case Transport::Ws: return "ws";
    case Transport::Wss: return "wss";
  }
  return "?";
}

const char* sdpProfileName(SdpProfile p) {
  switch (p) {
    case SdpProfile::WebRtc: return "webrtc";
    case SdpProfile::Trunk: return "trunk";
  }
  return "?";
}

const char* apiRoleName(ApiRole r) {
  switch (r) {
    case ApiRole::Viewer: return "viewer";
    case ApiRole::Operator: return "operator";
    case ApiRole::Admin: return "admin";
  }
  return "?";
}

const char* jwtAlgName(JwtAlg a) {
  switch (a) {
    case JwtAlg::Hs256: return "HS256";
    case JwtAlg::Rs256: return "RS256";
    case JwtAlg::Es256: return "ES256";
  }
  return "?";
}

Result<std::string> loadJwtKeyMaterial(const JwtKey& key) {
  const bool hs = key.alg == JwtAlg::Hs256;
  const std::string& path = hs ? key.secret_file : key.public_key;
  if (path.empty()) {
    return Error(ErrorCode::InvalidArgument, std::string(jwtAlgName(key.alg)) + " key '" + key.kid +
                                                 "' needs " + (hs ? "secret_file" : "public_key"));
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Error(ErrorCode::NotFound, "file not found or not a regular file: " + path);
  }
  std::ifstream in(path, std::ios::binary);
  // Key files are small; a huge one is a mistake, not a key.
  constexpr std::size_t kMaxKeyFileBytes = std::size_t{64} * 1024;
  std::string text(kMaxKeyFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    return Error(ErrorCode::Io, "cannot read " + path);
  }
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxKeyFileBytes) {
    return Error(ErrorCode::InvalidArgument, "larger than 64 KiB, not a key: " + path);
  }
  if (hs) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
      text.pop_back();
    }
    if (text.size() < config_detail::kMinJwtSecretBytes) {
      return Error(ErrorCode::InvalidArgument,
                   "HS256 secret is " + std::to_string(text.size()) + " bytes, need at least " +
                       std::to_string(config_detail::kMinJwtSecretBytes) + ": " + path);
    }
  } else if (text.find("-----BEGIN PUBLIC KEY-----") == std::string::npos) {
    return Error(ErrorCode::InvalidArgument,
                 "not a PEM public key (no '-----BEGIN PUBLIC KEY-----'): " + path);
  }
  return text;
}

const std::vector<std::string>& Config::allowedOrigins(const Realm& realm) const {
  return realm.allowed_origins ? *realm.allowed_origins : security.allowed_origins;
}

bool IpAddress::operator==(const IpAddress& other) const {
  std::size_t n = family == 4 ? 4 : 16;
  return family == other.family && std::memcmp(bytes, other.bytes, n) == 0;
}

const Realm* Config::findRealm(const std::string& name) const {
  for (const Realm& r : realms) {
    if (r.name == name) {
      return &r;
    }
  }
  return nullptr;
}

std::optional<IpAddress> parseIpAddress(const std::string& text) {
  IpAddress a;
  a.text = text;
  if (inet_pton(AF_INET, text.c_str(), a.bytes) == 1) {
    a.family = 4;
    return a;
  }
  if (inet_pton(AF_INET6, text.c_str(), a.bytes) == 1) {
    a.family = 6;
    return a;
  }
  return std::nullopt;
}

std::optional<Cidr> parseCidr(const std::string& text) {
  if (!config_detail::cidrProblem(text).empty()) {
    return std::nullopt;
  }
  std::size_t slash = text.find('/');
  Cidr c;
  c.address = *parseIpAddress(text.substr(0, slash));
  int full = c.address.family == 4 ? 32 : 128;
  c.prefix_len = slash == std::string::npos ? full : std::stoi(text.substr(slash + 1));
  return c;
}

ConfigLoadResult loadConfigText(const std::string& yaml, const std::string& base_dir) {
  // The API promises never to throw: yaml-cpp and the standard library may.
  try {
    return loadText(yaml, base_dir);
  } catch (const std::exception& e) {
    return internalError(e.what());
  } catch (...) {
    return internalError("unknown exception");
  }
}

ConfigLoadResult loadConfigFile(const std::string& path) {
  try {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      return ConfigLoadResult{std::nullopt, {ConfigError{"", "cannot read: is a directory", 0}}};
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      int err = errno;
      return ConfigLoadResult{
          std::nullopt, {ConfigError{"", std::string("cannot read: ") + std::strerror(err), 0}}};
    }
    std::string text;
    // One byte past the limit is enough to reject an oversized file without reading it all.
    text.resize(config_detail::kMaxConfigBytes + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) {
      return ConfigLoadResult{std::nullopt, {ConfigError{"", "cannot read: I/O error", 0}}};
    }
    text.resize(static_cast<std::size_t>(in.gcount()));
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) {
      dir = ".";
    }
    // Absolute so TLS paths stay valid after a daemon changes its working directory.
    std::filesystem::path abs = std::filesystem::absolute(dir, ec);
    return loadConfigText(text, (ec ? dir : abs).lexically_normal().string());
  } catch (const std::exception& e) {
    return internalError(e.what());
  } catch (...) {
    return internalError("unknown exception");
  }
}

std::string formatConfigErrors(const std::string& path, const std::vector<ConfigError>& errors) {
  std::string out;
  for (const ConfigError& e : errors) {
    out += path;
    if (e.line > 0) {
      out += ':';
      out += std::to_string(e.line);
    }
    out += ": ";
    if (!e.key.empty()) {
      out += e.key;
      out += ": ";
    }
    out += e.reason;
    out += '\n';
  }
  return out;
}

}  // namespace rampart::platform
