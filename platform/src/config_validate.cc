// Validate pass: checks that involve more than one value (names, duplicates, overlaps,
// references between sections, files on disk). A value the parse pass rejected is skipped,
// so every mistake in the file is reported once.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "config_internal.h"

namespace rampart::platform::config_detail {
namespace {

std::string realmKey(std::size_t i) { return "realms[" + std::to_string(i) + "]"; }

void addAt(ErrorSink* sink, const std::string& key, std::string reason) {
  int line = sink->line(key);
  sink->add(key, std::move(reason), line);
}

bool isNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

// Realm names appear in metric labels, logs and route references: keep them tame.
std::string realmNameProblem(const std::string& name) {
  if (name.size() > 32) {
    return "realm name is longer than 32 characters";
  }
  if (std::isalpha(static_cast<unsigned char>(name[0])) == 0 ||
      !std::all_of(name.begin(), name.end(), isNameChar)) {
    return "invalid realm name '" + name.substr(0, 40) +
           "': use a letter followed by letters, digits, '_' or '-'";
  }
  return "";
}

void validateNode(const Config& c, ErrorSink* sink) {
  if (!sink->failed("node.name")) {
    bool ok = c.node_name.size() <= 63 &&
              std::all_of(c.node_name.begin(), c.node_name.end(),
                          [](char ch) { return isNameChar(ch) || ch == '.'; });
    if (!ok) {
      addAt(sink, "node.name",
            "'" + c.node_name.substr(0, 40) + "': use at most 63 letters, digits, '.', '_' or '-'");
    }
  }
  if (!sink->failed("node.shm_name")) {
    const std::string& s = c.shm_name;
    // POSIX shm names: one leading '/', no other '/', at most NAME_MAX (255) bytes.
    if (s[0] != '/') {
      addAt(sink, "node.shm_name", "'" + s.substr(0, 40) + "' must start with '/'");
    } else if (s.size() < 2 || s.size() > 255 || s.find('/', 1) != std::string::npos) {
      addAt(sink, "node.shm_name", "must be '/' followed by 1-254 characters without another '/'");
    }
  }
}

void validateDataplane(const DataplaneSettings& d, ErrorSink* sink) {
  if (!sink->failed("dataplane.worker_cpus")) {
    // Maps rather than pairwise scans keep a huge (hostile or generated) file linear-ish.
    std::map<int, std::size_t> first;
    for (std::size_t i = 0; i < d.worker_cpus.size(); ++i) {
      auto [it, inserted] = first.emplace(d.worker_cpus[i], i);
      if (!inserted) {
        addAt(sink, "dataplane.worker_cpus[" + std::to_string(i) + "]",
              "duplicate CPU " + std::to_string(d.worker_cpus[i]) +
                  " (also dataplane.worker_cpus[" + std::to_string(it->second) + "])");
      }
    }
    if (!sink->failed("dataplane.main_cpu") &&
        std::find(d.worker_cpus.begin(), d.worker_cpus.end(), d.main_cpu) != d.worker_cpus.end()) {
      addAt(sink, "dataplane.main_cpu",
            "CPU " + std::to_string(d.main_cpu) +
                " is also a worker; the main lcore does not forward and needs its own CPU");
    }
  }
}

bool readableFile(const std::string& path, std::string* why) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    *why = "file not found: " + path;
    return false;
  }
  if (!std::filesystem::is_regular_file(path, ec)) {
    *why = "not a regular file: " + path;
    return false;
  }
  if (access(path.c_str(), R_OK) != 0) {
    *why = "file not readable: " + path;
    return false;
  }
  return true;
}

