// Writes the seed corpus of cp_dtls_fuzz (not a test; run by hand after changing the input
// format): real client flights recorded from in-memory handshakes, in the fuzz target's
// format (2-byte big-endian length, datagram). Usage: make_dtls_corpus OUT_DIR
#include <openssl/ssl.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "dtls/datagram_bio.h"
#include "dtls/dtls_context.h"
#include "dtls/session.h"

namespace {

using namespace rampart::cp::dtls;
using Datagram = std::vector<uint8_t>;

std::shared_ptr<const DtlsContext> newContext() {
  auto id = std::make_shared<Identity>(std::move(Identity::generate().value()));
  return std::shared_ptr<const DtlsContext>(DtlsContext::create(id).value());
}

void write(const std::string& dir, const std::string& name, const std::vector<Datagram>& ds) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  for (const Datagram& d : ds) {
    out.put(static_cast<char>(d.size() >> 8)).put(static_cast<char>(d.size() & 0xff));
    out.write(reinterpret_cast<const char*>(d.data()), static_cast<std::streamsize>(d.size()));
  }
}

// Every datagram a Session client sends in a full handshake with a Session server.
std::vector<Datagram> clientSide(size_t mtu) {
  boost::asio::io_context io;
  auto sctx = newContext(), cctx = newContext();
  std::vector<Datagram> to_server, to_client, recorded;
  DtlsOptions o;
  o.mtu = static_cast<uint16_t>(mtu);
  Session::Params sp, cp;
  sp.role = Role::Server;
  sp.remote_fingerprints = {cctx->identity().fingerprintSha256()};
  sp.send = [&](std::span<const uint8_t> d) { to_client.emplace_back(d.begin(), d.end()); };
  cp.role = Role::Client;
  cp.remote_fingerprints = {sctx->identity().fingerprintSha256()};
  cp.send = [&](std::span<const uint8_t> d) { to_server.emplace_back(d.begin(), d.end()); };
  auto server = std::move(Session::create(io, sctx, o, sp).value());
  auto client = std::move(Session::create(io, cctx, o, cp).value());
  server->start();
  client->start();
  for (int i = 0; i < 20 && (!to_server.empty() || !to_client.empty()); ++i) {
    std::vector<Datagram> a, b;
    a.swap(to_server);
    b.swap(to_client);
    for (Datagram& d : a) {
      recorded.push_back(d);
      server->receive(d);
    }
    for (Datagram& d : b) {
      client->receive(d);
    }
  }
  return recorded;
}

// A ClientHello made larger than the MTU by a long ALPN list (fragmented by OpenSSL).
std::vector<Datagram> bigHello() {
  SSL_CTX* ctx = SSL_CTX_new(DTLS_method());
  SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU);
  SSL_CTX_set_tlsext_use_srtp(ctx, "SRTP_AES128_CM_SHA1_80");
  SSL* ssl = SSL_new(ctx);
  DatagramSink sink;
  SSL_set_bio(ssl, BIO_new(BIO_s_mem()), newDatagramBio(&sink));
  SSL_set_mtu(ssl, 1200);
  std::vector<uint8_t> alpn;
  for (int n = 0; n < 8; ++n) {
    alpn.push_back(200);
    alpn.insert(alpn.end(), 200, static_cast<uint8_t>('a' + n));
  }
  SSL_set_alpn_protos(ssl, alpn.data(), static_cast<unsigned>(alpn.size()));
  SSL_set_connect_state(ssl);
  SSL_do_handshake(ssl);
  std::vector<Datagram> out;
  size_t begin = 0;
  for (size_t end : sink.ends) {
    out.emplace_back(sink.bytes.begin() + static_cast<long>(begin),
                     sink.bytes.begin() + static_cast<long>(end));
    begin = end;
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  std::vector<Datagram> full = clientSide(1200);
  write(dir, "client_hello", {full.front()});
  write(dir, "client_full", full);
  write(dir, "client_full_small_mtu", clientSide(300));
  std::vector<Datagram> big = bigHello();
  write(dir, "big_hello", big);
  write(dir, "big_hello_reversed", {big.rbegin(), big.rend()});
  std::vector<Datagram> dup = {full.front(), full.front(), full.front()};
  write(dir, "hello_repeated", dup);
  Datagram cut(full.front().begin(), full.front().begin() + 40);
  write(dir, "hello_truncated", {cut, full.front()});
  write(dir, "garbage",
        {Datagram{23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 1, 0, 3, 1, 2, 3},
         Datagram{21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2, 2, 40},
         Datagram{0x16, 0x03, 0x01, 0, 1, 0}});
  std::printf("wrote %zu-datagram handshake and %zu-fragment ClientHello to %s\n", full.size(),
              big.size(), dir.c_str());
  return 0;
}
