#pragma once
// RAII over one libsrtp2 session (srtp_t) used by the media peer: an outbound session protects
// one stream's RTP and RTCP, an inbound session accepts any SSRC (the relay may rewrite it).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "media_peer/tool_util.h"

struct srtp_ctx_t_;

namespace rampart::tools {

enum class SrtpStatus { Ok, AuthFail, ReplayFail, Other };

class SrtpSession {
 public:
  // @return nullopt with `why` set when libsrtp refuses the policy or key.
  static std::optional<SrtpSession> create(SrtpSuite suite, const std::vector<uint8_t>& key,
                                           bool inbound, uint32_t ssrc, std::string& why);

  // In place; `buf` must have SRTP_MAX_TRAILER_LEN (16) spare bytes after `len`.
  // `len` is updated.
  SrtpStatus protectRtp(uint8_t* buf, int& len);
  SrtpStatus unprotectRtp(uint8_t* buf, int& len);
  SrtpStatus protectRtcp(uint8_t* buf, int& len);
  SrtpStatus unprotectRtcp(uint8_t* buf, int& len);

 private:
  struct Deleter {
    void operator()(srtp_ctx_t_* ctx) const;
  };
  explicit SrtpSession(srtp_ctx_t_* ctx) : ctx_(ctx) {}
  std::unique_ptr<srtp_ctx_t_, Deleter> ctx_;
};

// Bytes an SRTP/SRTCP trailer may add (tag + SRTCP index + MKI), so buffers leave room.
inline constexpr int kSrtpTrailerRoom = 32;

}  // namespace rampart::tools
