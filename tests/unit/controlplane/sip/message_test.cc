// sip::Message: what sofia-sip parses is carried into the model; malformed requests get a
// reason that names the problem; what we serialise parses back to the same fields.
#include <gtest/gtest.h>

#include "sip/message.h"

namespace rampart::cp::sip {
namespace {

std::string invite(const std::string& extra = "", const std::string& via = "") {
  std::string body = "v=0\r\n";
  return "INVITE sip:600@pbx.lab SIP/2.0\r\n" +
         (via.empty() ? "Via: SIP/2.0/UDP 198.18.1.2:5060;branch=z9hG4bK1;rport\r\n" : via) +
         "Max-Forwards: 70\r\nFrom: \"Al\" <sip:alice@pbx.lab>;tag=abc\r\n"
         "To: <sip:600@pbx.lab>\r\nCall-ID: xyz@host\r\nCSeq: 7 INVITE\r\n"
         "Contact: <sip:a@x.invalid;transport=ws>;+sip.instance=\"<urn:uuid:1>\"\r\n"
         "Record-Route: <sip:1.2.3.4;lr>, <sip:5.6.7.8;lr>\r\n" +
         extra + "Content-Type: application/sdp\r\nContent-Length: 5\r\n\r\n" + body;
}

TEST(SipMessage, ParsesWhatTheStackReads) {
  auto m = Message::parse(invite("X-Foo: bar\r\nAuthorization: Digest username=\"alice\"\r\n"));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_TRUE(m->request);
  EXPECT_EQ(m->method, "INVITE");
  EXPECT_EQ(m->request_uri.user, "600");
  EXPECT_EQ(m->request_uri.host, "pbx.lab");
  ASSERT_EQ(m->vias.size(), 1u);
  EXPECT_EQ(m->vias[0].transport, "UDP");
  EXPECT_EQ(m->vias[0].branch, "z9hG4bK1");
  EXPECT_TRUE(m->vias[0].rport);
  EXPECT_EQ(m->from.tag, "abc");
  EXPECT_EQ(m->from.display, "\"Al\"");
  EXPECT_EQ(m->call_id, "xyz@host");
  EXPECT_EQ(m->cseq, 7u);
  EXPECT_EQ(m->cseq_method, "INVITE");
  ASSERT_EQ(m->contacts.size(), 1u);
  EXPECT_EQ(m->contacts[0].uri.host, "x.invalid");
  EXPECT_EQ(m->contacts[0].uri.param("transport").value_or(""), "ws");
  EXPECT_EQ(m->record_route.size(), 2u);
  EXPECT_EQ(m->body, "v=0\r\n");
  EXPECT_EQ(m->header("x-foo").value_or(""), "bar");
  EXPECT_EQ(m->header("Authorization").value_or(""), "Digest username=\"alice\"");
  EXPECT_FALSE(m->header("Call-ID"));  // modelled headers live in their fields only
}

TEST(SipMessage, SerialisedMessageParsesBack) {
  auto m = Message::parse(invite("X-Foo: bar\r\n"));
  ASSERT_TRUE(m);
  auto again = Message::parse(m->serialize());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->call_id, m->call_id);
  EXPECT_EQ(again->vias[0].branch, m->vias[0].branch);
  EXPECT_EQ(again->record_route, m->record_route);
  EXPECT_EQ(again->body, m->body);
  EXPECT_EQ(again->header("X-Foo").value_or(""), "bar");
}

TEST(SipMessage, MalformedRequestsNameTheProblem) {
  Message partial;
  auto no_call_id = invite();
  no_call_id.replace(no_call_id.find("Call-ID: xyz@host\r\n"), 19, "");
  auto r = Message::parse(no_call_id);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Malformed);
  EXPECT_NE(r.error().message.find("Call-ID"), std::string::npos) << r.error().message;

  auto wrong_cseq = invite();
  wrong_cseq.replace(wrong_cseq.find("CSeq: 7 INVITE"), 14, "CSeq: 7 BYE");
  r = Message::parse(wrong_cseq, &partial);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("CSeq"), std::string::npos);
  EXPECT_EQ(partial.call_id, "xyz@host");  // enough left to answer 400

  EXPECT_FALSE(Message::parse(""));
  EXPECT_FALSE(Message::parse("\x01\x02garbage\r\n\r\n"));
  auto version = invite();
  version.replace(version.find("SIP/2.0\r\n"), 9, "SIP/3.0\r\n");
  r = Message::parse(version);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Unsupported);
}

// A second CSeq or Call-ID lands in sofia-sip's error list as a header of its own class; the
// parser once read it as an error header and crashed (found by cp_ws_frame_fuzz).
TEST(SipMessage, DuplicateSingleHeadersAreRefusedNotCrashedOn) {
  for (const char* dup : {"CSeq: 8 INVITE\r\n", "Call-ID: other@host\r\n"}) {
    auto twice = invite();
    twice.insert(twice.find("Content-Length"), dup);
    Message partial;
    auto r = Message::parse(twice, &partial);
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::Malformed) << dup;
      EXPECT_NE(r.error().message.find("header"), std::string::npos) << r.error().message;
    }
  }
}

TEST(SipMessage, ResponseCopiesTransactionHeaders) {
  auto m = Message::parse(invite());
  ASSERT_TRUE(m);
  Message r = makeResponse(*m, 486, "", "tag9");
  EXPECT_FALSE(r.request);
  EXPECT_EQ(r.reason, "Busy Here");
  EXPECT_EQ(r.to.tag, "tag9");
  EXPECT_EQ(r.vias.size(), 1u);
  EXPECT_EQ(r.cseq, 7u);
  auto text = r.serialize();
  EXPECT_EQ(text.rfind("SIP/2.0 486 Busy Here\r\n", 0), 0u);
  EXPECT_TRUE(Message::parse(text));
  // 100 Trying never carries a To tag (RFC 3261 8.2.6.2).
  EXPECT_TRUE(makeResponse(*m, 100, "", "t").to.tag.empty());
}

TEST(SipMessage, UriParsing) {
  auto u = parseUri("sip:bob@198.18.3.2:5070;transport=tcp;lr");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->user, "bob");
  EXPECT_EQ(u->host, "198.18.3.2");
  EXPECT_EQ(u->port, 5070);
  EXPECT_EQ(u->param("TRANSPORT").value_or(""), "tcp");
  EXPECT_EQ(u->param("lr").value_or("x"), "");
  EXPECT_EQ(u->str(), "sip:bob@198.18.3.2:5070;transport=tcp;lr");
  EXPECT_FALSE(parseUri("not a uri"));
  EXPECT_FALSE(parseUri("sip:a@host:99999"));
}

TEST(SipMessage, RandomTokensDiffer) {
  EXPECT_EQ(randomToken(16).size(), 16u);
  EXPECT_NE(randomToken(16), randomToken(16));
}

}  // namespace
}  // namespace rampart::cp::sip
