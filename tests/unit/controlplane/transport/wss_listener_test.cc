// WssListener on 127.0.0.1, port 0, driven by a Beast WebSocket client (C++20 coroutines) on
// the same io_context. Every wait is bounded: the client's socket operations expire, and the
// loop runs for a fixed time at most.
#include "transport/wss_listener.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <prometheus/registry.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "test_keys.h"
#include "transport/tls_context.h"

namespace rampart::cp {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace fs = std::filesystem;
using asio::ip::tcp;
using std::chrono::milliseconds;

const std::string kSecret = "0123456789abcdef0123456789abcdef-test";
const std::string kOrigin = "https://app.example.com";

class RecordingSink : public MessageSink {
 public:
  void onMessage(const Peer& from, std::string bytes) override {
    peers.push_back(from);
    messages.push_back(bytes);
    if (on_message) {
      on_message(from, bytes);
    }
  }
  void onConnectionClosed(uint64_t connection) override { closed.push_back(connection); }

  std::vector<Peer> peers;
  std::vector<std::string> messages;
  std::vector<uint64_t> closed;
  std::function<void(const Peer&, const std::string&)> on_message;
};

// What a client saw.
struct ClientResult {
  bool done = false;
  boost::system::error_code connect_ec;
  boost::system::error_code tls_ec;
  boost::system::error_code upgrade_ec;
  unsigned status = 0;      // HTTP status of the upgrade answer
  std::string subprotocol;  // Sec-WebSocket-Protocol answered
  std::vector<std::string> received;
  boost::system::error_code read_ec;  // how reading ended
  unsigned close_code = 0;            // close code the server sent
};

struct ClientPlan {
  std::string origin = kOrigin;
  std::string subprotocol = "sip";
  std::string target = "/";
  std::string authorization;
  std::vector<std::string> to_send;
  std::size_t expect_replies = 0;  // read this many messages, then close normally
  bool read_until_closed = false;  // keep reading until the server closes
  bool tls11_only = false;
  bool tcp_only = false;  // connect, then wait for the server to hang up
};

class WssListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rampart-wss-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    testing::CertPem cert = testing::makeSelfSignedCert();
    testing::writeTextFile((dir_ / "wss.crt").string(), cert.certificate);
    testing::writeTextFile((dir_ / "wss.key").string(), cert.private_key);
    platform::TlsSettings tls{(dir_ / "wss.crt").string(), (dir_ / "wss.key").string()};
    Result<TlsContextPtr> ctx = makeServerTlsContext(tls);
    ASSERT_TRUE(ctx.ok()) << ctx.error().message;
    server_tls_ = *ctx;

