#pragma once
// Result<T> and the typed SDP error. rampart_sdp links nothing, so it carries its own small
// expected-like type instead of rampart/platform/result.h (std::expected is C++23).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace rampart::sdp {

// X(name, text): one source of truth for the enum, its string and any metrics label.
#define RAMPART_SDP_ERRORS(X)                                                      \
  X(BodyTooLarge, "body larger than the configured limit")                         \
  X(LineTooLong, "line longer than the configured limit")                          \
  X(TooManyMedia, "more m-lines than the configured limit")                        \
  X(TooManyAttributes, "more attributes than the configured limit")                \
  X(EmptyBody, "empty body")                                                       \
  X(BadEncoding, "control character or invalid UTF-8")                             \
  X(BadLineSyntax, "line is not <type>=<value>")                                   \
  X(UnknownLineType, "unknown line type")                                          \
  X(LineOutOfOrder, "line not allowed here")                                       \
  X(MissingLine, "mandatory line missing")                                         \
  X(BadVersion, "bad v= line")                                                     \
  X(BadOrigin, "bad o= line")                                                      \
  X(BadSessionName, "bad s= line")                                                 \
  X(BadConnection, "bad c= line")                                                  \
  X(BadBandwidth, "bad b= line")                                                   \
  X(BadTiming, "bad t= or r= line")                                                \
  X(BadMedia, "bad m= line")                                                       \
  X(BadAttribute, "bad attribute syntax")                                          \
  X(BadRtpmap, "bad a=rtpmap")                                                     \
  X(BadFmtp, "bad a=fmtp")                                                         \
  X(BadRtcpFb, "bad a=rtcp-fb")                                                    \
  X(BadPtime, "bad a=ptime or a=maxptime")                                         \
  X(BadRtcp, "bad a=rtcp")                                                         \
  X(BadMid, "bad a=mid")                                                           \
  X(BadGroup, "bad a=group")                                                       \
  X(BadMsid, "bad a=msid")                                                         \
  X(BadSsrc, "bad a=ssrc or a=ssrc-group")                                         \
  X(BadExtmap, "bad a=extmap")                                                     \
  X(BadCrypto, "bad a=crypto")                                                     \
  X(BadFingerprint, "bad a=fingerprint")                                           \
  X(BadSetup, "bad a=setup")                                                       \
  X(BadTlsId, "bad a=tls-id")                                                      \
  X(BadIce, "bad a=ice-ufrag, a=ice-pwd or a=ice-options")                         \
  X(BadCandidate, "bad a=candidate")                                               \
  X(BadRid, "bad a=rid or a=simulcast")                                            \
  X(FlagWithValue, "flag attribute carries a value")                               \
  X(DuplicateAttribute, "attribute may appear only once")                          \
  X(NoPendingOffer, "answer without a pending offer")                              \
  X(OfferPending, "offer while another offer is pending")                          \
  X(ReofferRemovedMedia, "re-offer removed or changed an m-line")                  \
  X(MidChanged, "mid of an established m-line changed")                            \
  X(AnswerMismatch, "answer does not match the offer")                             \
  X(NoAcceptableMedia, "no m-line survives the policy")                            \
  X(MissingLocalParameter, "control plane did not supply an address, port or key") \
  X(BadOption, "bad normaliser option")

enum class ErrorCode : uint8_t {
#define RAMPART_SDP_X(name, text) name,
  RAMPART_SDP_ERRORS(RAMPART_SDP_X)
#undef RAMPART_SDP_X
};

/// @return the fixed description of @p code (never null).
std::string_view errorCodeName(ErrorCode code) noexcept;
/// @return the short description of @p code.
std::string_view errorCodeText(ErrorCode code) noexcept;

/// A rejected SDP: the 1-based line number (0 when the error is not tied to a line), the code
/// and a human-readable reason suitable for a SIP Warning header or a log.
struct Error {
  ErrorCode code = ErrorCode::BadLineSyntax;
  int line = 0;
  std::string reason;
};
using ParseError = Error;

/// "line N: <reason> (<code>)" for logs and the CLI.
std::string describe(const Error& error);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

/// Shorthand used by the parsers: an Error for @p line with @p reason.
inline Error makeError(ErrorCode code, int line, std::string reason) {
  return Error{code, line, std::move(reason)};
}

}  // namespace rampart::sdp
