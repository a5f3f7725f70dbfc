// Fuzzes the control plane's SIP handling with untrusted bytes. The first byte picks the target:
//   0: sip::Message::parse, and serialize() of what parsed must parse again;
//   1: StreamFramer fed in chunks of the second byte's size (TCP/TLS framing);
//   2: the whole stack below the sockets: the rest, split at "\n--\n", is a series of messages
//      from one UDP peer on the wan realm into TransactionLayer -> CallManager (transaction
//      matching, dialog lookup, B2BUA header rewriting, REGISTER relay), with a dataplane sink
//      that acknowledges every flow command, and the event loop run until idle.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <prometheus/registry.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <rampart/platform/config.h>

#include "b2bua/call_manager.h"
#include "media/flow_sink.h"
#include "media/port_allocator.h"
#include "media/worker_picker.h"
#include "sip/message.h"
#include "transport/stream_framer.h"
#include "transport/transport_layer.h"
#include "txn/transaction_layer.h"

namespace {
using namespace rampart;
using namespace rampart::cp;

constexpr const char* kConfig = R"(
node: {name: fuzz, shm_name: /rampart-fuzz}
realms:
  - name: wan
    signalling: [{transport: udp, address: 198.18.1.1, port: 5060}]
    media: {devargs: "net_null0", address: 198.18.2.1, port_min: 20000, port_max: 20099}
    sdp: {latch: true}
  - name: lan
    signalling: [{transport: udp, address: 198.18.3.1, port: 5060}]
    media: {devargs: "net_null1", address: 198.18.4.1, port_min: 30000, port_max: 30099}
routes:
  - {name: out, from: wan, to: lan, match_user: "", targets: ["sip:198.18.3.2:5060", "sip:198.18.3.3"]}
management: {address: 127.0.0.1}
)";

// Acknowledges every command on the next loop turn, like a healthy dataplane.
class AckingSink : public FlowSink {
 public:
  explicit AckingSink(boost::asio::io_context& io) : io_(io) {}
  bool ready() const override { return true; }
  uint32_t workers() const override { return 1; }
  Result<uint32_t> submit(uint32_t, const abi::MsgHeader& msg, AckHandler done) override {
    uint32_t seq = ++seq_;
    abi::Ack ack{};
    ack.hdr.type = abi::MsgType::Ack;
    ack.hdr.seq = seq;
    ack.hdr.flow = msg.type == abi::MsgType::FlowAdd ? abi::packHandle({seq, 1}) : msg.flow;
    ack.status = abi::kOk;
    ack.cmd_type = static_cast<uint16_t>(msg.type);
    boost::asio::post(io_, [done, ack] { done(ack); });
    return seq;
  }

 private:
  boost::asio::io_context& io_;
  uint32_t seq_ = 0;
};

void fuzzStack(std::string_view rest) {
  static platform::Config config = *platform::loadConfigText(kConfig, "").config;
  boost::asio::io_context io(1);
  prometheus::Registry registry;
  AckingSink sink(io);
  WorkerPicker workers(1);
  MediaContext media{sink, workers, {}, nullptr, {}};
  PortAllocator wan_ports("wan", 20000, 20099);
  PortAllocator lan_ports("lan", 30000, 30099);
  auto profile = std::make_shared<sdp::Profile>();
  std::vector<MediaRealm> realms(2);
  realms[0] = MediaRealm{
      0, 0, config.realms[0].media.address, std::nullopt, profile, &wan_ports, true, 0, 0};
  realms[1] = MediaRealm{
      1, 1, config.realms[1].media.address, std::nullopt, profile, &lan_ports, false, 0, 0};
  TransportLayer transport(io, config, registry);  // never started: sends are counted drops
  TransactionLayer txn(io, transport, registry);
  transport.setSink(&txn);
  auto calls = std::make_unique<CallManager>(io, config, txn, media, realms, registry);
  txn.setUser(calls.get());
  Peer peer{Transport::Udp, boost::asio::ip::make_address("198.18.1.2"), 5060, 0, 0};
  for (int i = 0; i < 16 && !rest.empty(); ++i) {
    auto cut = rest.find("\n--\n");
    std::string_view one = rest.substr(0, cut);
    rest.remove_prefix(cut == std::string_view::npos ? rest.size() : cut + 4);
    // Messages alternate between the caller and the PBX side, so responses find their
    // transactions too.
    peer.realm = (i % 2 == 0) ? 0 : 1;
    peer.address = boost::asio::ip::make_address(i % 2 == 0 ? "198.18.1.2" : "198.18.3.2");
    txn.onMessage(peer, std::string(one));
    io.poll();
  }
  calls.reset();
  io.poll();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || size > 70000) {
    return 0;
  }
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto m = sip::Message::parse(in);
      if (m) {
        auto again = sip::Message::parse(m->serialize());
        if (!again) {
          __builtin_trap();  // what we write must be what we accept
        }
      }
      break;
    }
    case 1: {
      std::size_t chunk = 1 + static_cast<uint8_t>(in[0]);
      StreamFramer framer(65535);
      std::string out;
      for (std::size_t off = 1; off < in.size(); off += chunk) {
        framer.feed(in.substr(off, chunk));
        for (int i = 0; i < 64; ++i) {
          auto st = framer.next(&out);
          if (st == StreamFramer::Status::NeedMore || st == StreamFramer::Status::Error) {
            break;
          }
        }
      }
      break;
    }
    default: fuzzStack(in); break;
  }
  return 0;
}
