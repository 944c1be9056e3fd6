#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "veil/core/cpu/gemm.h"
#include "veil/core/cpu/gemm_small_n.h"
#include "veil/core/parallel.h"

using namespace veil;

template <typename T>
void check_against_gemm(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t lda, std::int64_t ldc) {
  std::vector<T> a(m * lda), b(n * (k + 3)), expected(m * ldc, T(-7)), got(m * ldc, T(-7));
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<T>(std::sin(0.37 * i));
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<T>(std::cos(0.11 * i));
  const std::int64_t ldb = k + 3;
  cpu::gemm<T>(false, true, m, n, k, T(1), a.data(), lda, b.data(), ldb, T(0), expected.data(), ldc);
  cpu::gemm_small_n<T>(m, n, k, a.data(), lda, b.data(), ldb, got.data(), ldc);
  for (std::int64_t r = 0; r < m; ++r)
    for (std::int64_t j = 0; j < ldc; ++j) {
      INFO("m " << m << " n " << n << " k " << k << " row " << r << " col " << j);
      if (j < n) REQUIRE(got[r * ldc + j] == Approx(expected[r * ldc + j]).epsilon(1e-4).margin(1e-4));
      else REQUIRE(got[r * ldc + j] == T(-7));  // columns past n are left alone
    }
}

TEST_CASE("gemm_small_n matches the general GEMM", "[core][gemm]") {
  REQUIRE(cpu::small_n_supported(16));
  REQUIRE(cpu::small_n_supported(32));
  REQUIRE_FALSE(cpu::small_n_supported(10));
  for (std::int64_t m : {1, 7, 8, 9, 61, 1000})
    for (std::int64_t n : {16, 32}) {
      check_against_gemm<float>(m, n, 64, 70, n + 5);
      check_against_gemm<double>(m, n, 5, 5, n);
    }
}

TEST_CASE("gemm_small_n gives the same bits on 1 and 2 threads", "[core][gemm][threading]") {
  const std::int64_t m = 5003, n = 16, k = 40;
  std::vector<float> a(m * k), b(n * k), one(m * n), two(m * n);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(std::sin(0.1 * i));
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(std::cos(0.3 * i));
  const int saved = num_threads();
  set_num_threads(1);
  cpu::gemm_small_n<float>(m, n, k, a.data(), k, b.data(), k, one.data(), n);
  set_num_threads(2);
  cpu::gemm_small_n<float>(m, n, k, a.data(), k, b.data(), k, two.data(), n);
  set_num_threads(saved);
  REQUIRE(one == two);
}