// A cheap sanity check that catches swapped or mistyped paths; the real parse happens where
// OpenSSL is linked (the control plane).
std::string pemProblem(const std::string& path, bool key) {
  std::string why;
  if (!readableFile(path, &why)) {
    return why;
  }
  std::ifstream in(path, std::ios::binary);
  std::string head(std::size_t{64} * 1024, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  if (key) {
    std::size_t begin = head.find("-----BEGIN ");
    if (begin == std::string::npos || head.find("PRIVATE KEY-----", begin) == std::string::npos) {
      return "not a PEM private key (no '-----BEGIN ... PRIVATE KEY-----'): " + path;
    }
  } else if (head.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return "not a PEM certificate (no '-----BEGIN CERTIFICATE-----'): " + path;
  }
  return "";
}

// A file named in the config: relative to the config file's folder unless absolute.
std::string resolveFromConfig(const std::string& file, const std::string& base_dir) {
  std::filesystem::path p(file);
  if (p.is_relative() && !base_dir.empty()) {
    p = std::filesystem::path(base_dir) / p;
  }
  return p.lexically_normal().string();
}

// The PEM certificate or private key at config key @p key: resolved in place, then read.
void checkPemFile(std::string* file, const std::string& key, bool is_key,
                  const std::string& base_dir, ErrorSink* sink) {
  *file = resolveFromConfig(*file, base_dir);
  std::string problem = pemProblem(*file, is_key);
  if (!problem.empty()) {
    addAt(sink, key, problem);
  }
}

void validateTls(Realm* realm, const std::string& path, const std::string& base_dir,
                 ErrorSink* sink) {
  bool needs_tls = std::any_of(
      realm->signalling.begin(), realm->signalling.end(), [](const SignallingListener& l) {
        return l.transport == Transport::Tls || l.transport == Transport::Wss;
      });
  if (!realm->tls) {
    if (needs_tls && !sink->failed(path + ".signalling")) {
      addAt(sink, path + ".tls",
            "missing: a tls or wss listener needs a tls section (certificate, private_key)");
    }
    return;
  }
  auto resolve = [&](std::string* file, const char* key, bool is_key) {
    std::string k = path + ".tls." + key;
    if (!sink->failed(k)) {
      checkPemFile(file, k, is_key, base_dir, sink);
    }
  };
  resolve(&realm->tls->certificate, "certificate", false);
  resolve(&realm->tls->private_key, "private_key", true);
}

bool originOk(const std::string& origin);

// realms[i].allowed_origins, .websocket and .jwt: the WebSocket edge of a realm. Key files
// are resolved against `base_dir` like the TLS paths and read as the control plane will.
// realms[i].turn: a secret file, turn:/turns: URIs, a path, and a wss listener to serve it on.
void validateTurn(Realm* realm, const std::string& path, const std::string& base_dir,
                  ErrorSink* sink) {
  std::string tp = path + ".turn";
  if (!realm->turn || sink->failed(tp)) {
    return;
  }
  TurnSettings& t = *realm->turn;
  t.secret_file = resolveFromConfig(t.secret_file, base_dir);
  std::string why;
  std::error_code ec;
  if (!readableFile(t.secret_file, &why)) {
    addAt(sink, tp + ".secret_file", why);
  } else if (std::filesystem::file_size(t.secret_file, ec) < 16) {
    addAt(sink, tp + ".secret_file", "the secret must be at least 16 bytes: " + t.secret_file);
  }
  if (t.uris.empty()) {
    addAt(sink, tp + ".uris", "list at least one turn: or turns: URI");
  }
  for (std::size_t i = 0; i < t.uris.size(); ++i) {
    if (t.uris[i].rfind("turn:", 0) != 0 && t.uris[i].rfind("turns:", 0) != 0) {
      addAt(sink, tp + ".uris[" + std::to_string(i) + "]",
            "'" + t.uris[i].substr(0, 60) + "' is not a turn: or turns: URI (RFC 7065)");
    }
  }
  if (t.path.empty() || t.path[0] != '/') {
    addAt(sink, tp + ".path", "must start with '/'");
  }
  bool wss = std::any_of(realm->signalling.begin(), realm->signalling.end(),
                         [](const SignallingListener& l) { return l.transport == Transport::Wss; });
  if (!wss && !sink->failed(path + ".signalling")) {
    addAt(sink, tp, "needs a wss listener on the realm (credentials are served there)");
  }
}

void validateWebEdge(Realm* realm, const std::string& path, const std::string& base_dir,
                     ErrorSink* sink) {
  validateTurn(realm, path, base_dir, sink);
  if (realm->allowed_origins) {
    for (std::size_t i = 0; i < realm->allowed_origins->size(); ++i) {
      const std::string& o = (*realm->allowed_origins)[i];
      std::string key = path + ".allowed_origins[" + std::to_string(i) + "]";
      if (!sink->failed(key) && !originOk(o)) {
        addAt(sink, key,
              "'" + o.substr(0, 60) +
                  "' is not an origin (scheme://host[:port], e.g. https://app.example.com)");
      }
    }
  }
  std::string jwt_path = path + ".jwt";
  if (sink->failedAt(jwt_path)) {
    return;
  }
  JwtSettings& jwt = realm->jwt;
  if (jwt.required) {
    // A token nobody checks the issuer or audience of is a token anyone's IdP can mint.
    if (jwt.issuer.empty() && !sink->failed(jwt_path + ".issuer")) {
      addAt(sink, jwt_path + ".issuer", "required when jwt.required is true");
    }
    if (jwt.audience.empty() && !sink->failed(jwt_path + ".audience")) {
      addAt(sink, jwt_path + ".audience", "required when jwt.required is true");
    }
    if (jwt.keys.empty() && !sink->failed(jwt_path + ".keys")) {
      addAt(sink, jwt_path + ".keys", "at least one key is needed when jwt.required is true");
    }
  }
  std::map<std::string, std::size_t> kids;
  for (std::size_t i = 0; i < jwt.keys.size(); ++i) {
    JwtKey& k = jwt.keys[i];
    std::string key = jwt_path + ".keys[" + std::to_string(i) + "]";
    if (sink->failed(key)) {
      continue;
    }
    auto [it, inserted] = kids.emplace(k.kid, i);
    if (!inserted) {
      addAt(sink, key + ".kid",
            "duplicate kid '" + k.kid.substr(0, 40) + "' (also " + jwt_path + ".keys[" +
                std::to_string(it->second) + "])");
    }
    const bool hs = k.alg == JwtAlg::Hs256;
    const char* want = hs ? "secret_file" : "public_key";
    const char* other = hs ? "public_key" : "secret_file";
    if (!(hs ? k.public_key : k.secret_file).empty()) {
      addAt(sink, key + "." + other,
            std::string("not used with ") + jwtAlgName(k.alg) + "; give " + want);
      continue;
    }
    std::string& file = hs ? k.secret_file : k.public_key;
    if (file.empty()) {
      addAt(sink, key + "." + want,
            std::string("missing required key (") + jwtAlgName(k.alg) + " needs " + want + ")");
      continue;
    }
    file = resolveFromConfig(file, base_dir);
    Result<std::string> material = loadJwtKeyMaterial(k);
    if (!material) {
      addAt(sink, key + "." + want, material.error().message);
    }
  }
}

bool inPrefix(const IpAddress& a, const IpAddress& net, int prefix) {
  for (int bit = 0; bit < prefix; ++bit) {
    int shift = 7 - bit % 8;
    if (((a.bytes[bit / 8] >> shift) & 1) != ((net.bytes[bit / 8] >> shift) & 1)) {
      return false;
    }
  }
  return true;
}

// True when the port range of realm `path` parsed and is usable.
bool validateMedia(const MediaSettings& m, const std::string& path, std::size_t workers,
                   ErrorSink* sink) {
  std::string media = path + ".media";
  if (!sink->failed(media + ".address") && !sink->failed(media + ".prefix_len") && m.gateway &&
      !inPrefix(*m.gateway, m.address, m.prefix_len)) {
    addAt(
        sink, media + ".gateway",
        m.gateway->text + " is not inside " + m.address.text + "/" + std::to_string(m.prefix_len));
  }
  if (m.address6 && m.gateway6 && !sink->failed(media + ".prefix_len6") &&
      !inPrefix(*m.gateway6, *m.address6, m.prefix_len6)) {
    addAt(sink, media + ".gateway6",
          m.gateway6->text + " is not inside " + m.address6->text + "/" +
              std::to_string(m.prefix_len6));
  }
  if (sink->failedAt(media) || sink->failed(media + ".port_min") ||
      sink->failed(media + ".port_max")) {
    return false;
  }
  std::string range = std::to_string(m.port_min) + "-" + std::to_string(m.port_max);
  if (m.port_min > m.port_max) {
    addAt(sink, media + ".port_min",
          "port_min " + std::to_string(m.port_min) + " is greater than port_max " +
              std::to_string(m.port_max));
    return false;
  }
  uint32_t count = static_cast<uint32_t>(m.port_max) - m.port_min + 1;
  // Ports go out in RTP/RTCP pairs (RFC 3550 s11: RTP on the even port), split per worker.
  if (m.port_min % 2 != 0) {
    addAt(sink, media + ".port_min",
          "port_min " + std::to_string(m.port_min) + " must be even (RTP takes the even port)");
    return false;
  }
  if (count % 2 != 0) {
    addAt(sink, media + ".port_max",
          "port range " + range + " holds " + std::to_string(count) +
              " port(s); need an even count >= 2, so with an even port_min an odd port_max");
    return false;
  }
  if (count / 2 < workers) {
    addAt(sink, media + ".port_max",
          "port range " + range + " holds " + std::to_string(count / 2) +
              " RTP/RTCP pair(s), fewer than the " + std::to_string(workers) +
              " workers that each need their own share");
    return false;
  }
  return true;
}

// Listeners with the same key clash: one socket namespace (UDP, or TCP for tcp/tls/ws/wss),
// one address, one port.
std::string socketKey(const SignallingListener& l) {
  std::string key(1, l.transport == Transport::Udp ? 'u' : 't');
  key.append(reinterpret_cast<const char*>(l.address.bytes), l.address.family == 4 ? 4 : 16);
  key += ':' + std::to_string(l.port);
  return key;
}

// Realm names: valid and unique.
void checkRealmName(const Realm& r, std::size_t i, std::map<std::string, std::size_t>& names,
                    ErrorSink* sink) {
  const std::string path = realmKey(i);
  if (sink->failed(path + ".name")) {
    return;
  }
  std::string problem = realmNameProblem(r.name);
  if (!problem.empty()) {
    addAt(sink, path + ".name", problem);
  }
  auto [it, inserted] = names.emplace(r.name, i);
  if (!inserted) {
    addAt(sink, path + ".name",
          "duplicate realm name '" + r.name + "' (also " + realmKey(it->second) + ")");
  }
}

struct ListenerRef {
  const SignallingListener* listener;
  std::string key;
};

// One socket per (UDP or TCP, address, port), across realms: the first listener claiming it.
void checkListeners(const Realm& r, const std::string& path,
                    std::map<std::string, ListenerRef>& sockets, ErrorSink* sink) {
  for (std::size_t k = 0; k < r.signalling.size(); ++k) {
    std::string key = path + ".signalling[" + std::to_string(k) + "]";
    if (sink->failed(key)) {
      continue;
    }
    const SignallingListener& l = r.signalling[k];
    auto [it, inserted] = sockets.emplace(socketKey(l), ListenerRef{&l, key});
    if (!inserted) {
      const ListenerRef& other = it->second;
      std::string what = other.listener->transport == l.transport
                             ? "duplicate listener " + std::string(transportName(l.transport))
                             : std::string(transportName(l.transport)) + " listener clashes with " +
                                   transportName(other.listener->transport);
      addAt(sink, key,
            what + " on " + l.address.text + ":" + std::to_string(l.port) + " (also " + other.key +
                ")");
    }
  }
}

// Every realm's media ports are steered to cores by range, so ranges must be disjoint
// whatever their addresses. Sorted by port_min, a range overlaps an earlier one exactly
// when it starts at or below the highest port_max seen so far.
void checkDisjointPortRanges(const Config& c, const std::vector<bool>& range_ok, ErrorSink* sink) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < c.realms.size(); ++i) {
    if (range_ok[i]) {
      order.push_back(i);
    }
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return c.realms[a].media.port_min < c.realms[b].media.port_min;
  });
  std::size_t reach = 0;  // the realm whose range reaches highest so far
  for (std::size_t n = 0; n < order.size(); ++n) {
    std::size_t i = order[n];
    const MediaSettings& a = c.realms[i].media;
    if (n > 0 && a.port_min <= c.realms[reach].media.port_max) {
      // Blame the realm written later in the file.
      std::size_t later = std::max(i, reach);
      std::size_t earlier = std::min(i, reach);
      const MediaSettings& l = c.realms[later].media;
      const MediaSettings& e = c.realms[earlier].media;
      addAt(sink, realmKey(later) + ".media.port_min",
            "port range " + std::to_string(l.port_min) + "-" + std::to_string(l.port_max) +
                " overlaps " + realmKey(earlier) + ".media (" + std::to_string(e.port_min) + "-" +
                std::to_string(e.port_max) + "); media port ranges must be disjoint");
    }
    if (n == 0 || a.port_max > c.realms[reach].media.port_max) {
      reach = i;
    }
  }
}

