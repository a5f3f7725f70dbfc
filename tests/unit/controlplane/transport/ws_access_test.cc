// ws_access: Origin allow-list, `sip` subprotocol, token extraction, and JWT verification with
// tokens minted here by libjwt and keys generated here by OpenSSL.
#include "transport/ws_access.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_keys.h"

namespace rampart::cp {
namespace {

using platform::JwtAlg;
using testing::mintToken;

constexpr int64_t kNow = 1'700'000'000;
const std::string kSecret = "0123456789abcdef0123456789abcdef-lab-secret";

// Claims valid at kNow for issuer "rampart-test", audience "rampart", subject alice.
std::string claims(const std::string& extra = "", int64_t exp = kNow + 600,
                   int64_t iat = kNow - 10) {
  std::string c =
      R"({"iss":"rampart-test","aud":"rampart","sub":"alice","exp":)" + std::to_string(exp);
  if (iat != 0) {
    c += R"(,"iat":)" + std::to_string(iat);
  }
  if (!extra.empty()) {
    c += "," + extra;
  }
  return c + "}";
}

class JwtTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new testing::KeyPairPem(testing::makeRsaKey());
    ec_ = new testing::KeyPairPem(testing::makeEcKey());
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete ec_;
  }
  void SetUp() override {
    policy_.issuer = "rampart-test";
    policy_.audience = "rampart";
    policy_.max_lifetime_s = 3600;
    policy_.leeway_s = 30;
    policy_.keys = {{"hs", JwtAlg::Hs256, kSecret},
                    {"rs", JwtAlg::Rs256, rsa_->public_pem},
                    {"es", JwtAlg::Es256, ec_->public_pem}};
  }

  Result<ConnectionAuth> verify(const std::string& token, JwtReject* why,
                                int64_t now = kNow) const {
    return verifyJwt(policy_, token, now, why);
  }

  // Expects a refusal for `want`, with the reason in the message too.
  void expectRefused(const std::string& token, JwtReject want, int64_t now = kNow) const {
    JwtReject why = JwtReject::Missing;
    Result<ConnectionAuth> r = verify(token, &why, now);
    ASSERT_FALSE(r.ok()) << "accepted: " << token;
    EXPECT_EQ(why, want) << jwtRejectName(why) << " / " << r.error().message;
    EXPECT_EQ(r.error().code, ErrorCode::Unauthenticated);
    EXPECT_NE(r.error().message.find(jwtRejectName(want)), std::string::npos) << r.error().message;
  }

  static testing::KeyPairPem* rsa_;
  static testing::KeyPairPem* ec_;
  JwtPolicy policy_;
};

testing::KeyPairPem* JwtTest::rsa_ = nullptr;
testing::KeyPairPem* JwtTest::ec_ = nullptr;

TEST_F(JwtTest, Hs256Accepted) {
  JwtReject why = JwtReject::Missing;
  Result<ConnectionAuth> r = verify(mintToken("HS256", kSecret, "hs", claims()), &why);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->subject, "alice");
  EXPECT_TRUE(r->may_register);
  EXPECT_TRUE(r->may_call);
  EXPECT_EQ(r->expires_unix_s, kNow + 600 + 30);  // exp + leeway, as at the upgrade
}

TEST_F(JwtTest, Rs256Accepted) {
  Result<ConnectionAuth> r = verify(mintToken("RS256", rsa_->private_pem, "rs", claims()), nullptr);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->subject, "alice");
}

TEST_F(JwtTest, Es256Accepted) {
  Result<ConnectionAuth> r = verify(mintToken("ES256", ec_->private_pem, "es", claims()), nullptr);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->subject, "alice");
}

TEST_F(JwtTest, AudienceArrayAccepted) {
  std::string c = R"({"iss":"rampart-test","aud":["other","rampart"],"sub":"bob","exp":)" +
                  std::to_string(kNow + 60) + "}";
  Result<ConnectionAuth> r = verify(mintToken("HS256", kSecret, "hs", c), nullptr);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->subject, "bob");
}

TEST_F(JwtTest, SingleKeyNeedsNoKid) {
  policy_.keys.resize(1);
  EXPECT_TRUE(verify(mintToken("HS256", kSecret, "", claims()), nullptr).ok());
  policy_.keys.push_back({"hs2", JwtAlg::Hs256, kSecret + "2"});
  expectRefused(mintToken("HS256", kSecret, "", claims()), JwtReject::UnknownKid);
}

TEST_F(JwtTest, Missing) { expectRefused("", JwtReject::Missing); }

