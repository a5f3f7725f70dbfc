#pragma once
#include <rampart/sdp/result.h>
#include <rampart/sdp/session.h>

#include <string_view>

namespace rampart::sdp {

/// Parses and validates one SDP body (RFC 8866 syntax, strict). Lines may end in CRLF or LF.
/// The body is copied once; the result owns everything it points to.
///
/// @return the Session, or an Error with the 1-based line number and one of:
///   BodyTooLarge, LineTooLong, TooManyMedia, TooManyAttributes (limits),
///   EmptyBody, BadEncoding (NUL, stray CR, control characters, invalid UTF-8),
///   BadLineSyntax, UnknownLineType, LineOutOfOrder, MissingLine, DuplicateAttribute,
///   FlagWithValue, or the Bad* code of the line or attribute that failed its grammar
///   (BadOrigin, BadMedia, BadRtpmap, BadCrypto, BadCandidate, ...).
Result<Session> parse(std::string_view body, const Limits& limits = Limits{});

}  // namespace rampart::sdp