void validateRealms(Config* c, const std::string& base_dir, ErrorSink* sink) {
  std::size_t workers = sink->failed("dataplane.worker_cpus") ? 1 : c->dataplane.worker_cpus.size();
  std::vector<bool> range_ok(c->realms.size(), false);
  std::map<std::string, ListenerRef> sockets;
  std::map<std::string, std::size_t> realm_names;
  for (std::size_t i = 0; i < c->realms.size(); ++i) {
    Realm& r = c->realms[i];
    std::string path = realmKey(i);
    if (sink->failedAt(path)) {
      // Not a map at all: nothing below can be checked.
      continue;
    }
    checkRealmName(r, i, realm_names, sink);
    checkListeners(r, path, sockets, sink);
    validateTls(&r, path, base_dir, sink);
    validateWebEdge(&r, path, base_dir, sink);
    range_ok[i] = validateMedia(r.media, path, workers, sink);
  }
  checkDisjointPortRanges(*c, range_ok, sink);
}

std::string targetProblem(const std::string& target) {
  std::string lower;
  for (char ch : target.substr(0, 5)) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  std::size_t host = lower.rfind("sips:", 0) == 0 ? 5 : lower.rfind("sip:", 0) == 0 ? 4 : 0;
  if (host == 0) {
    return "'" + target.substr(0, 60) + "' is not a sip: or sips: URI";
  }
  if (host == target.size() || std::any_of(target.begin(), target.end(), [](char ch) {
        return std::isspace(static_cast<unsigned char>(ch)) != 0 || ch == '<' || ch == '>';
      })) {
    return "'" + target.substr(0, 60) + "' is not a valid SIP URI (no host, or spaces)";
  }
  return "";
}

