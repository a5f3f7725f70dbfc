// Configuration loader: the lab file and a valid base load; each invalid variant is rejected
// with the right key path, reason and line; all errors of a file are reported together.
#include <rampart/platform/config.h>

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace rampart::platform {
namespace {

namespace fs = std::filesystem;

// Block style so each invalid case below can change one line.
constexpr const char* kBaseYaml = R"(node:
  name: lab
  shm_name: /rampart-test
  log_level: info
dataplane:
  worker_cpus: [1, 2]
  main_cpu: 0
  flow_capacity: 1024
  rings:
    command_slots: 1024
    event_slots: 4096
realms:
  - name: wan
    sdp_profile: webrtc
    signalling:
      - transport: wss
        address: 198.18.1.1
        port: 8443
    tls:
      certificate: certs/wss.crt
      private_key: certs/wss.key
    media:
      devargs: net_null0
      address: 198.18.2.1
      prefix_len: 24
      gateway: 198.18.2.254
      port_min: 20000
      port_max: 29999
    dscp:
      audio: 46
  - name: lan
    signalling:
      - transport: udp
        address: 198.18.3.1
        port: 5060
      - transport: tcp
        address: 198.18.3.1
        port: 5060
    media:
      devargs: net_null1
      address: 198.18.4.1
      port_min: 30000
      port_max: 39999
routes:
  - name: to-pbx
    from: wan
    to: lan
    match_user: "^[0-9]+$"
    target: sip:198.18.3.2:5060
security:
  deny: [203.0.113.0/24]
  allowed_origins: [https://app.example.com]
  max_sdp_bytes: 16384
management:
  address: 198.18.255.2
  controlplane_port: 9100
  dataplane_port: 9101
  api:
    port: 9443
    tls: {certificate: ./certs/wss.crt, private_key: ./certs/wss.key}
    tokens:
      - {name: noc, role: viewer, sha256: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}
)";

constexpr const char* kFakeCert =
    "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
constexpr const char* kFakeKey =
    "-----BEGIN PRIVATE KEY-----\nMIGHfake\n-----END PRIVATE KEY-----\n";

void writeFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// A private directory holding certs/wss.{crt,key}, the base_dir of every inline config.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rampart-config-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ / "certs");
    writeFile(dir_ / "certs" / "wss.crt", kFakeCert);
    writeFile(dir_ / "certs" / "wss.key", kFakeKey);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  ConfigLoadResult load(const std::string& yaml) { return loadConfigText(yaml, dir_.string()); }

  fs::path dir_;
};

std::string dump(const std::vector<ConfigError>& errors) {
  return formatConfigErrors("test.yaml", errors);
}

// 1-based line of the first occurrence of `needle` in `text`.
int lineOf(const std::string& text, const std::string& needle) {
  std::size_t pos = text.find(needle);
  return pos == std::string::npos
             ? 0
             : 1 + static_cast<int>(std::count(text.begin(), text.begin() + pos, '\n'));
}

TEST_F(ConfigTest, BaseConfigLoads) {
  ConfigLoadResult r = load(kBaseYaml);
  ASSERT_TRUE(r.config.has_value()) << dump(r.errors);
  EXPECT_TRUE(r.errors.empty());
  const Config& c = *r.config;
  EXPECT_EQ(c.node_name, "lab");
  EXPECT_EQ(c.shm_name, "/rampart-test");
  EXPECT_EQ(c.dataplane.worker_cpus, (std::vector<int>{1, 2}));
  EXPECT_EQ(c.dataplane.flow_capacity, 1024u);
  EXPECT_FALSE(c.dataplane.require_locked_memory);
  EXPECT_EQ(c.dataplane.punt_slots, 512u);  // default
  ASSERT_EQ(c.realms.size(), 2u);
  const Realm& wan = c.realms[0];
  EXPECT_EQ(wan.sdp_profile, SdpProfile::WebRtc);
  ASSERT_EQ(wan.signalling.size(), 1u);
  EXPECT_EQ(wan.signalling[0].transport, Transport::Wss);
  EXPECT_EQ(wan.signalling[0].port, 8443);
  ASSERT_TRUE(wan.tls.has_value());
  EXPECT_EQ(wan.tls->certificate, (dir_ / "certs" / "wss.crt").string());
  EXPECT_EQ(wan.tls->private_key, (dir_ / "certs" / "wss.key").string());
  EXPECT_EQ(wan.media.address.text, "198.18.2.1");
  EXPECT_EQ(wan.media.address.bytes[3], 1);
  ASSERT_TRUE(wan.media.gateway.has_value());
  EXPECT_EQ(wan.media.port_min, 20000);
  EXPECT_EQ(wan.media.port_max, 29999);
  EXPECT_EQ(wan.dscp.audio, 46);
  EXPECT_EQ(wan.dscp.video, 34);  // default
  const Realm* lan = c.findRealm("lan");
  ASSERT_NE(lan, nullptr);
  EXPECT_EQ(lan->sdp_profile, SdpProfile::Trunk);  // default
  EXPECT_FALSE(lan->tls.has_value());
  EXPECT_EQ(lan->signalling[1].transport, Transport::Tcp);
  EXPECT_EQ(c.findRealm("nope"), nullptr);
  ASSERT_EQ(c.routes.size(), 1u);
  EXPECT_EQ(c.routes[0].from_realm, "wan");
  EXPECT_EQ(c.routes[0].target, "sip:198.18.3.2:5060");
  ASSERT_EQ(c.security.deny.size(), 1u);
  EXPECT_EQ(c.security.deny[0].prefix_len, 24);
  EXPECT_EQ(c.security.invite_global.burst, 1000u);  // default
  EXPECT_EQ(c.management.address.text, "198.18.255.2");
  EXPECT_EQ(c.management.dataplane_port, 9101);
}

TEST_F(ConfigTest, SecurityLimitsPerRealmAndRoute) {
  std::string yaml = kBaseYaml;
  yaml.replace(yaml.find("    dscp:\n      audio: 46\n"), 0,
               "    security:\n"
               "      allow: [198.18.0.0/15, \"2001:2::/32\"]\n"
               "      deny: [198.18.9.9]\n"
               "      invite_per_source: {per_second: 5, burst: 10}\n"
               "      requests: {per_second: 1000, burst: 2000}\n"
               "      max_calls: 50\n");
  yaml.replace(yaml.find("    target: sip:198.18.3.2:5060\n"), 0,
               "    max_calls: 20\n    calls_per_second: {per_second: 3, burst: 6}\n");
  yaml.replace(yaml.find("  max_sdp_bytes: 16384\n"), 0,
               "  requests_per_source: {per_second: 50, burst: 100}\n"
               "  ban: {after_rejections: 30, window_s: 5, duration_s: 20}\n"
               "  auth_failures: {max: 3}\n"
               "  scanner_user_agents: [evilscan]\n");
  ConfigLoadResult r = load(yaml);
  ASSERT_TRUE(r.config.has_value()) << dump(r.errors);
  const Config& c = *r.config;
  const RealmSecurity& s = c.realms[0].security;
  ASSERT_EQ(s.allow.size(), 2u);
  EXPECT_EQ(s.allow[1].address.family, 6);
  ASSERT_EQ(s.deny.size(), 1u);
  EXPECT_EQ(s.deny[0].prefix_len, 32);
  ASSERT_TRUE(s.invite_per_source.has_value());
  EXPECT_EQ(s.invite_per_source->burst, 10u);
  EXPECT_FALSE(s.register_per_source.has_value());  // falls back to security's
  EXPECT_EQ(s.max_calls, 50u);
  EXPECT_EQ(c.routes[0].max_calls, 20u);
  ASSERT_TRUE(c.routes[0].calls_per_second.has_value());
  EXPECT_EQ(c.routes[0].calls_per_second->per_second, 3u);
  EXPECT_EQ(c.security.requests_per_source.burst, 100u);
  EXPECT_EQ(c.security.ban.duration_s, 20u);
  EXPECT_EQ(c.security.auth_failures.max, 3u);
  EXPECT_EQ(c.security.auth_failures.window_s, 60u);  // default
  EXPECT_EQ(c.security.scanner_user_agents, std::vector<std::string>{"evilscan"});
  EXPECT_EQ(c.realms[1].security.max_calls, 0u);  // default: no limit
}

TEST_F(ConfigTest, RequireLockedMemoryLoads) {
  std::string y = kBaseYaml;
  y.insert(y.find("  flow_capacity: 1024"), "  require_locked_memory: true\n");
  ConfigLoadResult r = load(y);
  ASSERT_TRUE(r.config.has_value()) << dump(r.errors);
  EXPECT_TRUE(r.config->dataplane.require_locked_memory);
}

TEST_F(ConfigTest, SrtpEngineLoads) {
  ConfigLoadResult base = load(kBaseYaml);
  ASSERT_TRUE(base.config.has_value()) << dump(base.errors);
  EXPECT_EQ(base.config->dataplane.srtp_engine, DataplaneSettings::SrtpEngine::Fast);
  std::string y = kBaseYaml;
  y.insert(y.find("  flow_capacity: 1024"), "  srtp_engine: libsrtp\n");
  ConfigLoadResult r = load(y);
  ASSERT_TRUE(r.config.has_value()) << dump(r.errors);
  EXPECT_EQ(r.config->dataplane.srtp_engine, DataplaneSettings::SrtpEngine::Libsrtp);
}

TEST_F(ConfigTest, SrtpKeyingSwitches) {
  ConfigLoadResult base = load(kBaseYaml);
  ASSERT_TRUE(base.config.has_value()) << dump(base.errors);
  EXPECT_TRUE(base.config->realms[0].sdp.dtls);  // default: DTLS-SRTP toward browsers
  EXPECT_EQ(base.config->realms[1].sdp.srtp, SrtpPolicy::Off);
  std::string yaml = kBaseYaml;
  yaml.replace(yaml.find("      port_max: 39999\n") + 22, 0, "    sdp: {srtp: dual}\n");
  yaml.replace(yaml.find("    sdp_profile: webrtc\n") + 24, 0, "    sdp: {dtls: false}\n");
  ConfigLoadResult r = load(yaml);
  ASSERT_TRUE(r.config.has_value()) << dump(r.errors);
  EXPECT_FALSE(r.config->realms[0].sdp.dtls);
  EXPECT_EQ(r.config->realms[1].sdp.srtp, SrtpPolicy::Dual);
  yaml.replace(yaml.find("srtp: dual"), 10, "srtp: both");
  ConfigLoadResult bad = load(yaml);
  ASSERT_FALSE(bad.config.has_value());
  EXPECT_NE(dump(bad.errors).find("realms[1].sdp.srtp"), std::string::npos) << dump(bad.errors);
}

TEST_F(ConfigTest, OutboundTlsClientKeys) {
  ConfigLoadResult base = load(kBaseYaml);
  ASSERT_TRUE(base.config.has_value()) << dump(base.errors);
  EXPECT_TRUE(base.config->sip.tls_client.verify);  // default: the server is verified
  EXPECT_TRUE(base.config->sip.tls_client.ca_file.empty());
  std::string yaml = std::string(kBaseYaml) +
                     "sip: {tls_client: {verify: true, ca_file: /etc/rampart/pbx-ca.pem}}\n";
  ConfigLoadResult r = load(yaml);
  ASSERT_TRUE(r.config.has_value()) << dump(r.errors);
  EXPECT_EQ(r.config->sip.tls_client.ca_file, "/etc/rampart/pbx-ca.pem");
  ConfigLoadResult half =
      load(std::string(kBaseYaml) + "sip: {tls_client: {certificate: c.pem}}\n");
  ASSERT_FALSE(half.config.has_value());
  EXPECT_NE(dump(half.errors).find("sip.tls_client.private_key"), std::string::npos)
      << dump(half.errors);
  ConfigLoadResult typo = load(std::string(kBaseYaml) + "sip: {tls_client: {verfy: false}}\n");
  ASSERT_FALSE(typo.config.has_value());
  EXPECT_NE(dump(typo.errors).find("sip.tls_client.verfy"), std::string::npos) << dump(typo.errors);
}

TEST_F(ConfigTest, TranscodeKeysLoad) {
  std::string yaml = kBaseYaml;
  const std::string at = "    sdp_profile: webrtc\n";
  yaml.replace(yaml.find(at), at.size(),
               at + "    sdp: {transcode: [opus, pcmu], max_transcoded_calls: 40}\n");
  ConfigLoadResult r = load(yaml);
  ASSERT_TRUE(r.config.has_value()) << dump(r.errors);
  EXPECT_EQ(r.config->realms[0].sdp.transcode, (std::vector<std::string>{"opus", "pcmu"}));
  EXPECT_EQ(r.config->realms[0].sdp.max_transcoded_calls, 40u);
  EXPECT_TRUE(r.config->realms[1].sdp.transcode.empty());
}

TEST_F(ConfigTest, DtmfKeysLoad) {
  std::string yaml = kBaseYaml;
  const std::string at = "    sdp_profile: webrtc\n";
  yaml.replace(yaml.find(at), at.size(), at + "    sdp: {dtmf: sip_info, dtmf_info: dtmf}\n");
  ConfigLoadResult r = load(yaml);
  ASSERT_TRUE(r.config.has_value()) << dump(r.errors);
  EXPECT_EQ(r.config->realms[0].sdp.dtmf, DtmfMode::SipInfo);
  EXPECT_EQ(r.config->realms[0].sdp.dtmf_info, DtmfInfoFormat::Dtmf);
  EXPECT_EQ(r.config->realms[1].sdp.dtmf, DtmfMode::Rfc4733);  // default
  EXPECT_EQ(r.config->realms[1].sdp.dtmf_info, DtmfInfoFormat::DtmfRelay);
}

TEST_F(ConfigTest, ListenerPortDefaultsByTransport) {
  std::string yaml = kBaseYaml;
  yaml.replace(yaml.find("        port: 8443\n"), 19, "");
  ConfigLoadResult r = load(yaml);
  ASSERT_TRUE(r.config.has_value()) << dump(r.errors);
  EXPECT_EQ(r.config->realms[0].signalling[0].port, 443);
}

TEST_F(ConfigTest, DevargsOneOrSeveralPorts) {
  ConfigLoadResult one = load(kBaseYaml);
  ASSERT_TRUE(one.config.has_value()) << dump(one.errors);
  EXPECT_EQ(one.config->realms[0].media.devargs, std::vector<std::string>{"net_null0"});
  std::string yaml = kBaseYaml;
  yaml.replace(yaml.find("devargs: net_null1"), 18, "devargs: [net_null1, \"net_null2,x=1\"]");
  ConfigLoadResult two = load(yaml);
  ASSERT_TRUE(two.config.has_value()) << dump(two.errors);
  EXPECT_EQ(two.config->realms[1].media.devargs,
            (std::vector<std::string>{"net_null1", "net_null2,x=1"}));
  EXPECT_NE(describeConfig(*two.config).find("on net_null1 net_null2,x=1"), std::string::npos)
      << describeConfig(*two.config);
}

TEST(ConfigLabFile, LabConfigLoads) {
  fs::path lab(RAMPART_LAB_CONFIG);
  if (!fs::exists(lab.parent_path() / "lab-certs" / "jwt-hs256.key")) {
    GTEST_SKIP() << "etc/lab-certs (or its jwt-hs256.key) absent; run tools/bootstrap";
  }
  ConfigLoadResult r = loadConfigFile(lab.string());
  ASSERT_TRUE(r.config.has_value()) << formatConfigErrors(lab.string(), r.errors);
  const Config& c = *r.config;
  EXPECT_EQ(c.node_name, "rampart-lab");
  EXPECT_EQ(c.dataplane.idle_backoff_us, 100u);
  EXPECT_EQ(c.dataplane.eal_args.size(), 5u);
  ASSERT_EQ(c.realms.size(), 2u);
  EXPECT_EQ(c.realms[0].name, "wan");
  EXPECT_EQ(c.realms[0].signalling[0].transport, Transport::Wss);
  ASSERT_TRUE(c.realms[0].media.address6.has_value());
  EXPECT_EQ(c.realms[0].media.address6->family, 6);
  EXPECT_TRUE(fs::path(c.realms[0].tls->certificate).is_absolute());
  EXPECT_EQ(c.realms[1].signalling.size(), 2u);
  EXPECT_TRUE(c.realms[0].jwt.required);
  ASSERT_EQ(c.realms[0].jwt.keys.size(), 1u);
  EXPECT_EQ(c.realms[0].jwt.keys[0].kid, "lab");
  EXPECT_EQ(c.realms[0].jwt.issuer, "rampart-lab");
  EXPECT_EQ(c.realms[0].jwt.audience, "rampart");
  EXPECT_EQ(c.routes.size(), 1u);
  EXPECT_EQ(c.management.controlplane_port, 9100);
  ASSERT_TRUE(c.management.api.has_value());
  EXPECT_EQ(c.management.api->port, 9443);
  EXPECT_TRUE(fs::path(c.management.api->tls.certificate).is_absolute());
  ASSERT_EQ(c.management.api->tokens.size(), 3u);
  EXPECT_EQ(c.management.api->tokens[0].name, "lab-viewer");
  EXPECT_EQ(c.management.api->tokens[2].role, ApiRole::Admin);
}

struct InvalidCase {
  const char* name;
  const char* find;  // text replaced in kBaseYaml; nullptr: `replace` is the whole file
  const char* replace;
  const char* key;     // expected substring of some error's key
  const char* reason;  // expected substring of that error's reason
  bool has_line = true;
};

const InvalidCase kInvalidCases[] = {
    {"DevargsEmptyList", "devargs: net_null1", "devargs: []", "realms[1].media.devargs",
     "at least one DPDK device"},
    {"DevargsTooMany", "devargs: net_null1", "devargs: [a, b, c, d, e]", "realms[1].media.devargs",
     "at most 4 devices"},
    {"DevargsEmptyEntry", "devargs: net_null1", "devargs: [net_null1, \"\"]",
     "realms[1].media.devargs[1]", "must not be empty"},
    {"DevargsNotString", "devargs: net_null1", "devargs: [net_null1, {a: 1}]",
     "realms[1].media.devargs[1]", "expected"},
    {"SyntaxError", "    sdp_profile: webrtc", "    sdp_profile: [webrtc", "", "YAML syntax"},
    {"EmptyFile", nullptr, "", "", "empty", false},
    {"TopLevelList", nullptr, "- a\n- b\n", "", "expected a map"},
    {"TwoDocuments", "routes:\n", "---\nroutes:\n", "", "more than one YAML document"},
    {"StrayComma", nullptr, ",", "", "YAML syntax error"},
    {"UnknownKey", "        port: 8443", "        prot: 8443", "realms[0].signalling[0].prot",
     "unknown key 'prot' (did you mean 'port'?); expected one of transport, address, port"},
    {"UnknownSection", "security:", "securty:", "securty", "did you mean 'security'"},
    {"DuplicateKey", "      port_min: 20000", "      port_min: 20000\n      port_min: 20002",
     "realms[0].media.port_min", "duplicate key"},
    {"StringForNumber", "port_min: 20000", "port_min: twenty", "realms[0].media.port_min",
     "expected an integer, got 'twenty'"},
    {"QuotedNumber", "controlplane_port: 9100", "controlplane_port: \"9100\"",
     "management.controlplane_port", "quoted string"},
    {"EmptyValue", "port_min: 20000", "port_min:", "realms[0].media.port_min",
     "got an empty value"},
    {"ListForMap", "    dscp:\n      audio: 46", "    dscp: [46]", "realms[0].dscp",
     "expected a map, got a list"},
    {"MapForList", "worker_cpus: [1, 2]", "worker_cpus: {a: 1}", "dataplane.worker_cpus",
     "expected a list, got a map"},
    {"PortTooLarge", "port: 8443", "port: 70000", "realms[0].signalling[0].port",
     "70000 is out of range (1-65535)"},
    {"PortZero", "controlplane_port: 9100", "controlplane_port: 0", "management.controlplane_port",
     "out of range (1-65535)"},
    {"DscpTooLarge", "audio: 46", "audio: 64", "realms[0].dscp.audio", "out of range (0-63)"},
    {"PrefixTooLong", "prefix_len: 24", "prefix_len: 33", "realms[0].media.prefix_len",
     "out of range (1-32)"},
    {"MissingRealms", "realms:\n  - name: wan", "realmz:\n  - name: wan", "realms",
     "missing required key"},
    {"NoRealms", "realms:\n", "realms: []\nrealms_were:\n", "realms", "at least one realm"},
    {"MissingRealmName", "  - name: lan\n", "  - sdp_profile: trunk\n", "realms[1].name",
     "missing required key"},
    {"MissingMediaAddress", "      address: 198.18.4.1\n", "", "realms[1].media.address",
     "missing required key"},
    {"MissingPortMax", "      port_max: 39999\n", "", "realms[1].media.port_max",
     "missing required key"},
    {"MissingManagementAddress", "  address: 198.18.255.2\n", "", "management.address",
     "missing required key"},
    {"MissingManagement",
     "management:\n  address: 198.18.255.2\n  controlplane_port: 9100\n"
     "  dataplane_port: 9101\n",
     "", "management", "missing required key"},
    {"DuplicateRealmName", "  - name: lan", "  - name: wan", "realms[1].name",
     "duplicate realm name 'wan'"},
    {"BadRealmName", "  - name: lan", "  - name: \"lan 1\"", "realms[1].name",
     "invalid realm name"},
    {"BadIpAddress", "address: 198.18.2.1", "address: 198.18.2.300", "realms[0].media.address",
     "is not an IP address"},
    {"Ipv6ForMediaAddress", "address: 198.18.2.1", "address: \"2001:db8::1\"",
     "realms[0].media.address", "not an IPv4 address"},
    {"CidrPrefixTooLong", "deny: [203.0.113.0/24]", "deny: [203.0.113.0/33]", "security.deny[0]",
     "prefix length 33"},
    {"CidrHostBits", "deny: [203.0.113.0/24]", "deny: [203.0.113.5/24]", "security.deny[0]",
     "bits set beyond"},
    {"CidrGarbage", "deny: [203.0.113.0/24]", "deny: [not-a-net]", "security.deny[0]",
     "is not a CIDR"},
    {"AllowCidrBad", "deny: [203.0.113.0/24]", "allow: [203.0.113.0/99]", "security.allow[0]",
     "prefix length 99"},
    {"RealmSecurityUnknownKey", "    dscp:\n      audio: 46",
     "    security: {max_call: 5}\n    dscp:\n      audio: 46", "realms[0].security.max_call",
     "did you mean 'max_calls'"},
    {"RealmRateMissingBurst", "    dscp:\n      audio: 46",
     "    security: {requests: {per_second: 5}}\n    dscp:\n      audio: 46",
     "realms[0].security.requests.burst", "missing required key"},
    {"RouteCallsPerSecondZero", "    target: sip:198.18.3.2:5060",
     "    target: sip:198.18.3.2:5060\n    calls_per_second: {per_second: 0, burst: 1}",
     "routes[0].calls_per_second.per_second", "out of range"},
    {"BanDurationZero", "  max_sdp_bytes: 16384", "  max_sdp_bytes: 16384\n  ban: {duration_s: 0}",
     "security.ban.duration_s", "out of range"},
    {"PortMinAboveMax", "port_max: 39999", "port_max: 29000", "realms[1].media.port_min",
     "greater than port_max"},
    {"OverlappingRanges", "port_min: 30000", "port_min: 29000", "realms[1].media.port_min",
     "overlaps realms[0].media (20000-29999)"},
    {"RangeOfOnePort", "port_max: 39999", "port_max: 30000", "realms[1].media.port_max",
     "even count"},
    {"OddPortMin", "port_min: 30000", "port_min: 30001", "realms[1].media.port_min",
     "must be even"},
    {"RangeTooSmallForWorkers", "port_max: 39999", "port_max: 30001", "realms[1].media.port_max",
     "fewer than the 2 workers"},
    {"UnknownTransport", "transport: udp", "transport: sctp", "realms[1].signalling[0].transport",
     "unknown value 'sctp'; expected one of udp, tcp, tls, ws, wss"},
    {"WssWithoutTls",
     "    tls:\n      certificate: certs/wss.crt\n      private_key: certs/wss.key\n", "",
     "realms[0].tls", "needs a tls section"},
    {"TlsListenerWithoutTls", "      - transport: tcp", "      - transport: tls", "realms[1].tls",
     "needs a tls section"},
    {"MissingCertificate", "certificate: certs/wss.crt", "certificate: certs/missing.crt",
     "realms[0].tls.certificate", "file not found"},
    {"KeyIsNotAKey", "private_key: certs/wss.key", "private_key: certs/wss.crt",
     "realms[0].tls.private_key", "not a PEM private key"},
    {"MissingTlsKey", "      private_key: certs/wss.key\n", "", "realms[0].tls.private_key",
     "missing required key"},
    {"DuplicateListener", "      - transport: tcp", "      - transport: udp",
     "realms[1].signalling[1]", "duplicate listener udp on 198.18.3.1:5060"},
    {"RouteUnknownRealm", "    to: lan", "    to: pbx", "routes[0].to", "unknown realm 'pbx'"},
    {"RouteUnknownFromRealm", "    from: wan", "    from: web", "routes[0].from",
     "unknown realm 'web'"},
    {"RouteTargetNotSip", "target: sip:198.18.3.2:5060", "target: http://198.18.3.2",
     "routes[0].target", "not a sip: or sips: URI"},
    {"RouteBadRegex", "match_user: \"^[0-9]+$\"", "match_user: \"^[0-9+$\"", "routes[0].match_user",
     "invalid regular expression"},
    {"WorkerCpusEmpty", "worker_cpus: [1, 2]", "worker_cpus: []", "dataplane.worker_cpus",
     "at least one CPU"},
    {"WorkerCpusDuplicate", "worker_cpus: [1, 2]", "worker_cpus: [1, 1]",
     "dataplane.worker_cpus[1]", "duplicate CPU 1"},
    {"WorkerCpusNegative", "worker_cpus: [1, 2]", "worker_cpus: [1, -2]",
     "dataplane.worker_cpus[1]", "-2 is out of range"},
    {"MainCpuIsWorker", "main_cpu: 0", "main_cpu: 2", "dataplane.main_cpu", "also a worker"},
    {"RingNotPowerOfTwo", "command_slots: 1024", "command_slots: 1000",
     "dataplane.rings.command_slots", "not a power of two (try 1024)"},
    {"FlowCapacityZero", "flow_capacity: 1024", "flow_capacity: 0", "dataplane.flow_capacity",
     "out of range"},
    {"RequireLockedMemoryNotBool", "flow_capacity: 1024",
     "flow_capacity: 1024\n  require_locked_memory: yes", "dataplane.require_locked_memory",
     "expected true or false"},
    {"UnknownSrtpEngine", "flow_capacity: 1024", "flow_capacity: 1024\n  srtp_engine: openssl",
     "dataplane.srtp_engine", "unknown value 'openssl'; expected one of fast, libsrtp"},
    {"FlowCapacityTooLarge", "flow_capacity: 1024", "flow_capacity: 100000000",
     "dataplane.flow_capacity", "out of range"},
    {"UnknownLogLevel", "log_level: info", "log_level: verbose", "node.log_level",
     "unknown value 'verbose'"},
    {"UnknownSdpProfile", "sdp_profile: webrtc", "sdp_profile: browser", "realms[0].sdp_profile",
     "expected one of webrtc, trunk"},
    {"ManagementPortCollision", "dataplane_port: 9101", "dataplane_port: 9100",
     "management.dataplane_port", "same port as controlplane_port"},
    {"ShmNameWithoutSlash", "shm_name: /rampart-test", "shm_name: rampart", "node.shm_name",
     "must start with '/'"},
    {"GatewayOffLink", "gateway: 198.18.2.254", "gateway: 198.18.9.1", "realms[0].media.gateway",
     "not inside 198.18.2.1/24"},
    {"SdpLimitAboveSipLimit", "max_sdp_bytes: 16384", "max_sdp_bytes: 70000",
     "security.max_sdp_bytes", "exceeds max_sip_message_bytes"},
    {"BadOrigin", "[https://app.example.com]", "[app.example.com/path]",
     "security.allowed_origins[0]", "is not an origin"},
    // management.api
    {"ApiTokenBadHash", "sha256: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "sha256: ABC", "management.api.tokens[0].sha256", "64 lowercase hex"},
    {"ApiUnknownRole", "role: viewer", "role: root", "management.api.tokens[0].role",
     "unknown value 'root'"},
    {"ApiPortIsMetricsPort", "port: 9443", "port: 9100", "management.api.port",
     "already a metrics port"},
    {"ApiCertMissing", "certificate: ./certs/wss.crt, private_key: ./certs/wss.key}\n    tokens",
     "certificate: ./certs/none.crt, private_key: ./certs/wss.key}\n    tokens",
     "management.api.tls.certificate", "file not found"},
    {"ApiTokensMissing",
     "    tokens:\n      - {name: noc, role: viewer, sha256: "
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}",
     "", "management.api.tokens", "missing required key"},
    {"ApiDuplicateToken",
     "sha256: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}",
     "sha256: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}\n      - {name: "
     "noc2, role: admin, sha256: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}",
     "management.api.tokens[1].sha256", "same token as management.api.tokens[0]"},
    {"UntranscodableCodec", "    sdp_profile: webrtc\n",
     "    sdp_profile: webrtc\n    sdp: {transcode: [opus, GSM]}\n", "realms[0].sdp.transcode[1]",
     "'GSM' cannot be transcoded"},
    {"TranscodeLimitOutOfRange", "    sdp_profile: webrtc\n",
     "    sdp_profile: webrtc\n    sdp: {max_transcoded_calls: -1}\n",
     "realms[0].sdp.max_transcoded_calls", "out of range"},
    {"UnknownDtmfMode", "    sdp_profile: webrtc\n",
     "    sdp_profile: webrtc\n    sdp: {dtmf: inband}\n", "realms[0].sdp.dtmf",
     "unknown value 'inband'; expected one of rfc4733, sip_info"},
    {"UnknownDtmfInfoFormat", "    sdp_profile: webrtc\n",
     "    sdp_profile: webrtc\n    sdp: {dtmf_info: text}\n", "realms[0].sdp.dtmf_info",
     "unknown value 'text'"},
    {"RealmCountriesWithoutDatabase", "    sdp_profile: webrtc\n",
     "    sdp_profile: webrtc\n    security: {deny_countries: [FR]}\n",
     "realms[0].security.deny_countries", "needs security.geo.database"},
    {"RealmCountryNotIso", "    sdp_profile: webrtc\n",
     "    sdp_profile: webrtc\n    security: {allow_countries: [fr]}\n",
     "realms[0].security.allow_countries[0]", "is not an ISO 3166 country code"},
};

class InvalidConfigTest : public ConfigTest, public ::testing::WithParamInterface<InvalidCase> {};

TEST_P(InvalidConfigTest, IsRejectedWithKeyAndReason) {
  const InvalidCase& c = GetParam();
  std::string yaml = kBaseYaml;
  if (c.find == nullptr) {
    yaml = c.replace;
  } else {
    // The edit must apply exactly once, or the case would test the unchanged base.
    std::size_t pos = yaml.find(c.find);
    ASSERT_NE(pos, std::string::npos) << c.find;
    ASSERT_EQ(yaml.find(c.find, pos + 1), std::string::npos) << "ambiguous: " << c.find;
    yaml.replace(pos, std::string(c.find).size(), c.replace);
  }
  ConfigLoadResult r = load(yaml);
  EXPECT_FALSE(r.config.has_value());
  ASSERT_FALSE(r.errors.empty());
  const ConfigError* match = nullptr;
  for (const ConfigError& e : r.errors) {
    if (e.key.find(c.key) != std::string::npos && e.reason.find(c.reason) != std::string::npos) {
      match = &e;
      break;
    }
  }
  ASSERT_NE(match, nullptr) << "want key~'" << c.key << "' reason~'" << c.reason << "', got:\n"
                            << dump(r.errors);
  if (c.has_line) {
    EXPECT_GT(match->line, 0) << dump(r.errors);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, InvalidConfigTest, ::testing::ValuesIn(kInvalidCases),
                         [](const ::testing::TestParamInfo<InvalidCase>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST_F(ConfigTest, ReportsEveryErrorOfAFile) {
  std::string yaml = kBaseYaml;
  yaml.replace(yaml.find("port: 8443"), 10, "port: 70000");
  yaml.replace(yaml.find("    sdp_profile: webrtc"), 23, "    sdp_profil: webrtc");
  yaml.replace(yaml.find("    to: lan"), 11, "    to: pbx");
  ConfigLoadResult r = load(yaml);
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 3u) << dump(r.errors);
  // In file order.
  EXPECT_EQ(r.errors[0].key, "realms[0].sdp_profil");
  EXPECT_EQ(r.errors[0].line, lineOf(yaml, "sdp_profil"));
  EXPECT_EQ(r.errors[1].key, "realms[0].signalling[0].port");
  EXPECT_EQ(r.errors[1].line, lineOf(yaml, "port: 70000"));
  EXPECT_EQ(r.errors[2].key, "routes[0].to");
  EXPECT_EQ(r.errors[2].line, lineOf(yaml, "to: pbx"));
}

TEST_F(ConfigTest, BadValueGivesOneErrorNotAFollowOn) {
  // port_min unreadable: no "port_min > port_max" or overlap noise on top.
  std::string yaml = kBaseYaml;
  yaml.replace(yaml.find("port_min: 30000"), 15, "port_min: lots");
  ConfigLoadResult r = load(yaml);
  ASSERT_EQ(r.errors.size(), 1u) << dump(r.errors);
  EXPECT_EQ(r.errors[0].key, "realms[1].media.port_min");
}

// A third realm whose range lies before both others in port order but overlaps the first.
TEST_F(ConfigTest, OverlapFoundWhateverTheOrder) {
  std::string yaml = kBaseYaml;
  const std::string third =
      "  - name: dmz\n"
      "    signalling: [{transport: udp, address: 198.18.5.1}]\n"
      "    media: {devargs: net_null2, address: 198.18.6.1, port_min: 10000, port_max: 20001}\n";
  yaml.insert(yaml.find("routes:"), third);
  ConfigLoadResult r = load(yaml);
  ASSERT_EQ(r.errors.size(), 1u) << dump(r.errors);
  EXPECT_EQ(r.errors[0].key, "realms[2].media.port_min");
  EXPECT_NE(r.errors[0].reason.find("overlaps realms[0].media (20000-29999)"), std::string::npos)
      << r.errors[0].reason;
  EXPECT_EQ(r.errors[0].line, lineOf(yaml, "port_min: 10000"));

  // Disjoint but interleaved ranges are fine.
  yaml.replace(yaml.find("port_min: 10000, port_max: 20001"), 32,
               "port_min: 40000, port_max: 40999");
  r = load(yaml);
  EXPECT_TRUE(r.config.has_value()) << dump(r.errors);
}

TEST_F(ConfigTest, SyntaxErrorNamesTheLine) {
  std::string yaml = kBaseYaml;
  yaml.replace(yaml.find("    dscp:\n"), 10, "    dscp: {audio: 46\n");
  ConfigLoadResult r = load(yaml);
  ASSERT_EQ(r.errors.size(), 1u) << dump(r.errors);
  EXPECT_EQ(r.errors[0].key, "");
  EXPECT_NE(r.errors[0].reason.find("YAML syntax error"), std::string::npos);
  EXPECT_GE(r.errors[0].line, lineOf(yaml, "dscp: {"));
}

TEST_F(ConfigTest, MissingKeyCitesTheEnclosingMap) {
  std::string yaml = kBaseYaml;
  yaml.replace(yaml.find("      port_max: 39999\n"), 22, "");
  ConfigLoadResult r = load(yaml);
  ASSERT_EQ(r.errors.size(), 1u) << dump(r.errors);
  EXPECT_EQ(r.errors[0].line, lineOf(yaml, "      devargs: net_null1") - 1);
}

TEST_F(ConfigTest, FileRelativeCertificatePaths) {
  fs::path file = dir_ / "rampart.yaml";
  writeFile(file, kBaseYaml);
  ConfigLoadResult r = loadConfigFile(file.string());
  ASSERT_TRUE(r.config.has_value()) << dump(r.errors);
  EXPECT_EQ(r.config->realms[0].tls->certificate, (dir_ / "certs" / "wss.crt").string());
}

TEST_F(ConfigTest, UnreadableFile) {
  ConfigLoadResult r = loadConfigFile((dir_ / "absent.yaml").string());
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].key, "");
  EXPECT_NE(r.errors[0].reason.find("cannot read"), std::string::npos);
  r = loadConfigFile(dir_.string());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].reason.find("directory"), std::string::npos);
}

