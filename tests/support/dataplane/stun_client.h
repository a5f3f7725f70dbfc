#pragma once
// Test helper: the browser's side of ICE checks, built and decoded with libnice's stun/ codec
// (the same codec the dataplane answers with, used here as an independent client). Requests
// can leave out or falsify any part, so every branch of the dataplane's STUN stage is reachable.
#include <sys/socket.h>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <stun/stunagent.h>
#include <stun/stunmessage.h>

namespace rampart::dp::test {

inline constexpr char kIceLocalUfrag[] = "rAmP";                  // Rampart's ufrag (from its SDP)
inline constexpr char kIceLocalPwd[] = "rampartIcePassword1234";  // 22 characters
inline constexpr char kIceRemoteUfrag[] = "brWs";                 // the browser's

struct StunCheck {
  std::string username = std::string(kIceLocalUfrag) + ":" + kIceRemoteUfrag;
  std::string key = kIceLocalPwd;  // empty: no MESSAGE-INTEGRITY
  bool with_username = true;
  bool with_priority = true;
  bool controlling = true;  // ICE-CONTROLLING
  bool controlled = false;  // ICE-CONTROLLED (a role conflict with a lite agent)
  bool use_candidate = false;
  bool fingerprint = true;
  StunMethod method = STUN_BINDING;
  uint16_t unknown_required_attr = 0;  // 0: none
};

class StunClient {
 public:
  StunClient() {
    init(&agent_, true);
    init(&plain_, false);
  }

  std::vector<uint8_t> request(const StunCheck& c) {
    StunAgent* a = c.fingerprint ? &agent_ : &plain_;
    uint8_t buf[600];
    StunMessage msg{};
    if (!stun_agent_init_request(a, &msg, buf, sizeof(buf), c.method)) {
      return {};
    }
    if (c.with_username) {
      stun_message_append_bytes(&msg, STUN_ATTRIBUTE_USERNAME, c.username.data(),
                                c.username.size());
    }
    if (c.with_priority) {
      stun_message_append32(&msg, STUN_ATTRIBUTE_PRIORITY, 0x6e0001ffu);
    }
    if (c.controlling) {
      stun_message_append64(&msg, STUN_ATTRIBUTE_ICE_CONTROLLING, 0x1122334455667788ull);
    }
    if (c.controlled) {
      stun_message_append64(&msg, STUN_ATTRIBUTE_ICE_CONTROLLED, 0x1122334455667788ull);
    }
    if (c.use_candidate) {
      stun_message_append_flag(&msg, STUN_ATTRIBUTE_USE_CANDIDATE);
    }
    if (c.unknown_required_attr != 0) {
      stun_message_append32(&msg, static_cast<StunAttribute>(c.unknown_required_attr), 1);
    }
    keys_.push_back(c.key);
    const std::string& key = keys_.back();
    size_t n = stun_agent_finish_message(
        a, &msg, key.empty() ? nullptr : reinterpret_cast<const uint8_t*>(key.data()), key.size());
    return std::vector<uint8_t>(buf, buf + n);
  }

  struct Response {
    StunValidationStatus status = STUN_VALIDATION_NOT_STUN;
    StunClass cls = STUN_REQUEST;
    int error = 0;             // ERROR-CODE, 0 when absent
    bool integrity = false;    // MESSAGE-INTEGRITY present (verified when status is SUCCESS)
    bool fingerprint = false;  // FINGERPRINT present (verified when status is SUCCESS)
    bool mapped = false;
    sockaddr_storage xor_mapped{};
  };

  // Decodes a response as the browser's agent would: libnice matches it to the request sent,
  // checks FINGERPRINT and verifies MESSAGE-INTEGRITY with the key the request used.
  Response decode(std::vector<uint8_t> bytes) {
    Response r;
    StunMessage msg{};
    r.status = stun_agent_validate(&agent_, &msg, bytes.data(), bytes.size(), nullptr, nullptr);
    if (stun_message_validate_buffer_length(bytes.data(), bytes.size(), true) <= 0) {
      return r;
    }
    msg.buffer = bytes.data();
    msg.buffer_len = bytes.size();
    r.cls = stun_message_get_class(&msg);
    stun_message_find_error(&msg, &r.error);
    r.integrity = stun_message_has_attribute(&msg, STUN_ATTRIBUTE_MESSAGE_INTEGRITY);
    r.fingerprint = stun_message_has_attribute(&msg, STUN_ATTRIBUTE_FINGERPRINT);
    socklen_t len = sizeof(r.xor_mapped);
    r.mapped = stun_message_find_xor_addr(&msg, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &r.xor_mapped,
                                          &len) == STUN_MESSAGE_RETURN_SUCCESS;
    return r;
  }

 private:
  static void init(StunAgent* a, bool fingerprint) {
    static const uint16_t kAttrs[] = {STUN_ATTRIBUTE_USERNAME,
                                      STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
                                      STUN_ATTRIBUTE_ERROR_CODE,
                                      STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
                                      STUN_ATTRIBUTE_PRIORITY,
                                      STUN_ATTRIBUTE_USE_CANDIDATE,
                                      STUN_ATTRIBUTE_FINGERPRINT,
                                      STUN_ATTRIBUTE_ICE_CONTROLLED,
                                      STUN_ATTRIBUTE_ICE_CONTROLLING,
                                      STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES,
                                      0};
    stun_agent_init(
        a, kAttrs, STUN_COMPATIBILITY_RFC5389,
        static_cast<StunAgentUsageFlags>(STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
                                         (fingerprint ? STUN_AGENT_USAGE_USE_FINGERPRINT : 0)));
  }

  StunAgent agent_{};
  StunAgent plain_{};
  // libnice keeps a pointer to each request's key (and at most 200 requests per agent).
  std::deque<std::string> keys_;
};

}  // namespace rampart::dp::test