TEST_F(JwtTest, Malformed) {
  for (const char* bad :
       {"abc", "a.b", "a.b.c.d", "!!!.???.###", "e30.e30", "bm90IGpzb24.e30.c2ln"}) {
    expectRefused(bad, JwtReject::Malformed);
  }
  expectRefused(std::string(kMaxTokenBytes + 1, 'a'), JwtReject::Malformed);
  // Signed properly but without the claims every token must carry.
  expectRefused(
      mintToken("HS256", kSecret, "hs", R"({"iss":"rampart-test","aud":"rampart","sub":"a"})"),
      JwtReject::Malformed);  // no exp
  expectRefused(mintToken("HS256", kSecret, "hs",
                          R"({"iss":"rampart-test","aud":"rampart","exp":)" +
                              std::to_string(kNow + 60) + "}"),
                JwtReject::Malformed);  // no sub
  expectRefused(mintToken("HS256", kSecret, "hs", claims(R"("scope":["call"])")),
                JwtReject::Malformed);
}

TEST_F(JwtTest, Expired) {
  expectRefused(mintToken("HS256", kSecret, "hs", claims("", kNow - 31, kNow - 100)),
                JwtReject::Expired);
  // Within the leeway it still passes.
  EXPECT_TRUE(
      verify(mintToken("HS256", kSecret, "hs", claims("", kNow - 29, kNow - 100)), nullptr).ok());
}

TEST_F(JwtTest, NotYetValid) {
  expectRefused(mintToken("HS256", kSecret, "hs", claims(R"("nbf":)" + std::to_string(kNow + 120))),
                JwtReject::NotYetValid);
  EXPECT_TRUE(
      verify(mintToken("HS256", kSecret, "hs", claims(R"("nbf":)" + std::to_string(kNow + 20))),
             nullptr)
          .ok());
  expectRefused(mintToken("HS256", kSecret, "hs", claims("", kNow + 600, kNow + 300)),
                JwtReject::NotYetValid);  // issued in the future
}

TEST_F(JwtTest, ForgedSignature) {
  expectRefused(mintToken("HS256", "another-secret-of-thirty-two-bytes!!", "hs", claims()),
                JwtReject::BadSignature);
  testing::KeyPairPem other = testing::makeRsaKey();
  expectRefused(mintToken("RS256", other.private_pem, "rs", claims()), JwtReject::BadSignature);
  testing::KeyPairPem other_ec = testing::makeEcKey();
  expectRefused(mintToken("ES256", other_ec.private_pem, "es", claims()), JwtReject::BadSignature);
  // A valid token whose payload was swapped for another subject's.
  std::string good = mintToken("HS256", kSecret, "hs", claims());
  std::string evil = mintToken("HS256", kSecret, "hs",
                               R"({"iss":"rampart-test","aud":"rampart","sub":"root","exp":)" +
                                   std::to_string(kNow + 600) + "}");
  std::size_t d1 = good.find('.');
  std::size_t d2 = good.rfind('.');
  std::size_t e1 = evil.find('.');
  std::size_t e2 = evil.rfind('.');
  std::string spliced = good.substr(0, d1 + 1) + evil.substr(e1 + 1, e2 - e1 - 1) + good.substr(d2);
  expectRefused(spliced, JwtReject::BadSignature);
  expectRefused(good.substr(0, d2 + 1), JwtReject::BadSignature);  // signature stripped
}

TEST_F(JwtTest, WrongAudience) {
  std::string c = R"({"iss":"rampart-test","aud":"someone-else","sub":"a","exp":)" +
                  std::to_string(kNow + 60) + "}";
  expectRefused(mintToken("HS256", kSecret, "hs", c), JwtReject::WrongAudience);
  c = R"({"iss":"rampart-test","aud":["x","y"],"sub":"a","exp":)" + std::to_string(kNow + 60) + "}";
  expectRefused(mintToken("HS256", kSecret, "hs", c), JwtReject::WrongAudience);
  c = R"({"iss":"rampart-test","sub":"a","exp":)" + std::to_string(kNow + 60) + "}";
  expectRefused(mintToken("HS256", kSecret, "hs", c), JwtReject::WrongAudience);
}

TEST_F(JwtTest, WrongIssuer) {
  std::string c =
      R"({"iss":"evil","aud":"rampart","sub":"a","exp":)" + std::to_string(kNow + 60) + "}";
  expectRefused(mintToken("HS256", kSecret, "hs", c), JwtReject::WrongIssuer);
  c = R"({"aud":"rampart","sub":"a","exp":)" + std::to_string(kNow + 60) + "}";
  expectRefused(mintToken("HS256", kSecret, "hs", c), JwtReject::WrongIssuer);
}

