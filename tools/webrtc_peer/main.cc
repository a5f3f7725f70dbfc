// rampart-webrtc-peer: a browser-style media peer for Rampart's tests and benchmarks.
//
//   sdp   --identity DIR --local ADDR:PORT [--no-candidates] [--keying dtls|sdes]
//         [--setup actpass|passive]
//         Creates DIR's certificate (ECDSA P-256), key, ICE credentials and SDES key when absent
//         and prints the Chrome-like offer a browser would send (UDP/TLS/RTP/SAVPF, a=fingerprint
//         sha-256, a=setup:actpass, ice-ufrag/pwd, rtcp-mux, BUNDLE/mid, opus + PCMU +
//         telephone-event). --keying sdes: an SDES-only WebRTC endpoint instead (RTP/SAVPF with
//         a=crypto AES_CM_128_HMAC_SHA1_80 and no fingerprint); `run` then keys SRTP from the
//         two a=crypto lines after ICE, with no DTLS. --setup passive offers a=setup:passive,
//         so Rampart must answer active and be the DTLS client.
//   run   --identity DIR --answer FILE --local ADDR:PORT [--wait-answer S] [--duration S]
//         [--profiles P1:P2] [--timeout S] [--wrong-cert] [--misbehave garbage,replay,bad-stun]
//         ICE as the controlling full agent (Binding requests with USE-CANDIDATE, PRIORITY,
//         ICE-CONTROLLING, MESSAGE-INTEGRITY, FINGERPRINT) toward the answer's candidate, the
//         DTLS handshake in the role the answer's a=setup leaves us, SRTP both ways with the
//         exported keys; one JSON report on stdout. --wait-answer polls for FILE to appear (so a
//         benchmark can start the peer before the INVITE). --wrong-cert handshakes with another
//         certificate than the one in the offer. --misbehave sends, once media flows, garbage
//         DTLS records, replays of its own handshake records and STUN checks with a bad
//         MESSAGE-INTEGRITY and an unknown ufrag on the call's 5-tuple, then goes on with media.
//   probe --remote ADDR:PORT --local ADDR:PORT --kind client-hello|stun-flood|bad-integrity|
//         unknown-ufrag|garbage [--answer FILE] [--count N] [--wait S]
//         A stranger's traffic; reports how many datagrams came back.
// Exit status: 0 when the run did what it was asked (ICE, DTLS, media received), 1 otherwise,
// 2 for usage errors. The JSON report is printed in every case.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stun/stunagent.h>
#include <stun/stunmessage.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "media_peer/srtp_session.h"
#include "media_peer/tool_util.h"
#include "media_peer/wire_bytes.h"

namespace rt = rampart::tools;

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

int64_t unixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string randomAlnum(std::size_t n) {
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::vector<uint8_t> r(n);
  RAND_bytes(r.data(), static_cast<int>(n));
  std::string s;
  for (uint8_t b : r) {
    s += kChars[b % 62];
  }
  return s;
}

uint64_t random64() {
  uint64_t v = 0;
  RAND_bytes(reinterpret_cast<uint8_t*>(&v), sizeof v);
  return v;
}

std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string sslErrors() {
  std::string out;
  unsigned long e = 0;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) {
      out += "; ";
    }
    out += buf;
  }
  return out;
}

// --- identity ------------------------------------------------------------------------------------

struct Identity {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  std::string ufrag;
  std::string pwd;
  std::string sdes_key;  // base64 of 30 bytes (AES-CM-128 key and salt)
};

bool makeCert(Identity& id) {
  id.key = EVP_EC_gen("P-256");
  id.cert = X509_new();
  if (id.key == nullptr || id.cert == nullptr) {
    return false;
  }
  X509_set_version(id.cert, 2);
  ASN1_INTEGER_set_int64(X509_get_serialNumber(id.cert),
                         static_cast<int64_t>(random64() & 0x7fffffffffffull));
  X509_gmtime_adj(X509_getm_notBefore(id.cert), -86400);
  X509_gmtime_adj(X509_getm_notAfter(id.cert), 30L * 86400);
  X509_set_pubkey(id.cert, id.key);
  X509_NAME* name = X509_get_subject_name(id.cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("rampart-webrtc-peer"), -1, -1,
                             0);
  X509_set_issuer_name(id.cert, name);
  return X509_sign(id.cert, id.key, EVP_sha256()) > 0;
}

std::string fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(cert, EVP_sha256(), md, &n);
  std::string out;
  char hex[4];
  for (unsigned int i = 0; i < n; ++i) {
    std::snprintf(hex, sizeof hex, i + 1 < n ? "%02X:" : "%02X", md[i]);
    out += hex;
  }
  return out;
}

