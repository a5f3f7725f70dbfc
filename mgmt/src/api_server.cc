#include <rampart/mgmt/api_server.h>

#include <set>
#include <utility>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <rampart/platform/log.h>

namespace rampart::mgmt {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class ApiConnection;

struct ApiServer::Shared {
  Router router;
  TokenTable tokens;
  TlsContextPtr tls;
  ApiServerOptions options;
  ActionObserver observer;
  std::set<ApiConnection*> open;
  // False once the ApiServer is gone: connections destroyed later (with the io_context) must
  // not touch the metrics, whose registry may be gone too.
  bool alive = true;
  prometheus::Family<prometheus::Counter>* requests = nullptr;
  prometheus::Gauge* active = nullptr;

  void count(const std::string& route, unsigned code) {
    requests->Add({{"route", route}, {"code", std::to_string(code)}}).Increment();
  }
};

namespace {

std::map<std::string, std::string> parseQuery(const std::string& q, bool* ok) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start < q.size()) {
    std::size_t end = q.find('&', start);
    if (end == std::string::npos) {
      end = q.size();
    }
    std::string pair = q.substr(start, end - start);
    std::size_t eq = pair.find('=');
    std::optional<std::string> k = percentDecode(pair.substr(0, eq));
    std::optional<std::string> v =
        percentDecode(eq == std::string::npos ? "" : pair.substr(eq + 1));
    if (!k || !v) {
      *ok = false;
      return out;
    }
    if (!k->empty()) {
      out[*k] = *v;
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

// One client connection: TLS, then requests one at a time until the client closes, a request
// says `Connection: close`, or the timer runs out.
class ApiConnection : public std::enable_shared_from_this<ApiConnection> {
 public:
  ApiConnection(tcp::socket socket, std::shared_ptr<ApiServer::Shared> shared)
      : shared_(std::move(shared)), stream_(std::move(socket), *shared_->tls) {
    peer_ = endpointText();
    shared_->open.insert(this);
    shared_->active->Increment();
  }
  ~ApiConnection() {
    if (shared_->alive) {
      shared_->open.erase(this);
      shared_->active->Decrement();
    }
  }

  void start() {
    beast::get_lowest_layer(stream_).expires_after(shared_->options.request_timeout);
    stream_.async_handshake(asio::ssl::stream_base::server,
                            [self = shared_from_this()](beast::error_code ec) {
                              if (!ec) {
                                self->read();
                              }
                            });
  }

  void close() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

 private:
  std::string endpointText() {
    beast::error_code ec;
    tcp::endpoint ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    return ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->options.max_header_bytes));
    parser_->body_limit(shared_->options.max_body_bytes);
    beast::get_lowest_layer(stream_).expires_after(shared_->options.request_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      keep_alive_ = false;
      send("none", ApiResponse::error(413, "too_large", "request too large"));
      return;
    }
    if (ec) {
      return;  // closed, timed out or not HTTP: nothing to answer
    }
    http::request<http::string_body> req = parser_->release();
    keep_alive_ = req.keep_alive();
    dispatch(req);
  }

  void dispatch(http::request<http::string_body>& req);
  bool authorize(const Route& route, const std::string& authorization, ApiRequest* q);
  void send(const std::string& route, ApiResponse r);
  void count(const std::string& route, unsigned code) {
    if (shared_->alive) {
      shared_->count(route, code);
    }
  }
  void onWritten(beast::error_code ec) {
    if (ec || !keep_alive_) {
      stream_.async_shutdown([self = shared_from_this()](beast::error_code) {});
      return;
    }
    read();
  }

  std::shared_ptr<ApiServer::Shared> shared_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> response_;
  std::string peer_;
  bool keep_alive_ = false;
};

void ApiConnection::dispatch(http::request<http::string_body>& req) {
  std::string target(req.target());
  std::size_t qmark = target.find('?');
  std::string path = target.substr(0, qmark);
  std::string method(req.method_string());
  ApiRequest q;
  bool query_ok = true;
  if (qmark != std::string::npos) {
    q.query = parseQuery(target.substr(qmark + 1), &query_ok);
  }
  if (!query_ok) {
    send("none", ApiResponse::error(400, "bad_query", "malformed query string"));
    return;
  }
  Router::Match m = shared_->router.match(method, path);
  if (m.route == nullptr) {
    if (!m.allowed.empty()) {
      ApiResponse r = ApiResponse::error(405, "method_not_allowed", method + " not allowed");
      std::string allow;
      for (const std::string& a : m.allowed) {
        allow += (allow.empty() ? "" : ", ") + a;
      }
      r.headers.emplace_back("Allow", allow);
      send("none", std::move(r));
    } else {
      send("none", ApiResponse::error(404, "no_route", "no such endpoint: " + path));
    }
    return;
  }
  const Route& route = *m.route;
  q.method = method;
  q.path = path;
  q.pattern = route.pattern;
  q.params = std::move(m.params);
  q.body = std::move(req.body());
  q.content_type = std::string(req[http::field::content_type]);
  q.peer = peer_;
  if (!authorize(route, std::string(req[http::field::authorization]), &q)) {
    return;
  }
  auto answered = std::make_shared<bool>(false);
  auto self = shared_from_this();
  route.handler(q, [self, answered, q](ApiResponse r) {
    if (*answered) {
      return;
    }
    *answered = true;
    if (q.method != "GET" && q.method != "HEAD" && self->shared_->observer) {
      self->shared_->observer(q, r);
    }
    self->send(q.pattern, std::move(r));
  });
}

bool ApiConnection::authorize(const Route& route, const std::string& authorization, ApiRequest* q) {
  std::optional<Principal> who = shared_->tokens.find(bearerToken(authorization));
  if (who) {
    q->principal = who->name;
    q->role = who->role;
  }
  if (route.min_role == Role::Public) {
    return true;
  }
  if (!who) {
    ApiResponse r =
        ApiResponse::error(401, "unauthenticated",
                           authorization.empty() ? "a bearer token is required" : "unknown token");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"rampart\"");
    if (q->method != "GET" && shared_->observer) {
      shared_->observer(*q, r);  // refused actions are audited too
    }
    send(route.pattern, std::move(r));
    return false;
  }
  if (static_cast<int>(who->role) < static_cast<int>(route.min_role)) {
    ApiResponse r = ApiResponse::error(403, "forbidden",
                                       std::string("needs role ") + roleName(route.min_role) +
                                           "; token '" + who->name + "' is " + roleName(who->role));
    if (q->method != "GET" && shared_->observer) {
      shared_->observer(*q, r);
    }
    send(route.pattern, std::move(r));
    return false;
  }
  return true;
}

