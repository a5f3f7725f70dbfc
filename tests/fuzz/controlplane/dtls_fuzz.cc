// Fuzzes the DTLS record demux and a server Session behind it, the way punted datagrams reach
// them: the input is a sequence of datagrams (2-byte big-endian length, then that many bytes),
// each run through checkDatagram(); the ones it accepts are fed to one fresh server Session
// (Rampart's real context and identity, fingerprint pinned to a certificate nobody has). The
// committed corpus holds real ClientHello flights (whole, fragmented, reordered) so inputs
// reach deep into OpenSSL's handshake parsing. Nothing may crash, and a datagram the demux
// refused must never reach the session.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include <boost/asio/io_context.hpp>

#include "dtls/dtls_context.h"
#include "dtls/identity.h"
#include "dtls/record_demux.h"
#include "dtls/session.h"

namespace {

using namespace rampart::cp::dtls;

std::shared_ptr<const DtlsContext> context() {
  static std::shared_ptr<const DtlsContext> ctx = [] {
    auto id = std::make_shared<Identity>(std::move(Identity::generate().value()));
    return std::shared_ptr<const DtlsContext>(DtlsContext::create(id).value());
  }();
  return ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::asio::io_context io;
  Session::Params p;
  p.role = Role::Server;
  Fingerprint fp;
  fp.len = 32;
  fp.digest.fill(0x42);
  p.remote_fingerprints = {fp};
  size_t sent = 0;
  p.send = [&sent](std::span<const uint8_t> d) { sent += d.size(); };
  auto session = Session::create(io, context(), DtlsOptions{}, std::move(p));
  if (!session) {
    return 0;
  }
  (*session)->start();
  std::span<const uint8_t> in(data, size);
  while (in.size() >= 2) {
    size_t len = (size_t{in[0]} << 8) | in[1];
    in = in.subspan(2);
    len = len < in.size() ? len : in.size();
    std::span<const uint8_t> datagram = in.first(len);
    in = in.subspan(len);
    if (checkDatagram(datagram).verdict == RecordVerdict::Ok) {
      (*session)->receive(datagram);
    }
  }
  io.poll();
  return 0;
}
