// Elementwise math for the kernels' vectorized loops.
#pragma once
#include <cmath>
#include <cstdint>

// Branch-free float32 code vectorizes only when float compares may be assumed not to trap,
// so this holds for the rest of every file including it (results are unchanged: no
// reassociation, no contraction; only floating-point exception flags and errno are not
// maintained).
#pragma GCC optimize("no-trapping-math", "no-math-errno")

namespace ember {

// Vectorizable float32 exp, erf and tanh (plain arithmetic, so `omp simd` loops vectorize
// without -ffast-math); float64 uses the C library. Accuracy: exp ~1 ulp (Cephes expf),
// erf within 1.5e-7 absolute (Abramowitz & Stegun 7.1.26).
inline float exp_fast(float x) {
  constexpr float kLo = -103.972f;  // below: exp underflows to 0
  constexpr float kHi = 88.7228f;   // above: exp overflows to inf
  const float xc = x < kLo ? kLo : (x > kHi ? kHi : x);
  const float fx = xc * 1.44269504088896341f + 0.5f;
  int32_t n = static_cast<int32_t>(fx);
  n -= static_cast<int32_t>(static_cast<float>(n) > fx);  // floor
  const float fn = static_cast<float>(n);
  const float r = xc - fn * 0.693359375f + fn * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  // 2^n as two factors, so n from -150 to 128 stays within float exponents (gradual
  // underflow and overflow happen in the products)
  const int32_t half = n / 2;
  const float s1 = __builtin_bit_cast(float, (half + 127) << 23);
  const float s2 = __builtin_bit_cast(float, (n - half + 127) << 23);
  float e = y * s1 * s2;
  e = x < kLo ? 0.0f : e;
  e = x > kHi ? __builtin_inff() : e;
  return x != x ? x : e;  // NaN stays NaN
}
inline double exp_fast(double x) { return std::exp(x); }

inline float erf_fast(float x) {
  const float ax = __builtin_fabsf(x);
  const float t = 1.0f / (1.0f + 0.3275911f * ax);
  const float poly =
      ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t +
       0.254829592f) * t;
  return __builtin_copysignf(1.0f - poly * exp_fast(-ax * ax), x);
}
inline double erf_fast(double x) { return std::erf(x); }

inline float tanh_fast(float x) { return 1.0f - 2.0f / (exp_fast(2.0f * x) + 1.0f); }
inline double tanh_fast(double x) { return std::tanh(x); }

}  // namespace ember
