#include "flowctl/flowctl_args.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "flowctl/flowctl_output.h"
#include "media_peer/tool_util.h"

namespace rampart::tools {
namespace {

const std::string kKey30 = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk";

std::vector<std::string> addArgs() {
  return {"add",
          "--worker",
          "1",
          "--in-port",
          "0",
          "--in-local",
          "198.18.2.1:20000",
          "--in-remote",
          "198.18.2.2:40000",
          "--out-port",
          "1",
          "--out-local",
          "198.18.4.1:30000",
          "--out-remote",
          "198.18.4.2:50000"};
}

std::vector<std::string> with(std::vector<std::string> base, std::vector<std::string> more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

std::vector<std::string> without(std::vector<std::string> base, const std::string& opt) {
  for (std::size_t i = 0; i < base.size(); ++i) {
    if (base[i] == opt) {
      base.erase(base.begin() + static_cast<std::ptrdiff_t>(i),
                 base.begin() + static_cast<std::ptrdiff_t>(i + 2));
      break;
    }
  }
  return base;
}

TEST(FlowctlArgs, AddBuildsTheMessage) {
  auto r = parseFlowctlArgs(
      with(addArgs(), {"--dscp", "46", "--ssrc-rewrite", "0x1234", "--srtp-in",
                       "AES_CM_128_HMAC_SHA1_80:" + kKey30, "--out-rtcp-local", "30001",
                       "--out-rtcp-remote", "50001", "--rtcp-mux-in", "--cookie", "77"}));
  ASSERT_TRUE(r.args) << r.error;
  const abi::FlowAdd& f = r.args->add;
  EXPECT_EQ(r.args->command, FlowctlCommand::Add);
  EXPECT_EQ(r.args->worker, 1u);
  EXPECT_EQ(f.hdr.type, abi::MsgType::FlowAdd);
  EXPECT_EQ(f.hdr.size, sizeof(abi::FlowAdd));
  EXPECT_EQ(f.in_port, 0);
  EXPECT_EQ(f.out_port, 1);
  EXPECT_EQ(f.in_local.port, 20000);
  EXPECT_EQ(f.out_remote.port, 50000);
  const uint8_t want[4] = {198, 18, 4, 2};
  EXPECT_EQ(std::memcmp(f.out_remote.addr, want, 4), 0);
  EXPECT_EQ(f.dscp, 46);
  EXPECT_EQ(f.ssrc_rewrite, 0x1234u);
  EXPECT_EQ(f.srtp_in.suite, abi::SrtpSuite::AesCm128HmacSha1_80);
  EXPECT_EQ(f.srtp_in.key_len, 30);
  EXPECT_EQ(f.srtp_in.key[0], 'A');
  EXPECT_EQ(f.srtp_out.suite, abi::SrtpSuite::None);
  EXPECT_EQ(f.out_rtcp_local_port, 30001);
  EXPECT_EQ(f.out_rtcp_remote_port, 50001);
  EXPECT_EQ(f.flags, abi::kFlowRtcpMuxIn);
  EXPECT_EQ(f.cookie, 77u);
}

TEST(FlowctlArgs, LatchAndIpv6) {
  auto r = parseFlowctlArgs({"add", "--worker", "0", "--in-port", "0", "--in-local",
                             "[2001:2:0:2::1]:20000", "--in-remote", "[2001:2:0:2::2]:0", "--latch",
                             "--out-port", "1", "--out-local", "[2001:2:0:4::1]:30000",
                             "--out-remote", "[2001:2:0:4::2]:5000"});
  ASSERT_TRUE(r.args) << r.error;
  EXPECT_EQ(r.args->add.flags, abi::kFlowLatch | abi::kFlowIpv6 | abi::kFlowOutIpv6);
  EXPECT_EQ(r.args->add.in_remote.port, 0);
  EXPECT_EQ(r.args->add.in_local.addr[0], 0x20);
  EXPECT_EQ(endpointText(r.args->add.in_local, true), "[2001:2:0:2::1]:20000");
}

TEST(FlowctlArgs, FamiliesPerLegAndAbi11Fields) {
  auto r = parseFlowctlArgs({"add", "--worker", "0", "--in-port", "0", "--in-local",
                             "198.18.2.1:20000", "--in-remote", "198.18.2.2:4000", "--out-port",
                             "1", "--out-local", "[2001:2:0:4::1]:30000", "--out-remote",
                             "[2001:2:0:4::2]:5000", "--video", "--clock-rate", "48000"});
  ASSERT_TRUE(r.args) << r.error;
  EXPECT_EQ(r.args->add.flags, abi::kFlowOutIpv6 | abi::kFlowVideo);
  EXPECT_EQ(r.args->add.clock_rate, 48000u);
  // Without --dscp the dataplane applies the realm's value for the media kind.
  EXPECT_EQ(r.args->add.dscp, abi::kDscpRealmDefault);
  auto d = parseFlowctlArgs(with(addArgs(), {"--dscp", "default"}));
  ASSERT_TRUE(d.args) << d.error;
  EXPECT_EQ(d.args->add.dscp, abi::kDscpRealmDefault);
  EXPECT_EQ(flagsText(abi::kFlowIpv6 | abi::kFlowOutIpv6), "ipv6,out-ipv6");
}

struct BadCase {
  std::vector<std::string> args;
  const char* names;  // must appear in the error
};

TEST(FlowctlArgs, IceAndIceRemoteFlows) {
  auto ice = parseFlowctlArgs({"ice", "--worker", "1", "4294967297", "--local-ufrag", "rAmP",
                               "--local-pwd", "rampartIcePassword1234", "--remote-ufrag", "brWs",
                               "--paired", "8589934594", "--consent-timeout", "5"});
  ASSERT_TRUE(ice.args) << ice.error;
  EXPECT_EQ(ice.args->command, FlowctlCommand::Ice);
  const abi::FlowIce& m = ice.args->ice;
  EXPECT_EQ(m.hdr.type, abi::MsgType::FlowIce);
  EXPECT_EQ(m.hdr.flow, 4294967297ull);
  EXPECT_EQ(m.paired_flow, 8589934594ull);
  EXPECT_EQ(m.consent_timeout_s, 5);
  EXPECT_EQ(std::string(m.local_ufrag, m.local_ufrag_len), "rAmP");
  EXPECT_EQ(std::string(m.local_pwd, m.local_pwd_len), "rampartIcePassword1234");
  EXPECT_EQ(std::string(m.remote_ufrag, m.remote_ufrag_len), "brWs");
  // An ICE flow: remote learned from the checks, out_remote filled by the selection.
  auto add = parseFlowctlArgs(with(without(without(addArgs(), "--in-remote"), "--out-remote"),
                                   {"--in-remote", "198.18.2.2:0", "--out-remote", "198.18.4.2:0",
                                    "--ice-remote", "--await-keys"}));
  ASSERT_TRUE(add.args) << add.error;
  EXPECT_EQ(add.args->add.out_remote.port, 0);
  EXPECT_EQ(add.args->add.flags & abi::kFlowLatch, 0);
  EXPECT_NE(add.args->add.flags & abi::kFlowAwaitKeys, 0);
  const BadCase bad[] = {
      {{"ice", "--worker", "0", "7", "--local-pwd", "rampartIcePassword1234"}, "--local-ufrag"},
      {{"ice", "--worker", "0", "7", "--local-ufrag", "u"}, "--local-pwd"},
      {{"ice", "--worker", "0", "7", "--local-ufrag", "a:b"}, "--local-ufrag"},
      {{"ice", "--worker", "0", "7", "--local-ufrag", "u", "--local-pwd", "short"}, "--local-pwd"},
      {{"ice", "--local-ufrag", "u"}, "--worker"},
      {with(addArgs(), {"--paired", "3"}), "--paired"},
      {{"ice", "--worker", "0", "7", "--local-ufrag", "u", "--local-pwd", "rampartIcePassword1234",
        "--dscp", "4"},
       "--dscp"},
  };
  for (const auto& c : bad) {
    auto r = parseFlowctlArgs(c.args);
    EXPECT_FALSE(r.args) << c.names;
    EXPECT_NE(r.error.find(c.names), std::string::npos)
        << "want '" << c.names << "' in '" << r.error << "'";
  }
}

TEST(FlowctlArgs, OtherCommands) {
  auto hello = parseFlowctlArgs({"--shm", "/rampart-test", "hello"});
  ASSERT_TRUE(hello.args) << hello.error;
  EXPECT_EQ(hello.args->shm, "/rampart-test");
  auto del = parseFlowctlArgs({"del", "--worker", "0", "4294967297"});
  ASSERT_TRUE(del.args) << del.error;
  EXPECT_EQ(del.args->handle, 4294967297ull);
  auto list = parseFlowctlArgs({"list", "--json"});
  ASSERT_TRUE(list.args) << list.error;
  EXPECT_FALSE(list.args->worker);
  EXPECT_TRUE(list.args->json);
  auto query = parseFlowctlArgs({"query", "--worker", "2", "0x100000001"});
  ASSERT_TRUE(query.args) << query.error;
  EXPECT_EQ(query.args->handle, 0x100000001ull);
}

TEST(FlowctlArgs, ErrorsNameTheArgument) {
  const BadCase cases[] = {
      {with(without(addArgs(), "--in-local"), {"--in-local", "198.18.2.300:20000"}), "--in-local"},
      {with(without(addArgs(), "--out-remote"), {"--out-remote", "198.18.4.2"}), "--out-remote"},
      {with(without(addArgs(), "--out-remote"), {"--out-remote", "[2001:2::1]:5"}), "--out-remote"},
      {with(addArgs(), {"--srtp-in", "AES_CM_128_HMAC_SHA1_99:" + kKey30}), "--srtp-in"},
      {with(addArgs(), {"--srtp-out", "AEAD_AES_256_GCM:" + kKey30}), "--srtp-out"},
      {with(addArgs(), {"--srtp-out", "AES_CM_128_HMAC_SHA1_80:QUJD$$"}), "--srtp-out"},
      {with(addArgs(), {"--srtp-in", kKey30}), "--srtp-in"},
      {without(addArgs(), "--worker"), "--worker"},
      {without(addArgs(), "--in-port"), "--in-port"},
      {without(addArgs(), "--in-remote"), "--in-remote"},
      {without(addArgs(), "--out-port"), "--out-port"},
      {without(addArgs(), "--out-local"), "--out-local"},
      {without(addArgs(), "--out-remote"), "--out-remote"},
      {with(without(addArgs(), "--in-remote"), {"--in-remote", "198.18.2.2:0"}), "--in-remote"},
      {with(addArgs(), {"--out-rtcp-local", "30001"}), "--out-rtcp-remote"},
      {with(addArgs(), {"--dscp", "64"}), "--dscp"},
      {with(without(addArgs(), "--in-remote"), {"--in-remote", "[2001:2::2]:4000"}), "--in-remote"},
      {with(addArgs(), {"--clock-rate", "100"}), "--clock-rate"},
      {{"list", "--video"}, "--video"},
      {with(addArgs(), {"--ssrc-rewrite", "0x100000000"}), "--ssrc-rewrite"},
      {with(addArgs(), {"--worker", "99"}), "--worker"},
      {with(addArgs(), {"--cookie"}), "--cookie"},
      {with(addArgs(), {"--frobnicate", "1"}), "--frobnicate"},
      {{"del", "--worker", "0"}, "HANDLE"},
      {{"del", "--worker", "0", "abc"}, "HANDLE"},
      {{"query", "7"}, "--worker"},
      {{"list", "--dscp", "4"}, "--dscp"},
      {{"--shm", "rampart", "hello"}, "--shm"},
      {{"frob"}, "frob"},
      {{}, "command"},
  };
  for (const auto& c : cases) {
    auto r = parseFlowctlArgs(c.args);
    EXPECT_FALSE(r.args) << c.names;
    EXPECT_NE(r.error.find(c.names), std::string::npos)
        << "want '" << c.names << "' in '" << r.error << "'";
  }
}

TEST(FlowctlBatch, LinesInheritGlobalsAndOnlyAddOrDel) {
  FlowctlArgs global;
  global.shm = "/rampart-lab";
  global.timeout_ms = 777;
  std::string add_line;
  for (const auto& w : addArgs()) {
    add_line += w + " ";
  }
  auto a = parseBatchLine("  " + add_line + "--cookie 5\t\r", global);
  ASSERT_TRUE(a.args) << a.error;
  EXPECT_EQ(a.args->command, FlowctlCommand::Add);
  EXPECT_EQ(a.args->shm, "/rampart-lab");
  EXPECT_EQ(a.args->timeout_ms, 777u);
  EXPECT_EQ(a.args->add.cookie, 5u);
  auto d = parseBatchLine("del --worker 0 17", global);
  ASSERT_TRUE(d.args) << d.error;
  EXPECT_EQ(d.args->handle, 17u);
  for (const char* skip : {"", "   ", "# a comment", "#add --worker 0"}) {
    auto r = parseBatchLine(skip, global);
    EXPECT_FALSE(r.args) << skip;
    EXPECT_EQ(r.error, "") << skip;
  }
  EXPECT_NE(parseBatchLine("list", global).error.find("only add and del"), std::string::npos);
  EXPECT_NE(parseBatchLine("del --worker 0 1 --shm /x", global).error.find("--shm"),
            std::string::npos);
  EXPECT_NE(parseBatchLine(add_line + "--dscp 99", global).error.find("--dscp"), std::string::npos);
  EXPECT_TRUE(parseFlowctlArgs({"batch"}).args);
}

TEST(FlowctlStatus, EveryAbiErrorHasWords) {
  EXPECT_EQ(statusText(abi::kOk), "ok");
  EXPECT_NE(statusText(abi::kErrNoSpace).find("flow table full"), std::string::npos);
  EXPECT_NE(statusText(abi::kErrNeighFull).find("neighbour table full"), std::string::npos);
  EXPECT_NE(statusText(abi::kErrNoEnt).find("no such flow"), std::string::npos);
  EXPECT_NE(statusText(abi::kErrExist).find("exists"), std::string::npos);
  EXPECT_NE(statusText(abi::kErrInval).find("invalid"), std::string::npos);
  EXPECT_NE(statusText(abi::kErrNotSup).find("not supported"), std::string::npos);
  EXPECT_NE(statusText(abi::kErrProto).find("ABI"), std::string::npos);
  EXPECT_NE(statusText(abi::kErrMsgSize).find("short"), std::string::npos);
  EXPECT_EQ(statusText(-5), "error -5");
}

TEST(FlowctlOutput, JsonAndFlags) {
  WorkerFlow wf{};
  wf.worker = 1;
  wf.info.hdr.flow = abi::packHandle({3, 2});
  wf.info.flags = abi::kFlowLatch;
  wf.info.in_local.port = 20000;
  const uint8_t ip[4] = {198, 18, 2, 1};
  std::memcpy(wf.info.in_local.addr, ip, 4);
  wf.info.packets = 10;
  const std::string j = flowJson(wf);
  EXPECT_NE(j.find("\"index\":3,\"generation\":2"), std::string::npos) << j;
  EXPECT_NE(j.find("\"in_local\":\"198.18.2.1:20000\""), std::string::npos) << j;
  EXPECT_NE(j.find("\"flags\":\"latch\""), std::string::npos) << j;
  EXPECT_EQ(flagsText(0), "-");
}

}  // namespace
}  // namespace rampart::tools

namespace rampart::tools {
namespace {

TEST(FlowctlArgs, XcodeBuildsTheSetup) {
  auto p = parseFlowctlArgs({"xcode", "--worker", "0", "42", "--from", "opus:111", "--to",
                             "pcmu:0:40", "--from-dtmf", "110", "--to-dtmf", "101", "--out-ssrc",
                             "4660", "--opus-fec", "--bitrate", "24"});
  ASSERT_TRUE(p.args) << p.error;
  const abi::XcodeSetup& x = p.args->xcode;
  EXPECT_EQ(p.args->command, FlowctlCommand::Xcode);
  EXPECT_EQ(x.hdr.type, abi::MsgType::XcodeSetup);
  EXPECT_EQ(x.hdr.flow, 42u);
  EXPECT_EQ(x.from.codec, abi::XcodeCodecId::Opus);
  EXPECT_EQ(x.from.payload_type, 111);
  EXPECT_EQ(x.from.clock_rate, 48000u);
  EXPECT_EQ(x.from.dtmf_pt, 110);
  EXPECT_EQ(x.from.opus_flags & abi::kXcOpusFec, abi::kXcOpusFec);
  EXPECT_EQ(x.to.codec, abi::XcodeCodecId::Pcmu);
  EXPECT_EQ(x.to.ptime_ms, 40);
  EXPECT_EQ(x.to.clock_rate, 8000u);
  EXPECT_EQ(x.to.dtmf_pt, 101);
  EXPECT_EQ(x.out_ssrc, 4660u);
  EXPECT_EQ(x.to.bitrate_kbps, 24);
}

TEST(FlowctlArgs, XcodeRefusesBadCodecsNamingTheOption) {
  auto bad =
      parseFlowctlArgs({"xcode", "--worker", "0", "42", "--from", "speex:97", "--to", "pcmu:0"});
  EXPECT_FALSE(bad.args);
  EXPECT_NE(bad.error.find("--from"), std::string::npos) << bad.error;
  auto nopt =
      parseFlowctlArgs({"xcode", "--worker", "0", "42", "--from", "opus", "--to", "pcmu:0"});
  EXPECT_FALSE(nopt.args);
  auto noto = parseFlowctlArgs({"xcode", "--worker", "0", "42", "--from", "opus:111"});
  EXPECT_NE(noto.error.find("--to"), std::string::npos) << noto.error;
  auto stop = parseFlowctlArgs({"xcode", "--worker", "0", "42", "--from", "none"});
  ASSERT_TRUE(stop.args) << stop.error;
  EXPECT_EQ(stop.args->xcode.from.codec, abi::XcodeCodecId::None);
  auto misplaced = parseFlowctlArgs({"list", "--from", "opus:111"});
  EXPECT_NE(misplaced.error.find("only valid for xcode"), std::string::npos) << misplaced.error;
}

}  // namespace
}  // namespace rampart::tools
