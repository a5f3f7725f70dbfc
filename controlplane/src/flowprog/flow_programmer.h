#pragma once
// The control plane's link to rampart-dataplane, asynchronous on the control plane's
// io_context: attaches to the shared-memory region and handshakes step by step, sends commands
// without waiting (answers come back as callbacks on the loop), hands events and punted packets
// to a listener, and notices when the dataplane restarts (new epoch), stops or hangs
// (heartbeat), reattaching as soon as a new one is ready.
//
// Everything runs on the loop thread except region(), which the metrics scrape thread calls.
// One steady_timer drives polling: about every millisecond while commands are outstanding,
// every few milliseconds when idle; nothing blocks and nothing spins.
//
// Back-pressure: a command that meets a full command ring waits in a per-worker FIFO backlog
// and is sent in order as room appears; only a full backlog refuses new commands (Overloaded).
// Events are read from the event ring only as fast as they are handed to the listener, so none
// is lost on this side.
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <rampart/platform/abi.h>
#include <rampart/platform/dp_client.h>
#include <rampart/platform/result.h>
#include <rampart/platform/shm_region.h>

namespace rampart::cp {

class FlowProgrammer {
 public:
  // Called on the loop. FlowIdle/SsrcChange/IceSelected/ConsentExpired about flows the dataplane
  // kept may arrive while the handshake runs, that is just before onDataplaneUp. Callbacks may
  // submit or stop().
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void onFlowIdle(uint32_t worker, const abi::FlowIdle& ev) = 0;
    virtual void onSsrcChange(uint32_t worker, const abi::SsrcChange& ev) = 0;
    virtual void onPunt(uint32_t worker, const abi::PacketSlot& meta, const uint8_t* payload) = 0;
    // ICE-lite (ABI 1.2): an authenticated USE-CANDIDATE check moved ev.hdr.flow's remote (and
    // its paired flow's out_remote) to ev.remote; once per change of address.
    virtual void onIceSelected(uint32_t /*worker*/, const abi::IceSelected& /*ev*/) {}
    // No valid check from the selected remote for the flow's consent timeout (RFC 7675): the
    // call's media consent is gone. Once per silence; a new valid check re-arms it.
    virtual void onConsentExpired(uint32_t /*worker*/, const abi::ConsentExpired& /*ev*/) {}
    // An RFC 4733 event ended on a flow with DtmfReport set (ABI 1.7); once per event.
    virtual void onDtmfEvent(uint32_t /*worker*/, const abi::DtmfEvent& /*ev*/) {}
    // A new rampart-transcoder replaced the one serving @p worker (ABI 1.9): the transcoded
    // flows of that worker need their XcodeSetups again.
    virtual void onXcodeRestart(uint32_t /*worker*/, const abi::XcodeRestart& /*ev*/) {}
    // Link is up. new_epoch: the dataplane (re)started and holds no flows of ours; false: we
    // (the control plane) restarted and the dataplane kept its flows (flows_live > 0 possible).
    virtual void onDataplaneUp(uint64_t epoch, bool new_epoch) = 0;
    // Every outstanding command has already failed with Unavailable.
    virtual void onDataplaneDown() = 0;
  };

  struct Options {
    std::chrono::milliseconds command_timeout{250};
    size_t backlog_limit = 4096;  // per worker
  };

  using AckHandler = std::function<void(Result<abi::Ack>)>;
  using QueryHandler = std::function<void(Result<abi::FlowInfo>)>;
  using DumpHandler = std::function<void(Result<std::vector<abi::FlowInfo>>)>;

  /// Creates the link (not yet started) and registers its metrics in `registry`.
  FlowProgrammer(boost::asio::io_context& io, std::string shm_name, prometheus::Registry& registry,
                 Options opts);
  /// Same with default Options (GCC cannot take `Options opts = {}` for a nested struct with
  /// member initialisers inside its own class).
  FlowProgrammer(boost::asio::io_context& io, std::string shm_name, prometheus::Registry& registry);
  ~FlowProgrammer();
  FlowProgrammer(const FlowProgrammer&) = delete;
  FlowProgrammer& operator=(const FlowProgrammer&) = delete;

  /// Sets who receives events and link changes (may be null; then events are counted only).
  void setListener(Listener* l) { listener_ = l; }

  /// Begins (re)connecting; never blocks.
  void start();
  /// Drops the link (outstanding commands fail with Unavailable) and stops the timer.
  void stop();

  /// @return true while handshaken with every worker.
  bool ready() const { return state_ == State::Up; }
  /// @return the dataplane's worker count (0 while down).
  uint32_t workers() const;
  /// @return the epoch of the attached region (0 while down).
  uint64_t epoch() const;
  /// @return live flows per worker reported by the last handshake.
  std::vector<uint32_t> flowsAtHandshake() const;

  /// Copies `msg` (msg.size bytes), assigns its seq and returns it. `done` runs on the loop
  /// exactly once: with the Ack (whose status may be an error), or Error{Timeout} after
  /// opts.command_timeout, or Error{Unavailable} when the link is down or drops. Returned at
  /// once without calling `done`: Error{Overloaded} when the worker's backlog is full,
  /// Error{InvalidArgument} for an unknown worker or a size that does not fit a slot.
  Result<uint32_t> submit(uint32_t worker, const abi::MsgHeader& msg, AckHandler done);

  /// FlowIce: programs (or replaces, on an ICE restart) the ICE-lite credentials of
  /// `ice.hdr.flow` on `worker`; `done` as for submit() (Ack status kErrNoEnt for an unknown
  /// flow, kErrInval for bad lengths or a paired flow not on that worker). The password is
  /// copied into the ring slot (or the backlog, wiped when it leaves).
  Result<uint32_t> submitIce(uint32_t worker, const abi::FlowIce& ice, AckHandler done);

