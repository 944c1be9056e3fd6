#include <omp.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "veil/core/error.h"
#include "veil/core/philox.h"
#include "veil/core/philox_kernels.h"

using namespace veil;

namespace {

void check_kat(Philox4x32Block ctr, PhiloxKey key, Philox4x32Block expected) {
  const Philox4x32Block out = philox4x32_10(ctr, key);
  for (int i = 0; i < 4; ++i) {
    INFO("word " << i);
    CHECK(out.v[i] == expected.v[i]);
  }
}

struct Moments {
  double mean = 0, var = 0;
};

template <typename T>
Moments moments(const std::vector<T>& x) {
  Moments m;
  for (T v : x) m.mean += v;
  m.mean /= static_cast<double>(x.size());
  for (T v : x) m.var += (v - m.mean) * (v - m.mean);
  m.var /= static_cast<double>(x.size() - 1);
  return m;
}

// Pearson chi-square of x (values in [0, 1)) over `bins` equal bins.
template <typename T>
double uniform_chi_square(const std::vector<T>& x, int bins) {
  std::vector<double> counts(bins, 0.0);
  for (T v : x) counts[std::min(bins - 1, static_cast<int>(v * bins))] += 1;
  const double expected = static_cast<double>(x.size()) / bins;
  double chi2 = 0;
  for (double c : counts) chi2 += (c - expected) * (c - expected) / expected;
  return chi2;
}

// Kolmogorov-Smirnov distance between the sample and the standard normal.
template <typename T>
double normal_ks_distance(std::vector<T> x) {
  std::sort(x.begin(), x.end());
  const double n = static_cast<double>(x.size());
  double d = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double cdf = 0.5 * std::erfc(-static_cast<double>(x[i]) / std::sqrt(2.0));
    d = std::max({d, cdf - i / n, (i + 1) / n - cdf});
  }
  return d;
}

// A Philox fill of n elements through the tensor op, read back.
template <typename T>
std::vector<T> uniform_fill(int64_t n, const PhiloxState& at, double lo, double hi) {
  Tensor t = Tensor::empty({n}, dtype_of<T>);
  philox_fill_uniform_(t, at, lo, hi);
  return t.to_vector<T>();
}

template <typename T>
std::vector<T> normal_fill(int64_t n, const PhiloxState& at, double mean, double std) {
  Tensor t = Tensor::empty({n}, dtype_of<T>);
  philox_fill_normal_(t, at, mean, std);
  return t.to_vector<T>();
}

}  // namespace

TEST_CASE("philox4x32_10 reproduces the Random123 known answers", "[philox]") {
  // Random123 tests/kat_vectors, the three "philox4x32 10" lines.
  check_kat({{0, 0, 0, 0}}, {{0, 0}}, {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}});
  check_kat({{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}}, {{0xffffffff, 0xffffffff}},
            {{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}});
  check_kat({{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}}, {{0xa4093822, 0x299f31d0}},
            {{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}});
}

TEST_CASE("philox_block lays seed, stream and offset out as Note [Philox streams] says", "[philox]") {
  const uint64_t seed = 0x299f31d0a4093822ull;
  const uint64_t stream = 0x0370734413198a2eull;
  const uint64_t offset = 0x85a308d3243f6a88ull;
  const Philox4x32Block b = philox_block(seed, stream, offset);
  CHECK(b.v[0] == 0xd16cfe09u);
  CHECK(b.v[1] == 0x94fdccebu);
  CHECK(b.v[2] == 0x5001e420u);
  CHECK(b.v[3] == 0x24126ea1u);
}

