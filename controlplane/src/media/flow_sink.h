#pragma once
// Where the media layer sends flow commands. FlowProgrammer (the dataplane link) implements it;
// the media layer depends only on this interface, so it is tested with a recording sink.
#include <cstdint>
#include <functional>

#include <rampart/platform/abi.h>
#include <rampart/platform/result.h>

namespace rampart::cp {

class FlowSink {
 public:
  virtual ~FlowSink() = default;
  using AckHandler = std::function<void(Result<abi::Ack>)>;

  /// @return true while the dataplane is attached and handshaken (commands can be queued).
  virtual bool ready() const = 0;
  /// @return the number of dataplane workers (flows of one call all go to one of them).
  virtual uint32_t workers() const = 0;
  /// Queues one command for @p worker: copies @p msg (msg.size bytes) and assigns hdr.seq.
  /// @p done runs exactly once on the event loop, possibly later, with the Ack (whatever its
  /// status) or Error{Timeout} / Error{Unavailable} (dataplane gone or restarted). When submit
  /// itself fails, @p done is never called.
  /// @return the sequence number, or Error{Overloaded} when the command cannot be queued.
  virtual Result<uint32_t> submit(uint32_t worker, const abi::MsgHeader& msg, AckHandler done) = 0;

  using QueryHandler = std::function<void(Result<abi::FlowInfo>)>;
  /// Asks for one flow's counters (CDR quality at call end). @p done runs exactly once, on the
  /// loop, with the FlowInfo or an Error. Sinks without a dataplane answer Unavailable.
  virtual void query(uint32_t worker, uint64_t flow, QueryHandler done) {
    (void)worker;
    (void)flow;
    done(Error(ErrorCode::Unavailable, "no flow counters"));
  }
};

}  // namespace rampart::cp
