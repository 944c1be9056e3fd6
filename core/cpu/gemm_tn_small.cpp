#include "veil/core/cpu/gemm_tn_small.h"

#include "veil/core/cpu/vec64.h"
#include "veil/core/error.h"

namespace veil::cpu {

namespace {

constexpr std::int64_t kRows = 8;     // rows of C per register block
constexpr std::int64_t kVectors = 2;  // vectors of C's columns per register block

// C[r0 : r0 + R, c0 : c0 + V * lanes], R <= kRows rows, V <= kVectors vectors.
template <typename T, std::int64_t R, std::int64_t V>
void block(std::int64_t r0, std::int64_t c0, std::int64_t k, T alpha, const T* a, std::int64_t lda, const T* b,
           std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
  Vec<T> acc[R][V] = {};
  for (std::int64_t t = 0; t < k; ++t) {
    Vec<T> bv[V];
    for (std::int64_t v = 0; v < V; ++v) bv[v] = load_vec(b + t * ldb + c0 + v * kLanes<T>);
    for (std::int64_t i = 0; i < R; ++i) {
      const T av = a[t * lda + r0 + i];
      for (std::int64_t v = 0; v < V; ++v) acc[i][v] += av * bv[v];
    }
  }
  for (std::int64_t i = 0; i < R; ++i)
    for (std::int64_t v = 0; v < V; ++v) {
      T* out = c + (r0 + i) * ldc + c0 + v * kLanes<T>;
      store_vec(out, beta == T(0) ? alpha * acc[i][v] : alpha * acc[i][v] + beta * load_vec(out));
    }
}

template <typename T, std::int64_t V>
void column_block(std::int64_t m, std::int64_t c0, std::int64_t k, T alpha, const T* a, std::int64_t lda, const T* b,
                  std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
  std::int64_t r = 0;
  for (; r + kRows <= m; r += kRows) block<T, kRows, V>(r, c0, k, alpha, a, lda, b, ldb, beta, c, ldc);
  for (; r < m; ++r) block<T, 1, V>(r, c0, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace

template <typename T>
bool tn_small_supported(std::int64_t n) {
  return n > 0 && n % kLanes<T> == 0;
}

template <typename T>
void gemm_tn_small(std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a, std::int64_t lda, const T* b,
                   std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
  VEIL_ASSERT(tn_small_supported<T>(n)) << "gemm_tn_small with n = " << n;
  constexpr std::int64_t wide = kVectors * kLanes<T>;
  std::int64_t c0 = 0;
  for (; c0 + wide <= n; c0 += wide) column_block<T, kVectors>(m, c0, k, alpha, a, lda, b, ldb, beta, c, ldc);
  for (; c0 < n; c0 += kLanes<T>) column_block<T, 1>(m, c0, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

template bool tn_small_supported<float>(std::int64_t);
template bool tn_small_supported<double>(std::int64_t);
template void gemm_tn_small<float>(std::int64_t, std::int64_t, std::int64_t, float, const float*, std::int64_t,
                                   const float*, std::int64_t, float, float*, std::int64_t);
template void gemm_tn_small<double>(std::int64_t, std::int64_t, std::int64_t, double, const double*, std::int64_t,
                                    const double*, std::int64_t, double, double*, std::int64_t);

}  // namespace veil::cpu