TEST_CASE("uniform conversions cover their documented intervals", "[philox]") {
  CHECK(uniform_float_co(0) == 0.0f);
  CHECK(uniform_float_co(0xffffffffu) < 1.0f);
  CHECK(uniform_float_oc(0) > 0.0f);
  CHECK(uniform_float_oc(0xffffffffu) == 1.0f);
  CHECK(uniform_double_co(0, 0) == 0.0);
  CHECK(uniform_double_co(0xffffffffu, 0xffffffffu) < 1.0);
  CHECK(uniform_double_oc(0, 0) == 0x1p-53);
  CHECK(uniform_double_oc(0xffffffffu, 0xffffffffu) == 1.0);
  // Box-Muller stays finite at the extremes.
  double z0 = 0, z1 = 0;
  box_muller(uniform_double_oc(0, 0), 0.0, &z0, &z1);
  CHECK(std::isfinite(z0));
  CHECK(z0 == Approx(std::sqrt(2.0 * 53 * std::log(2.0))));
}

TEST_CASE("the Gaussian transform reproduces its known answers", "[philox]") {
  // Pinned from the shared __host__ __device__ code (core/philox_math.h),
  // each within 1.1 ulp of a 200-bit evaluation; the CUDA fills must give
  // the same bits (tests/cuda/test_philox_cuda.cpp). A change here means
  // every seeded run's noise changes: see Note [Bit-identical normals].
  CHECK(philox_log(1.0) == 0.0);
  CHECK(philox_log(0.5) == -0x1.62e42fefa39efp-1);  // -ln 2, correctly rounded
  CHECK(philox_log(0x1p-53) == -0x1.25e4f7b2737fap+5);
  CHECK(philox_log(0.75) == -0x1.269621134db92p-2);
  CHECK(philox_log(0x1.999999999999ap-4) == -0x1.26bb1bbb55515p+1);
  CHECK(philox_log(0x1.fffffca501acbp-1) == -0x1.ad7f2b1049b9fp-24);
  auto sincos = [](double u) {
    std::pair<double, double> cs;
    philox_sincos_2pi(u, &cs.first, &cs.second);
    return cs;
  };
  CHECK(sincos(0.0) == std::pair(1.0, 0.0));
  CHECK(sincos(0.25) == std::pair(-0.0, 1.0));
  CHECK(sincos(0.5) == std::pair(-1.0, -0.0));
  CHECK(sincos(0.125) == std::pair(0x1.6a09e667f3bccp-1, 0x1.6a09e667f3bcdp-1));
  CHECK(sincos(0x1.3333333333333p-2) == std::pair(-0x1.3c6ef372fe94ep-2, 0x1.e6f0e134455p-1));
  CHECK(sincos(0x1.6666666666666p-1) == std::pair(-0x1.3c6ef372fe954p-2, -0x1.e6f0e134454ffp-1));
  CHECK(sincos(0x1.ff7ced916872bp-1) == std::pair(0x1.fffd69aa0b99dp-1, -0x1.9bc5a9d91f67fp-8));

  const Philox4x32Block b = philox_block(0x0123456789abcdefULL, philox_stream(PhiloxPurpose{7}, 99), 12345);
  const Double2 d = philox_normal_double2(b);
  CHECK(d.v[0] == -0x1.646dd538f712bp-1);
  CHECK(d.v[1] == 0x1.96d785414d1eap+0);
  const Float4 f = philox_normal_float4(b);  // each the correctly rounded float of the exact transform
  CHECK(f.v[0] == -0x1.ba51f6p+0f);
  CHECK(f.v[1] == -0x1.43577cp-3f);
  CHECK(f.v[2] == -0x1.4368dap+0f);
  CHECK(f.v[3] == -0x1.af62a4p-1f);

  // Fills scale with two roundings, mean + std * z, never one FMA.
  const PhiloxState at{0x0123456789abcdefULL, philox_stream(PhiloxPurpose{7}, 99), 12345, 0};
  const std::vector<double> scaled = normal_fill<double>(2, at, 0.1, 3.0);
  CHECK(scaled[0] == rn::add(0.1, rn::mul(3.0, d.v[0])));
  CHECK(scaled[1] == rn::add(0.1, rn::mul(3.0, d.v[1])));
  CHECK(scaled[0] == -0x1.fd0b263bd9026p+0);
}

