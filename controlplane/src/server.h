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
#include <boost/asio/steady_timer.hpp>

#include <rampart/platform/config.h>
#include <rampart/platform/result.h>

namespace rampart::cp {

class CallManager;
class FlowProgrammer;
class PortAllocator;
class TransactionLayer;
class TransportLayer;
class WorkerPicker;
struct MediaContext;
class TranscodeBook;
class FlowProgrammerSink;
class DataplaneEvents;
namespace dtls {
class DtlsService;
class DtlsLinkAdapter;
}  // namespace dtls

class Server {
 public:
  Server(boost::asio::io_context& io, const platform::Config& config,
         prometheus::Registry& registry);
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
  CallManager& calls() { return *calls_; }

 private:
  void publishGauges();

  boost::asio::io_context& io_;
  const platform::Config& config_;
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
};

}  // namespace rampart::cp