TEST_F(ConfigTest, HostileInputDoesNotThrow) {
  const std::string inputs[] = {
      std::string(2000, '['),
      "{a: *b}",
      "&a [*a]",
      "realms: [[[[]]]]\n",
      "\t\tx: y",
      std::string("node: {name: \0x}", 16),
      "realms:\n  - media: {port_min: 99999999999999999999}",
  };
  for (const std::string& in : inputs) {
    ConfigLoadResult r;
    EXPECT_NO_THROW(r = load(in));
    EXPECT_FALSE(r.config.has_value());
    EXPECT_FALSE(r.errors.empty());
  }
}

TEST(ConfigFormat, PathLineKeyReason) {
  std::vector<ConfigError> errors = {
      {"realms[1].media.port_min", "greater than port_max", 12},
      {"", "YAML syntax error: end of map not found", 3},
      {"management.address", "missing required key", 0},
  };
  EXPECT_EQ(formatConfigErrors("etc/rampart.yaml", errors),
            "etc/rampart.yaml:12: realms[1].media.port_min: greater than port_max\n"
            "etc/rampart.yaml:3: YAML syntax error: end of map not found\n"
            "etc/rampart.yaml: management.address: missing required key\n");
  EXPECT_EQ(formatConfigErrors("x", {}), "");
}