TEST_CASE("philox_log and philox_sincos_2pi are accurate to about one ulp", "[philox]") {
  // Against long double libm, whose extra bits make its rounding negligible.
  auto ulps = [](double got, long double want) {
    const double w = std::abs(static_cast<double>(want));
    return static_cast<double>(std::abs(static_cast<long double>(got) - want)) / (std::nextafter(w, INFINITY) - w);
  };
  const long double two_pi = 6.283185307179586476925286766559005768L;
  double worst_log = 0, worst_trig = 0;
  for (uint64_t i = 0; i < 100000; ++i) {
    const Philox4x32Block b = philox_block(5, 6, i);
    // Uniforms, values just below 1, and small values down to 2^-112.
    const double uniform = uniform_double_oc(b.v[0], b.v[1]);
    const double u = i % 3 == 0   ? uniform
                     : i % 3 == 1 ? 1.0 - static_cast<double>(i % 4096) * 0x1p-53
                                  : std::ldexp(uniform, -static_cast<int>(i % 60));
    worst_log = std::max(worst_log, ulps(philox_log(u), std::log(static_cast<long double>(u))));
    const double v = uniform_double_co(b.v[2], b.v[3]);
    double c = 0, s = 0;
    philox_sincos_2pi(v, &c, &s);
    // Near a zero of cos or sin the reference's own error (2 pi rounded to
    // 64 bits) is no longer small in ulps of the result.
    if (std::abs(c) > 0.01) worst_trig = std::max(worst_trig, ulps(c, std::cos(two_pi * v)));
    if (std::abs(s) > 0.01) worst_trig = std::max(worst_trig, ulps(s, std::sin(two_pi * v)));
  }
  INFO("worst errors: log " << worst_log << " ulps, cos/sin " << worst_trig << " ulps");
  CHECK(worst_log <= 1.5);
  CHECK(worst_trig <= 2.5);
}

TEST_CASE("Philox reads the stream word by word, and its state round-trips", "[philox]") {
  Philox rng(42, 7);
  std::vector<uint32_t> words(10);
  for (uint32_t& w : words) w = rng.next_u32();
  for (int i = 0; i < 10; ++i) {
    CHECK(words[i] == philox_block(42, 7, i / 4).v[i % 4]);
  }
  CHECK(rng.state() == PhiloxState{42, 7, 2, 2});

  const PhiloxState saved = rng.state();
  const uint64_t a = rng.next_u64();
  const double b = rng.normal();
  Philox resumed(saved);
  CHECK(resumed.next_u64() == a);
  CHECK(resumed.normal() == b);

  Philox skipper(42, 7);
  skipper.skip(7);
  CHECK(skipper.next_u32() == words[7]);
  skipper.set_state(saved);
  CHECK(skipper.next_u64() == a);

  CHECK_THROWS_AS(rng.set_state(PhiloxState{1, 2, 3, 4}), Error);
}

TEST_CASE("take_blocks hands out whole blocks and moves past them", "[philox]") {
  Philox rng(3, 0);
  rng.next_u32();
  const PhiloxState fill = rng.take_blocks(5);
  CHECK(fill == PhiloxState{3, 0, 1, 0});
  CHECK(rng.state() == PhiloxState{3, 0, 6, 0});

  std::vector<float> out(20);
  out = uniform_fill<float>(20, fill, 0.0, 1.0);
  for (int i = 0; i < 20; ++i) CHECK(out[i] == uniform_float_co(philox_block(3, 0, 1 + i / 4).v[i % 4]));
  CHECK_NOTHROW(uniform_fill<float>(20, rng.state(), 0.0, 1.0));
  CHECK_THROWS_AS(uniform_fill<float>(4, PhiloxState{3, 0, 0, 1}, 0.0, 1.0), Error);
}

