// DTLS-SRTP handshake benchmark (prints figures; not a test). Run through tools/bench-dtls.
//
// Rampart: the control plane's DtlsService (router + sessions) is the DTLS server, reached the
// way the dataplane reaches it: this program creates a shared-memory region as the dataplane
// does, answers the control plane's Hello, writes the client's datagrams into the punt ring as
// kPacketDtls slots and reads the answers from the inject ring; the control-plane end is the
// real DataplaneClient (pollPunted/inject), the one FlowProgrammer drives.
// Reference: a minimal OpenSSL DTLS server in memory (SSL_CTX with the same certificate,
// cipher suite, group and SRTP profile, memory BIOs, keys exported the same way).
// The client is the same plain OpenSSL DTLS client in both. Everything runs on one thread
// (one core); rounds alternate between the two so machine noise hits both alike. The rate
// compared is server-side CPU per handshake (the client's share is timed out); the full-loop
// rate including the client is printed for context.
//
// The INVITE-to-first-media figure needs the whole call path (WSS, B2BUA, ICE-lite, DTLS, flow
// programming, a PBX): tools/bench-dtls measures it with real processes in a lab
// (tests/integration/webrtc/webpeer_bench.sh) and replaces the n/a of this program's last line.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <prometheus/registry.h>
#include <boost/asio/io_context.hpp>

#include <rampart/platform/abi.h>
#include <rampart/platform/dp_client.h>
#include <rampart/platform/log.h>
#include <rampart/platform/shm_region.h>
#include <rampart/platform/spsc_ring.h>

#include "dtls/datagram_bio.h"
#include "dtls/dtls_service.h"

namespace {

using namespace rampart;
using namespace rampart::cp::dtls;
using Clock = std::chrono::steady_clock;
using Datagram = std::vector<uint8_t>;

constexpr const char* kCipher = "ECDHE-ECDSA-AES128-GCM-SHA256";
constexpr const char* kProfile = "SRTP_AEAD_AES_256_GCM";
constexpr long kMtu = 1200;

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "bench-dtls: %s\n", why.c_str());
  std::exit(1);
}

std::vector<Datagram> split(DatagramSink& sink) {
  std::vector<Datagram> out;
  size_t begin = 0;
  for (size_t end : sink.ends) {
    out.emplace_back(sink.bytes.begin() + static_cast<long>(begin),
                     sink.bytes.begin() + static_cast<long>(end));
    begin = end;
  }
  sink.clear();
  return out;
}

// --- the plain OpenSSL side --------------------------------------------------------------

SSL_CTX* plainContext(const Identity& id, bool server) {
  SSL_CTX* ctx = SSL_CTX_new(DTLS_method());
  SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
  SSL_CTX_use_certificate(ctx, id.certificate());
  SSL_CTX_use_PrivateKey(ctx, id.privateKey());
  SSL_CTX_set_cipher_list(ctx, kCipher);
  SSL_CTX_set1_groups_list(ctx, "X25519:P-256");  // P-256 also for the certificates
  SSL_CTX_set_tlsext_use_srtp(ctx, kProfile);
  SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                     [](int, X509_STORE_CTX*) { return 1; });
  return ctx;
}

// One DTLS endpoint on memory BIOs with datagram-preserving output.
struct PlainEnd {
  SSL* ssl;
  DatagramSink out;
  bool done = false;

  PlainEnd(SSL_CTX* ctx, bool server) : ssl(SSL_new(ctx)) {
    BIO* rbio = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(rbio, -1);
    SSL_set_bio(ssl, rbio, newDatagramBio(&out));
    SSL_set_mtu(ssl, kMtu);
    if (server) {
      SSL_set_accept_state(ssl);
    } else {
      SSL_set_connect_state(ssl);
    }
  }
  ~PlainEnd() { SSL_free(ssl); }
  void step() {
    if (!done && SSL_do_handshake(ssl) == 1) {
      done = true;
    }
    ERR_clear_error();
  }
  void feed(const Datagram& d) {
    BIO_write(SSL_get_rbio(ssl), d.data(), static_cast<int>(d.size()));
    step();
  }
};

// Keys out of a finished plain server, as the Session does it.
void exportKeys(SSL* ssl) {
  uint8_t material[88];
  const char label[] = "EXTRACTOR-dtls_srtp";
  if (SSL_export_keying_material(ssl, material, sizeof material, label, sizeof label - 1, nullptr,
                                 0, 0) != 1) {
    die("reference key export failed");
  }
}

struct Timing {
  Clock::duration server{};
  Clock::duration total{};
  int handshakes = 0;
};

