#pragma once
// Result<T>: a value or an Error (std::expected is C++23). Every layer reports failures the same
// way: an ErrorCode that callers branch on (the control plane maps it to a SIP status in one
// place) and a human-readable message for logs and operators.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace rampart {

// X(name, text): the one list of error codes.
#define RAMPART_ERROR_CODES(X)                     \
  X(Internal, "internal error")                    \
  X(InvalidArgument, "invalid argument")           \
  X(Malformed, "malformed input")                  \
  X(NotAcceptable, "not acceptable")               \
  X(NotFound, "not found")                         \
  X(AlreadyExists, "already exists")               \
  X(Conflict, "conflicting operation in progress") \
  X(PermissionDenied, "permission denied")         \
  X(Unauthenticated, "not authenticated")          \
  X(Unavailable, "unavailable")                    \
  X(Overloaded, "overloaded")                      \
  X(Timeout, "timed out")                          \
  X(Unsupported, "not supported")                  \
  X(Io, "I/O error")                               \
  X(HandshakeFailed, "security handshake failed")

enum class ErrorCode : uint8_t {
#define RAMPART_ERROR_X(name, text) name,
  RAMPART_ERROR_CODES(RAMPART_ERROR_X)
#undef RAMPART_ERROR_X
};

/// @return the code's name ("Timeout"), for logs and metric labels.
constexpr std::string_view errorCodeName(ErrorCode code) {
  switch (code) {
#define RAMPART_ERROR_X(name, text) \
  case ErrorCode::name: return #name;
    RAMPART_ERROR_CODES(RAMPART_ERROR_X)
#undef RAMPART_ERROR_X
  }
  return "Unknown";
}

struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string message;

  Error() = default;
  // A message alone is an Internal error (kept for callers that have nothing to branch on).
  Error(std::string msg) : message(std::move(msg)) {}  // NOLINT(google-explicit-constructor)
  Error(const char* msg) : message(msg) {}             // NOLINT(google-explicit-constructor)
  Error(ErrorCode c, std::string msg) : code(c), message(std::move(msg)) {}
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
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

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace rampart