  /// FlowQuery: `done` gets the FlowInfo, or an Error (NotFound for an unknown handle,
  /// Timeout, Unavailable, Overloaded).
  void query(uint32_t worker, uint64_t flow, QueryHandler done);

  /// FlowDump: `done` gets every flow of `worker`. The timeout restarts with each answer, so
  /// a long dump paced by the event ring is not cut short.
  void dump(uint32_t worker, DumpHandler done);

  /// Enqueues one packet on `worker`'s inject ring. @return false when down or the ring is full.
  bool inject(uint32_t worker, const abi::PacketSlot& meta, const uint8_t* payload);

  /// The region of the current link, for the metrics collector (scrapes run on another
  /// thread); null while down.
  std::shared_ptr<const platform::ShmRegion> region() const;

  /// Commands submitted and not yet answered, failed or timed out (in backlogs or in flight).
  size_t outstanding() const { return pending_.size(); }

 private:
  enum class State : uint8_t { Stopped, Down, Handshaking, Up };
  enum class Kind : uint8_t { Command, Query, Dump };
  // Command types for metric labels; the last one is everything else.
  static constexpr size_t kTypeLabels = 7;
  // ok, refused (Ack status), timeout, unavailable, overloaded.
  static constexpr size_t kResultLabels = 5;

  struct Pending {
    Kind kind = Kind::Command;
    uint8_t type_label = 0;
    bool sent = false;
    std::chrono::steady_clock::time_point deadline;
    AckHandler on_ack;
    QueryHandler on_query;
    DumpHandler on_dump;
    std::optional<abi::FlowInfo> info;
    std::vector<abi::FlowInfo> flows;
  };
  // A command waiting for room in the command ring: a copy of the slot (it may carry SRTP
  // keys; wiped when it leaves the backlog).
  struct Queued {
    uint64_t key;
    struct Slot {
      abi::MsgHeader hdr;
      uint8_t body[abi::kCmdSlotSize - sizeof(abi::MsgHeader)];
    } slot;
  };

  static uint64_t keyOf(uint32_t worker, uint32_t seq) {
    return (static_cast<uint64_t>(worker) << 32) | seq;
  }
  static uint8_t typeLabel(abi::MsgType t);
  static void wipe(Queued& q);

  Result<uint32_t> enqueue(uint32_t worker, const abi::MsgHeader& msg, Pending p);
  void finish(Pending& p, const abi::Ack& a);
  void fail(Pending& p, const Error& e);
  void count(uint8_t type_label, size_t result);

  void schedule(std::chrono::steady_clock::duration after);
  void tick();
  void tryAttach();
  void pollHandshake();
  void checkLiveness();
  void linkDown(const std::string& why, bool retry_now, bool closing = false);
  void drainBacklogs();
  bool pollEvents();
  bool pollPunts();
  void expire();
  bool onEvent(const platform::EventView& ev);
  void deliverUnsolicited(const platform::EventView& ev);
  void updateBacklogGauges();

  boost::asio::io_context& io_;
  std::string shm_name_;
  Options opts_;
  Listener* listener_ = nullptr;
  boost::asio::steady_timer timer_;
  // Handlers capture a weak reference, so a timer or posted callback that outlives us is a
  // no-op.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  std::chrono::steady_clock::time_point next_tick_{};
  bool timer_armed_ = false;
  uint64_t timer_gen_ = 0;  // only the latest wait may tick

  State state_ = State::Stopped;
  mutable std::mutex mu_;  // guards client_ replacement (region() runs on the scrape thread)
  std::shared_ptr<platform::DataplaneClient> client_;
  uint64_t link_generation_ = 0;  // bumped on every link change; stale loops stop
  uint64_t last_epoch_ = 0;       // epoch of the previous link in this process (0: none yet)
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::steady_clock::time_point handshake_deadline_{};
  std::chrono::steady_clock::time_point next_check_{};
  std::string last_error_;

  uint32_t next_seq_;
  std::unordered_map<uint64_t, Pending> pending_;
  // (deadline, key), earliest on top. Entries of answered commands are skipped when they
  // surface; a dump whose deadline moved on is pushed again then.
  using Deadline = std::pair<std::chrono::steady_clock::time_point, uint64_t>;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
  std::vector<std::deque<Queued>> backlog_;
  bool warned_no_listener_ = false;

  // Metrics.
  prometheus::Gauge* connected_gauge_;
  prometheus::Gauge* epoch_gauge_;
  prometheus::Counter* handshakes_;
  prometheus::Counter* handshake_failures_;
  prometheus::Counter* restarts_seen_;
  prometheus::Counter* timeouts_;
  prometheus::Counter* late_acks_;
  prometheus::Gauge* in_flight_;
  prometheus::Family<prometheus::Gauge>* backlog_family_;
  std::vector<prometheus::Gauge*> backlog_gauges_;
  std::array<std::array<prometheus::Counter*, kResultLabels>, kTypeLabels> commands_{};
  prometheus::Counter* ev_flow_idle_;
  prometheus::Counter* ev_ssrc_change_;
  prometheus::Counter* ev_punt_;
  prometheus::Counter* ev_ice_selected_;
  prometheus::Counter* ev_consent_expired_;
  prometheus::Counter* ev_dtmf_;
  prometheus::Counter* ev_xcode_restart_;
  prometheus::Counter* ev_unexpected_;
  prometheus::Counter* ev_malformed_;
  prometheus::Counter* ev_unhandled_;
};

}  // namespace rampart::cp