TEST(ConfigParse, IpAddresses) {
  std::optional<IpAddress> v4 = parseIpAddress("198.18.0.1");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->family, 4);
  EXPECT_EQ(v4->bytes[0], 198);
  EXPECT_EQ(v4->bytes[3], 1);
  std::optional<IpAddress> v6 = parseIpAddress("2001:2::1");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->family, 6);
  EXPECT_EQ(v6->bytes[1], 0x01);
  EXPECT_EQ(v6->bytes[15], 1);
  EXPECT_EQ(*parseIpAddress("2001:2:0::1"), *v6);
  EXPECT_FALSE(*parseIpAddress("2001:2::2") == *v6);
  for (const char* bad : {"", "1.2.3", "1.2.3.256", " 1.2.3.4", "[::1]", "fe80::1%eth0", "x"}) {
    EXPECT_FALSE(parseIpAddress(bad).has_value()) << bad;
  }
}

TEST(ConfigParse, Cidrs) {
  std::optional<Cidr> c = parseCidr("198.18.0.0/15");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->prefix_len, 15);
  EXPECT_EQ(parseCidr("2001:db8::/32")->prefix_len, 32);
  EXPECT_EQ(parseCidr("192.0.2.7")->prefix_len, 32);
  EXPECT_EQ(parseCidr("0.0.0.0/0")->prefix_len, 0);
  for (const char* bad : {"198.18.0.0/33", "198.18.0.0/", "198.18.0.1/15", "x/8", "1.2.3.0/-1",
                          "::/129", "10.0.0.0/8/8"}) {
    EXPECT_FALSE(parseCidr(bad).has_value()) << bad;
  }
}