// libstdc++ builds an NFA copy per bounded repetition, so "(a{999}){999}" costs memory in the
// product of the counts. Bound that product to keep a hostile or careless pattern cheap.
std::string regexProblem(const std::string& pattern) {
  if (pattern.size() > kMaxRegexLength) {
    return "regular expression longer than " + std::to_string(kMaxRegexLength) + " characters";
  }
  uint64_t product = 1;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '{' || (i > 0 && pattern[i - 1] == '\\')) {
      continue;
    }
    uint64_t n = 0;
    for (std::size_t j = i + 1; j < pattern.size() && n < 100000; ++j) {
      char ch = pattern[j];
      if (ch >= '0' && ch <= '9') {
        n = n * 10 + static_cast<uint64_t>(ch - '0');
      } else if (ch == ',') {
        n = 0;  // the upper bound is what costs
      } else {
        break;
      }
    }
    product *= std::max<uint64_t>(n, 1);
    if (product > 10000) {
      return "regular expression repetition counts are too large (product over 10000)";
    }
  }
  try {
    std::regex re(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return "invalid regular expression '" + pattern.substr(0, 60) + "': " + e.what();
  }
  return "";
}

// `names_ok`: every realm name parsed, so an unknown realm in a route is a real mistake and
// not a follow-on error.
void validateRoutes(const Config& c, bool names_ok, ErrorSink* sink) {
  std::set<std::string> realms;
  for (const Realm& r : c.realms) {
    realms.insert(r.name);
  }
  std::map<std::string, std::size_t> route_names;
  for (std::size_t i = 0; i < c.routes.size(); ++i) {
    const Route& r = c.routes[i];
    std::string path = "routes[" + std::to_string(i) + "]";
    if (!sink->failed(path + ".name")) {
      auto [it, inserted] = route_names.emplace(r.name, i);
      if (!inserted) {
        addAt(sink, path + ".name",
              "duplicate route name '" + r.name + "' (also routes[" + std::to_string(it->second) +
                  "])");
      }
    }
    auto check_realm = [&](const std::string& name, const char* key) {
      if (!sink->failed(path + "." + key) && names_ok && realms.count(name) == 0) {
        addAt(sink, path + "." + key, "unknown realm '" + name.substr(0, 40) + "'");
      }
    };
    check_realm(r.from_realm, "from");
    check_realm(r.to_realm, "to");
    for (std::size_t t = 0; t < r.targets.size(); ++t) {
      std::string key =
          r.target.empty() || t > 0
              ? path + ".targets[" + std::to_string(r.target.empty() ? t : t - 1) + "]"
              : path + ".target";
      if (!sink->failed(key)) {
        std::string problem = targetProblem(r.targets[t]);
        if (!problem.empty()) {
          addAt(sink, key, problem);
        }
      }
    }
    if (!sink->failed(path + ".match_user") && !r.match_user.empty()) {
      std::string problem = regexProblem(r.match_user);
      if (!problem.empty()) {
        addAt(sink, path + ".match_user", problem);
      }
    }
  }
}