std::string base64(const std::vector<uint8_t>& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// A 30-byte SDES inline key (RFC 4568 key||salt for AES-CM-128), or empty when malformed.
std::vector<uint8_t> decodeSdesKey(const std::string& b64) {
  std::vector<uint8_t> out(b64.size() * 3 / 4 + 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  if (n < 30) {
    return {};
  }
  out.resize(30);  // EVP_DecodeBlock counts the padding as bytes
  return out;
}

// DIR/cert.pem, DIR/key.pem, DIR/ice ("ufrag pwd sdes-key"): made when absent, loaded otherwise.
bool loadOrMakeIdentity(const std::string& dir, Identity& id, std::string& why) {
  ::mkdir(dir.c_str(), 0700);
  const std::string cert_path = dir + "/cert.pem";
  const std::string key_path = dir + "/key.pem";
  const std::string ice_path = dir + "/ice";
  if (!exists(cert_path) || !exists(key_path) || !exists(ice_path)) {
    if (!makeCert(id)) {
      why = "certificate generation failed: " + sslErrors();
      return false;
    }
    FILE* f = std::fopen(key_path.c_str(), "w");
    FILE* g = std::fopen(cert_path.c_str(), "w");
    if (f == nullptr || g == nullptr) {
      why = "cannot write " + dir;
      return false;
    }
    PEM_write_PrivateKey(f, id.key, nullptr, nullptr, 0, nullptr, nullptr);
    PEM_write_X509(g, id.cert);
    std::fclose(f);
    std::fclose(g);
    std::vector<uint8_t> key(30);
    RAND_bytes(key.data(), 30);
    std::ofstream(ice_path) << randomAlnum(8) << ' ' << randomAlnum(24) << ' ' << base64(key)
                            << '\n';
  } else {
    FILE* f = std::fopen(key_path.c_str(), "r");
    FILE* g = std::fopen(cert_path.c_str(), "r");
    if (f == nullptr || g == nullptr) {
      why = "cannot read " + dir;
      return false;
    }
    id.key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    id.cert = PEM_read_X509(g, nullptr, nullptr, nullptr);
    std::fclose(f);
    std::fclose(g);
    if (id.key == nullptr || id.cert == nullptr) {
      why = "bad PEM in " + dir;
      return false;
    }
  }
  std::istringstream(readFile(ice_path)) >> id.ufrag >> id.pwd >> id.sdes_key;
  if (id.ufrag.empty() || id.pwd.size() < 22) {
    why = "bad ICE credentials in " + ice_path;
    return false;
  }
  return true;
}

// --- SDP -----------------------------------------------------------------------------------------

std::string offerSdp(const Identity& id, const rt::SockAddr& local, bool candidates, bool sdes,
                     const std::string& setup) {
  std::string ip = local.toString();
  ip = ip.substr(0, ip.rfind(':'));
  const uint64_t sess = random64() & 0x7fffffffffffffffull;
  const uint32_t ssrc = static_cast<uint32_t>(random64());
  std::ostringstream o;
  o << "v=0\r\no=- " << sess << " 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    << "a=group:BUNDLE 0\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS stream\r\n"
    << "m=audio " << local.port() << (sdes ? " RTP/SAVPF" : " UDP/TLS/RTP/SAVPF")
    << " 111 0 126\r\n"
    << "c=IN IP4 " << ip << "\r\na=rtcp:9 IN IP4 0.0.0.0\r\n";
  if (candidates) {
    o << "a=candidate:1 1 udp 2122260223 " << ip << ' ' << local.port()
      << " typ host generation 0 network-id 1\r\n";
  }
  o << "a=ice-ufrag:" << id.ufrag << "\r\na=ice-pwd:" << id.pwd << "\r\n"
    << "a=ice-options:trickle\r\n";
  if (sdes) {
    o << "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" << id.sdes_key << "\r\n";
  } else {
    o << "a=fingerprint:sha-256 " << fingerprint(id.cert) << "\r\n"
      << "a=setup:" << setup << "\r\n";
  }
  o << "a=mid:0\r\n"
    << "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    << "a=sendrecv\r\na=msid:stream track\r\na=rtcp-mux\r\n"
    << "a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\n"
    << "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    << "a=rtpmap:0 PCMU/8000\r\na=rtpmap:126 telephone-event/8000\r\n"
    << "a=ssrc:" << ssrc << " cname:" << randomAlnum(16) << "\r\n";
  return o.str();
}

struct Answer {
  std::string ufrag, pwd, fingerprint, setup = "active";
  std::string crypto_suite, crypto_key;   // its a=crypto tag 1 (SDES)
  std::optional<rt::SockAddr> candidate;  // the first UDP candidate, else c=/m=
  int payload_type = 0;
};

std::optional<Answer> parseAnswer(const std::string& text, std::string& why) {
  Answer a;
  std::string caddr;
  int mport = -1;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    auto attr = [&](const char* p) -> std::optional<std::string> {
      const std::size_t n = std::strlen(p);
      if (line.compare(0, n, p) == 0) {
        return line.substr(n);
      }
      return std::nullopt;
    };
    if (auto v = attr("c=IN IP4 ")) {
      caddr = *v;
    } else if (auto m = attr("m=audio ")) {
      std::istringstream f(*m);
      std::string proto;
      f >> mport >> proto >> a.payload_type;
    } else if (auto u = attr("a=ice-ufrag:")) {
      a.ufrag = *u;
    } else if (auto p = attr("a=ice-pwd:")) {
      a.pwd = *p;
    } else if (auto fp = attr("a=fingerprint:sha-256 ")) {
      a.fingerprint = *fp;
    } else if (auto s = attr("a=setup:")) {
      a.setup = *s;
    } else if (auto k = attr("a=crypto:1 ")) {
      std::istringstream f(*k);
      std::string inl;
      f >> a.crypto_suite >> inl;
      if (inl.rfind("inline:", 0) == 0) {
        a.crypto_key = inl.substr(
            7, inl.find('|') == std::string::npos ? std::string::npos : inl.find('|') - 7);
      }
    } else if (auto c = attr("a=candidate:")) {
      std::istringstream f(*c);
      std::string foundation, transport, addr;
      int comp = 0;
      uint64_t prio = 0;
      int port = 0;
      f >> foundation >> comp >> transport >> prio >> addr >> port;
      if (!a.candidate && comp == 1 && (transport == "udp" || transport == "UDP")) {
        a.candidate = rt::parseSockAddr(addr + ":" + std::to_string(port));
      }
    }
  }
  if (!a.candidate && !caddr.empty() && mport > 0) {
    a.candidate = rt::parseSockAddr(caddr + ":" + std::to_string(mport));
  }
  if (!a.candidate) {
    why = "the answer has no candidate and no c=/m= address";
  } else if (a.ufrag.empty() || a.pwd.empty()) {
    why = "the answer has no ice-ufrag/ice-pwd";
  } else if (a.fingerprint.empty() && a.crypto_key.empty()) {
    why = "the answer has neither a=fingerprint:sha-256 nor a=crypto:1";
  } else {
    return a;
  }
  return std::nullopt;
}

// --- STUN ----------------------------------------------------------------------------------------

class Stun {
 public:
  Stun() {
    static const uint16_t kAttrs[] = {
        STUN_ATTRIBUTE_USERNAME,        STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
        STUN_ATTRIBUTE_ERROR_CODE,      STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
        STUN_ATTRIBUTE_PRIORITY,        STUN_ATTRIBUTE_USE_CANDIDATE,
        STUN_ATTRIBUTE_FINGERPRINT,     STUN_ATTRIBUTE_ICE_CONTROLLED,
        STUN_ATTRIBUTE_ICE_CONTROLLING, 0};
    stun_agent_init(&agent_, kAttrs, STUN_COMPATIBILITY_RFC5389,
                    static_cast<StunAgentUsageFlags>(STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
                                                     STUN_AGENT_USAGE_USE_FINGERPRINT));
  }

  // A Binding request as the controlling agent; `key` empty: no MESSAGE-INTEGRITY.
  std::vector<uint8_t> check(const std::string& username, const std::string& key,
                             bool use_candidate) {
    uint8_t buf[512];
    StunMessage msg{};
    if (!stun_agent_init_request(&agent_, &msg, buf, sizeof buf, STUN_BINDING)) {
      return {};
    }
    stun_message_append_bytes(&msg, STUN_ATTRIBUTE_USERNAME, username.data(), username.size());
    stun_message_append32(&msg, STUN_ATTRIBUTE_PRIORITY, 0x6e7f1eff);
    stun_message_append64(&msg, STUN_ATTRIBUTE_ICE_CONTROLLING, tie_breaker_);
    if (use_candidate) {
      stun_message_append_flag(&msg, STUN_ATTRIBUTE_USE_CANDIDATE);
    }
    if (keys_.size() > 150) {  // libnice remembers a bounded number of transactions
      keys_.pop_front();
    }
    keys_.push_back(key);
    const std::string& k = keys_.back();
    const size_t n = stun_agent_finish_message(
        &agent_, &msg, k.empty() ? nullptr : reinterpret_cast<const uint8_t*>(k.data()), k.size());
    return std::vector<uint8_t>(buf, buf + n);
  }

  // @return 1 for a verified success response, -N for an error response with code N, 0 otherwise.
  int validate(uint8_t* p, std::size_t n) {
    StunMessage msg{};
    if (stun_agent_validate(&agent_, &msg, p, n, nullptr, nullptr) != STUN_VALIDATION_SUCCESS) {
      return 0;
    }
    if (stun_message_get_class(&msg) == STUN_RESPONSE) {
      return 1;
    }
    int code = 0;
    if (stun_message_get_class(&msg) == STUN_ERROR) {
      stun_message_find_error(&msg, &code);
      return -code;
    }
    return 0;
  }

 private:
  StunAgent agent_{};
  uint64_t tie_breaker_ = random64();
  std::deque<std::string> keys_;
};

// --- DTLS ----------------------------------------------------------------------------------------

struct Profile {
  const char* name;
  rt::SrtpSuite suite;
  std::size_t key, salt;
};
constexpr Profile kProfiles[] = {
    {"SRTP_AES128_CM_SHA1_80", rt::SrtpSuite::AesCm128HmacSha1_80, 16, 14},
    {"SRTP_AEAD_AES_128_GCM", rt::SrtpSuite::AeadAes128Gcm, 16, 12},
    {"SRTP_AEAD_AES_256_GCM", rt::SrtpSuite::AeadAes256Gcm, 32, 12},
};

std::vector<std::vector<uint8_t>> g_sent_records;  // every datagram the handshake sent

long recordWrites(BIO*, int oper, const char* argp, size_t len, int, long, int ret,
                  size_t* processed) {
  if (oper == (BIO_CB_WRITE | BIO_CB_RETURN) && ret > 0 && argp != nullptr) {
    const std::size_t n = processed != nullptr ? *processed : len;
    const auto* p = reinterpret_cast<const uint8_t*>(argp);
    g_sent_records.emplace_back(p, p + n);
  }
  return ret;
}

int acceptAnyCert(int, X509_STORE_CTX*) { return 1; }  // checked against the SDP afterwards

// --- options -------------------------------------------------------------------------------------

struct Options {
  std::string cmd, identity, answer_file, kind, misbehave, keying = "dtls", setup = "actpass";
  std::optional<rt::SockAddr> local, remote;
  std::string profiles = "SRTP_AEAD_AES_256_GCM:SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80";
  double wait_answer = 0, duration = 3, timeout = 10, wait = 2;
  int count = 200;
  bool candidates = true, wrong_cert = false;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr, "rampart-webrtc-peer: %s\n(see the comment at the top of main.cc)\n",
               why.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  if (argc < 2) {
    usage("usage: rampart-webrtc-peer sdp|run|probe OPTIONS");
  }
  o.cmd = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage(a + " needs a value");
      }
      return argv[++i];
    };
    auto num = [&](double lo, double hi) {
      auto v = rt::parseDouble(val(), lo, hi);
      if (!v) {
        usage("bad number for " + a);
      }
      return *v;
    };
    if (a == "--identity") {
      o.identity = val();
    } else if (a == "--answer") {
      o.answer_file = val();
    } else if (a == "--local" || a == "--remote") {
      auto s = rt::parseSockAddr(val());
      if (!s) {
        usage("bad ADDR:PORT for " + a);
      }
      (a == "--local" ? o.local : o.remote) = s;
    } else if (a == "--profiles") {
      o.profiles = val();
    } else if (a == "--wait-answer") {
      o.wait_answer = num(0, 120);
    } else if (a == "--duration") {
      o.duration = num(0, 600);
    } else if (a == "--timeout") {
      o.timeout = num(0.1, 120);
    } else if (a == "--wait") {
      o.wait = num(0, 60);
    } else if (a == "--count") {
      o.count = static_cast<int>(num(1, 1e6));
    } else if (a == "--kind") {
      o.kind = val();
    } else if (a == "--keying") {
      o.keying = val();
      if (o.keying != "dtls" && o.keying != "sdes") {
        usage("--keying: dtls or sdes");
      }
    } else if (a == "--setup") {
      o.setup = val();
      if (o.setup != "actpass" && o.setup != "passive") {
        usage("--setup: actpass or passive");
      }
    } else if (a == "--misbehave") {
      o.misbehave = val();
    } else if (a == "--no-candidates") {
      o.candidates = false;
    } else if (a == "--wrong-cert") {
      o.wrong_cert = true;
    } else {
      usage("unknown option " + a);
    }
  }
  if (!o.local) {
    usage("--local ADDR:PORT is required");
  }
  return o;
}