TEST_CASE("philox_stream puts the purpose in the top byte and rejects ids over 56 bits", "[philox]") {
  CHECK(philox_stream(PhiloxPurpose::kGeneral, 5) == 5);
  CHECK(philox_stream(PhiloxPurpose{2}, 5) == ((uint64_t{2} << 56) | 5));
  CHECK(philox_stream(PhiloxPurpose{1}, 5) != philox_stream(PhiloxPurpose{3}, 5));
  CHECK_THROWS_AS(philox_stream(PhiloxPurpose::kGeneral, uint64_t{1} << 56), Error);
}

TEST_CASE("next_below is uniform over small ranges", "[philox]") {
  Philox rng(11, 0);
  CHECK_THROWS_AS(rng.next_below(0), Error);
  const int k = 7, n = 70000;
  std::vector<double> counts(k, 0);
  int out_of_range = 0;
  for (int i = 0; i < n; ++i) {
    const uint64_t x = rng.next_below(k);
    if (x >= static_cast<uint64_t>(k)) ++out_of_range;
    else counts[x] += 1;
  }
  CHECK(out_of_range == 0);
  CHECK(rng.next_below(1) == 0);
  double chi2 = 0;
  for (double c : counts) chi2 += (c - n / k) * (c - n / k) / (n / k);
  CHECK(chi2 < 27.9);  // df 6, p = 1e-4
}

TEST_CASE("uniform fills have the moments and shape of U[lo, hi)", "[philox]") {
  const int64_t n = 1 << 20;
  std::vector<float> f(n);
  f = uniform_fill<float>(n, PhiloxState{2024, 1, 0, 0}, 0.0, 1.0);
  const Moments mf = moments(f);
  CHECK(std::abs(mf.mean - 0.5) < 5 * std::sqrt(1.0 / 12 / n));
  CHECK(std::abs(mf.var - 1.0 / 12) < 5 * 7.5e-5);
  const double chi2 = uniform_chi_square(f, 100);
  CHECK(chi2 < 99 + 5 * 14.1);  // df 99
  CHECK(chi2 > 99 - 4 * 14.1);  // too even is as suspicious as too uneven
  CHECK(*std::min_element(f.begin(), f.end()) >= 0.0f);
  CHECK(*std::max_element(f.begin(), f.end()) < 1.0f);

  std::vector<double> d(n);
  d = uniform_fill<double>(n, PhiloxState{2024, 2, 0, 0}, -3.0, 5.0);
  const Moments md = moments(d);
  CHECK(std::abs(md.mean - 1.0) < 5 * 8 * std::sqrt(1.0 / 12 / n));
  CHECK(std::abs(md.var - 64.0 / 12) < 5 * 64 * 7.5e-5);
  for (double& v : d) v = (v + 3.0) / 8.0;
  CHECK(uniform_chi_square(d, 100) < 99 + 5 * 14.1);
}

TEST_CASE("normal fills have the moments and shape of N(mean, std^2)", "[philox]") {
  const int64_t n = 200000;
  std::vector<float> f(n);
  f = normal_fill<float>(n, PhiloxState{7, 3, 0, 0}, 0.0, 1.0);
  const Moments mf = moments(f);
  CHECK(std::abs(mf.mean) < 5 / std::sqrt(n));
  CHECK(std::abs(mf.var - 1.0) < 5 * std::sqrt(2.0 / n));
  CHECK(normal_ks_distance(f) < 1.95 / std::sqrt(n));  // KS alpha = 0.001

  std::vector<double> d(n);
  d = normal_fill<double>(n, PhiloxState{7, 4, 0, 0}, 2.0, 3.0);
  const Moments md = moments(d);
  CHECK(std::abs(md.mean - 2.0) < 5 * 3.0 / std::sqrt(n));
  CHECK(std::abs(md.var - 9.0) < 5 * 9.0 * std::sqrt(2.0 / n));
  for (double& v : d) v = (v - 2.0) / 3.0;
  CHECK(normal_ks_distance(d) < 1.95 / std::sqrt(n));

  // Box-Muller pairs are uncorrelated.
  double cross = 0;
  for (int64_t i = 0; i + 1 < n; i += 2) cross += d[i] * d[i + 1];
  CHECK(std::abs(cross / (n / 2)) < 5 / std::sqrt(n / 2));

  // The sequential normal() draws from the same distribution.
  Philox rng(7, 5);
  std::vector<double> s(50000);
  for (double& v : s) v = rng.normal();
  CHECK(normal_ks_distance(s) < 1.95 / std::sqrt(50000.0));
}