    options_.endpoint = tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0);
    options_.realm_index = 3;
    options_.realm_name = "wan";
    options_.max_message_bytes = 4096;
    options_.max_messages_per_second = 1000;
    options_.idle_timeout = milliseconds(10'000);
    options_.ping_interval = milliseconds(10'000);
    options_.handshake_timeout = milliseconds(2'000);
    options_.close_timeout = milliseconds(500);
    options_.access.allowed_origins = {kOrigin};
    options_.access.jwt_required = true;
    options_.access.jwt.issuer = "rampart-test";
    options_.access.jwt.audience = "rampart";
    options_.access.jwt.keys = {{"lab", platform::JwtAlg::Hs256, kSecret}};
  }
  void TearDown() override {
    listener_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void startListener() {
    Result<std::unique_ptr<WssListener>> l =
        WssListener::create(io_, options_, server_tls_, table_, sink_, registry_);
    ASSERT_TRUE(l.ok()) << l.error().message;
    listener_ = std::move(*l);
    ASSERT_NE(listener_->port(), 0);
  }

  static std::string goodToken(const std::string& extra = "") {
    int64_t now = static_cast<int64_t>(std::time(nullptr));
    std::string claims = R"({"iss":"rampart-test","aud":"rampart","sub":"alice","exp":)" +
                         std::to_string(now + 300) + R"(,"iat":)" + std::to_string(now) +
                         (extra.empty() ? "" : "," + extra) + "}";
    return testing::mintToken("HS256", kSecret, "lab", claims);
  }

  asio::awaitable<void> client(ClientPlan plan, ClientResult* out) {
    auto ex = co_await asio::this_coro::executor;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.set_verify_mode(asio::ssl::verify_none);
    if (plan.tls11_only) {
      // Make OpenSSL really offer TLS 1.1 (its default security level would not).
      SSL_CTX_set_security_level(ctx.native_handle(), 0);
      SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_1_VERSION);
      SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_1_VERSION);
      SSL_CTX_set_cipher_list(ctx.native_handle(), "DEFAULT:@SECLEVEL=0");
    }
    websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(ex, ctx);
    auto& tcp_layer = beast::get_lowest_layer(ws);
    tcp_layer.expires_after(std::chrono::seconds(5));
    boost::system::error_code ec;
    co_await tcp_layer.async_connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), listener_->port()),
        asio::redirect_error(asio::use_awaitable, ec));
    out->connect_ec = ec;
    if (ec) {
      out->done = true;
      co_return;
    }
    if (plan.tcp_only) {
      char byte = 0;
      co_await tcp_layer.async_read_some(asio::buffer(&byte, 1),
                                         asio::redirect_error(asio::use_awaitable, ec));
      out->read_ec = ec;
      out->done = true;
      co_return;
    }
    co_await ws.next_layer().async_handshake(asio::ssl::stream_base::client,
                                             asio::redirect_error(asio::use_awaitable, ec));
    out->tls_ec = ec;
    if (ec) {
      out->done = true;
      co_return;
    }
    ws.set_option(websocket::stream_base::decorator([plan](websocket::request_type& req) {
      if (!plan.origin.empty()) {
        req.set(http::field::origin, plan.origin);
      }
      if (!plan.subprotocol.empty()) {
        req.set(http::field::sec_websocket_protocol, plan.subprotocol);
      }
      if (!plan.authorization.empty()) {
        req.set(http::field::authorization, plan.authorization);
      }
    }));
    websocket::response_type res;
    co_await ws.async_handshake(res, "127.0.0.1", plan.target,
                                asio::redirect_error(asio::use_awaitable, ec));
    out->upgrade_ec = ec;
    out->status = res.result_int();
    if (auto it = res.find(http::field::sec_websocket_protocol); it != res.end()) {
      out->subprotocol = std::string(it->value().data(), it->value().size());
    }
    if (ec) {
      out->done = true;
      co_return;
    }
    tcp_layer.expires_never();
    ws.set_option(
        websocket::stream_base::timeout{std::chrono::seconds(5), std::chrono::seconds(5), false});
    for (const std::string& m : plan.to_send) {
      ws.text(true);
      co_await ws.async_write(asio::buffer(m), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        break;
      }
    }
    beast::flat_buffer buffer;
    while (plan.read_until_closed || out->received.size() < plan.expect_replies) {
      co_await ws.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        out->read_ec = ec;
        out->close_code = ws.reason().code;
        break;
      }
      out->received.push_back(beast::buffers_to_string(buffer.data()));
      buffer.clear();
    }
    if (!ec) {
      co_await ws.async_close(websocket::close_code::normal,
                              asio::redirect_error(asio::use_awaitable, ec));
    }
    out->done = true;
  }

  // Runs one client to its end (and the server meanwhile), at most `limit`.
  ClientResult runClient(ClientPlan plan, milliseconds limit = milliseconds(8000)) {
    ClientResult result;
    asio::co_spawn(io_, client(std::move(plan), &result), asio::detached);
    runUntil([&] { return result.done; }, limit);
    EXPECT_TRUE(result.done) << "client did not finish in time";
    return result;
  }

  // Runs the loop until `done` holds or `limit` passes.
  void runUntil(const std::function<bool()>& done, milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(milliseconds(20));
      if (io_.stopped()) {
        io_.restart();
      }
    }
  }

  double metric(const std::string& name, const std::string& reason) {
    for (const prometheus::MetricFamily& f : registry_.Collect()) {
      if (f.name != name) {
        continue;
      }
      for (const prometheus::ClientMetric& m : f.metric) {
        bool match = reason.empty();
        for (const prometheus::ClientMetric::Label& l : m.label) {
          if (l.name == "reason" && l.value == reason) {
            match = true;
          }
        }
        if (match) {
          return f.type == prometheus::MetricType::Gauge ? m.gauge.value : m.counter.value;
        }
      }
    }
    return -1;
  }

  fs::path dir_;
  TlsContextPtr server_tls_;
  WsListenerOptions options_;
  asio::io_context io_;
  ConnectionTable table_;
  RecordingSink sink_;
  prometheus::Registry registry_;
  std::unique_ptr<WssListener> listener_;
};

