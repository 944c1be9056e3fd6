#pragma once
// The arithmetic behind Philox normals and scaled fills, written once for the
// CPU and the GPU so both give the same bits (Note [Bit-identical normals]).
//
// Note [Bit-identical normals]
// IEEE 754 rounds +, -, *, / and sqrt correctly, so a computation made of
// those alone, in a fixed order, gives the same bits on every conforming
// machine. Two things break that and are excluded here:
// - Library functions (log, sin, cos) are not correctly rounded and the
//   host's libm differs from the device's by a few ulps. The Gaussian
//   transform therefore uses its own log and sin/cos (philox_log,
//   philox_sincos_2pi): integer bit operations for the range reduction and
//   Taylor polynomials in +, -, * and one / for the rest.
// - Contraction: a compiler may fuse a * b + c into one FMA, rounded once
//   instead of twice (nvcc does by default, GCC with -march=native does too,
//   even in ISO mode). So every operation goes through the rn:: helpers: on
//   the device the __dadd_rn / __dmul_rn / __fmul_rn ... intrinsics, which
//   nvcc never contracts whatever --fmad says; on the host the plain
//   operator, with each product passed through an empty asm statement that
//   hides it from the optimiser, so no FMA can absorb it. The asm emits no
//   instruction; it only stops fusion (and vectorisation of the loop, which
//   the fills do not rely on).
// Not covered: builds with -ffast-math (or nvcc --use_fast_math on the host
// side), which license reassociation; veil is not built that way.
#include <cstdint>
#if !defined(__CUDA_ARCH__)
#include <bit>
#endif

#include "veil/core/host_device.h"

namespace veil::rn {

#if !defined(__CUDA_ARCH__)
// x, unchanged, but opaque to the optimiser (see the Note).
template <typename T>
inline T opaque(T x) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  __asm__("" : "+x"(x));
#elif defined(__GNUC__) && defined(__aarch64__)
  __asm__("" : "+w"(x));
#else
  volatile T held = x;
  x = held;
#endif
  return x;
}
#endif