TEST(ConfigParse, Names) {
  EXPECT_STREQ(transportName(Transport::Wss), "wss");
  EXPECT_STREQ(transportName(Transport::Udp), "udp");
  EXPECT_STREQ(sdpProfileName(SdpProfile::WebRtc), "webrtc");
}

// --- realms[i].allowed_origins, .websocket, .jwt -----------------------------------------------

// Inserted into the wan realm of kBaseYaml, block style so each case can change one line.
constexpr const char* kWebEdgeYaml = R"(    allowed_origins:
      - https://phone.example.com
      - http://localhost:8080
    websocket:
      max_message_bytes: 32768
      max_messages_per_second: 20
      idle_timeout_s: 60
      ping_interval_s: 15
      handshake_timeout_s: 3
    jwt:
      required: true
      issuer: rampart-test
      audience: rampart
      max_lifetime_s: 3600
      leeway_s: 10
      keys:
        - kid: lab
          alg: HS256
          secret_file: certs/jwt.key
        - kid: rsa1
          alg: RS256
          public_key: certs/rsa.pub
        - kid: ec1
          alg: ES256
          public_key: certs/rsa.pub
)";

constexpr const char* kFakePublicKey =
    "-----BEGIN PUBLIC KEY-----\nMFkwfake\n-----END PUBLIC KEY-----\n";

