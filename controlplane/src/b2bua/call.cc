#include "b2bua/call.h"

namespace rampart::cp {

const char* callStateName(CallState s) {
  switch (s) {
    case CallState::Routing: return "routing";
    case CallState::Early: return "early";
    case CallState::Answering: return "answering";
    case CallState::Confirmed: return "confirmed";
    case CallState::Ending: return "ending";
    case CallState::Ended: return "ended";
  }
  return "?";
}

}  // namespace rampart::cp
