#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include "veil/core/error.h"
#include "veil/privacy/discrete_gaussian.h"
#include "veil/core/secure_rng.h"

using namespace veil;

namespace {

SecureRng test_rng(uint8_t tag) {
  std::array<uint8_t, 32> key{};
  key[0] = tag;
  return SecureRng(key);
}

// The exact discrete Gaussian pmf, normalised over |y| <= 60 sigma + 10
// (the rest is below double precision).
std::map<int64_t, double> discrete_gaussian_pmf(double sigma2) {
  const auto range = static_cast<int64_t>(60 * std::sqrt(sigma2)) + 10;
  std::map<int64_t, double> pmf;
  double total = 0;
  for (int64_t y = -range; y <= range; ++y) total += pmf[y] = std::exp(-double(y) * y / (2 * sigma2));
  for (auto& [y, p] : pmf) p /= total;
  return pmf;
}

struct Moments {
  double var, fourth;
};

Moments central_moments(const std::map<int64_t, double>& pmf) {
  Moments m{0, 0};
  for (const auto& [y, p] : pmf) {
    m.var += p * y * y;
    m.fourth += p * double(y) * y * y * y;
  }
  return m;
}

}  // namespace

TEST_CASE("bernoulli_rational has its rate and rejects bad parameters", "[discrete_gaussian]") {
  SecureRng rng = test_rng(1);
  const int n = 60000;
  int hits = 0;
  for (int i = 0; i < n; ++i) hits += bernoulli_rational(1, 3, rng);
  CHECK(std::abs(hits / double(n) - 1.0 / 3) < 5 * std::sqrt(2.0 / 9 / n));
  CHECK(bernoulli_rational(0, 5, rng) == false);
  CHECK(bernoulli_rational(5, 5, rng) == true);
  CHECK_THROWS_AS(bernoulli_rational(6, 5, rng), Error);
  CHECK_THROWS_AS(bernoulli_rational(0, 0, rng), Error);
}

TEST_CASE("bernoulli_exp_neg succeeds with probability exp(-gamma)", "[discrete_gaussian]") {
  SecureRng rng = test_rng(2);
  const int n = 40000;
  struct Case {
    uint128 num, den;
  };
  for (const Case c : {Case{0, 1}, Case{1, 2}, Case{1, 1}, Case{5, 2}, Case{22, 7}, Case{(uint128{1} << 100) + 1, uint128{1} << 100}}) {
    const double gamma = static_cast<double>(c.num) / static_cast<double>(c.den);
    const double p = std::exp(-gamma);
    int hits = 0;
    for (int i = 0; i < n; ++i) hits += bernoulli_exp_neg(c.num, c.den, rng);
    INFO("gamma = " << gamma);
    CHECK(std::abs(hits / double(n) - p) <= 5 * std::sqrt(p * (1 - p) / n));
  }
  CHECK_THROWS_AS(bernoulli_exp_neg(1, 0, rng), Error);
}

TEST_CASE("discrete_laplace has the geometric two-sided pmf", "[discrete_gaussian]") {
  SecureRng rng = test_rng(3);
  const uint64_t t = 3;
  const double r = std::exp(-1.0 / t);
  const int n = 60000;
  double sum = 0, sum2 = 0;
  int zeros = 0;
  for (int i = 0; i < n; ++i) {
    const int64_t y = discrete_laplace(t, rng);
    sum += y;
    sum2 += double(y) * y;
    zeros += y == 0;
  }
  const double var = 2 * r / ((1 - r) * (1 - r));
  const double p0 = (1 - r) / (1 + r);
  CHECK(std::abs(sum / n) < 5 * std::sqrt(var / n));
  CHECK(std::abs(sum2 / n - var) < 0.05 * var);
  CHECK(std::abs(zeros / double(n) - p0) < 5 * std::sqrt(p0 * (1 - p0) / n));
  CHECK_THROWS_AS(discrete_laplace(0, rng), Error);
}

