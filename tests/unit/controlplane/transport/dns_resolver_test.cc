// DnsResolver (c-ares on the Asio loop) and sip::Locator (RFC 3263) against a small DNS server
// in this process on 127.0.0.1: answers, TTL caching, shared in-flight queries, failures
// counted and not cached, timeouts; NAPTR -> SRV -> A with RFC 2782 order, the fallbacks.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include <prometheus/registry.h>
#include <boost/asio/ip/udp.hpp>

#include "sip/locator.h"
#include "transport/dns_resolver.h"

namespace rampart::cp {
namespace {

using boost::asio::ip::udp;

struct Record {
  uint16_t type;
  uint32_t ttl;
  std::string rdata;  // wire format
};

std::string wireName(const std::string& name) {
  std::string out;
  std::size_t start = 0;
  while (start < name.size()) {
    std::size_t dot = name.find('.', start);
    std::string label =
        name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    out += static_cast<char>(label.size()) + label;
    start = dot == std::string::npos ? name.size() : dot + 1;
  }
  return out + '\0';
}
std::string be16(uint16_t v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)}; }
std::string be32(uint32_t v) {
  return be16(static_cast<uint16_t>(v >> 16)) + be16(static_cast<uint16_t>(v));
}

Record a(const std::string& ip, uint32_t ttl = 60) {
  auto b = boost::asio::ip::make_address_v4(ip).to_bytes();
  return {1, ttl, std::string(b.begin(), b.end())};
}
Record srv(uint16_t prio, uint16_t weight, uint16_t port, const std::string& target) {
  return {33, 60, be16(prio) + be16(weight) + be16(port) + wireName(target)};
}
Record naptr(uint16_t order, uint16_t pref, const std::string& service, const std::string& repl) {
  return {35, 60,
          be16(order) + be16(pref) + "\x01s" + static_cast<char>(service.size()) + service +
              std::string(1, '\0') + wireName(repl)};
}

// Answers from `zone`; names in `servfail` get SERVFAIL, names in `silent` no answer at all;
// anything else NXDOMAIN. Counts the questions it got.
class FakeDns {
 public:
  explicit FakeDns(boost::asio::io_context& io) : socket_(io, udp::endpoint(udp::v4(), 0)) {
    receive();
  }
  std::string address() const {
    return "127.0.0.1:" + std::to_string(socket_.local_endpoint().port());
  }
  std::map<std::pair<std::string, uint16_t>, std::vector<Record>> zone;
  std::set<std::string> servfail;
  std::set<std::string> silent;
  std::map<std::string, int> asked;  // "name/type"

 private:
  void receive() {
    socket_.async_receive_from(boost::asio::buffer(buf_), from_, [this](auto ec, std::size_t n) {
      if (!ec) {
        answer(std::string(buf_.data(), n));
        receive();
      }
    });
  }
  void answer(const std::string& q) {
    std::string name;
    std::size_t pos = 12;
    while (pos < q.size() && q[pos] != 0) {
      int len = static_cast<unsigned char>(q[pos]);
      name += (name.empty() ? "" : ".") + q.substr(pos + 1, len);
      pos += 1 + len;
    }
    uint16_t type = static_cast<uint16_t>(static_cast<unsigned char>(q[pos + 1]) << 8 |
                                          static_cast<unsigned char>(q[pos + 2]));
    ++asked[name + "/" + std::to_string(type)];
    if (silent.count(name)) {
      return;
    }
    auto it = zone.find({name, type});
    bool known = false;
    for (const auto& [k, v] : zone) {
      known |= k.first == name;
    }
    uint16_t rcode = servfail.count(name) ? 2 : (it != zone.end() || known ? 0 : 3);
    const std::vector<Record> none;
    const auto& rr = it == zone.end() ? none : it->second;
    std::string out = q.substr(0, 2) + be16(0x8180 | rcode) + be16(1) +
                      be16(static_cast<uint16_t>(rr.size())) + be16(0) + be16(0) +
                      q.substr(12, pos + 5 - 12);
    for (const auto& r : rr) {
      out += std::string("\xc0\x0c", 2) + be16(r.type) + be16(1) + be32(r.ttl) +
             be16(static_cast<uint16_t>(r.rdata.size())) + r.rdata;
    }
    socket_.send_to(boost::asio::buffer(out), from_);
  }
  udp::socket socket_;
  std::array<char, 1500> buf_{};
  udp::endpoint from_;
};