bool originOk(const std::string& origin) {
  std::size_t host = origin.rfind("https://", 0) == 0 ? 8 : origin.rfind("http://", 0) == 0 ? 7 : 0;
  if (host == 0 || host == origin.size()) {
    return false;
  }
  return std::none_of(
      origin.begin() + static_cast<std::ptrdiff_t>(host), origin.end(),
      [](char ch) { return ch == '/' || std::isspace(static_cast<unsigned char>(ch)) != 0; });
}

// "198.18.0.53", "198.18.0.53:5353", "2001:db8::53" or "[2001:db8::53]:5353".
bool dnsServerOk(const std::string& text) {
  std::string host = text;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string::npos) {
      return false;
    }
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') {
        return false;
      }
      port = text.substr(close + 2);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    host = text.substr(0, text.find(':'));
    port = text.substr(text.find(':') + 1);
  }
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) ||
        std::stoi(port) < 1 || std::stoi(port) > 65535) {
      return false;
    }
  }
  return parseIpAddress(host).has_value();
}

void validateSip(const SipSettings& s, ErrorSink* sink) {
  for (std::size_t i = 0; i < s.dns_servers.size(); ++i) {
    std::string key = "sip.dns_servers[" + std::to_string(i) + "]";
    if (!sink->failed(key) && !dnsServerOk(s.dns_servers[i])) {
      addAt(sink, key,
            "'" + s.dns_servers[i].substr(0, 60) + "' is not an address or address:port");
    }
  }
}

