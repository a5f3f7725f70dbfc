#include "dtls/srtp_export.h"

#include <openssl/crypto.h>

#include <array>
#include <cstring>

namespace rampart::cp::dtls {

namespace {

constexpr std::array<SrtpProfileInfo, 3> kProfiles{{
    {SRTP_AEAD_AES_256_GCM, "SRTP_AEAD_AES_256_GCM", abi::SrtpSuite::AeadAes256Gcm, 32, 12},
    {SRTP_AEAD_AES_128_GCM, "SRTP_AEAD_AES_128_GCM", abi::SrtpSuite::AeadAes128Gcm, 16, 12},
    {SRTP_AES128_CM_SHA1_80, "SRTP_AES128_CM_SHA1_80", abi::SrtpSuite::AesCm128HmacSha1_80, 16, 14},
}};

constexpr char kExporterLabel[] = "EXTRACTOR-dtls_srtp";
constexpr size_t kMaxMaterial = 2 * (32 + 12);

// key||salt for one direction out of client_key|server_key|client_salt|server_salt.
abi::SrtpParams direction(const SrtpProfileInfo& p, const uint8_t* material, bool client) {
  abi::SrtpParams out{};
  out.suite = p.suite;
  out.key_len = static_cast<uint8_t>(p.key_bytes + p.salt_bytes);
  const uint8_t* key = material + (client ? 0 : p.key_bytes);
  const uint8_t* salt = material + 2 * p.key_bytes + (client ? 0 : p.salt_bytes);
  std::memcpy(out.key, key, p.key_bytes);
  std::memcpy(out.key + p.key_bytes, salt, p.salt_bytes);
  return out;
}

}  // namespace

std::optional<Role> roleFromLocalSetup(std::string_view local_setup) {
  if (local_setup == "active") {
    return Role::Client;
  }
  if (local_setup == "passive") {
    return Role::Server;
  }
  return std::nullopt;
}

std::optional<SrtpProfileInfo> profileById(uint16_t id) {
  for (const SrtpProfileInfo& p : kProfiles) {
    if (p.id == id) {
      return p;
    }
  }
  return std::nullopt;
}

SrtpKeys::~SrtpKeys() {
  OPENSSL_cleanse(local.key, sizeof local.key);
  OPENSSL_cleanse(remote.key, sizeof remote.key);
}

Result<SrtpKeys> exportSrtpKeys(SSL* ssl, Role role) {
  const SRTP_PROTECTION_PROFILE* negotiated = SSL_get_selected_srtp_profile(ssl);
  if (negotiated == nullptr) {
    return Error(ErrorCode::HandshakeFailed, "DTLS peer negotiated no SRTP profile (use_srtp)");
  }
  std::optional<SrtpProfileInfo> p = profileById(static_cast<uint16_t>(negotiated->id));
  if (!p) {
    return Error(ErrorCode::HandshakeFailed,
                 std::string("DTLS peer negotiated unsupported SRTP profile ") +
                     (negotiated->name != nullptr ? negotiated->name : "?"));
  }
  uint8_t material[kMaxMaterial];
  size_t n = 2 * (size_t{p->key_bytes} + p->salt_bytes);
  if (SSL_export_keying_material(ssl, material, n, kExporterLabel, sizeof kExporterLabel - 1,
                                 nullptr, 0, 0) != 1) {
    return Error(ErrorCode::HandshakeFailed, "DTLS-SRTP keying material export failed");
  }
  SrtpKeys keys;
  keys.profile = *p;
  bool client = role == Role::Client;
  keys.local = direction(*p, material, client);
  keys.remote = direction(*p, material, !client);
  OPENSSL_cleanse(material, sizeof material);
  return keys;
}

}  // namespace rampart::cp::dtls