class WebEdgeConfigTest : public ConfigTest {
 protected:
  void SetUp() override {
    ConfigTest::SetUp();
    // 64 hex characters and a newline, as `openssl rand -hex 32` writes.
    writeFile(dir_ / "certs" / "jwt.key", std::string(64, 'a') + "\n");
    writeFile(dir_ / "certs" / "short.key", std::string(31, 'a') + "\n\n");
    writeFile(dir_ / "certs" / "rsa.pub", kFakePublicKey);
  }
  static std::string yaml() {
    std::string y = kBaseYaml;
    y.insert(y.find("    media:\n      devargs: net_null0"), kWebEdgeYaml);
    return y;
  }
};

TEST_F(WebEdgeConfigTest, Loads) {
  ConfigLoadResult r = load(yaml());
  ASSERT_TRUE(r.config.has_value()) << dump(r.errors);
  const Config& c = *r.config;
  const Realm& wan = c.realms[0];
  ASSERT_TRUE(wan.allowed_origins.has_value());
  EXPECT_EQ(c.allowedOrigins(wan),
            (std::vector<std::string>{"https://phone.example.com", "http://localhost:8080"}));
  // lan has no list of its own: security's applies.
  EXPECT_EQ(c.allowedOrigins(c.realms[1]), std::vector<std::string>{"https://app.example.com"});
  EXPECT_EQ(wan.websocket.max_message_bytes, 32768u);
  EXPECT_EQ(wan.websocket.max_messages_per_second, 20u);
  EXPECT_EQ(wan.websocket.idle_timeout_s, 60u);
  EXPECT_EQ(wan.websocket.ping_interval_s, 15u);
  EXPECT_EQ(wan.websocket.handshake_timeout_s, 3u);
  EXPECT_TRUE(wan.jwt.required);
  EXPECT_EQ(wan.jwt.issuer, "rampart-test");
  EXPECT_EQ(wan.jwt.audience, "rampart");
  EXPECT_EQ(wan.jwt.max_lifetime_s, 3600u);
  EXPECT_EQ(wan.jwt.leeway_s, 10u);
  ASSERT_EQ(wan.jwt.keys.size(), 3u);
  EXPECT_EQ(wan.jwt.keys[0].kid, "lab");
  EXPECT_EQ(wan.jwt.keys[0].alg, JwtAlg::Hs256);
  EXPECT_EQ(wan.jwt.keys[0].secret_file, (dir_ / "certs" / "jwt.key").string());
  EXPECT_EQ(wan.jwt.keys[1].alg, JwtAlg::Rs256);
  EXPECT_EQ(wan.jwt.keys[1].public_key, (dir_ / "certs" / "rsa.pub").string());
  EXPECT_EQ(wan.jwt.keys[2].alg, JwtAlg::Es256);
  Result<std::string> secret = loadJwtKeyMaterial(wan.jwt.keys[0]);
  ASSERT_TRUE(secret.ok()) << secret.error().message;
  EXPECT_EQ(*secret, std::string(64, 'a'));  // trailing newline removed
  Result<std::string> pem = loadJwtKeyMaterial(wan.jwt.keys[1]);
  ASSERT_TRUE(pem.ok());
  EXPECT_EQ(*pem, kFakePublicKey);
}