// security.ban_file: resolved against the config's directory; the directory must exist (the
// file itself appears with the first ban).
void resolveBanFile(SecurityPolicy* s, const std::string& base_dir, ErrorSink* sink) {
  if (s->ban_file.empty() || sink->failed("security.ban_file")) {
    return;
  }
  s->ban_file = resolveFromConfig(s->ban_file, base_dir);
  const std::filesystem::path p(s->ban_file);
  std::error_code ec;
  std::filesystem::path dir = p.parent_path().empty() ? "." : p.parent_path();
  if (!std::filesystem::is_directory(dir, ec)) {
    addAt(sink, "security.ban_file",
          "directory '" + dir.string().substr(0, 80) + "' does not exist");
  } else if (std::filesystem::is_directory(p, ec)) {
    addAt(sink, "security.ban_file", "'" + p.string().substr(0, 80) + "' is a directory");
  }
}

// Country lists: ISO 3166 alpha-2 in upper case; deny and allow lists are exclusive.
void validateCountries(const std::vector<std::string>& deny, const std::vector<std::string>& allow,
                       const std::string& path, ErrorSink* sink) {
  for (const char* key : {"deny_countries", "allow_countries"}) {
    const auto& list = std::string(key) == "deny_countries" ? deny : allow;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string& cc = list[i];
      bool ok = cc.size() == 2 && std::isupper(static_cast<unsigned char>(cc[0])) &&
                std::isupper(static_cast<unsigned char>(cc[1]));
      if (!ok) {
        addAt(sink, path + "." + key + "[" + std::to_string(i) + "]",
              "'" + cc.substr(0, 20) + "' is not an ISO 3166 country code (two capitals, e.g. FR)");
      }
    }
  }
  if (!deny.empty() && !allow.empty()) {
    addAt(sink, path + ".allow_countries", "give deny_countries or allow_countries, not both");
  }
}

