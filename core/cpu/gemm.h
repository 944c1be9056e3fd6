#pragma once
// Row-major GEMM on raw CPU memory, backed by Eigen maps (no copies):
//   C[M, N] = alpha * op(A) op(B) + beta * C
// op(A) is A [M, K] (lda >= K) or, with trans_a, A^T for A stored [K, M]
// (lda >= M); likewise op(B). Large products are split over threads by rows
// of C unless called from inside a parallel region; the result is bitwise the
// same for every thread count (Note [Thread-independent GEMM] in gemm.cpp).
#include <cstdint>

namespace veil::cpu {

template <typename T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a,
          std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc);

}  // namespace veil::cpu