TEST_F(WebEdgeConfigTest, Defaults) {
  ConfigLoadResult r = load(kBaseYaml);
  ASSERT_TRUE(r.config.has_value()) << dump(r.errors);
  const Realm& wan = r.config->realms[0];
  EXPECT_FALSE(wan.allowed_origins.has_value());
  EXPECT_EQ(wan.websocket.max_message_bytes, 65535u);
  EXPECT_EQ(wan.websocket.max_messages_per_second, 50u);
  EXPECT_EQ(wan.websocket.idle_timeout_s, 120u);
  EXPECT_EQ(wan.websocket.ping_interval_s, 30u);
  EXPECT_EQ(wan.websocket.handshake_timeout_s, 5u);
  EXPECT_FALSE(wan.jwt.required);
  EXPECT_EQ(wan.jwt.max_lifetime_s, 86400u);
  EXPECT_EQ(wan.jwt.leeway_s, 30u);
  EXPECT_TRUE(wan.jwt.keys.empty());
  EXPECT_STREQ(jwtAlgName(JwtAlg::Es256), "ES256");
}

TEST_F(WebEdgeConfigTest, EmptyRealmListAllowsAnyOrigin) {
  std::string y = yaml();
  const std::string list =
      "    allowed_origins:\n      - https://phone.example.com\n      - http://localhost:8080\n";
  y.replace(y.find(list), list.size(), "    allowed_origins: []\n");
  ConfigLoadResult r = load(y);
  ASSERT_TRUE(r.config.has_value()) << dump(r.errors);
  EXPECT_TRUE(r.config->allowedOrigins(r.config->realms[0]).empty());
}

