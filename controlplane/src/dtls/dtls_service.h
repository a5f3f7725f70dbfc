#pragma once
// The DTLS-SRTP module as the control plane holds it: the identity (loaded or generated from
// DtlsOptions), the one DTLS context, the metrics and the router of per-leg sessions. One per
// process, on the control plane's io_context.
//
// Wiring (server.cc / media): put fingerprint() into the SDP we send to browsers; call
// router().start() for each browser leg with its flow, role and the peer's fingerprints, and
// router().remove() when the leg ends; forward FlowProgrammer::Listener::onPunt slots of kind
// kPacketDtls to router().onPunt(); use FlowProgrammer::inject as the InjectFn.
#include <memory>
#include <string>

#include <prometheus/registry.h>
#include <boost/asio/io_context.hpp>

#include <rampart/platform/result.h>

#include "dtls/dtls_context.h"
#include "dtls/dtls_metrics.h"
#include "dtls/dtls_options.h"
#include "dtls/dtls_router.h"
#include "dtls/identity.h"

namespace rampart::cp::dtls {

class DtlsService {
 public:
  /// Loads opts.certificate/opts.private_key when set (both or neither), else generates a
  /// certificate; builds the context and registers the metrics.
  /// @return the service, or the Error of Identity::load/generate or DtlsContext::create
  ///   (InvalidArgument when only one of certificate/private_key is set).
  static Result<std::unique_ptr<DtlsService>> create(boost::asio::io_context& io,
                                                     const DtlsOptions& opts,
                                                     prometheus::Registry& registry,
                                                     DtlsRouter::InjectFn inject);

  /// "sha-256 AB:CD:..." for our a=fingerprint.
  const std::string& fingerprint() const { return context_->identity().fingerprint(); }
  DtlsRouter& router() { return router_; }
  DtlsMetrics& metrics() { return metrics_; }
  const std::shared_ptr<const DtlsContext>& context() const { return context_; }

 private:
  DtlsService(boost::asio::io_context& io, const DtlsOptions& opts, prometheus::Registry& registry,
              std::shared_ptr<const DtlsContext> ctx, DtlsRouter::InjectFn inject);

  std::shared_ptr<const DtlsContext> context_;
  DtlsMetrics metrics_;
  DtlsRouter router_;
};

}  // namespace rampart::cp::dtls
