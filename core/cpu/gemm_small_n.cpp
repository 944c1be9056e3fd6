#include "veil/core/cpu/gemm_small_n.h"

#include <algorithm>
#include <vector>

#include "veil/core/cpu/vec64.h"
#include "veil/core/error.h"
#include "veil/core/parallel.h"

namespace veil::cpu {

namespace {

constexpr std::int64_t kRows = 8;  // rows of C per register block

// C rows [r0, r1) with N a compile-time constant: each row of C is N / lanes
// whole vectors, kRows rows of accumulators stay in registers, and every
// A element is broadcast once. bt is B transposed, [k, N], 64-byte aligned.
template <typename T, int N>
void rows_kernel(std::int64_t r0, std::int64_t r1, std::int64_t k, const T* a, std::int64_t lda, const T* bt, T* c,
                 std::int64_t ldc) {
  constexpr int lanes = 64 / sizeof(T);
  constexpr int vecs = N / lanes;
  static_assert(N % lanes == 0, "N must be a whole number of vectors");
  const auto* w = reinterpret_cast<const Vec<T>*>(bt);
  std::int64_t r = r0;
  for (; r + kRows <= r1; r += kRows) {
    Vec<T> acc[kRows][vecs] = {};
    for (std::int64_t kk = 0; kk < k; ++kk)
      for (std::int64_t i = 0; i < kRows; ++i) {
        const T av = a[(r + i) * lda + kk];
        for (int v = 0; v < vecs; ++v) acc[i][v] += av * w[kk * vecs + v];
      }
    for (std::int64_t i = 0; i < kRows; ++i)
      for (int v = 0; v < vecs; ++v)
        for (int j = 0; j < lanes; ++j) c[(r + i) * ldc + v * lanes + j] = acc[i][v][j];
  }
  for (; r < r1; ++r) {
    Vec<T> acc[vecs] = {};
    for (std::int64_t kk = 0; kk < k; ++kk)
      for (int v = 0; v < vecs; ++v) acc[v] += a[r * lda + kk] * w[kk * vecs + v];
    for (int v = 0; v < vecs; ++v)
      for (int j = 0; j < lanes; ++j) c[r * ldc + v * lanes + j] = acc[v][j];
  }
}

template <typename T, int N>
void run(std::int64_t m, std::int64_t k, const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T* c,
         std::int64_t ldc) {
  // B transposed into aligned storage, so rows of it load as whole vectors.
  std::vector<Vec<T>> storage(k * N * sizeof(T) / sizeof(Vec<T>));
  T* bt = reinterpret_cast<T*>(storage.data());
  for (std::int64_t j = 0; j < N; ++j)
    for (std::int64_t kk = 0; kk < k; ++kk) bt[kk * N + j] = b[j * ldb + kk];
  const std::int64_t blocks = (m + kRows - 1) / kRows;
  parallel_for(blocks, 64, [&](std::int64_t b0, std::int64_t b1) {
    rows_kernel<T, N>(b0 * kRows, std::min(m, b1 * kRows), k, a, lda, bt, c, ldc);
  });
}

}  // namespace

bool small_n_supported(std::int64_t n) { return n == 16 || n == 32; }

template <typename T>
void gemm_small_n(std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t lda, const T* b,
                  std::int64_t ldb, T* c, std::int64_t ldc) {
  VEIL_ASSERT(small_n_supported(n)) << "gemm_small_n with n = " << n;
  if (n == 16) run<T, 16>(m, k, a, lda, b, ldb, c, ldc);
  else run<T, 32>(m, k, a, lda, b, ldb, c, ldc);
}

template void gemm_small_n<float>(std::int64_t, std::int64_t, std::int64_t, const float*, std::int64_t, const float*,
                                  std::int64_t, float*, std::int64_t);
template void gemm_small_n<double>(std::int64_t, std::int64_t, std::int64_t, const double*, std::int64_t,
                                   const double*, std::int64_t, double*, std::int64_t);

}  // namespace veil::cpu
