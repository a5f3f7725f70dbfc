#pragma once
#include <rampart/sdp/session.h>

#include <string>

namespace rampart::sdp {

/// Serialises @p session exactly as stored: an unmodified parsed session comes back byte-exact.
/// Cannot fail.
std::string serialize(const Session& session);
/// Appends the serialisation of @p session to @p out (lets callers reuse a buffer).
void serializeTo(const Session& session, std::string& out);

}  // namespace rampart::sdp
