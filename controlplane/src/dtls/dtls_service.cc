#include "dtls/dtls_service.h"

namespace rampart::cp::dtls {

namespace {

Result<std::shared_ptr<const Identity>> identityFor(const DtlsOptions& opts) {
  if (opts.certificate.empty() != opts.private_key.empty()) {
    return Error(ErrorCode::InvalidArgument,
                 "DTLS certificate and private key must be configured together");
  }
  Result<Identity> id = opts.certificate.empty()
                            ? Identity::generate()
                            : Identity::load(opts.certificate, opts.private_key);
  if (!id) {
    return id.error();
  }
  return std::shared_ptr<const Identity>(std::make_shared<Identity>(std::move(id.value())));
}

}  // namespace

Result<std::unique_ptr<DtlsService>> DtlsService::create(boost::asio::io_context& io,
                                                         const DtlsOptions& opts,
                                                         prometheus::Registry& registry,
                                                         DtlsRouter::InjectFn inject) {
  Result<std::shared_ptr<const Identity>> id = identityFor(opts);
  if (!id) {
    return id.error();
  }
  Result<std::shared_ptr<DtlsContext>> ctx = DtlsContext::create(std::move(id.value()));
  if (!ctx) {
    return ctx.error();
  }
  return std::unique_ptr<DtlsService>(
      new DtlsService(io, opts, registry, std::move(ctx.value()), std::move(inject)));
}

DtlsService::DtlsService(boost::asio::io_context& io, const DtlsOptions& opts,
                         prometheus::Registry& registry, std::shared_ptr<const DtlsContext> ctx,
                         DtlsRouter::InjectFn inject)
    : context_(std::move(ctx)),
      metrics_(registry),
      router_(io, context_, opts, metrics_, std::move(inject)) {}

}  // namespace rampart::cp::dtls