void ApiConnection::send(const std::string& route, ApiResponse r) {
  count(route, r.status);
  response_ = std::make_shared<http::response<http::string_body>>();
  response_->result(r.status);
  response_->version(11);
  response_->set(http::field::server, "rampart");
  response_->set(http::field::content_type, "application/json");
  response_->set(http::field::cache_control, "no-store");
  for (auto& [k, v] : r.headers) {
    response_->set(k, v);
  }
  response_->body() = r.body.is_null() ? std::string("{}") : r.body.dump(2) + "\n";
  response_->keep_alive(keep_alive_);
  response_->prepare_payload();
  beast::get_lowest_layer(stream_).expires_after(shared_->options.request_timeout);
  http::async_write(
      stream_, *response_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onWritten(ec); });
}

ApiServer::ApiServer(asio::io_context& io, ApiServerOptions options, TlsContextPtr tls,
                     TokenTable tokens, prometheus::Registry& registry)
    : acceptor_(io), shared_(std::make_shared<Shared>()) {
  shared_->options = std::move(options);
  shared_->tls = std::move(tls);
  shared_->tokens = std::move(tokens);
  shared_->requests = &prometheus::BuildCounter()
                           .Name("rampart_mgmt_api_requests_total")
                           .Help("Management API requests answered, by route pattern and status")
                           .Register(registry);
  shared_->active = &prometheus::BuildGauge()
                         .Name("rampart_mgmt_api_connections_active")
                         .Help("Open management API connections")
                         .Register(registry)
                         .Add({});
}

ApiServer::~ApiServer() {
  stop();
  shared_->alive = false;
}

Router& ApiServer::router() { return shared_->router; }
void ApiServer::setActionObserver(ActionObserver observer) {
  shared_->observer = std::move(observer);
}
void ApiServer::setTls(TlsContextPtr tls) { shared_->tls = std::move(tls); }
void ApiServer::setTokens(TokenTable tokens) { shared_->tokens = std::move(tokens); }

Result<void> ApiServer::start() {
  std::vector<std::string> missing = shared_->router.undocumented(openApiDocument());
  if (!missing.empty()) {
    return Error(ErrorCode::Internal,
                 "api: route " + missing.front() + " is not described in mgmt/openapi.json");
  }
  const tcp::endpoint& ep = shared_->options.endpoint;
  std::string where = ep.address().to_string() + ":" + std::to_string(ep.port());
  beast::error_code ec;
  acceptor_.open(ep.protocol(), ec);
  if (!ec) {
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    acceptor_.bind(ep, ec);
  }
  if (!ec) {
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return Error(ErrorCode::Unavailable, "api: cannot listen on " + where + ": " + ec.message());
  }
  accept();
  return {};
}

void ApiServer::accept() {
  acceptor_.async_accept([this, shared = shared_](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
      return;
    }
    if (!ec) {
      if (shared->open.size() >= shared->options.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);  // over the cap: refuse rather than queue
      } else {
        std::make_shared<ApiConnection>(std::move(socket), shared)->start();
      }
    }
    accept();
  });
}

void ApiServer::stop() {
  beast::error_code ignored;
  acceptor_.close(ignored);
  std::set<ApiConnection*> open = shared_->open;
  for (ApiConnection* c : open) {
    c->close();
  }
}

uint16_t ApiServer::port() const {
  beast::error_code ec;
  tcp::endpoint ep = acceptor_.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

}  // namespace rampart::mgmt
