#include <rampart/sdp/writer.h>

namespace rampart::sdp {

void serializeTo(const Session& session, std::string& out) {
  size_t total = session.trailer().size();
  for (const Line& l : session.lines()) {
    total += l.value.size() + 4;
  }
  out.reserve(out.size() + total);
  for (const Line& l : session.lines()) {
    out.push_back(l.type);
    out.push_back('=');
    out.append(l.value);
    if (l.end == LineEnd::CrLf) {
      out.append("\r\n", 2);
    } else if (l.end == LineEnd::Lf) {
      out.push_back('\n');
    }
  }
  out.append(session.trailer());
}

std::string serialize(const Session& session) {
  std::string out;
  serializeTo(session, out);
  return out;
}

}  // namespace rampart::sdp
