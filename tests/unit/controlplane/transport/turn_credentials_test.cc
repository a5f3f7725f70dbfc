// TURN REST credentials as a browser and coturn see them: the use-auth-secret username and
// password (checked against an independent HMAC computation), CORS for allowed and refused
// origins, preflight, and the token requirement.
#include <gtest/gtest.h>

#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include <rampart/platform/base64.h>

#include "test_keys.h"
#include "transport/turn_credentials.h"

namespace rampart::cp {
namespace {

constexpr int64_t kNow = 1760000000;
const std::string kJwtSecret = "0123456789abcdef0123456789abcdef";

class TurnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    turn_.secret = "turn-shared-secret-for-tests";
    turn_.ttl_s = 600;
    turn_.uris = {"turn:198.18.1.1:3478?transport=udp"};
    access_.allowed_origins = {"https://phone.example"};
    access_.jwt.issuer = "iss";
    access_.jwt.audience = "aud";
    access_.jwt.keys = {{"k", platform::JwtAlg::Hs256, kJwtSecret}};
  }
  std::string token(const std::string& sub) const {
    nlohmann::json c = {
        {"iss", "iss"}, {"aud", "aud"}, {"sub", sub}, {"iat", kNow}, {"exp", kNow + 300}};
    return testing::mintToken("HS256", kJwtSecret, "k", c.dump());
  }
  static std::string header(const HttpAnswer& a, const std::string& name) {
    for (const auto& [k, v] : a.headers) {
      if (k == name) {
        return v;
      }
    }
    return "";
  }
  TurnOptions turn_;
  WsAccessPolicy access_;
};

TEST_F(TurnTest, CredentialIsCoturnsScheme) {
  auto [user, pass] = turnCredential("secret", 1700000000, "alice");
  EXPECT_EQ(user, "1700000000:alice");
  unsigned char mac[20];
  unsigned int len = 0;
  HMAC(EVP_sha1(), "secret", 6, reinterpret_cast<const unsigned char*>(user.data()), user.size(),
       mac, &len);
  EXPECT_EQ(pass, platform::base64Encode(mac, len));
}

TEST_F(TurnTest, AllowedOriginGetsCredentials) {
  std::string auth = "Bearer " + token("alice");
  HttpAnswer a = answerTurn(turn_, access_,
                            {"GET", "https://phone.example", auth, "/turn-credentials", {}}, kNow);
  ASSERT_EQ(a.status, 200u) << a.detail;
  EXPECT_EQ(header(a, "Access-Control-Allow-Origin"), "https://phone.example");
  EXPECT_EQ(header(a, "Vary"), "Origin");
  nlohmann::json j = nlohmann::json::parse(a.body);
  EXPECT_EQ(j["username"], std::to_string(kNow + 600) + ":alice");
  EXPECT_EQ(j["credential"], turnCredential(turn_.secret, kNow + 600, "alice").second);
  EXPECT_EQ(j["ttl"], 600);
  EXPECT_EQ(j["uris"][0], "turn:198.18.1.1:3478?transport=udp");
}

TEST_F(TurnTest, RefusalsGrantNothing) {
  std::string auth = "Bearer " + token("alice");
  HttpAnswer evil = answerTurn(
      turn_, access_, {"GET", "https://evil.example", auth, "/turn-credentials", {}}, kNow);
  EXPECT_EQ(evil.status, 403u);
  EXPECT_EQ(header(evil, "Access-Control-Allow-Origin"), "");
  HttpAnswer none = answerTurn(turn_, access_,
                               {"GET", "https://phone.example", {}, "/turn-credentials", {}}, kNow);
  EXPECT_EQ(none.status, 401u);
  EXPECT_EQ(none.body.find("credential"), std::string::npos);
  HttpAnswer expired =
      answerTurn(turn_, access_, {"GET", {}, auth, "/turn-credentials", {}}, kNow + 3600);
  EXPECT_EQ(expired.status, 401u);
  HttpAnswer post = answerTurn(
      turn_, access_, {"POST", "https://phone.example", auth, "/turn-credentials", {}}, kNow);
  EXPECT_EQ(post.status, 405u);
}

TEST_F(TurnTest, Preflight) {
  HttpAnswer ok = answerTurn(
      turn_, access_, {"OPTIONS", "https://phone.example", {}, "/turn-credentials", "GET"}, kNow);
  EXPECT_EQ(ok.status, 204u);
  EXPECT_EQ(header(ok, "Access-Control-Allow-Origin"), "https://phone.example");
  EXPECT_EQ(header(ok, "Access-Control-Allow-Headers"), "Authorization");
  HttpAnswer bad = answerTurn(
      turn_, access_, {"OPTIONS", "https://evil.example", {}, "/turn-credentials", "GET"}, kNow);
  EXPECT_EQ(bad.status, 403u);
  EXPECT_TRUE(isTurnRequest(turn_, "/turn-credentials?token=x"));
  EXPECT_FALSE(isTurnRequest(turn_, "/ws"));
}

}  // namespace
}  // namespace rampart::cp
