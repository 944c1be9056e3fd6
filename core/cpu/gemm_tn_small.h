#pragma once
// C[M, N] = alpha A^T B + beta C for A stored [K, M] and B [K, N], small
// enough to be one example's product: the per-sample weight gradient
// G_i^T X_i of Note [Rows times output gradients] (K the positions, M the
// output features, N the input features per position). Eigen packs both
// operands for every such product, which costs as much as the product when
// M and N are a few dozen; this kernel reads them in place, keeping 8 rows x
// 32 columns of C in registers, and sums over K in order.
#include <cstdint>

namespace veil::cpu {

// True when gemm_tn_small handles this N (whole vector registers).
template <typename T>
bool tn_small_supported(std::int64_t n);

// Requires tn_small_supported<T>(n). Single-threaded: callers split a batch.
template <typename T>
void gemm_tn_small(std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a, std::int64_t lda, const T* b,
                   std::int64_t ldb, T beta, T* c, std::int64_t ldc);

}  // namespace veil::cpu
