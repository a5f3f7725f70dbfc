#include <rampart/sdp/result.h>
#include <rampart/sdp/session.h>

#include <algorithm>
#include <cstring>

#include "text.h"

namespace rampart::sdp {

std::string_view errorCodeName(ErrorCode code) noexcept {
  switch (code) {
#define RAMPART_SDP_X(name, text) \
  case ErrorCode::name: return #name;
    RAMPART_SDP_ERRORS(RAMPART_SDP_X)
#undef RAMPART_SDP_X
  }
  return "Unknown";
}

std::string_view errorCodeText(ErrorCode code) noexcept {
  switch (code) {
#define RAMPART_SDP_X(name, text) \
  case ErrorCode::name: return text;
    RAMPART_SDP_ERRORS(RAMPART_SDP_X)
#undef RAMPART_SDP_X
  }
  return "unknown error";
}

std::string describe(const Error& error) {
  std::string out;
  if (error.line > 0) {
    out += "line ";
    out += std::to_string(error.line);
    out += ": ";
  }
  out += error.reason.empty() ? std::string(errorCodeText(error.code)) : error.reason;
  out += " (";
  out += errorCodeName(error.code);
  out += ')';
  return out;
}

Attribute splitAttribute(std::string_view v) noexcept {
  detail::AttrSplit a = detail::splitAttr(v);
  return Attribute{a.name, a.value, a.has_value};
}

namespace {
const Line* findIn(std::span<const Line> lines, std::string_view name) noexcept {
  for (const Line& l : lines) {
    if (l.type == 'a' && l.value.size() >= name.size() &&
        l.value.compare(0, name.size(), name) == 0 &&
        (l.value.size() == name.size() || l.value[name.size()] == ':')) {
      return &l;
    }
  }
  return nullptr;
}
}  // namespace

const Line* MediaView::findAttribute(std::string_view name) const noexcept {
  return findIn(lines_, name);
}

std::optional<std::string_view> MediaView::attribute(std::string_view name) const noexcept {
  const Line* l = findAttribute(name);
  if (l == nullptr) {
    return std::nullopt;
  }
  return splitAttribute(l->value).value;
}

MediaLine MediaView::mediaLine() const noexcept {
  MediaLine m;
  (void)parseMediaLine(lines_[0].value, m);
  return m;
}

std::optional<Connection> MediaView::connection(
    std::optional<Connection> session_level) const noexcept {
  for (const Line& l : lines_) {
    Connection c;
    if (l.type == 'c' && parseConnection(l.value, c).ok()) {
      return c;
    }
  }
  return session_level;
}

Direction MediaView::direction(Direction session_default) const noexcept {
  for (const Line& l : lines_) {
    Direction d;
    if (l.type == 'a' && parseDirection(l.value, d)) {
      return d;
    }
  }
  return session_default;
}

Origin Session::origin() const noexcept {
  Origin o;
  if (lines_.size() > 1) {
    (void)parseOrigin(lines_[1].value, o);
  }
  return o;
}

std::optional<Connection> Session::connection() const noexcept {
  for (const Line& l : sessionLines()) {
    Connection c;
    if (l.type == 'c' && parseConnection(l.value, c).ok()) {
      return c;
    }
  }
  return std::nullopt;
}

Direction Session::direction() const noexcept {
  for (const Line& l : sessionLines()) {
    Direction d;
    if (l.type == 'a' && parseDirection(l.value, d)) {
      return d;
    }
  }
  return Direction::SendRecv;
}

std::span<const Line> Session::sessionLines() const noexcept {
  size_t n = media_start_.empty() ? lines_.size() : media_start_.front();
  return std::span<const Line>(lines_).subspan(0, n);
}

MediaView Session::media(size_t index) const noexcept {
  size_t begin = media_start_[index];
  size_t end = index + 1 < media_start_.size() ? media_start_[index + 1] : lines_.size();
  return MediaView(std::span<const Line>(lines_).subspan(begin, end - begin), begin);
}

const Line* Session::findSessionAttribute(std::string_view name) const noexcept {
  return findIn(sessionLines(), name);
}

std::string_view Session::store(std::string_view text) {
  auto buf = std::make_unique<char[]>(text.size() + 1);
  if (!text.empty()) {
    std::memcpy(buf.get(), text.data(), text.size());
  }
  std::string_view view(buf.get(), text.size());
  edits_.push_back(std::move(buf));
  return view;
}

void Session::rebuildMediaIndex() {
  media_start_.clear();
  for (size_t i = 0; i < lines_.size(); ++i) {
    if (lines_[i].type == 'm') {
      media_start_.push_back(static_cast<uint32_t>(i));
    }
  }
}

void Session::setLineValue(size_t index, std::string_view value) {
  lines_.at(index).value = store(value);
  validated_ = false;
}

void Session::insertLine(size_t index, char type, std::string_view value) {
  validated_ = false;
  LineEnd end = lines_.empty() ? LineEnd::CrLf : lines_.front().end;
  if (index == lines_.size() && !lines_.empty() && lines_.back().end == LineEnd::None) {
    // The new last line takes over "no terminator"; the old last line needs one now.
    lines_.back().end = LineEnd::CrLf;
    end = LineEnd::None;
  }
  lines_.insert(lines_.begin() + static_cast<std::ptrdiff_t>(std::min(index, lines_.size())),
                Line{type, end, store(value)});
  rebuildMediaIndex();
}

void Session::eraseLine(size_t index) {
  if (index >= lines_.size()) {
    return;
  }
  validated_ = false;
  LineEnd end = lines_[index].end;
  lines_.erase(lines_.begin() + static_cast<std::ptrdiff_t>(index));
  if (index == lines_.size() && !lines_.empty() && end == LineEnd::None) {
    lines_.back().end = LineEnd::None;
  }
  rebuildMediaIndex();
}

}  // namespace rampart::sdp