TEST_F(JwtTest, AlgNoneRefused) {
  std::string none = mintToken("none", "", "hs", claims());
  ASSERT_EQ(none.back(), '.');  // header.payload. with no signature
  expectRefused(none, JwtReject::AlgRefused);
  policy_.keys.resize(1);
  expectRefused(mintToken("none", "", "", claims()), JwtReject::AlgRefused);
}

TEST_F(JwtTest, Hs256WithRsaPublicKeyRefused) {
  // The classic confusion: the attacker knows the RSA public key and uses its PEM text as an
  // HMAC secret, naming the RSA key's kid.
  expectRefused(mintToken("HS256", rsa_->public_pem, "rs", claims()), JwtReject::AlgRefused);
  expectRefused(mintToken("RS256", rsa_->private_pem, "es", claims()), JwtReject::AlgRefused);
}

TEST_F(JwtTest, UnknownKid) {
  expectRefused(mintToken("HS256", kSecret, "nope", claims()), JwtReject::UnknownKid);
  expectRefused(mintToken("HS256", kSecret, "", claims()), JwtReject::UnknownKid);
}

TEST_F(JwtTest, LifetimeTooLong) {
  expectRefused(mintToken("HS256", kSecret, "hs", claims("", kNow + 3000, kNow - 1000)),
                JwtReject::LifetimeTooLong);
  // Without iat the remaining lifetime counts.
  expectRefused(mintToken("HS256", kSecret, "hs", claims("", kNow + 7200, 0)),
                JwtReject::LifetimeTooLong);
  EXPECT_TRUE(verify(mintToken("HS256", kSecret, "hs", claims("", kNow + 3500, 0)), nullptr).ok());
}

TEST_F(JwtTest, ScopeLimits) {
  Result<ConnectionAuth> r =
      verify(mintToken("HS256", kSecret, "hs", claims(R"("scope":"register")")), nullptr);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->may_register);
  EXPECT_FALSE(r->may_call);
  r = verify(mintToken("HS256", kSecret, "hs", claims(R"("scope":"call")")), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->may_register);
  EXPECT_TRUE(r->may_call);
  r = verify(mintToken("HS256", kSecret, "hs", claims(R"("scope":"openid register call")")),
             nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->may_register);
  EXPECT_TRUE(r->may_call);
  r = verify(mintToken("HS256", kSecret, "hs", claims(R"("scope":"")")), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->may_register);
  EXPECT_FALSE(r->may_call);
}

TEST(JwtNames, EveryReasonHasALabel) {
  for (std::size_t i = 0; i < kJwtRejectCount; ++i) {
    EXPECT_STRNE(jwtRejectName(static_cast<JwtReject>(i)), "unknown");
  }
  EXPECT_STREQ(jwtRejectName(JwtReject::LifetimeTooLong), "lifetime_too_long");
  for (std::size_t i = 0; i < kRefuseReasonCount; ++i) {
    EXPECT_STRNE(refuseReasonName(static_cast<RefuseReason>(i)), "unknown");
  }
  EXPECT_STREQ(refuseReasonName(RefuseReason::SendQueue), "send_queue");
}

// --- Origin, subprotocol, token location
// ----------------------------------------------------------

TEST(Origin, Normalise) {
  EXPECT_EQ(normaliseOrigin("https://App.Example.COM"), "https://app.example.com:443");
  EXPECT_EQ(normaliseOrigin("HTTP://localhost:8080"), "http://localhost:8080");
  EXPECT_EQ(normaliseOrigin("http://[::1]:3000"), "http://[::1]:3000");
  EXPECT_EQ(normaliseOrigin("https://a.b:0443"), "https://a.b:443");
  for (const char* bad :
       {"", "null", "https://", "https://a.com/", "https://a.com/path", "https://user@a.com",
        "https://a.com:", "https://a.com:99999", "https://a.com:x", "https://a com", "://a.com",
        "https://[::1", "https://a.com?x"}) {
    EXPECT_FALSE(normaliseOrigin(bad).has_value()) << bad;
  }
}

TEST(Origin, AllowList) {
  std::vector<std::string> none;
  EXPECT_TRUE(originAllowed(std::nullopt, none));
  EXPECT_TRUE(originAllowed("https://anything.example", none));
  std::vector<std::string> list = {"https://app.example.com", "http://localhost:8080"};
  EXPECT_TRUE(originAllowed("https://app.example.com", list));
  EXPECT_TRUE(originAllowed("https://APP.example.com", list));
  EXPECT_TRUE(originAllowed("https://app.example.com:443", list));
  EXPECT_TRUE(originAllowed("http://localhost:8080", list));
  EXPECT_FALSE(originAllowed(std::nullopt, list));
  EXPECT_FALSE(originAllowed("null", list));
  EXPECT_FALSE(originAllowed("http://app.example.com", list));        // scheme
  EXPECT_FALSE(originAllowed("https://app.example.com:8443", list));  // port
  EXPECT_FALSE(originAllowed("https://evil-app.example.com", list));
  EXPECT_FALSE(originAllowed("https://app.example.com.evil.net", list));
  EXPECT_FALSE(originAllowed("http://localhost", list));
}