TEST_F(WssListenerTest, GoodUpgradeDeliversAndSends) {
  startListener();
  const ConnectionAuth* seen_auth = nullptr;
  ConnectionAuth auth_copy;
  sink_.on_message = [&](const Peer& from, const std::string&) {
    std::shared_ptr<Connection> c = table_.find(from.connection);
    ASSERT_NE(c, nullptr);
    seen_auth = c->auth();
    if (seen_auth != nullptr) {
      auth_copy = *seen_auth;
    }
    c->send("SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  };
  ClientPlan plan;
  plan.target = "/ws?token=" + goodToken(R"("scope":"register")");
  plan.to_send = {"OPTIONS sip:rampart SIP/2.0\r\nContent-Length: 0\r\n\r\n"};
  plan.expect_replies = 1;
  ClientResult r = runClient(plan);
  EXPECT_FALSE(r.upgrade_ec) << r.upgrade_ec.message();
  EXPECT_EQ(r.status, 101u);
  EXPECT_EQ(r.subprotocol, "sip");
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0], "OPTIONS sip:rampart SIP/2.0\r\nContent-Length: 0\r\n\r\n");
  const Peer& p = sink_.peers[0];
  EXPECT_EQ(p.transport, Transport::Wss);
  EXPECT_EQ(p.address.to_string(), "127.0.0.1");
  EXPECT_NE(p.port, 0);
  EXPECT_NE(p.connection, 0u);
  EXPECT_EQ(p.realm, 3u);
  ASSERT_NE(seen_auth, nullptr);
  EXPECT_EQ(auth_copy.subject, "alice");
  EXPECT_TRUE(auth_copy.may_register);
  EXPECT_FALSE(auth_copy.may_call);
  ASSERT_EQ(r.received.size(), 1u);
  EXPECT_EQ(r.received[0], "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  // The client's close reaches the sink and empties the table.
  runUntil([&] { return !sink_.closed.empty(); }, milliseconds(3000));
  ASSERT_EQ(sink_.closed.size(), 1u);
  EXPECT_EQ(sink_.closed[0], p.connection);
  EXPECT_EQ(table_.find(p.connection), nullptr);
  EXPECT_EQ(metric("rampart_cp_connections_active", ""), 0);
}

// Messages larger than one TLS record (16 kB) both ways: LeanTlsStream's reads and partial
// writes carry them whole, in order.
TEST_F(WssListenerTest, MessagesSpanningTlsRecordsArriveWhole) {
  options_.max_message_bytes = 65535;
  startListener();
  std::vector<std::string> replies;
  for (char c : {'a', 'b', 'c', 'd'}) {
    replies.push_back("SIP/2.0 200 OK\r\nX-Fill: " + std::string(60'000, c) + "\r\n\r\n");
  }
  sink_.on_message = [&](const Peer& from, const std::string&) {
    std::shared_ptr<Connection> c = table_.find(from.connection);
    ASSERT_NE(c, nullptr);
    for (const std::string& r : replies) {
      c->send(r);
    }
  };
  std::string big = "MESSAGE sip:x SIP/2.0\r\nX-Fill: " + std::string(50'000, 'm') + "\r\n\r\n";
  ClientPlan plan;
  plan.target = "/?token=" + goodToken();
  plan.to_send = {big};
  plan.expect_replies = replies.size();
  ClientResult r = runClient(plan);
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0], big);
  ASSERT_EQ(r.received.size(), replies.size());
  for (std::size_t i = 0; i < replies.size(); ++i) {
    EXPECT_EQ(r.received[i], replies[i]) << "reply " << i;
  }
}

TEST_F(WssListenerTest, BearerHeaderAccepted) {
  startListener();
  ClientPlan plan;
  plan.authorization = "Bearer " + goodToken();
  plan.to_send = {"REGISTER sip:x SIP/2.0\r\n\r\n"};
  ClientResult r = runClient(plan);
  EXPECT_EQ(r.status, 101u);
  runUntil([&] { return !sink_.messages.empty(); }, milliseconds(2000));
  EXPECT_EQ(sink_.messages.size(), 1u);
}

TEST_F(WssListenerTest, BadOriginGets403) {
  startListener();
  ClientPlan plan;
  plan.origin = "https://evil.example.com";
  plan.target = "/?token=" + goodToken();
  ClientResult r = runClient(plan);
  EXPECT_TRUE(r.upgrade_ec);
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(metric("rampart_cp_connections_refused_total", "origin"), 1);
  EXPECT_TRUE(sink_.closed.empty());  // never upgraded: the SIP layer never heard of it
  EXPECT_EQ(table_.size(), 0u);
}

TEST_F(WssListenerTest, NoSipSubprotocolRefused) {
  startListener();
  ClientPlan plan;
  plan.subprotocol = "chat";
  plan.target = "/?token=" + goodToken();
  ClientResult r = runClient(plan);
  EXPECT_TRUE(r.upgrade_ec);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(metric("rampart_cp_connections_refused_total", "subprotocol"), 1);
  plan.subprotocol = "";
  r = runClient(plan);
  EXPECT_EQ(r.status, 400u);
}

TEST_F(WssListenerTest, MissingJwtGets401) {
  startListener();
  ClientPlan plan;
  ClientResult r = runClient(plan);
  EXPECT_TRUE(r.upgrade_ec);
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(metric("rampart_cp_connections_refused_total", "jwt"), 1);
  EXPECT_EQ(metric("rampart_cp_jwt_rejections_total", "missing"), 1);
  plan.target = "/?token=" + testing::mintToken("HS256", "wrong-secret-wrong-secret-wrong-secret",
                                                "lab", R"({"sub":"x","exp":9999999999})");
  r = runClient(plan);
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(metric("rampart_cp_jwt_rejections_total", "bad_signature"), 1);
}

TEST_F(WssListenerTest, Tls11ClientRefused) {
  startListener();
  ClientPlan plan;
  plan.tls11_only = true;
  ClientResult r = runClient(plan);
  EXPECT_TRUE(r.tls_ec) << "TLS 1.1 handshake succeeded";
  runUntil([&] { return metric("rampart_cp_connections_refused_total", "tls_handshake") >= 1; },
           milliseconds(2000));
  EXPECT_EQ(metric("rampart_cp_connections_refused_total", "tls_handshake"), 1);
}

TEST_F(WssListenerTest, OversizedMessageClosesWith1009) {
  options_.max_message_bytes = 1024;
  startListener();
  ClientPlan plan;
  plan.target = "/?token=" + goodToken();
  plan.to_send = {std::string(2000, 'x')};
  plan.read_until_closed = true;
  ClientResult r = runClient(plan);
  EXPECT_EQ(r.status, 101u);
  EXPECT_EQ(r.read_ec, websocket::error::closed) << r.read_ec.message();
  EXPECT_EQ(r.close_code, 1009u);
  EXPECT_TRUE(sink_.messages.empty());
  runUntil([&] { return !sink_.closed.empty(); }, milliseconds(2000));
  EXPECT_EQ(sink_.closed.size(), 1u);
  EXPECT_EQ(metric("rampart_cp_connections_refused_total", "oversize"), 1);
}

TEST_F(WssListenerTest, MessageRateExcessClosesWith1008) {
  options_.max_messages_per_second = 5;
  startListener();
  ClientPlan plan;
  plan.target = "/?token=" + goodToken();
  plan.to_send = std::vector<std::string>(20, "OPTIONS sip:x SIP/2.0\r\n\r\n");
  plan.read_until_closed = true;
  ClientResult r = runClient(plan);
  EXPECT_EQ(r.status, 101u);
  EXPECT_EQ(r.read_ec, websocket::error::closed) << r.read_ec.message();
  EXPECT_EQ(r.close_code, 1008u);
  EXPECT_GE(sink_.messages.size(), 5u);
  EXPECT_LT(sink_.messages.size(), 20u);
  EXPECT_EQ(metric("rampart_cp_connections_refused_total", "rate"), 1);
}

TEST_F(WssListenerTest, IdleConnectionCloses) {
  options_.idle_timeout = milliseconds(300);
  startListener();
  ClientPlan plan;
  plan.target = "/?token=" + goodToken();
  plan.read_until_closed = true;
  auto start = std::chrono::steady_clock::now();
  ClientResult r = runClient(plan);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 101u);
  EXPECT_EQ(r.read_ec, websocket::error::closed) << r.read_ec.message();
  EXPECT_EQ(r.close_code, 1001u);
  EXPECT_LT(took, std::chrono::seconds(3));
  runUntil([&] { return !sink_.closed.empty(); }, milliseconds(2000));
  EXPECT_EQ(sink_.closed.size(), 1u);
  EXPECT_EQ(metric("rampart_cp_connections_refused_total", "idle"), 1);
}

TEST_F(WssListenerTest, PingsKeepAnswerersAlive) {
  // Pings every 100 ms; the client's pending read answers them, and its message keeps the
  // connection from going idle before it closes on its own.
  options_.ping_interval = milliseconds(100);
  options_.idle_timeout = milliseconds(700);
  startListener();
  ClientPlan plan;
  plan.target = "/?token=" + goodToken();
  plan.read_until_closed = true;
  ClientResult r = runClient(plan);
  EXPECT_EQ(r.close_code, 1001u);  // idle in the end, not a missing pong
  EXPECT_EQ(metric("rampart_cp_connections_refused_total", "ping_timeout"), 0);
  EXPECT_EQ(metric("rampart_cp_connections_refused_total", "idle"), 1);
}

TEST_F(WssListenerTest, NoUpgradeWithinHandshakeTimeoutCloses) {
  options_.handshake_timeout = milliseconds(300);
  startListener();
  ClientPlan plan;
  plan.tcp_only = true;
  ClientResult r = runClient(plan);
  EXPECT_TRUE(r.read_ec);  // the server hung up (EOF or reset), well before the client's 5 s
  EXPECT_EQ(metric("rampart_cp_connections_refused_total", "handshake_timeout"), 1);
}

TEST_F(WssListenerTest, SendQueueOverflowCloses) {
  options_.max_send_queue_bytes = 1000;
  startListener();
  sink_.on_message = [&](const Peer& from, const std::string&) {
    std::shared_ptr<Connection> c = table_.find(from.connection);
    ASSERT_NE(c, nullptr);
    for (int i = 0; i < 5; ++i) {
      c->send(std::string(300, 'r'));  // the fourth passes the limit
    }
  };
  ClientPlan plan;
  plan.target = "/?token=" + goodToken();
  plan.to_send = {"OPTIONS sip:x SIP/2.0\r\n\r\n"};
  plan.read_until_closed = true;
  ClientResult r = runClient(plan);
  EXPECT_EQ(r.close_code, 1008u);
  EXPECT_LE(r.received.size(), 3u);
  EXPECT_EQ(metric("rampart_cp_connections_refused_total", "send_queue"), 1);
}

TEST_F(WssListenerTest, StopClosesConnections) {
  startListener();
  ClientPlan plan;
  plan.target = "/?token=" + goodToken();
  plan.to_send = {"OPTIONS sip:x SIP/2.0\r\n\r\n"};
  plan.read_until_closed = true;
  ClientResult result;
  asio::co_spawn(io_, client(plan, &result), asio::detached);
  runUntil([&] { return !sink_.messages.empty(); }, milliseconds(3000));
  ASSERT_EQ(sink_.messages.size(), 1u);
  listener_->stop();
  runUntil([&] { return result.done; }, milliseconds(3000));
  EXPECT_EQ(result.close_code, 1000u);
  EXPECT_EQ(sink_.closed.size(), 1u);
}

TEST(TlsContext, ErrorsNameTheFile) {
  Result<TlsContextPtr> r = makeServerTlsContext({"/nonexistent/x.crt", "/nonexistent/x.key"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::NotFound);
  EXPECT_NE(r.error().message.find("/nonexistent/x.crt"), std::string::npos);
  char tmpl[] = "/tmp/rampart-tls-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  fs::path dir = tmpl;
  testing::CertPem a = testing::makeSelfSignedCert();
  testing::CertPem b = testing::makeSelfSignedCert();
  testing::writeTextFile((dir / "a.crt").string(), a.certificate);
  testing::writeTextFile((dir / "b.key").string(), b.private_key);
  testing::writeTextFile((dir / "junk.crt").string(), "not a certificate\n");
  r = makeServerTlsContext({(dir / "a.crt").string(), (dir / "b.key").string()});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
  EXPECT_NE(r.error().message.find("b.key"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("mismatch"), std::string::npos) << r.error().message;
  r = makeServerTlsContext({(dir / "junk.crt").string(), (dir / "b.key").string()});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("junk.crt"), std::string::npos) << r.error().message;
  Result<TlsContextPtr> client = makeClientTlsContext({false, "", "", ""});
  EXPECT_TRUE(client.ok());
  client = makeClientTlsContext({true, (dir / "none.pem").string(), "", ""});
  EXPECT_FALSE(client.ok());
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace rampart::cp