int openSocket(const rt::SockAddr& local, const rt::SockAddr* remote) {
  const int fd = ::socket(local.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || ::bind(fd, local.sa(), local.len) != 0) {
    std::fprintf(stderr, "rampart-webrtc-peer: bind %s: %s\n", local.toString().c_str(),
                 std::strerror(errno));
    std::exit(1);
  }
  if (remote != nullptr && ::connect(fd, remote->sa(), remote->len) != 0) {
    std::fprintf(stderr, "rampart-webrtc-peer: connect: %s\n", std::strerror(errno));
    std::exit(1);
  }
  return fd;
}

// Reads one datagram within `ms`; @return its length, or -1.
int recvWithin(int fd, uint8_t* buf, std::size_t cap, int ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, ms) <= 0) {
    return -1;
  }
  const ssize_t n = ::recv(fd, buf, cap, 0);
  return n > 0 ? static_cast<int>(n) : -1;
}

// --- run -----------------------------------------------------------------------------------------

struct Report {
  std::map<std::string, std::string> f;  // key -> JSON value
  void str(const std::string& k, const std::string& v) { f[k] = rt::jsonQuote(v); }
  void num(const std::string& k, double v) {
    char b[64];
    std::snprintf(b, sizeof b, "%.3f", v);
    f[k] = b;
  }
  void integer(const std::string& k, int64_t v) { f[k] = std::to_string(v); }
  void boolean(const std::string& k, bool v) { f[k] = v ? "true" : "false"; }
  void print() const {
    std::string out = "{";
    for (const auto& [k, v] : f) {
      out += (out.size() > 1 ? ", " : "") + rt::jsonQuote(k) + ": " + v;
    }
    std::printf("%s}\n", out.c_str());
    std::fflush(stdout);
  }
};