const InvalidCase kWebEdgeInvalidCases[] = {
    {"RealmBadOrigin", "- http://localhost:8080", "- localhost:8080",
     "realms[0].allowed_origins[1]", "is not an origin"},
    {"RealmOriginsNotList",
     "    allowed_origins:\n      - https://phone.example.com\n"
     "      - http://localhost:8080\n",
     "    allowed_origins: https://phone.example.com\n", "realms[0].allowed_origins",
     "expected a list"},
    {"WsUnknownKey", "idle_timeout_s: 60", "idle_timeout: 60", "realms[0].websocket.idle_timeout",
     "did you mean 'idle_timeout_s'"},
    {"WsMessageTooSmall", "max_message_bytes: 32768", "max_message_bytes: 100",
     "realms[0].websocket.max_message_bytes", "out of range (1024-1048576)"},
    {"WsRateZero", "max_messages_per_second: 20", "max_messages_per_second: 0",
     "realms[0].websocket.max_messages_per_second", "out of range"},
    {"WsIdleZero", "idle_timeout_s: 60", "idle_timeout_s: 0", "realms[0].websocket.idle_timeout_s",
     "out of range"},
    {"WsHandshakeTooLong", "handshake_timeout_s: 3", "handshake_timeout_s: 600",
     "realms[0].websocket.handshake_timeout_s", "out of range (1-60)"},
    {"JwtRequiredNotBool", "required: true", "required: yes", "realms[0].jwt.required",
     "expected true or false"},
    {"JwtRequiredWithoutIssuer", "      issuer: rampart-test\n", "", "realms[0].jwt.issuer",
     "required when jwt.required is true"},
    {"JwtRequiredWithoutAudience", "      audience: rampart\n", "", "realms[0].jwt.audience",
     "required when jwt.required is true"},
    {"JwtRequiredWithoutKeys",
     "      keys:\n        - kid: lab\n          alg: HS256\n          secret_file: certs/jwt.key\n"
     "        - kid: rsa1\n          alg: RS256\n          public_key: certs/rsa.pub\n"
     "        - kid: ec1\n          alg: ES256\n          public_key: certs/rsa.pub\n",
     "", "realms[0].jwt.keys", "at least one key"},
    {"JwtLeewayTooLarge", "leeway_s: 10", "leeway_s: 3600", "realms[0].jwt.leeway_s",
     "out of range (0-600)"},
    {"JwtUnknownAlg", "alg: RS256", "alg: none", "realms[0].jwt.keys[1].alg",
     "unknown value 'none'; expected one of HS256, RS256, ES256"},
    {"JwtMissingKid", "        - kid: rsa1\n          alg: RS256", "        - alg: RS256",
     "realms[0].jwt.keys[1].kid", "missing required key"},
    {"JwtDuplicateKid", "kid: ec1", "kid: rsa1", "realms[0].jwt.keys[2].kid",
     "duplicate kid 'rsa1' (also realms[0].jwt.keys[1])"},
    {"JwtSecretMissing", "secret_file: certs/jwt.key", "secret_file: certs/none.key",
     "realms[0].jwt.keys[0].secret_file", "file not found"},
    {"JwtSecretTooShort", "secret_file: certs/jwt.key", "secret_file: certs/short.key",
     "realms[0].jwt.keys[0].secret_file", "31 bytes, need at least 32"},
    {"JwtHsWithPublicKey", "secret_file: certs/jwt.key", "public_key: certs/rsa.pub",
     "realms[0].jwt.keys[0].public_key", "not used with HS256; give secret_file"},
    {"JwtRsWithoutPublicKey", "          public_key: certs/rsa.pub\n        - kid: ec1",
     "        - kid: ec1", "realms[0].jwt.keys[1].public_key", "RS256 needs public_key"},
    {"JwtPublicKeyNotPem", "alg: RS256\n          public_key: certs/rsa.pub",
     "alg: RS256\n          public_key: certs/wss.crt", "realms[0].jwt.keys[1].public_key",
     "not a PEM public key"},
};