// Reference: plain OpenSSL client and server, datagrams handed over directly.
Timing referenceRound(SSL_CTX* client_ctx, SSL_CTX* server_ctx, int n) {
  Timing t;
  auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    PlainEnd client(client_ctx, false);
    auto s0 = Clock::now();
    PlainEnd server(server_ctx, true);
    t.server += Clock::now() - s0;
    client.step();
    bool exported = false;
    for (int round = 0; round < 20 && !(client.done && server.done); ++round) {
      std::vector<Datagram> to_server = split(client.out);
      s0 = Clock::now();
      for (const Datagram& d : to_server) {
        server.feed(d);
      }
      if (server.done && !exported) {
        exportKeys(server.ssl);
        exported = true;
      }
      t.server += Clock::now() - s0;
      for (const Datagram& d : split(server.out)) {
        client.feed(d);
      }
    }
    if (!client.done || !server.done) {
      die("reference handshake did not complete");
    }
    s0 = Clock::now();
    SSL_free(server.ssl);  // the server's teardown is server work
    server.ssl = nullptr;
    t.server += Clock::now() - s0;
    ++t.handshakes;
  }
  t.total = Clock::now() - start;
  return t;
}

// --- Rampart through the rings --------------------------------------------------------------

// The dataplane's end of one worker's rings, and the control plane's DataplaneClient.
class RingLink {
 public:
  RingLink() {
    name_ = "/rampart-bench-dtls-" + std::to_string(::getpid());
    platform::RegionGeometry g;
    g.n_workers = 1;
    Result<platform::ShmRegion> r = platform::ShmRegion::create(name_, g);
    if (!r) {
      die("region: " + r.error().message);
    }
    region_ = std::move(r.value());
    cmd_ = platform::RingConsumer(region_.ring(0, platform::RingKind::Command));
    evt_ = platform::RingProducer(region_.ring(0, platform::RingKind::Event));
    punt_ = platform::RingProducer(region_.ring(0, platform::RingKind::Punt));
    inject_ = platform::RingConsumer(region_.ring(0, platform::RingKind::Inject));
    Result<platform::DataplaneClient> c = platform::DataplaneClient::attach(name_);
    if (!c) {
      die("attach: " + c.error().message);
    }
    client_.emplace(std::move(c.value()));
    answerHello();
    Result<bool> ok = client_->pollHandshake();
    if (!ok || !ok.value()) {
      die("ring handshake failed");
    }
  }

  platform::DataplaneClient& cp() { return *client_; }

  // Dataplane side: one punted DTLS datagram from the browser.
  void punt(uint64_t flow, const Datagram& d) {
    if (punt_.freeSlots(1) == 0) {
      die("punt ring full");
    }
    auto* slot = static_cast<uint8_t*>(punt_.slot(0));
    abi::PacketSlot meta{};
    meta.len = static_cast<uint16_t>(d.size());
    meta.family = 4;
    meta.kind = abi::kPacketDtls;
    meta.local = endpoint(1, 40000);
    meta.remote = endpoint(2, 50000);
    meta.flow = flow;
    std::memcpy(slot, &meta, sizeof meta);
    std::memcpy(slot + sizeof meta, d.data(), d.size());
    punt_.publish(1);
  }

  // Dataplane side: the datagrams the control plane injected.
  template <typename F>
  void drainInject(F&& each) {
    uint32_t n = inject_.available(64);
    for (uint32_t i = 0; i < n; ++i) {
      const auto* slot = static_cast<const uint8_t*>(inject_.slot(i));
      abi::PacketSlot meta;
      std::memcpy(&meta, slot, sizeof meta);
      each(Datagram(slot + sizeof meta, slot + sizeof meta + meta.len));
    }
    inject_.release(n);
  }

 private:
  static abi::Endpoint endpoint(uint8_t last, uint16_t port) {
    abi::Endpoint e{};
    e.addr[0] = 198;
    e.addr[1] = 18;
    e.addr[2] = 1;
    e.addr[3] = last;
    e.port = port;
    return e;
  }

  void answerHello() {
    if (cmd_.available(1) == 0) {
      die("no Hello from the control-plane client");
    }
    abi::MsgHeader h;
    std::memcpy(&h, cmd_.slot(0), sizeof h);
    cmd_.release(1);
    abi::HelloAck a{};
    a.hdr = {abi::MsgType::HelloAck, static_cast<uint16_t>(sizeof a), h.seq, 0};
    a.status = abi::kOk;
    a.abi_major = abi::kAbiMajor;
    a.abi_minor = abi::kAbiMinor;
    a.dp_epoch = region_.epoch();
    uint8_t slot[abi::kCmdSlotSize] = {};
    std::memcpy(slot, &a, sizeof a);
    evt_.enqueue(slot, abi::kCmdSlotSize);
  }

  std::string name_;
  platform::ShmRegion region_;
  platform::RingConsumer cmd_;
  platform::RingProducer evt_;
  platform::RingProducer punt_;
  platform::RingConsumer inject_;
  std::optional<platform::DataplaneClient> client_;
};

