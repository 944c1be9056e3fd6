#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "veil/core/cpu/gemm.h"
#include "veil/core/cpu/gemm_tn_small.h"

using namespace veil;

// A [k, m] and B [k, n] with padded leading dimensions; C [m, n] inside a
// wider, prefilled buffer, so columns past n show any stray write.
template <typename T>
void check_against_gemm(std::int64_t m, std::int64_t n, std::int64_t k, T alpha, T beta) {
  const std::int64_t lda = m + 3, ldb = n + 5, ldc = n + 2;
  std::vector<T> a(k * lda), b(k * ldb), expected(m * ldc), got(m * ldc);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<T>(std::sin(0.37 * i));
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<T>(std::cos(0.11 * i));
  for (std::size_t i = 0; i < got.size(); ++i) got[i] = expected[i] = static_cast<T>(std::sin(0.05 * i) - 2);
  cpu::gemm<T>(true, false, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, expected.data(), ldc);
  cpu::gemm_tn_small<T>(m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, got.data(), ldc);
  for (std::int64_t r = 0; r < m; ++r)
    for (std::int64_t j = 0; j < ldc; ++j) {
      INFO("m " << m << " n " << n << " k " << k << " row " << r << " col " << j);
      if (j < n) REQUIRE(got[r * ldc + j] == Approx(expected[r * ldc + j]).epsilon(1e-5).margin(1e-4));
      else REQUIRE(got[r * ldc + j] == expected[r * ldc + j]);  // untouched past n
    }
}

TEST_CASE("gemm_tn_small matches the general GEMM", "[core][gemm]") {
  // SampleConvNet's per-sample products (conv1, conv2, fc1 at T = 1), row
  // and column remainders, alpha and beta.
  check_against_gemm<float>(16, 64, 196, 1.0f, 0.0f);
  check_against_gemm<float>(32, 256, 25, 1.0f, 0.0f);
  check_against_gemm<float>(32, 512, 1, 1.0f, 0.0f);
  check_against_gemm<float>(11, 48, 7, 0.5f, 0.0f);
  check_against_gemm<float>(3, 16, 0, 1.0f, 0.0f);
  check_against_gemm<float>(9, 80, 13, 2.0f, 0.75f);
  check_against_gemm<double>(10, 24, 17, 1.0, 0.0);
  check_against_gemm<double>(17, 8, 5, -1.5, 1.0);
}

TEST_CASE("gemm_tn_small overwrites C when beta is 0", "[core][gemm]") {
  // beta 0 must not read C: a NaN already there would otherwise survive.
  std::vector<float> a(4 * 8, 1.0f), b(4 * 16, 2.0f), c(8 * 16, std::nanf(""));
  cpu::gemm_tn_small<float>(8, 16, 4, 1.0f, a.data(), 8, b.data(), 16, 0.0f, c.data(), 16);
  for (float v : c) REQUIRE(v == 8.0f);
}

TEST_CASE("gemm_tn_small takes whole vectors of columns only", "[core][gemm]") {
  REQUIRE(cpu::tn_small_supported<float>(16));
  REQUIRE(cpu::tn_small_supported<float>(48));
  REQUIRE_FALSE(cpu::tn_small_supported<float>(24));
  REQUIRE(cpu::tn_small_supported<double>(24));
  REQUIRE_FALSE(cpu::tn_small_supported<double>(0));
}
