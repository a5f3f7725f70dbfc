// The management API core as a client sees it: a real HTTPS server on loopback (a self-signed
// certificate made here), a real TLS client, tokens checked by role, unknown routes and
// methods, the OpenAPI document served and matching the route table.
#include <gtest/gtest.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <thread>

#include <prometheus/registry.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <rampart/mgmt/api_auth.h>
#include <rampart/mgmt/api_core_routes.h>
#include <rampart/mgmt/api_server.h>

namespace rampart::mgmt {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

// A throwaway P-256 certificate for 127.0.0.1.
std::shared_ptr<asio::ssl::context> selfSignedContext() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX_use_certificate(ctx->native_handle(), cert);
  SSL_CTX_use_PrivateKey(ctx->native_handle(), key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ctx;
}

struct Reply {
  unsigned status = 0;
  nlohmann::json body;
  std::string allow;
  std::string www_authenticate;
};

// One request over a fresh TLS connection (certificate not verified: a test key).
Reply request(uint16_t port, http::verb verb, const std::string& target, const std::string& token,
              const std::string& body = "") {
  asio::io_context io;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  asio::ssl::stream<asio::ip::tcp::socket> s(io, ctx);
  s.lowest_layer().connect({asio::ip::make_address("127.0.0.1"), port});
  s.handshake(asio::ssl::stream_base::client);
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!token.empty()) {
    req.set(http::field::authorization, "Bearer " + token);
  }
  req.body() = body;
  req.prepare_payload();
  http::write(s, req);
  boost::beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(s, buf, res);
  Reply r;
  r.status = res.result_int();
  r.body = nlohmann::json::parse(res.body(), nullptr, false);
  r.allow = std::string(res[http::field::allow]);
  r.www_authenticate = std::string(res[http::field::www_authenticate]);
  return r;
}

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<platform::ApiToken> tokens = {
        {"v", platform::ApiRole::Viewer, sha256Hex("viewer-token")},
        {"o", platform::ApiRole::Operator, sha256Hex("operator-token")},
        {"a", platform::ApiRole::Admin, sha256Hex("admin-token")}};
    ApiServerOptions opts;
    opts.endpoint = {asio::ip::make_address("127.0.0.1"), 0};
    server_ =
        std::make_unique<ApiServer>(io_, opts, selfSignedContext(), TokenTable(tokens), registry_);
    addCoreRoutes(server_->router(), CoreInfo{"test", "node1", nullptr});
    server_->setActionObserver([this](const ApiRequest& q, const ApiResponse& r) {
      actions_.push_back(q.method + " " + q.path + " " + q.principal + " " +
                         std::to_string(r.status));
    });
    ASSERT_TRUE(server_->start().ok());
    port_ = server_->port();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    asio::post(io_, [this] { server_->stop(); });
    io_.stop();
    thread_.join();
  }

  asio::io_context io_;
  prometheus::Registry registry_;
  std::unique_ptr<ApiServer> server_;
  std::vector<std::string> actions_;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(ApiServerTest, HealthNeedsNoToken) {
  Reply r = request(port_, http::verb::get, "/api/v1/health", "");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body["status"], "ok");
  EXPECT_EQ(request(port_, http::verb::get, "/api/v1/ready", "").status, 200u);
}

TEST_F(ApiServerTest, TokensAreChecked) {
  Reply none = request(port_, http::verb::get, "/api/v1/version", "");
  EXPECT_EQ(none.status, 401u);
  EXPECT_EQ(none.body["error"], "unauthenticated");
  EXPECT_NE(none.www_authenticate.find("Bearer"), std::string::npos);
  EXPECT_EQ(request(port_, http::verb::get, "/api/v1/version", "wrong").status, 401u);
  Reply ok = request(port_, http::verb::get, "/api/v1/version", "viewer-token");
  EXPECT_EQ(ok.status, 200u);
  EXPECT_EQ(ok.body["node"], "node1");
  EXPECT_FALSE(ok.body["version"].get<std::string>().empty());
}

TEST_F(ApiServerTest, RolesAreOrdered) {
  server_->router().add(
      {"POST", "/api/v1/things/{id}/poke", Role::Operator,
       [](const ApiRequest& q, Respond done) {
         done(ApiResponse::json(200, {{"poked", q.params.at("id")}, {"by", q.principal}}));
       },
       "test"});
  const std::string t = "/api/v1/things/a%20b/poke";
  EXPECT_EQ(request(port_, http::verb::post, t, "").status, 401u);
  Reply v = request(port_, http::verb::post, t, "viewer-token");
  EXPECT_EQ(v.status, 403u);
  EXPECT_NE(v.body["message"].get<std::string>().find("needs role operator"), std::string::npos);
  Reply o = request(port_, http::verb::post, t, "operator-token");
  EXPECT_EQ(o.status, 200u);
  EXPECT_EQ(o.body["poked"], "a b");
  EXPECT_EQ(o.body["by"], "o");
  EXPECT_EQ(request(port_, http::verb::post, t, "admin-token").status, 200u);
  // Every non-GET answer is seen by the audit observer, refusals too.
  ASSERT_EQ(actions_.size(), 4u);
  EXPECT_EQ(actions_[1], "POST /api/v1/things/a%20b/poke v 403");
  EXPECT_EQ(actions_[2], "POST /api/v1/things/a%20b/poke o 200");
}

TEST_F(ApiServerTest, UnknownRoutesAndMethods) {
  Reply r = request(port_, http::verb::get, "/api/v1/nothing", "admin-token");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.body["error"], "no_route");
  Reply m = request(port_, http::verb::delete_, "/api/v1/health", "admin-token");
  EXPECT_EQ(m.status, 405u);
  EXPECT_EQ(m.allow, "GET");
  EXPECT_EQ(request(port_, http::verb::get, "/api/v1/version?x=%zz", "admin-token").status, 400u);
}

TEST_F(ApiServerTest, ServesItsOpenApiDocument) {
  Reply r = request(port_, http::verb::get, "/api/v1/openapi.json", "viewer-token");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.body["openapi"].get<std::string>().substr(0, 2), "3.");
  EXPECT_TRUE(r.body["paths"].contains("/api/v1/health"));
}

TEST(ApiRouter, UndocumentedRoutesAreFound) {
  Router router;
  addCoreRoutes(router, CoreInfo{});
  EXPECT_TRUE(router.undocumented(openApiDocument()).empty());
  router.add({"GET", "/api/v1/secret", Role::Admin, nullptr, ""});
  std::vector<std::string> missing = router.undocumented(openApiDocument());
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0], "GET /api/v1/secret");
}

TEST(ApiAuth, BearerAndHashes) {
  EXPECT_EQ(bearerToken("Bearer abc"), "abc");
  EXPECT_EQ(bearerToken("bearer  abc "), "abc");
  EXPECT_EQ(bearerToken("Basic abc"), "");
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  TokenTable t({{"x", platform::ApiRole::Operator, sha256Hex("abc")}});
  ASSERT_TRUE(t.find("abc").has_value());
  EXPECT_EQ(t.find("abc")->role, Role::Operator);
  EXPECT_FALSE(t.find("abd").has_value());
  EXPECT_FALSE(t.find("").has_value());
}

}  // namespace
}  // namespace rampart::mgmt
