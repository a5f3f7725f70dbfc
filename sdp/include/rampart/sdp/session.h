#pragma once
// The SDP session model: every line is kept in input order, so an unmodified session serialises
// back byte-exact. Typed views (attributes.h) are parsed from the stored lines on demand; the
// parser has already checked their syntax, so they cannot fail on a parsed Session.
#include <rampart/sdp/attributes.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace rampart::sdp {

/// How a line was terminated in the input; kept so round trips are byte-exact.
enum class LineEnd : uint8_t { CrLf, Lf, None };

/// One "<type>=<value>" line. @c value excludes "<type>=" and the terminator; it points into
/// storage owned by the Session.
struct Line {
  char type = 0;
  LineEnd end = LineEnd::CrLf;
  std::string_view value;
};

/// An "a=" value split at the first ':'.
struct Attribute {
  std::string_view name;
  std::string_view value;
  bool has_value = false;
};

/// Splits an attribute value ("rtpmap:0 PCMU/8000" -> {"rtpmap", "0 PCMU/8000", true}).
Attribute splitAttribute(std::string_view line_value) noexcept;

/// Size limits applied before and during parsing (from realm config). Every loop and every
/// allocation in the parser is bounded by these.
struct Limits {
  size_t max_body_bytes = size_t{64} * 1024;
  size_t max_line_length = 2048;
  size_t max_media = 32;
  size_t max_attributes = 1024;  ///< a= lines in the whole body
};

/// Read-only view of one media section: lines()[0] is the m= line.
class MediaView {
 public:
  MediaView(std::span<const Line> lines, size_t first_line_index) noexcept
      : lines_(lines), first_(first_line_index) {}
  std::span<const Line> lines() const noexcept { return lines_; }
  /// 0-based index of the m= line in Session::lines().
  size_t firstLineIndex() const noexcept { return first_; }
  /// First a= line named @p name, or nullptr.
  const Line* findAttribute(std::string_view name) const noexcept;
  /// Value of the first a= line named @p name, if present.
  std::optional<std::string_view> attribute(std::string_view name) const noexcept;
  bool hasAttribute(std::string_view name) const noexcept { return findAttribute(name) != nullptr; }
  /// Calls @p fn(value) for every a= line named @p name, in order (values after "name:").
  template <typename Fn>
  void forEachAttribute(std::string_view name, Fn&& fn) const {
    for (const Line& l : lines_) {
      if (l.type == 'a') {
        Attribute a = splitAttribute(l.value);
        if (a.name == name) {
          fn(a.value);
        }
      }
    }
  }
  /// The m= line's fields (kind, port, port count, proto, formats).
  MediaLine mediaLine() const noexcept;
  /// Media-level c= if present, else @p sessionLevel (from Session::connection()).
  std::optional<Connection> connection(std::optional<Connection> session_level) const noexcept;
  /// The direction attribute of this section, else @p sessionDefault.
  Direction direction(Direction session_default = Direction::SendRecv) const noexcept;

 private:
  std::span<const Line> lines_;
  size_t first_;
};

/// A parsed SDP body. Move-only: lines point into buffers it owns (heap buffers, so moving the
/// Session keeps them valid).
class Session {
 public:
  Session() = default;
  Session(Session&&) noexcept = default;
  Session& operator=(Session&&) noexcept = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  std::span<const Line> lines() const noexcept { return lines_; }
  /// Lines before the first m= line.
  std::span<const Line> sessionLines() const noexcept;
  size_t mediaCount() const noexcept { return media_start_.size(); }
  /// @p index must be < mediaCount().
  MediaView media(size_t index) const noexcept;
  /// First session-level a= line named @p name, or nullptr.
  const Line* findSessionAttribute(std::string_view name) const noexcept;
  /// Typed o=, session-level c= (if any) and session-level direction (sendrecv if none).
  Origin origin() const noexcept;
  std::optional<Connection> connection() const noexcept;
  Direction direction() const noexcept;
  /// Bytes after the last line that were only blank lines (kept for byte-exact output).
  std::string_view trailer() const noexcept { return trailer_; }
  /// True when parse() checked every line and nothing was edited since: readers may then split
  /// fields without re-validating them. Edits clear it (edited values are not checked).
  bool validated() const noexcept { return validated_; }

  // Editing. Values are copied into the session's own storage.
  /// Replaces the value of line @p index (< lines().size()).
  void setLineValue(size_t index, std::string_view value);
  /// Inserts a line before @p index (== lines().size() appends). An 'm' line starts a section.
  void insertLine(size_t index, char type, std::string_view value);
  /// Removes line @p index; removing an m= line merges its section into the previous one.
  void eraseLine(size_t index);

 private:
  friend class Parser;
  std::string_view store(std::string_view text);
  void rebuildMediaIndex();

  std::unique_ptr<char[]> text_;                // the input body
  std::vector<std::unique_ptr<char[]>> edits_;  // storage for edited values
  std::vector<Line> lines_;
  std::vector<uint32_t> media_start_;  // index of each m= line in lines_
  std::string_view trailer_;
  bool validated_ = false;
};

}  // namespace rampart::sdp