class WebEdgeInvalidTest : public WebEdgeConfigTest,
                           public ::testing::WithParamInterface<InvalidCase> {};

TEST_P(WebEdgeInvalidTest, IsRejectedWithKeyAndReason) {
  const InvalidCase& c = GetParam();
  std::string y = yaml();
  std::size_t pos = y.find(c.find);
  ASSERT_NE(pos, std::string::npos) << c.find;
  ASSERT_EQ(y.find(c.find, pos + 1), std::string::npos) << "ambiguous: " << c.find;
  y.replace(pos, std::string(c.find).size(), c.replace);
  ConfigLoadResult r = load(y);
  EXPECT_FALSE(r.config.has_value());
  const ConfigError* match = nullptr;
  for (const ConfigError& e : r.errors) {
    if (e.key.find(c.key) != std::string::npos && e.reason.find(c.reason) != std::string::npos) {
      match = &e;
      break;
    }
  }
  ASSERT_NE(match, nullptr) << "want key~'" << c.key << "' reason~'" << c.reason << "', got:\n"
                            << dump(r.errors);
  EXPECT_GT(match->line, 0) << dump(r.errors);
}

INSTANTIATE_TEST_SUITE_P(Table, WebEdgeInvalidTest, ::testing::ValuesIn(kWebEdgeInvalidCases),
                         [](const ::testing::TestParamInfo<InvalidCase>& param_info) {
                           return std::string(param_info.param.name);
                         });

}  // namespace
}  // namespace rampart::platform