int finish(Report& r, bool ok) {
  r.boolean("ok", ok);
  r.print();
  return ok ? 0 : 1;
}

struct MediaKeys {
  rt::SrtpSuite suite = rt::SrtpSuite::None;
  std::vector<uint8_t> tx, rx;
};

// Our DTLS context: the identity (or a wrong one, --wrong-cert), any peer certificate (it is
// checked against the SDP fingerprint afterwards), the SRTP profiles of --profiles.
SSL_CTX* dtlsContext(const Options& o, const Identity& id, Identity& other_id) {
  SSL_CTX* ctx = SSL_CTX_new(DTLS_method());
  SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
  const Identity* use = &id;
  if (o.wrong_cert) {
    makeCert(other_id);
    use = &other_id;
  }
  SSL_CTX_use_certificate(ctx, use->cert);
  SSL_CTX_use_PrivateKey(ctx, use->key);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, acceptAnyCert);
  SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET);
  if (SSL_CTX_set_tlsext_use_srtp(ctx, o.profiles.c_str()) != 0) {
    usage("--profiles: OpenSSL refuses " + o.profiles);
  }
  return ctx;
}

// Drives the handshake until done, failed or @p deadline; "" on success, else why not.
std::string dtlsHandshake(SSL* ssl, int fd, Clock::time_point deadline) {
  while (Clock::now() < deadline) {
    ERR_clear_error();
    const int rc = SSL_do_handshake(ssl);
    if (rc == 1) {
      return "";
    }
    const int err = SSL_get_error(ssl, rc);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
      return "handshake failed: " + sslErrors();
    }
    timeval tv{};
    int wait_ms = 50;
    if (DTLSv1_get_timeout(ssl, &tv) == 1) {
      wait_ms = static_cast<int>(tv.tv_sec * 1000 + tv.tv_usec / 1000);
      wait_ms = wait_ms < 1 ? 1 : (wait_ms > 50 ? 50 : wait_ms);
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, wait_ms) == 0) {
      DTLSv1_handle_timeout(ssl);
    }
  }
  return "handshake timed out";
}