class DnsTest : public ::testing::Test {
 protected:
  DnsTest() : dns_(io_), resolver_(io_, {dns_.address()}, registry_), locator_(resolver_) {
    EXPECT_TRUE(resolver_.start().ok());
  }
  DnsAnswer ask(DnsType t, const std::string& name) {
    DnsAnswer got;
    bool done = false;
    resolver_.query(t, name, [&](const DnsAnswer& a) {
      got = a;
      done = true;
    });
    io_.restart();
    for (int i = 0; i < 1000 && !done; ++i) {
      io_.run_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(done);
    return got;
  }
  std::vector<Destination> locate(const std::string& uri) {
    std::vector<Destination> got;
    bool done = false;
    locator_.locate(*sip::parseUri(uri), 1, [&](std::vector<Destination> d) {
      got = std::move(d);
      done = true;
    });
    io_.restart();
    for (int i = 0; i < 1000 && !done; ++i) {
      io_.run_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(done);
    return got;
  }
  double failures(const std::string& reason) {
    for (const auto& f : registry_.Collect()) {
      if (f.name == "rampart_cp_dns_failures_total") {
        for (const auto& m : f.metric) {
          if (m.label[0].value == reason) {
            return m.counter.value;
          }
        }
      }
    }
    return 0;
  }
  static std::string str(const Destination& d) {
    return std::string(platform::transportName(d.transport)) + ":" + d.address.to_string() + ":" +
           std::to_string(d.port);
  }

  boost::asio::io_context io_;
  prometheus::Registry registry_;
  FakeDns dns_;
  DnsResolver resolver_;
  sip::Locator locator_;
};

TEST_F(DnsTest, AnswersAreCachedForTheirTtl) {
  dns_.zone[{"pbx.rcg.test", 1}] = {a("198.18.3.2", 1), a("198.18.3.3", 60)};
  DnsAnswer first = ask(DnsType::A, "pbx.rcg.test");
  ASSERT_EQ(first.status, DnsStatus::Ok);
  ASSERT_EQ(first.addresses.size(), 2u);
  EXPECT_EQ(first.ttl_s, 1u);       // the smallest TTL of the set
  ask(DnsType::A, "PBX.rcg.test");  // names compare case-insensitively
  EXPECT_EQ(dns_.asked["pbx.rcg.test/1"], 1);
  io_.restart();
  io_.run_for(std::chrono::milliseconds(1100));
  ask(DnsType::A, "pbx.rcg.test");
  EXPECT_EQ(dns_.asked["pbx.rcg.test/1"], 2) << "expired after its 1 s TTL";
}

TEST_F(DnsTest, ConcurrentQueriesShareOneRequest) {
  dns_.zone[{"pbx.rcg.test", 1}] = {a("198.18.3.2")};
  int done = 0;
  for (int i = 0; i < 5; ++i) {
    resolver_.query(DnsType::A, "pbx.rcg.test",
                    [&](const DnsAnswer& x) { done += x.status == DnsStatus::Ok; });
  }
  for (int i = 0; i < 500 && done < 5; ++i) {
    io_.run_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(done, 5);
  EXPECT_EQ(dns_.asked["pbx.rcg.test/1"], 1);
}

TEST_F(DnsTest, FailuresAreCountedAndNotCached) {
  dns_.servfail.insert("broken.rcg.test");
  dns_.zone[{"other.rcg.test", 1}] = {a("198.18.3.9")};
  EXPECT_EQ(ask(DnsType::A, "broken.rcg.test").status, DnsStatus::Failure);
  EXPECT_EQ(failures("server_failure"), 1);
  ask(DnsType::A, "broken.rcg.test");
  EXPECT_EQ(failures("server_failure"), 2);
  // No such name / no such record: negative answers, cached, not failures.
  EXPECT_EQ(ask(DnsType::A, "nothing.rcg.test").status, DnsStatus::NoData);
  EXPECT_EQ(ask(DnsType::Aaaa, "other.rcg.test").status, DnsStatus::NoData);
  ask(DnsType::A, "nothing.rcg.test");
  EXPECT_EQ(dns_.asked["nothing.rcg.test/1"], 1);
}

TEST_F(DnsTest, TimeoutIsAFailure) {
  dns_.silent.insert("silent.rcg.test");
  DnsAnswer got = ask(DnsType::A, "silent.rcg.test");  // 2 tries of 1 s, then 2 s
  EXPECT_EQ(got.status, DnsStatus::Failure);
  EXPECT_EQ(failures("timeout"), 1);
}

TEST_F(DnsTest, NaptrThenSrvByPriorityThenAddresses) {
  dns_.zone[{"pbx.rcg.test", 35}] = {naptr(20, 10, "SIP+D2T", "_sip._tcp.pbx.rcg.test"),
                                     naptr(10, 10, "SIP+D2U", "_sip._udp.pbx.rcg.test"),
                                     naptr(5, 10, "E2U+sip", "ignored.rcg.test")};
  dns_.zone[{"_sip._udp.pbx.rcg.test", 33}] = {srv(20, 1, 5080, "b.rcg.test"),
                                               srv(10, 1, 5070, "a.rcg.test")};
  dns_.zone[{"_sip._tcp.pbx.rcg.test", 33}] = {srv(10, 1, 5090, "a.rcg.test")};
  dns_.zone[{"a.rcg.test", 1}] = {a("198.18.3.2")};
  dns_.zone[{"b.rcg.test", 1}] = {a("198.18.3.3"), a("198.18.3.4")};
  auto d = locate("sip:pbx.rcg.test");
  std::vector<std::string> got;
  for (const auto& x : d) {
    got.push_back(str(x));
    EXPECT_EQ(x.realm, 1u);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"udp:198.18.3.2:5070", "udp:198.18.3.3:5080",
                                           "udp:198.18.3.4:5080", "tcp:198.18.3.2:5090"}));
}

TEST_F(DnsTest, NoNaptrSrvOfTheFirstTransportThatHasSome) {
  dns_.zone[{"pbx.rcg.test", 1}] = {a("198.18.3.9")};
  dns_.zone[{"_sip._tcp.pbx.rcg.test", 33}] = {srv(1, 1, 5099, "a.rcg.test")};
  dns_.zone[{"a.rcg.test", 1}] = {a("198.18.3.2")};
  auto d = locate("sip:pbx.rcg.test");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(str(d[0]), "tcp:198.18.3.2:5099");
}

TEST_F(DnsTest, FallbacksAndExplicitPortOrTransport) {
  dns_.zone[{"pbx.rcg.test", 1}] = {a("198.18.3.9")};
  auto plain = locate("sip:pbx.rcg.test");  // no NAPTR, no SRV: A record, UDP 5060
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(str(plain[0]), "udp:198.18.3.9:5060");
  int srv_before = dns_.asked["_sip._udp.pbx.rcg.test/33"];
  auto port = locate("sip:pbx.rcg.test:5077;transport=tcp");  // port given: A only
  ASSERT_EQ(port.size(), 1u);
  EXPECT_EQ(str(port[0]), "tcp:198.18.3.9:5077");
  EXPECT_EQ(dns_.asked["_sip._udp.pbx.rcg.test/33"], srv_before);
  auto tls = locate("sips:pbx.rcg.test");  // TLS, 5061 when no SRV
  ASSERT_EQ(tls.size(), 1u);
  EXPECT_EQ(str(tls[0]), "tls:198.18.3.9:5061");
  auto literal = locate("sip:198.18.3.7:5062");
  ASSERT_EQ(literal.size(), 1u);
  EXPECT_EQ(str(literal[0]), "udp:198.18.3.7:5062");
}

TEST_F(DnsTest, NothingResolvedIsCountedAsNoAddress) {
  EXPECT_TRUE(locate("sip:nowhere.rcg.test").empty());
  EXPECT_EQ(failures("no_address"), 1);
}

TEST(DnsReply, MalformedRepliesAreRefused) {
  DnsAnswer a;
  const unsigned char shortReply[] = {0x12, 0x34, 0x81};
  EXPECT_FALSE(parseDnsReply(DnsType::A, shortReply, sizeof(shortReply), &a));
}

}  // namespace
}  // namespace rampart::cp