TEST(Subprotocol, OffersSip) {
  EXPECT_TRUE(offersSipSubprotocol("sip"));
  EXPECT_TRUE(offersSipSubprotocol("chat, sip"));
  EXPECT_TRUE(offersSipSubprotocol(" sip ,xmpp"));
  EXPECT_FALSE(offersSipSubprotocol(""));
  EXPECT_FALSE(offersSipSubprotocol("sips"));
  EXPECT_FALSE(offersSipSubprotocol("xsip, chat"));
  EXPECT_FALSE(offersSipSubprotocol(","));
}

TEST(Token, FromHeaderOrQuery) {
  EXPECT_EQ(extractToken("Bearer abc.def.ghi", "/"), "abc.def.ghi");
  EXPECT_EQ(extractToken("bearer   abc ", "/"), "abc");
  EXPECT_EQ(extractToken(std::nullopt, "/ws?token=abc.def.ghi"), "abc.def.ghi");
  EXPECT_EQ(extractToken(std::nullopt, "/ws?x=1&token=a%2Eb&y=2"), "a.b");
  EXPECT_EQ(extractToken("Basic dXNlcjpwYXNz", "/ws?token=q"), "q");
  EXPECT_EQ(extractToken("Bearer h", "/ws?token=q"), "h");  // the header wins
  EXPECT_EQ(extractToken(std::nullopt, "/ws"), "");
  EXPECT_EQ(extractToken(std::nullopt, "/ws?tokens=a&xtoken=b"), "");
  EXPECT_EQ(extractToken(std::nullopt, "/ws?token=a#frag"), "a");
  EXPECT_EQ(extractToken(std::nullopt, "/ws?token=%"), "%");
}

// --- the whole decision -------------------------------------------------------------------------

TEST(Decide, OrderAndStatus) {
  WsAccessPolicy p;
  p.allowed_origins = {"https://app.example.com"};
  p.jwt_required = true;
  p.jwt.issuer = "rampart-test";
  p.jwt.audience = "rampart";
  p.jwt.max_lifetime_s = 3600;
  p.jwt.keys = {{"hs", JwtAlg::Hs256, kSecret}};
  std::string token = mintToken("HS256", kSecret, "hs", claims(R"("scope":"call")"));
  std::string target = "/ws?token=" + token;

  UpgradeRequest good;
  good.is_websocket_upgrade = true;
  good.origin = "https://app.example.com";
  good.target = target;
  good.subprotocols = "sip";
  UpgradeDecision d = decideUpgrade(p, good, kNow);
  EXPECT_EQ(d.status, 101u) << d.detail;
  ASSERT_TRUE(d.auth.has_value());
  EXPECT_EQ(d.auth->subject, "alice");
  EXPECT_FALSE(d.auth->may_register);

  UpgradeRequest r = good;
  r.is_websocket_upgrade = false;
  EXPECT_EQ(decideUpgrade(p, r, kNow).status, 400u);
  EXPECT_EQ(decideUpgrade(p, r, kNow).refused, RefuseReason::BadRequest);

  r = good;
  r.origin = "https://evil.example.com";
  d = decideUpgrade(p, r, kNow);
  EXPECT_EQ(d.status, 403u);
  EXPECT_EQ(d.refused, RefuseReason::Origin);

  r = good;
  r.subprotocols = "chat";
  d = decideUpgrade(p, r, kNow);
  EXPECT_EQ(d.status, 400u);
  EXPECT_EQ(d.refused, RefuseReason::Subprotocol);

  r = good;
  r.target = "/ws";
  d = decideUpgrade(p, r, kNow);
  EXPECT_EQ(d.status, 401u);
  EXPECT_EQ(d.refused, RefuseReason::Jwt);
  EXPECT_EQ(d.jwt_reject, JwtReject::Missing);

  d = decideUpgrade(p, good, kNow + 7200);
  EXPECT_EQ(d.status, 401u);
  EXPECT_EQ(d.jwt_reject, JwtReject::Expired);

  // A realm without a token requirement ignores tokens and carries no auth.
  p.jwt_required = false;
  r = good;
  r.target = "/ws";
  d = decideUpgrade(p, r, kNow);
  EXPECT_EQ(d.status, 101u);
  EXPECT_FALSE(d.auth.has_value());
}

}  // namespace
}  // namespace rampart::cp
