#include "dtls/dtls_link_adapter.h"

#include <utility>

namespace rampart::cp::dtls {

std::string DtlsLinkAdapter::fingerprint() const {
  const std::string& full = service_.fingerprint();  // "sha-256 AB:CD:..."
  size_t space = full.find(' ');
  return space == std::string::npos ? full : full.substr(space + 1);
}

Result<void> DtlsLinkAdapter::open(uint32_t worker, uint64_t flow, bool client,
                                   const std::string& peerFingerprint, Done done) {
  Result<Fingerprint> fp = parseFingerprint(peerFingerprint);
  if (!fp) {
    return fp.error();
  }
  close(flow);
  DtlsRouter::LegParams leg;
  leg.key = {worker, flow};
  leg.role = client ? Role::Client : Role::Server;
  leg.remote_fingerprints = {fp.value()};
  worker_of_[flow] = worker;
  Result<void> r =
      service_.router().start(std::move(leg), [done = std::move(done)](Result<SrtpKeys> keys) {
        if (!done) {
          return;
        }
        if (!keys) {
          done(keys.error());
          return;
        }
        DtlsKeys out;
        out.local = keys->local;
        out.remote = keys->remote;
        out.profile = std::string(keys->profile.name);
        done(std::move(out));
      });
  if (!r) {
    worker_of_.erase(flow);
  }
  return r;
}

void DtlsLinkAdapter::close(uint64_t flow) {
  auto it = worker_of_.find(flow);
  if (it == worker_of_.end()) {
    return;
  }
  service_.router().remove({it->second, flow});
  worker_of_.erase(it);
}

void DtlsLinkAdapter::onIceSelected(uint32_t worker, const abi::IceSelected& ev, uint16_t port,
                                    const abi::Endpoint& local) {
  ReplyPath path;
  path.port = port;
  path.family = ev.family;
  path.local = local;
  path.remote = ev.remote;
  service_.router().setReplyPath({worker, ev.hdr.flow}, path);
}

}  // namespace rampart::cp::dtls
