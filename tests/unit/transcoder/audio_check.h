#pragma once
// Objective audio comparison for the transcoder tests: a known signal against what came out,
// after time alignment. Independent of the code under test (own G.711 tables).
#include <cstdint>
#include <vector>

namespace rampart::xc::test {

/// A logarithmic sweep from f0 to f1 Hz over `seconds`, amplitude `amp` (of 32767).
std::vector<int16_t> toneSweep(int rate, double seconds, double f0, double f1, double amp);

struct Match {
  int lag = 0;        // samples the output lags the reference
  double corr = 0;    // normalised cross-correlation at that lag
  double snr_db = 0;  // reference power over the residual after the best gain
};
/// Finds the lag in [-max_lag, max_lag] with the best correlation, skipping `skip` samples of
/// start.
Match compare(const std::vector<int16_t>& ref, const std::vector<int16_t>& out, int max_lag,
              int skip);

/// `ms` of a keypad key's DTMF tone pair at 8 kHz ("123A456B789C*0#D"), each tone at its
/// level in dBov.
std::vector<int16_t> dtmfKey(char key, int ms, double dbov_row = -10, double dbov_col = -10);

uint8_t ulawEncode(int16_t s);
int16_t ulawDecode(uint8_t u);
uint8_t alawEncode(int16_t s);
int16_t alawDecode(uint8_t a);

}  // namespace rampart::xc::test