VEIL_HOST_DEVICE inline double add(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
VEIL_HOST_DEVICE inline double sub(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dsub_rn(a, b);
#else
  return a - b;
#endif
}
VEIL_HOST_DEVICE inline double mul(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return opaque(a * b);
#endif
}
VEIL_HOST_DEVICE inline double div(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __ddiv_rn(a, b);
#else
  return a / b;
#endif
}
VEIL_HOST_DEVICE inline double sqrt(double a) {
#if defined(__CUDA_ARCH__)
  return __dsqrt_rn(a);
#else
  return __builtin_sqrt(a);  // sqrtsd / fsqrt: correctly rounded; a >= 0 here, so errno is never touched
#endif
}
VEIL_HOST_DEVICE inline float add(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
VEIL_HOST_DEVICE inline float sub(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}
VEIL_HOST_DEVICE inline float mul(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return opaque(a * b);
#endif
}

// a + b * c with two roundings (never an FMA): the scaled fills' formula.
template <typename T>
VEIL_HOST_DEVICE inline T add_mul(T a, T b, T c) {
  return add(a, mul(b, c));
}

VEIL_HOST_DEVICE inline std::uint64_t bits_of(double x) {
#if defined(__CUDA_ARCH__)
  return static_cast<std::uint64_t>(__double_as_longlong(x));
#else
  return std::bit_cast<std::uint64_t>(x);
#endif
}
VEIL_HOST_DEVICE inline double double_of(std::uint64_t bits) {
#if defined(__CUDA_ARCH__)
  return __longlong_as_double(static_cast<long long>(bits));
#else
  return std::bit_cast<double>(bits);
#endif
}

}  // namespace veil::rn

namespace veil {

// ln(u) for u in [2^-1022, 1] (normal, positive: the uniforms of
// core/philox.h), within about 1 ulp. u = 2^e m with m in [sqrt(1/2),
// sqrt(2)) by bit operations; with f = m - 1 (exact) and s = f / (2 + f),
//   ln m = 2 atanh(s) = f - s (f - z P(z)),  z = s^2,  P(z) = sum_k 2 z^(k-1) / (2k + 1),
// nine terms (|s| <= 0.1716, so the tenth is below 2^-60 of the result), and
// ln u = e ln2_hi + (ln m + e ln2_lo) with ln2_hi short enough that e ln2_hi
// is exact.
VEIL_HOST_DEVICE inline double philox_log(double u) {
  constexpr std::uint64_t kMantissa = (std::uint64_t{1} << 52) - 1;
  constexpr std::uint64_t kSqrt2Mantissa = 0x6a09e667f3bcdULL;  // sqrt(2) = 1.6a09e667f3bcd p+0
  const std::uint64_t bits = rn::bits_of(u);
  const std::uint64_t mantissa = bits & kMantissa;
  const std::uint64_t halve = mantissa > kSqrt2Mantissa ? 1 : 0;  // m in [sqrt 2, 2): use m / 2
  const auto e = static_cast<std::int64_t>(bits >> 52) - 1023 + static_cast<std::int64_t>(halve);
  const double m = rn::double_of(mantissa | ((1023 - halve) << 52));
  const double f = rn::sub(m, 1.0);  // exact (Sterbenz)
  const double s = rn::div(f, rn::add(2.0, f));
  const double z = rn::mul(s, s);
  double p = 0x1.af286bca1af28p-4;  // 2/19
  p = rn::add(0x1.e1e1e1e1e1e1ep-4, rn::mul(z, p));  // 2/17
  p = rn::add(0x1.1111111111111p-3, rn::mul(z, p));  // 2/15
  p = rn::add(0x1.3b13b13b13b14p-3, rn::mul(z, p));  // 2/13
  p = rn::add(0x1.745d1745d1746p-3, rn::mul(z, p));  // 2/11
  p = rn::add(0x1.c71c71c71c71cp-3, rn::mul(z, p));  // 2/9
  p = rn::add(0x1.2492492492492p-2, rn::mul(z, p));  // 2/7
  p = rn::add(0x1.999999999999ap-2, rn::mul(z, p));  // 2/5
  p = rn::add(0x1.5555555555555p-1, rn::mul(z, p));  // 2/3
  const double log_m = rn::sub(f, rn::mul(s, rn::sub(f, rn::mul(z, p))));
  constexpr double kLn2Hi = 0x1.62e42fefa3800p-1;  // 42 bits: e * hi is exact for |e| < 2^10
  constexpr double kLn2Lo = 0x1.ef35793c76730p-45;  // ln 2 - hi
  const auto ed = static_cast<double>(e);
  return rn::add(rn::mul(ed, kLn2Hi), rn::add(log_m, rn::mul(ed, kLn2Lo)));
}

// cos(2 pi u) and sin(2 pi u) for u in [0, 1), within about 1 ulp. The
// quadrant k = trunc(4u + 1/2) comes off exactly: r = u - k/4 is exact
// (Sterbenz) with |r| <= 1/8, and the Taylor polynomials are taken in r with
// the (2 pi)^n / n! folded into the coefficients, so 2 pi is never rounded.
// Nine terms each (the next is below 2^-56 relative).
VEIL_HOST_DEVICE inline void philox_sincos_2pi(double u, double* cos_out, double* sin_out) {
  const auto k = static_cast<std::int32_t>(rn::add(rn::mul(u, 4.0), 0.5));
  const double r = rn::sub(u, rn::mul(static_cast<double>(k), 0.25));
  const double y = rn::mul(r, r);
  double sp = 0x1.aaec32af93359p-4;                  //  (2pi)^17 / 17!
  sp = rn::add(-0x1.6fadb9f155744p-1, rn::mul(y, sp));  // -(2pi)^15 / 15!
  sp = rn::add(0x1.e8f434d018d63p+1, rn::mul(y, sp));   //  (2pi)^13 / 13!
  sp = rn::add(-0x1.e3074fde8871fp+3, rn::mul(y, sp));  // -(2pi)^11 / 11!
  sp = rn::add(0x1.50783487ee782p+5, rn::mul(y, sp));   //  (2pi)^9 / 9!
  sp = rn::add(-0x1.32d2cce62bd86p+6, rn::mul(y, sp));  // -(2pi)^7 / 7!
  sp = rn::add(0x1.466bc6775aae2p+6, rn::mul(y, sp));   //  (2pi)^5 / 5!
  sp = rn::add(-0x1.4abbce625be53p+5, rn::mul(y, sp));  // -(2pi)^3 / 3!
  sp = rn::add(0x1.921fb54442d18p+2, rn::mul(y, sp));   //  2pi
  const double s = rn::mul(r, sp);
  double cp = 0x1.20c62c2f2d7f5p-2;                  //  (2pi)^16 / 16!
  cp = rn::add(-0x1.b6e24f44b128fp+0, rn::mul(y, cp));  // -(2pi)^14 / 14!
  cp = rn::add(0x1.f9d38a3763cc3p+2, rn::mul(y, cp));   //  (2pi)^12 / 12!
  cp = rn::add(-0x1.a6d1f2a204a8cp+4, rn::mul(y, cp));  // -(2pi)^10 / 10!
  cp = rn::add(0x1.e1f506891babbp+5, rn::mul(y, cp));   //  (2pi)^8 / 8!
  cp = rn::add(-0x1.55d3c7e3cbffap+6, rn::mul(y, cp));  // -(2pi)^6 / 6!
  cp = rn::add(0x1.03c1f081b5ac4p+6, rn::mul(y, cp));   //  (2pi)^4 / 4!
  cp = rn::add(-0x1.3bd3cc9be45dep+4, rn::mul(y, cp));  // -(2pi)^2 / 2!
  const double c = rn::add(1.0, rn::mul(y, cp));
  // Rotate by k quarter turns: (cos, sin) -> (-sin, cos) per quarter. Selects
  // and sign flips, not branches: k is random, so a branch would mispredict.
  const bool odd = (k & 1) != 0;
  const double c1 = odd ? s : c, s1 = odd ? c : s;
  // Quarters 1 and 2 negate cos, 2 and 3 negate sin; k = 4 is a full turn.
  *cos_out = ((k + 1) & 2) != 0 ? -c1 : c1;
  *sin_out = (k & 2) != 0 ? -s1 : s1;
}

// Box-Muller: two independent standard normals from u_oc in (0, 1] (radius)
// and u_co in [0, 1) (angle), z0 = rho cos(2 pi u_co), z1 = rho sin(2 pi u_co)
// with rho = sqrt(-2 ln u_oc), in double through the functions above, so the
// CPU and the GPU agree bit for bit (Note [Bit-identical normals]). The float
// overload takes float uniforms, computes in double and rounds once. Float
// normals reach at most 5.8 sigma (24-bit u_oc), double normals 8.6 sigma.
VEIL_HOST_DEVICE inline void box_muller(double u_oc, double u_co, double* z0, double* z1) {
  const double rho = rn::sqrt(rn::mul(-2.0, philox_log(u_oc)));
  double c = 0, s = 0;
  philox_sincos_2pi(u_co, &c, &s);
  *z0 = rn::mul(rho, c);
  *z1 = rn::mul(rho, s);
}
VEIL_HOST_DEVICE inline void box_muller(float u_oc, float u_co, float* z0, float* z1) {
  double d0 = 0, d1 = 0;
  box_muller(static_cast<double>(u_oc), static_cast<double>(u_co), &d0, &d1);
  *z0 = static_cast<float>(d0);
  *z1 = static_cast<float>(d1);
}

}  // namespace veil