// security.geo: the database resolved like ban_file and readable; the global and per-realm
// country lists valid, and a realm's lists only with a database to look sources up in.
void validateGeo(GeoSettings* g, const std::vector<Realm>& realms, const std::string& base_dir,
                 ErrorSink* sink) {
  for (std::size_t r = 0; r < realms.size(); ++r) {
    const RealmSecurity& s = realms[r].security;
    std::string path = "realms[" + std::to_string(r) + "].security";
    validateCountries(s.deny_countries, s.allow_countries, path, sink);
    if (g->database.empty() && (!s.deny_countries.empty() || !s.allow_countries.empty())) {
      addAt(sink, path + "." + (s.deny_countries.empty() ? "allow_countries" : "deny_countries"),
            "needs security.geo.database (the country database)");
    }
  }
  if (g->database.empty() || sink->failed("security.geo.database")) {
    return;
  }
  g->database = resolveFromConfig(g->database, base_dir);
  if (access(g->database.c_str(), R_OK) != 0) {
    addAt(sink, "security.geo.database",
          "cannot read '" + g->database.substr(0, 80) + "': " + std::strerror(errno));
  }
  validateCountries(g->deny_countries, g->allow_countries, "security.geo", sink);
}

void validateSecurity(const SecurityPolicy& s, ErrorSink* sink) {
  for (std::size_t i = 0; i < s.allowed_origins.size(); ++i) {
    if (!originOk(s.allowed_origins[i])) {
      addAt(sink, "security.allowed_origins[" + std::to_string(i) + "]",
            "'" + s.allowed_origins[i].substr(0, 60) +
                "' is not an origin (scheme://host[:port], e.g. https://app.example.com)");
    }
  }
  if (!sink->failed("security.max_sdp_bytes") && !sink->failed("security.max_sip_message_bytes") &&
      s.max_sdp_bytes > s.max_sip_message_bytes) {
    addAt(sink, "security.max_sdp_bytes",
          std::to_string(s.max_sdp_bytes) + " exceeds max_sip_message_bytes (" +
              std::to_string(s.max_sip_message_bytes) + ")");
  }
}

