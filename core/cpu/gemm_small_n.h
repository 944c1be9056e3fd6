#pragma once
// C[M, N] = A[M, K] B^T for B stored [N, K] (a weight matrix W), when N is
// one or two vector registers wide (16 or 32 floats): the shape of a
// convolution's forward GEMM over a batch of patches. Eigen's blocking is
// tuned for wider N; this kernel keeps 8 rows x N accumulators in registers
// and streams A once. Rows are split over threads; each row's result does
// not depend on the split.
#include <cstdint>

namespace veil::cpu {

// True when gemm_small_n handles this N.
bool small_n_supported(std::int64_t n);

// Requires small_n_supported(n). A row-major with leading dimension lda,
// B row-major [n, k] with leading dimension ldb, C [m, n] with ldc.
template <typename T>
void gemm_small_n(std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t lda, const T* b,
                  std::int64_t ldb, T* c, std::int64_t ldc);

}  // namespace veil::cpu