TEST_CASE("fills are identical for any thread count and follow the fill rule", "[philox]") {
  const int64_t n = 100003;  // not a multiple of the block size
  const PhiloxState at{99, 4, 1000, 0};
  const int saved_threads = omp_get_max_threads();
  std::vector<float> f1(n), f2(n), n1(n), n2(n);
  std::vector<double> d1(n), d2(n), dn1(n), dn2(n);
  omp_set_num_threads(1);
  f1 = uniform_fill<float>(n, at, -1.0, 1.0);
  n1 = normal_fill<float>(n, at, 0.0, 1.0);
  d1 = uniform_fill<double>(n, at, -1.0, 1.0);
  dn1 = normal_fill<double>(n, at, 0.0, 1.0);
  omp_set_num_threads(2);
  f2 = uniform_fill<float>(n, at, -1.0, 1.0);
  n2 = normal_fill<float>(n, at, 0.0, 1.0);
  d2 = uniform_fill<double>(n, at, -1.0, 1.0);
  dn2 = normal_fill<double>(n, at, 0.0, 1.0);
  omp_set_num_threads(saved_threads);
  CHECK(f1 == f2);
  CHECK(n1 == n2);
  CHECK(d1 == d2);
  CHECK(dn1 == dn2);

  // Spot-check the rule on the last, partial block.
  const int64_t i = n - 1;
  const Philox4x32Block fb = philox_block(99, 4, 1000 + i / 4);
  CHECK(n1[i] == philox_normal_float4(fb).v[i % 4]);
  const Philox4x32Block db = philox_block(99, 4, 1000 + i / 2);
  CHECK(dn1[i] == philox_normal_double2(db).v[i % 2]);
  CHECK(d1[i] == -1.0 + 2.0 * philox_uniform_double2(db).v[i % 2]);

  // A different seed, stream or offset changes the values.
  std::vector<float> other(n);
  other = uniform_fill<float>(n, PhiloxState{100, 4, 1000, 0}, -1.0, 1.0);
  CHECK(other != f1);
  other = uniform_fill<float>(n, PhiloxState{99, 5, 1000, 0}, -1.0, 1.0);
  CHECK(other != f1);
  other = uniform_fill<float>(n, PhiloxState{99, 4, 1001, 0}, -1.0, 1.0);
  CHECK(std::equal(other.begin(), other.end() - 4, f1.begin() + 4));
}

TEST_CASE("tensor fills refuse integer and non-contiguous tensors", "[philox]") {
  const PhiloxState at{1, 2, 0, 0};
  CHECK_THROWS_AS(philox_fill_uniform_(Tensor::empty({4}, DType::Int64), at, 0.0, 1.0), Error);
  CHECK_THROWS_AS(philox_add_normal_(Tensor::zeros({4, 3}).transpose(0, 1), at, 1.0), Error);
  const Tensor mask = Tensor::empty({9}, DType::Float64);
  philox_bernoulli_mask_(mask, at, 0.25, 4.0 / 3.0);
  const std::vector<float> u = uniform_fill<float>(9, at, 0.0, 1.0);
  const std::vector<double> m = mask.to_vector<double>();
  for (int i = 0; i < 9; ++i) CHECK(m[i] == (u[i] >= 0.25 ? 4.0 / 3.0 : 0.0));
}
