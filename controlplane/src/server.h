#pragma once
// The control plane's composition root: builds the layers bottom-up on one io_context —
// transport -> transactions -> B2BUA (calls, registrations, routing) -> media -> dataplane
// link — and connects the events that flow back up (dataplane idle/restart -> calls).
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <rampart/platform/config.h>
#include <rampart/platform/result.h>

#include "config_reload.h"
#include "memory_return.h"

namespace rampart::mgmt {
class ApiServer;
class AuditLog;
}  // namespace rampart::mgmt

namespace rampart::cp {

class CallManager;
struct ApiContext;
class CallRecords;
class ConfigReloader;
class FlowProgrammer;
class PortAllocator;
class TransactionLayer;
class TransportLayer;
class WorkerPicker;
struct MediaContext;
struct MediaRealm;
class TranscodeBook;
class FlowProgrammerSink;
class DataplaneEvents;
namespace security {
class SignallingGuard;
class DropListSync;
class KernelBanFilter;
}  // namespace security
namespace dtls {
class DtlsService;
class DtlsLinkAdapter;
}  // namespace dtls

class Server {
 public:
  // `config` is the config in force: a reload updates it in place (config_reload.h).
  Server(boost::asio::io_context& io, platform::Config& config, prometheus::Registry& registry);
  ~Server();

  /// Binds every signalling listener and starts the dataplane link. @return Io naming the
  /// listener that failed.
  Result<void> start();
  /// Closes the listeners and the dataplane link (calls are not torn down: their media keeps
  /// flowing in the dataplane).
  void stop();
  // Ends every call and DTLS session now (stop() first). Their destructors update metrics in the
  // registry given to the constructor, so main calls this before that registry goes away.
  void releaseSessions();

  FlowProgrammer& dataplane() { return *dataplane_; }
  /// Enables reloading `path` (the file `config` was loaded from); call before start().
  void setConfigPath(const std::string& path);
  /// Reloads the config file (SIGHUP, the API); `who` for the log and the audit record.
  /// Needs setConfigPath().
  ReloadOutcome reload(const std::string& who);

  /// The management API, when management.api is configured and start() succeeded.
  mgmt::ApiServer* api() { return api_.get(); }
  CallManager& calls() { return *calls_; }
  security::SignallingGuard& guard() { return *guard_; }

 private:
  // The constructor's steps, in order.
  void makeDtls();
  void makeTranscodeBook();
  std::vector<MediaRealm> makeMediaRealms();
  void makeSignalling();
  void publishGauges();
  // Builds the management API (when configured): its routes, then binds.
  Result<void> startApi();
  void addReloadHooks();

  boost::asio::io_context& io_;
  platform::Config& config_;
  std::unique_ptr<FlowProgrammer> dataplane_;
  std::unique_ptr<FlowProgrammerSink> sink_;
  std::unique_ptr<WorkerPicker> workers_;
  std::vector<std::unique_ptr<PortAllocator>> ports_;
  std::unique_ptr<dtls::DtlsService> dtls_;
  std::unique_ptr<dtls::DtlsLinkAdapter> dtls_link_;
  std::optional<Error> dtls_error_;  // reported by start()
  std::unique_ptr<MediaContext> media_;
  std::unique_ptr<TransportLayer> transport_;
  std::unique_ptr<TransactionLayer> txn_;
  std::unique_ptr<security::SignallingGuard> guard_;
  std::unique_ptr<security::DropListSync> drop_list_;
  std::unique_ptr<security::KernelBanFilter> kernel_filter_;  // security.kernel_ban_filter
  std::unique_ptr<CallManager> calls_;
  std::unique_ptr<DataplaneEvents> events_;
  std::vector<prometheus::Gauge*> ports_gauges_;
  // Transcoded calls (media/transcode_book.h) and their metrics, refreshed with the gauges.
  std::unique_ptr<TranscodeBook> transcode_;
  std::vector<prometheus::Gauge*> xc_realm_gauges_;
  std::vector<prometheus::Counter*> xc_refused_;
  prometheus::Family<prometheus::Gauge>* xc_pairs_ = nullptr;
  std::map<std::string, prometheus::Gauge*> xc_pair_gauges_;
  void publishTranscodeMetrics();
  boost::asio::steady_timer gauge_timer_;
  prometheus::Registry& registry_;
  std::unique_ptr<MemoryReturn> memory_;
  std::unique_ptr<mgmt::ApiServer> api_;
  std::unique_ptr<ApiContext> api_ctx_;
  std::unique_ptr<ConfigReloader> reloader_;
  std::shared_ptr<boost::asio::ssl::context> pending_api_tls_;  // prepared by a reload
  std::unique_ptr<CallRecords> records_;
  std::unique_ptr<mgmt::AuditLog> audit_;
  // Appends one audit record (when management.audit is configured).
  void audit(nlohmann::json entry);
};

}  // namespace rampart::cp
