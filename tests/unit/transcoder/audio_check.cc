#include "audio_check.h"

#include <cmath>
#include <string>

namespace rampart::xc::test {

std::vector<int16_t> toneSweep(int rate, double seconds, double f0, double f1, double amp) {
  auto n = static_cast<size_t>(rate * seconds);
  std::vector<int16_t> v(n);
  double k = std::log(f1 / f0) / seconds;
  for (size_t i = 0; i < n; ++i) {
    double t = static_cast<double>(i) / rate;
    double phase = 2 * M_PI * f0 * (std::exp(k * t) - 1) / k;
    v[i] = static_cast<int16_t>(amp * std::sin(phase));
  }
  return v;
}

Match compare(const std::vector<int16_t>& ref, const std::vector<int16_t>& out, int max_lag,
              int skip) {
  Match best;
  best.corr = -2;
  // Negative lags too: a receiver that missed the first packets places the rest early.
  for (int lag = -max_lag; lag <= max_lag; ++lag) {
    double rr = 0, oo = 0, ro = 0;
    for (int i = skip; i < static_cast<int>(ref.size()); ++i) {
      int j = i + lag;
      if (j < 0 || j >= static_cast<int>(out.size())) {
        continue;
      }
      double r = ref[static_cast<size_t>(i)];
      double o = out[static_cast<size_t>(j)];
      rr += r * r;
      oo += o * o;
      ro += r * o;
    }
    double c = (rr > 0 && oo > 0) ? ro / std::sqrt(rr * oo) : 0;
    if (c > best.corr) {
      best.corr = c;
      best.lag = lag;
      double g = ro / oo;  // gain that best maps out onto ref
      double res = rr - 2 * g * ro + g * g * oo;
      best.snr_db = res > 0 ? 10 * std::log10(rr / res) : 99;
    }
  }
  return best;
}

// ITU-T G.711 mu-law, the classic segment/bias form.
uint8_t ulawEncode(int16_t s) {
  constexpr int kBias = 0x84;
  constexpr int kClip = 32635;
  int sign = (s >> 8) & 0x80;
  int v = sign != 0 ? -static_cast<int>(s) : s;
  v = v > kClip ? kClip : v;
  v += kBias;
  int exp = 7;
  for (int mask = 0x4000; (v & mask) == 0 && exp > 0; mask >>= 1) {
    --exp;
  }
  int mant = (v >> (exp + 3)) & 0x0f;
  return static_cast<uint8_t>(~(sign | (exp << 4) | mant));
}

int16_t ulawDecode(uint8_t u) {
  u = static_cast<uint8_t>(~u);
  int sign = u & 0x80;
  int exp = (u >> 4) & 0x07;
  int mant = u & 0x0f;
  int v = ((mant << 3) + 0x84) << exp;
  v -= 0x84;
  return static_cast<int16_t>(sign != 0 ? -v : v);
}

// ITU-T G.711 A-law: 13-bit magnitude, segment and 4-bit mantissa, even bits inverted.
uint8_t alawEncode(int16_t s) {
  int sign = s >= 0 ? 0x80 : 0;
  int v = s >= 0 ? s : -static_cast<int>(s) - 1;
  v >>= 3;  // 13 bits
  int seg = 0;
  for (int t = v >> 5; t != 0 && seg < 7; t >>= 1) {
    ++seg;
  }
  int mant = seg == 0 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
  return static_cast<uint8_t>((sign | (seg << 4) | mant) ^ 0x55);
}

int16_t alawDecode(uint8_t a) {
  a ^= 0x55;
  int seg = (a >> 4) & 0x07;
  int mant = a & 0x0f;
  int v = seg == 0 ? (mant << 4) + 8 : ((mant << 4) + 0x108) << (seg - 1);
  return static_cast<int16_t>((a & 0x80) != 0 ? v : -v);
}

std::vector<int16_t> dtmfKey(char key, int ms, double dbov_row, double dbov_col) {
  static constexpr double kRow[4] = {697, 770, 852, 941};
  static constexpr double kCol[4] = {1209, 1336, 1477, 1633};
  const std::string keys = "123A456B789C*0#D";
  auto idx = static_cast<int>(keys.find(key));
  double ar = 32767 * std::pow(10, dbov_row / 20);
  double ac = 32767 * std::pow(10, dbov_col / 20);
  std::vector<int16_t> pcm;
  for (int i = 0; i < ms * 8; ++i) {
    double t = i / 8000.0;
    pcm.push_back(static_cast<int16_t>(ar * std::sin(2 * M_PI * kRow[idx / 4] * t) +
                                       ac * std::sin(2 * M_PI * kCol[idx % 4] * t)));
  }
  return pcm;
}

}  // namespace rampart::xc::test