TEST_CASE("discrete_gaussian has mean 0 and the exact variance", "[discrete_gaussian]") {
  SecureRng rng = test_rng(4);
  struct Case {
    uint64_t num, den;
    int n;
  };
  // sigma = 0.5, 1, 3, 100, and a fractional sigma^2.
  for (const Case c : {Case{1, 4, 60000}, Case{1, 1, 60000}, Case{9, 1, 40000}, Case{10000, 1, 20000},
                       Case{7, 3, 40000}}) {
    const double sigma2 = double(c.num) / c.den;
    const Moments exact = central_moments(discrete_gaussian_pmf(sigma2));
    double sum = 0, sum2 = 0;
    int64_t positive = 0, negative = 0;
    for (int i = 0; i < c.n; ++i) {
      const int64_t y = discrete_gaussian(c.num, c.den, rng);
      sum += y;
      sum2 += double(y) * y;
      positive += y > 0;
      negative += y < 0;
    }
    INFO("sigma^2 = " << sigma2 << ", exact variance " << exact.var);
    CHECK(std::abs(sum / c.n) < 5 * std::sqrt(exact.var / c.n));
    const double var_se = std::sqrt((exact.fourth - exact.var * exact.var) / c.n);
    CHECK(std::abs(sum2 / c.n - exact.var) < 5 * var_se);
    // Symmetry: the sign is a fair coin given y != 0.
    const double nonzero = double(positive + negative);
    CHECK(std::abs(positive - nonzero / 2) < 5 * std::sqrt(nonzero / 4));
  }
  // For sigma >= 1 the discrete variance is within 1e-8 of sigma^2; for
  // sigma = 0.5 it is visibly smaller, which is why the test uses the pmf.
  CHECK(central_moments(discrete_gaussian_pmf(9)).var == Approx(9).epsilon(1e-8));
  CHECK(central_moments(discrete_gaussian_pmf(0.25)).var < 0.22);
}

TEST_CASE("discrete_gaussian with sigma = 2 fits the exact pmf (chi-square)", "[discrete_gaussian]") {
  SecureRng rng = test_rng(5);
  const auto pmf = discrete_gaussian_pmf(4);
  const int n = 200000;
  std::map<int64_t, double> counts;
  for (int i = 0; i < n; ++i) counts[discrete_gaussian(4, 1, rng)] += 1;
  // Bins: each y in [-10, 10]; values past +-10 join the outermost bin.
  // Then neighbouring outer bins are pooled until each expects >= 5 counts.
  auto bin = [](int64_t y) { return std::max<int64_t>(-10, std::min<int64_t>(10, y)); };
  std::map<int64_t, double> observed, expected;
  for (const auto& [y, c] : counts) observed[bin(y)] += c;
  for (const auto& [y, p] : pmf) expected[bin(y)] += p * n;
  for (int64_t y = 10; expected[y] < 5; --y) {
    expected[y - 1] += expected[y], observed[y - 1] += observed[y];
    expected.erase(y), observed.erase(y);
    expected[-(y - 1)] += expected[-y], observed[-(y - 1)] += observed[-y];
    expected.erase(-y), observed.erase(-y);
  }
  double chi2 = 0;
  for (const auto& [y, e] : expected) chi2 += (observed[y] - e) * (observed[y] - e) / e;
  const double df = double(expected.size()) - 1;
  INFO("bins " << expected.size() << ", chi2 " << chi2);
  CHECK(expected.size() >= 15);
  CHECK(chi2 < df + 5 * std::sqrt(2 * df));
}

TEST_CASE("discrete_gaussian checks its parameters", "[discrete_gaussian]") {
  SecureRng rng = test_rng(6);
  CHECK_THROWS_AS(discrete_gaussian(0, 1, rng), Error);
  CHECK_THROWS_AS(discrete_gaussian(1, 0, rng), Error);
  CHECK_THROWS_AS(discrete_gaussian(uint64_t{1} << 60, 1, rng), Error);
  CHECK_NOTHROW(discrete_gaussian(uint64_t{1} << 50, 1, rng));
}