Timing rampartRound(RingLink& link, DtlsService& service, boost::asio::io_context& io,
                    SSL_CTX* client_ctx, const Identity& client_id, int n, uint64_t& next_flow) {
  Timing t;
  DtlsRouter& router = service.router();
  auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    uint64_t flow = abi::packHandle({static_cast<uint32_t>(next_flow++), 1});
    LegKey key{0, flow};
    bool ok = false;
    PlainEnd client(client_ctx, false);
    auto s0 = Clock::now();
    DtlsRouter::LegParams leg;
    leg.key = key;
    leg.role = Role::Server;
    leg.remote_fingerprints = {client_id.fingerprintSha256()};
    if (!router.start(std::move(leg), [&ok](Result<SrtpKeys> r) { ok = r.ok(); })) {
      die("router.start failed");
    }
    t.server += Clock::now() - s0;
    client.step();
    for (int round = 0; round < 20 && !(client.done && ok); ++round) {
      for (const Datagram& d : split(client.out)) {
        link.punt(flow, d);
      }
      s0 = Clock::now();
      // The control plane's side: FlowProgrammer's poll hands punts to the listener.
      link.cp().pollPunted(
          0,
          [&router](const platform::PuntView& p) {
            router.onPunt(p.worker, p.meta, p.payload);
            return true;
          },
          64);
      t.server += Clock::now() - s0;
      link.drainInject([&client](const Datagram& d) { client.feed(d); });
    }
    if (!client.done || !ok) {
      const Session* sess = router.find(key);
      die("Rampart handshake did not complete (client " +
          std::string(client.done ? "done" : "not done") + ", session state " +
          std::to_string(sess != nullptr ? static_cast<int>(sess->state()) : -1) +
          ", unknown-flow drops " +
          std::to_string(service.metrics().drops(DropReason::UnknownFlow)) + ")");
    }
    s0 = Clock::now();
    router.remove(key);
    io.poll();  // the cancelled timers' handlers
    t.server += Clock::now() - s0;
    ++t.handshakes;
  }
  t.total = Clock::now() - start;
  return t;
}

double rate(const Timing& t, bool server_only) {
  double s = seconds(server_only ? t.server : t.total);
  return s > 0 ? t.handshakes / s : 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int per_round = argc > 1 ? std::atoi(argv[1]) : 300;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  if (per_round <= 0 || rounds <= 0) {
    std::fprintf(stderr, "usage: rampart-bench-dtls [handshakes per round] [rounds]\n");
    return 2;
  }
  platform::setLogLevel(platform::LogLevel::Warn);
  boost::asio::io_context io;
  prometheus::Registry registry;
  RingLink link;
  Result<std::unique_ptr<DtlsService>> svc = DtlsService::create(
      io, DtlsOptions{}, registry,
      [&link](uint32_t worker, const abi::PacketSlot& meta, const uint8_t* payload) {
        return link.cp().inject(worker, meta, payload);
      });
  if (!svc) {
    die(svc.error().message);
  }
  DtlsService& service = *svc.value();
  Result<Identity> cid = Identity::generate();
  if (!cid) {
    die(cid.error().message);
  }
  const Identity& client_id = cid.value();
  // Same certificate (Rampart's) and the same cipher, group and profile on both servers.
  SSL_CTX* ref_server = plainContext(service.context()->identity(), true);
  SSL_CTX* client_ctx = plainContext(client_id, false);

  uint64_t next_flow = 1;
  rampartRound(link, service, io, client_ctx, client_id, 20, next_flow);  // warm-up
  referenceRound(client_ctx, ref_server, 20);
  std::vector<double> ours_srv, ref_srv, ours_all, ref_all;
  for (int r = 0; r < rounds; ++r) {
    Timing ref = referenceRound(client_ctx, ref_server, per_round);
    Timing ours = rampartRound(link, service, io, client_ctx, client_id, per_round, next_flow);
    ref_srv.push_back(rate(ref, true));
    ours_srv.push_back(rate(ours, true));
    ref_all.push_back(rate(ref, false));
    ours_all.push_back(rate(ours, false));
    std::printf("round %d: server-side handshakes/s rampart=%.0f openssl=%.0f\n", r + 1,
                ours_srv.back(), ref_srv.back());
  }
  double ours = median(ours_srv), ref = median(ref_srv);
  std::printf("\nDTLS-SRTP handshakes, one core, %d x %d, %s, %s, P-256 certificates\n", rounds,
              per_round, kCipher, kProfile);
  std::printf(
      "  server side per core: rampart %.0f/s (through punt+inject rings), "
      "openssl %.0f/s (in memory)  [median of rounds]\n",
      ours, ref);
  std::printf("  whole loop incl. the client: rampart %.0f/s, openssl %.0f/s\n", median(ours_all),
              median(ref_all));
  std::printf("  handshakes counted ok: %.0f\n",
              service.metrics().handshakes(Outcome::Ok, abi::SrtpSuite::AeadAes256Gcm));
  SSL_CTX_free(ref_server);
  SSL_CTX_free(client_ctx);
  // tools/bench-dtls puts the INVITE-to-first-media median in place of n/a.
  std::printf("ratio_dtls_vs_openssl=%.2f invite_to_media_ms_p50=n/a\n", ref > 0 ? ours / ref : 0);
  return 0;
}