// The negotiated profile and the RFC 5764 keys: the client's key and salt come first.
bool exportSrtpKeys(SSL* ssl, bool client, Report& r, MediaKeys& keys) {
  SRTP_PROTECTION_PROFILE* sp = SSL_get_selected_srtp_profile(ssl);
  const Profile* prof = nullptr;
  for (const Profile& p : kProfiles) {
    if (sp != nullptr && std::strcmp(sp->name, p.name) == 0) {
      prof = &p;
    }
  }
  if (prof == nullptr) {
    r.str("error", "no SRTP profile negotiated");
    return false;
  }
  r.str("profile", prof->name);
  uint8_t material[2 * (32 + 12)];
  const std::size_t mlen = 2 * (prof->key + prof->salt);
  static const char kLabel[] = "EXTRACTOR-dtls_srtp";
  if (SSL_export_keying_material(ssl, material, mlen, kLabel, sizeof kLabel - 1, nullptr, 0, 0) !=
      1) {
    r.str("error", "key export failed");
    return false;
  }
  auto key_of = [&](bool of_client) {
    std::vector<uint8_t> k(material + (of_client ? 0 : prof->key),
                           material + (of_client ? 0 : prof->key) + prof->key);
    const uint8_t* s = material + 2 * prof->key + (of_client ? 0 : prof->salt);
    k.insert(k.end(), s, s + prof->salt);
    return k;
  };
  keys.suite = prof->suite;
  keys.tx = key_of(client);
  keys.rx = key_of(!client);
  OPENSSL_cleanse(material, sizeof material);
  return true;
}

// The DTLS handshake on @p fd in the role the answer leaves us (we offered actpass), checked
// and exported into SRTP keys; the report gets the role, version, profile and timings.
bool dtlsKeys(const Options& o, const Identity& id, int fd, const Answer& ans,
              Clock::time_point deadline, Report& r, MediaKeys& keys) {
  const bool client = ans.setup != "active";
  r.str("dtls_role", client ? "client" : "server");
  Identity other_id;
  SSL_CTX* ctx = dtlsContext(o, id, other_id);
  SSL* ssl = SSL_new(ctx);
  BIO* bio = BIO_new_dgram(fd, BIO_NOCLOSE);
  BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, const_cast<sockaddr*>(ans.candidate->sa()));
  BIO_set_callback_ex(bio, recordWrites);
  SSL_set_bio(ssl, bio, bio);
  SSL_set_mtu(ssl, 1200);
  DTLS_set_link_mtu(ssl, 1200);
  if (client) {
    SSL_set_connect_state(ssl);
  } else {
    SSL_set_accept_state(ssl);
  }
  const Clock::time_point t_dtls = Clock::now();
  const std::string dtls_error = dtlsHandshake(ssl, fd, deadline);
  r.boolean("dtls_ok", dtls_error.empty());
  bool ok = false;
  if (!dtls_error.empty()) {
    r.str("error", dtls_error);
  } else {
    r.num("dtls_ms", msSince(t_dtls));
    r.str("dtls_version", SSL_get_version(ssl));
    X509* peer = SSL_get1_peer_certificate(ssl);
    const std::string peer_fp = peer != nullptr ? fingerprint(peer) : "";
    X509_free(peer);
    r.boolean("peer_fingerprint_ok", peer_fp == ans.fingerprint);
    ok = exportSrtpKeys(ssl, client, r, keys);
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return ok;
}