// management.api: its port apart from the metrics ports, its TLS files, unique token names and
// hashes (two names for one token would make the audit log lie about who acted).
void validateApi(ApiSettings* api, const ManagementSettings& m, const std::string& base_dir,
                 ErrorSink* sink) {
  if (!sink->failed("management.api.port") &&
      (api->port == m.controlplane_port || api->port == m.dataplane_port)) {
    addAt(sink, "management.api.port",
          "port " + std::to_string(api->port) + " is already a metrics port");
  }
  auto resolve = [&](std::string* file, const char* key, bool is_key) {
    std::string k = std::string("management.api.tls.") + key;
    if (!sink->failed(k) && !sink->failed("management.api.tls")) {
      checkPemFile(file, k, is_key, base_dir, sink);
    }
  };
  resolve(&api->tls.certificate, "certificate", false);
  resolve(&api->tls.private_key, "private_key", true);
  std::map<std::string, std::size_t> names;
  std::map<std::string, std::size_t> hashes;
  for (std::size_t i = 0; i < api->tokens.size(); ++i) {
    const ApiToken& t = api->tokens[i];
    std::string key = "management.api.tokens[" + std::to_string(i) + "]";
    if (!t.name.empty() && !names.emplace(t.name, i).second) {
      addAt(sink, key + ".name", "duplicate token name '" + t.name + "'");
    }
    if (!t.sha256.empty() && !hashes.emplace(t.sha256, i).second) {
      addAt(sink, key + ".sha256",
            "same token as management.api.tokens[" + std::to_string(hashes[t.sha256]) + "]");
    }
  }
}

void validateManagement(ManagementSettings* m, const std::string& base_dir, ErrorSink* sink) {
  if (!sink->failedAt("management") && !sink->failed("management.controlplane_port") &&
      !sink->failed("management.dataplane_port") && m->controlplane_port == m->dataplane_port) {
    addAt(sink, "management.dataplane_port",
          "same port as controlplane_port (" + std::to_string(m->dataplane_port) +
              "); each process serves its own metrics");
  }
  if (m->api && !sink->failedAt("management.api")) {
    validateApi(&*m->api, *m, base_dir, sink);
  }
  auto resolve = [&](std::string* path) { *path = resolveFromConfig(*path, base_dir); };
  std::error_code ec;
  if (m->cdr && !sink->failed("management.cdr")) {
    resolve(&m->cdr->directory);
    const std::string& d = m->cdr->directory;
    if (std::filesystem::exists(d, ec) && !std::filesystem::is_directory(d, ec)) {
      addAt(sink, "management.cdr.directory", "not a directory: " + d);
    }
  }
  if (m->audit && !sink->failed("management.audit")) {
    resolve(&m->audit->file);
    std::filesystem::path dir = std::filesystem::path(m->audit->file).parent_path();
    if (!std::filesystem::is_directory(dir, ec)) {
      addAt(sink, "management.audit.file", "directory does not exist: " + dir.string());
    }
  }
}

}  // namespace

// dtls.certificate and dtls.private_key: both or neither, PEM files read like the TLS ones.
void validateDtls(DtlsSettings* d, const std::string& base_dir, ErrorSink* sink) {
  if (d->certificate.empty() != d->private_key.empty()) {
    addAt(sink, d->certificate.empty() ? "dtls.certificate" : "dtls.private_key",
          "missing: give both dtls.certificate and dtls.private_key, or neither (a certificate "
          "is then generated at start-up)");
    return;
  }
  auto resolve = [&](std::string* file, const char* key, bool is_key) {
    const std::string k = std::string("dtls.") + key;
    if (!file->empty() && !sink->failed(k)) {
      checkPemFile(file, k, is_key, base_dir, sink);
    }
  };
  resolve(&d->certificate, "certificate", false);
  resolve(&d->private_key, "private_key", true);
}

void validateConfig(Config* config, const std::string& base_dir, ErrorSink* sink) {
  validateNode(*config, sink);
  validateDataplane(config->dataplane, sink);
  // Decided before realm checks add their own errors under realms[i].name.
  bool names_ok = !sink->failedAt("realms");
  for (std::size_t i = 0; i < config->realms.size(); ++i) {
    names_ok = names_ok && !sink->failedAt(realmKey(i)) && !sink->failed(realmKey(i) + ".name");
  }
  validateRealms(config, base_dir, sink);
  validateRoutes(*config, names_ok, sink);
  validateSip(config->sip, sink);
  validateSecurity(config->security, sink);
  resolveBanFile(&config->security, base_dir, sink);
  validateGeo(&config->security.geo, config->realms, base_dir, sink);
  validateManagement(&config->management, base_dir, sink);
  validateDtls(&config->dtls, base_dir, sink);
}

}  // namespace rampart::platform::config_detail
