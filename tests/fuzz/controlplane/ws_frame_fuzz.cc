// Fuzzes WebSocket framing at Beast's frame level, configured and read the way
// transport/wss_listener.cc does: a server-role websocket::stream that has accepted a `sip`
// upgrade, no Beast message limit (read_message_max(0)), a control callback, and messages read
// piecewise with at most max_message_bytes + 1 bytes of room so an oversized message is caught
// however its frame headers lie. The input is the raw byte stream a client sends after the
// upgrade: frame headers, masks, fragments, control frames, close codes. Whole messages go
// through the SIP parser, as the listener's sink would take them. Over a beast::test::stream,
// so no sockets or TLS are involved.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "sip/message.h"

namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;

constexpr std::size_t kMaxMessage = 4096;  // the listener's max_message_bytes, scaled down
constexpr int kMaxReads = 4096;            // bound the loop whatever the input

constexpr const char* kUpgrade =
    "GET / HTTP/1.1\r\nHost: sbc.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Protocol: sip\r\nOrigin: https://app.example.com\r\n\r\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::asio::io_context io;
  beast::test::stream client(io);
  websocket::stream<beast::test::stream> ws(io);
  beast::test::stream& server = ws.next_layer();
  client.connect(server);
  ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(beast::http::field::sec_websocket_protocol, "sip");
  }));
  ws.read_message_max(0);  // as the listener: its own piecewise limit below
  int pongs = 0;
  ws.control_callback([&pongs](websocket::frame_type kind, beast::string_view) {
    pongs += kind == websocket::frame_type::pong ? 1 : 0;
  });
  server.append(kUpgrade);
  boost::system::error_code ec;
  ws.accept(ec);
  if (ec) {
    __builtin_trap();  // the fixed upgrade must always be accepted
  }
  server.append(beast::string_view(reinterpret_cast<const char*>(data), size));
  server.close_remote();  // reads end with EOF once the input is consumed

  beast::flat_buffer buffer;
  for (int reads = 0; reads < kMaxReads; ++reads) {
    std::size_t room = kMaxMessage + 1 - std::min(buffer.size(), kMaxMessage);
    ws.read_some(buffer, room, ec);
    if (ec) {
      break;
    }
    if (buffer.size() > kMaxMessage) {
      ws.close(websocket::close_reason(websocket::close_code::too_big, "message too big"), ec);
      break;
    }
    if (ws.is_message_done()) {
      std::string bytes = beast::buffers_to_string(buffer.data());
      buffer.clear();
      (void)rampart::cp::sip::Message::parse(bytes);
    }
  }
  return 0;
}