// SDES (RFC 4568): we send with the key of our offer's a=crypto, the answerer with its own.
bool sdesKeys(const Identity& id, const Answer& ans, Report& r, MediaKeys& keys) {
  r.str("keying", "sdes");
  if (ans.crypto_suite != "AES_CM_128_HMAC_SHA1_80") {
    r.str("error", "the answer has no a=crypto:1 AES_CM_128_HMAC_SHA1_80");
    return false;
  }
  keys.suite = rt::SrtpSuite::AesCm128HmacSha1_80;
  keys.tx = decodeSdesKey(id.sdes_key);
  keys.rx = decodeSdesKey(ans.crypto_key);
  if (keys.tx.empty() || keys.rx.empty()) {
    r.str("error", "bad SDES inline key");
    return false;
  }
  r.str("profile", "AES_CM_128_HMAC_SHA1_80");
  return true;
}

// What the phases of a run share.
struct Run {
  const Options& o;
  const Identity& id;
  const Answer& ans;
  int fd;
  std::string username;  // remote ufrag : ours
  Clock::time_point t0;
  Stun stun;
};

// The answer file (a benchmark starts us before the INVITE and lets us wait for it).
std::optional<Answer> waitAnswer(const Options& o, Clock::time_point t0, std::string& why) {
  const Clock::time_point answer_deadline =
      t0 + std::chrono::milliseconds(static_cast<int64_t>(o.wait_answer * 1000));
  while (!exists(o.answer_file) && Clock::now() < answer_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return parseAnswer(readFile(o.answer_file), why);
}

// ICE: checks every 50 ms (USE-CANDIDATE on each: aggressive nomination) until a verified
// success response. 1: success, negative: the error code answered, 0: no answer in time.
int runIce(Run& run, Clock::time_point deadline, Report& r) {
  uint8_t buf[2048];
  int checks = 0;
  int ice = 0;
  Clock::time_point next_check = Clock::now();
  while (ice != 1 && Clock::now() < deadline) {
    if (Clock::now() >= next_check) {
      std::vector<uint8_t> req = run.stun.check(run.username, run.ans.pwd, true);
      ::send(run.fd, req.data(), req.size(), 0);
      ++checks;
      next_check = Clock::now() + std::chrono::milliseconds(50);
    }
    const int n = recvWithin(run.fd, buf, sizeof buf, 10);
    if (n > 0 && buf[0] < 2) {
      const int v = run.stun.validate(buf, static_cast<std::size_t>(n));
      if (v != 0) {
        ice = v;
      }
      if (v < 0) {
        break;
      }
    }
  }
  r.integer("ice_checks", checks);
  r.boolean("ice_ok", ice == 1);
  return ice;
}

struct MediaCounters {
  int64_t sent = 0, received = 0, auth_failed = 0, other = 0, stun_ok = 0;
  int64_t received_after_misbehave = 0, bad_stun_responses = 0;
  double first_media_ms = -1;
  int64_t first_media_unix = 0;
  bool misbehaved = false;
  std::vector<std::vector<uint8_t>> bad_checks;  // the bad STUN checks sent (--misbehave)
};

// --misbehave: garbage records (handshake, alert and application data content types, random
// bytes), our own handshake datagrams replayed, and STUN checks Rampart must not answer.
void misbehave(Run& run, MediaCounters& c, Report& r) {
  const std::string& what = run.o.misbehave;
  if (what.find("garbage") != std::string::npos) {
    for (int i = 0; i < 50; ++i) {
      uint8_t g[200];
      RAND_bytes(g, sizeof g);
      static const uint8_t kTypes[] = {20, 21, 22, 23, 25, 47, 63};
      g[0] = kTypes[i % 7];
      if (i % 2 == 0) {  // a well-formed header with an absurd epoch/sequence
        g[1] = 0xfe;
        g[2] = 0xfd;
        rt::put16(g + 11, static_cast<uint16_t>(sizeof g - 13));
      }
      ::send(run.fd, g, 40 + static_cast<std::size_t>(i) * 3, 0);
    }
  }
  if (what.find("replay") != std::string::npos) {
    for (int i = 0; i < 3; ++i) {
      for (const auto& d : g_sent_records) {
        ::send(run.fd, d.data(), d.size(), 0);
      }
    }
    r.integer("replayed_datagrams", static_cast<int64_t>(3 * g_sent_records.size()));
  }
  if (what.find("bad-stun") != std::string::npos) {
    for (int i = 0; i < 20; ++i) {
      std::vector<uint8_t> chk =
          i % 2 == 0 ? run.stun.check(run.username, run.ans.pwd + "x", true)
                     : run.stun.check(run.ans.ufrag + "zz:" + run.id.ufrag, run.ans.pwd, true);
      ::send(run.fd, chk.data(), chk.size(), 0);
      c.bad_checks.push_back(chk);
    }
  }
  r.num("misbehave_at_ms", msSince(run.t0));
}

// One datagram received during the media phase: a STUN response, SRTP, or something else.
void receiveOne(Run& run, rt::SrtpSession& rx, uint8_t* buf, int n, MediaCounters& c) {
  if (buf[0] < 2) {
    // A response to one of the bad checks carries its transaction id (bytes 8-19).
    for (const auto& chk : c.bad_checks) {
      if (std::memcmp(chk.data() + 8, buf + 8, 12) == 0) {
        ++c.bad_stun_responses;
      }
    }
    if (run.stun.validate(buf, static_cast<std::size_t>(n)) == 1) {
      ++c.stun_ok;
    }
    return;
  }
  if (buf[0] >= 128 && buf[0] <= 191 && !(buf[1] >= 192 && buf[1] <= 223)) {
    int len = n;
    if (rx.unprotectRtp(buf, len) == rt::SrtpStatus::Ok) {
      if (c.received++ == 0) {
        c.first_media_ms = msSince(run.t0);
        c.first_media_unix = unixMs();
      }
      if (c.misbehaved && !run.o.misbehave.empty()) {
        ++c.received_after_misbehave;
      }
    } else {
      ++c.auth_failed;
    }
    return;
  }
  ++c.other;
}

// One 20 ms SRTP packet of 0xff payload.
void sendMedia(Run& run, rt::SrtpSession& tx, uint32_t ssrc, uint16_t seq, MediaCounters& c) {
  uint8_t pkt[12 + 160 + rt::kSrtpTrailerRoom] = {};
  pkt[0] = 0x80;
  pkt[1] = static_cast<uint8_t>(run.ans.payload_type & 0x7f);
  rt::put16(pkt + 2, seq);
  rt::put32(pkt + 4, static_cast<uint32_t>(c.sent * 160));
  rt::put32(pkt + 8, ssrc);
  std::memset(pkt + 12, 0xff, 160);
  int len = 12 + 160;
  if (tx.protectRtp(pkt, len) == rt::SrtpStatus::Ok) {
    ::send(run.fd, pkt, static_cast<std::size_t>(len), 0);
    ++c.sent;
  }
}

// Media: 20 ms packets for `duration`, then 500 ms of draining. Consent checks every 2 s.
void runMedia(Run& run, rt::SrtpSession& tx, rt::SrtpSession& rx, uint32_t ssrc, Report& r,
              MediaCounters& c) {
  uint16_t seq = static_cast<uint16_t>(random64());
  uint8_t buf[2048];
  c.misbehaved = run.o.misbehave.empty();
  const Clock::time_point t_media = Clock::now();
  const Clock::time_point send_end =
      t_media + std::chrono::milliseconds(static_cast<int64_t>(run.o.duration * 1000));
  const Clock::time_point end = send_end + std::chrono::milliseconds(500);
  Clock::time_point next_send = t_media;
  Clock::time_point next_consent = t_media + std::chrono::seconds(2);
  while (Clock::now() < end) {
    const Clock::time_point now = Clock::now();
    if (now < send_end && now >= next_send) {
      sendMedia(run, tx, ssrc, seq++, c);
      next_send += std::chrono::milliseconds(20);
    }
    if (now >= next_consent) {
      std::vector<uint8_t> req = run.stun.check(run.username, run.ans.pwd, false);
      ::send(run.fd, req.data(), req.size(), 0);
      next_consent = now + std::chrono::seconds(2);
    }
    if (!c.misbehaved && c.received >= 10) {
      c.misbehaved = true;
      misbehave(run, c, r);
    }
    const int n = recvWithin(run.fd, buf, sizeof buf - rt::kSrtpTrailerRoom, 2);
    if (n > 0) {
      receiveOne(run, rx, buf, n, c);
    }
  }
}

void reportMedia(const Options& o, const MediaCounters& c, Report& r) {
  r.integer("sent", c.sent);
  r.integer("received", c.received);
  r.integer("auth_failed", c.auth_failed);
  r.integer("other_datagrams", c.other);
  r.integer("consent_responses", c.stun_ok);
  r.num("first_media_ms", c.first_media_ms);
  r.integer("first_media_unix_ms", c.first_media_unix);
  if (!o.misbehave.empty()) {
    r.integer("received_after_misbehave", c.received_after_misbehave);
    r.integer("bad_stun_sent", static_cast<int64_t>(c.bad_checks.size()));
    r.integer("bad_stun_responses", c.bad_stun_responses);
  }
}

// A whole run: answer, ICE, keys (DTLS or SDES), media.
int cmdRun(const Options& o) {
  Report r;
  const Clock::time_point t0 = Clock::now();
  r.integer("start_unix_ms", unixMs());
  std::string why;
  Identity id;
  if (o.identity.empty() || !loadOrMakeIdentity(o.identity, id, why)) {
    usage("--identity: " + why);
  }
  std::optional<Answer> ans = waitAnswer(o, t0, why);
  if (!ans) {
    r.str("error", "answer: " + why);
    return finish(r, false);
  }
  const Clock::time_point t_answer = Clock::now();
  r.integer("answer_unix_ms", unixMs());
  r.str("remote", ans->candidate->toString());
  Run run{o,  id,    *ans, openSocket(*o.local, &*ans->candidate), ans->ufrag + ":" + id.ufrag,
          t0, Stun()};
  const Clock::time_point deadline =
      t_answer + std::chrono::milliseconds(static_cast<int64_t>(o.timeout * 1000));
  const int ice = runIce(run, deadline, r);
  if (ice != 1) {
    r.str("error", ice < 0 ? "ICE check answered with error " + std::to_string(-ice)
                           : "no ICE success response");
    return finish(r, false);
  }
  r.num("ice_ms", msSince(t_answer));
  MediaKeys keys;
  const bool keyed = o.keying == "sdes" ? sdesKeys(id, *ans, r, keys)
                                        : dtlsKeys(o, id, run.fd, *ans, deadline, r, keys);
  if (!keyed) {
    ::close(run.fd);
    return finish(r, false);
  }
  const uint32_t ssrc = static_cast<uint32_t>(random64());
  std::optional<rt::SrtpSession> tx =
      rt::SrtpSession::create(keys.suite, keys.tx, false, ssrc, why);
  std::optional<rt::SrtpSession> rx =
      tx ? rt::SrtpSession::create(keys.suite, keys.rx, true, 0, why) : std::nullopt;
  if (!tx || !rx) {
    r.str("error", "SRTP: " + why);
    return finish(r, false);
  }
  MediaCounters c;
  runMedia(run, *tx, *rx, ssrc, r, c);
  reportMedia(o, c, r);
  ::close(run.fd);
  return finish(r, c.received > 0);
}

// --- probe ---------------------------------------------------------------------------------------

int cmdProbe(const Options& o) {
  Report r;
  if (!o.remote) {
    usage("probe needs --remote");
  }
  std::string why;
  Answer ans;
  if (!o.answer_file.empty()) {
    auto a = parseAnswer(readFile(o.answer_file), why);
    if (!a) {
      usage("--answer: " + why);
    }
    ans = *a;
  }
  const int fd = openSocket(*o.local, &*o.remote);
  r.str("kind", o.kind);
  int64_t sent = 0;
  Stun stun;
  if (o.kind == "client-hello") {
    Identity id;
    makeCert(id);
    SSL_CTX* ctx = SSL_CTX_new(DTLS_client_method());
    SSL_CTX_use_certificate(ctx, id.cert);
    SSL_CTX_use_PrivateKey(ctx, id.key);
    SSL_CTX_set_tlsext_use_srtp(ctx, o.profiles.c_str());
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU);
    // Memory BIOs: the ClientHello is taken out of OpenSSL and sent by hand, count times.
    SSL* ssl = SSL_new(ctx);
    BIO* rbio = BIO_new(BIO_s_mem());
    BIO* wbio = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl, rbio, wbio);
    SSL_set_mtu(ssl, 1200);
    SSL_set_connect_state(ssl);
    SSL_do_handshake(ssl);
    std::vector<uint8_t> hello(static_cast<std::size_t>(BIO_ctrl_pending(wbio)));
    if (hello.empty() || BIO_read(wbio, hello.data(), static_cast<int>(hello.size())) <= 0) {
      usage("no ClientHello from OpenSSL: " + sslErrors());
    }
    for (int i = 0; i < o.count; ++i) {
      ::send(fd, hello.data(), hello.size(), 0);
      ++sent;
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  } else {
    for (int i = 0; i < o.count; ++i) {
      std::vector<uint8_t> d;
      if (o.kind == "stun-flood") {  // a stranger's guesses: random ufrags, random passwords
        d = stun.check(randomAlnum(8) + ":" + randomAlnum(4), randomAlnum(22), true);
      } else if (o.kind == "bad-integrity") {
        d = stun.check(ans.ufrag + ":strg", ans.pwd + "x", true);
      } else if (o.kind == "unknown-ufrag") {
        d = stun.check("nouser99:strg", ans.pwd.empty() ? randomAlnum(22) : ans.pwd, true);
      } else if (o.kind == "garbage") {
        d.resize(100);
        RAND_bytes(d.data(), 100);
        d[0] = static_cast<uint8_t>(20 + i % 44);
      } else {
        usage("unknown --kind " + o.kind);
      }
      ::send(fd, d.data(), d.size(), 0);
      ++sent;
      if (i % 20 == 19) {  // ~20,000 a second: a flood, not a test of the kernel's socket rings
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  }
  int64_t back = 0;
  uint8_t buf[2048];
  const Clock::time_point end =
      Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o.wait * 1000));
  while (Clock::now() < end) {
    if (recvWithin(fd, buf, sizeof buf, 20) > 0) {
      ++back;
    }
  }
  r.integer("sent", sent);
  r.integer("responses", back);
  ::close(fd);
  return finish(r, true);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (o.cmd == "sdp") {
    Identity id;
    std::string why;
    if (o.identity.empty() || !loadOrMakeIdentity(o.identity, id, why)) {
      usage("--identity: " + why);
    }
    std::fputs(offerSdp(id, *o.local, o.candidates, o.keying == "sdes", o.setup).c_str(), stdout);
    return 0;
  }
  if (o.cmd == "run") {
    return cmdRun(o);
  }
  if (o.cmd == "probe") {
    return cmdProbe(o);
  }
  usage("unknown command " + o.cmd);
}
