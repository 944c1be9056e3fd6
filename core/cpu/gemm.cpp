#include "veil/core/cpu/gemm.h"

#include <algorithm>
#include <numeric>

#include <Eigen/Core>

#include "veil/core/parallel.h"

namespace veil::cpu {

namespace {

template <typename T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using ConstMap = Eigen::Map<const RowMatrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <typename T>
using MutMap = Eigen::Map<RowMatrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;

template <typename T>
void gemm_serial(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a,
                 std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
  MutMap<T> C(c, m, n, Eigen::OuterStride<>(ldc));
  if (k == 0) {
    if (beta == T(0)) C.setZero();
    else C *= beta;
    return;
  }
  ConstMap<T> A(a, trans_a ? k : m, trans_a ? m : k, Eigen::OuterStride<>(lda));
  ConstMap<T> B(b, trans_b ? n : k, trans_b ? k : n, Eigen::OuterStride<>(ldb));
  auto run = [&](const auto& op_a, const auto& op_b) {
    if (beta == T(0)) C.noalias() = alpha * (op_a * op_b);
    else {
      if (beta != T(1)) C *= beta;
      C.noalias() += alpha * (op_a * op_b);
    }
  };
  if (trans_a && trans_b) run(A.transpose(), B.transpose());
  else if (trans_a) run(A.transpose(), B);
  else if (trans_b) run(A, B.transpose());
  else run(A, B);
}

}  // namespace

template <typename T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a,
          std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
  if (m == 0 || n == 0) return;
  const bool big = static_cast<double>(m) * n * k > 4.0e6;
  if (!big || detail::in_parallel_region() || num_threads() == 1 || m < 2 * num_threads()) {
    gemm_serial(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  // Split rows of C: each thread multiplies its own slice of op(A).
  //
  // Note [Thread-independent GEMM]
  // Results must not depend on the thread count (a DP run is reproducible on
  // any machine). Eigen's kernel handles full register panels (mr rows and nr
  // columns of its column-major problem; our row-major C is its C^T, so our
  // rows are its nr side) with one micro-kernel, and the leftover panel at the
  // end of a product with others that sum in a different order; its k
  // blocking depends on k alone. Splitting at arbitrary rows made the row
  // before each split take the leftover path: with 2 threads some elements
  // differed in the last bits from the 1-thread product. So the slices start
  // at multiples of lcm(mr, nr): every row then goes through the same kernel,
  // summing in the same order, as in the single-threaded product.
  using Traits = Eigen::internal::gebp_traits<T, T>;
  constexpr std::int64_t block = std::lcm<std::int64_t, std::int64_t>(Traits::mr, Traits::nr);
  const std::int64_t blocks = (m + block - 1) / block;
  const std::int64_t chunks = std::min<std::int64_t>(num_threads(), blocks);
  if (chunks < 2) {
    gemm_serial(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  parallel_for(chunks, 1, [&](std::int64_t chunk0, std::int64_t chunk1) {
    for (std::int64_t chunk = chunk0; chunk < chunk1; ++chunk) {
      const std::int64_t r0 = std::min(m, blocks * chunk / chunks * block);
      const std::int64_t r1 = std::min(m, blocks * (chunk + 1) / chunks * block);
      if (r1 <= r0) continue;
      const T* a_rows = trans_a ? a + r0 : a + r0 * lda;
      gemm_serial(trans_a, trans_b, r1 - r0, n, k, alpha, a_rows, lda, b, ldb, beta, c + r0 * ldc, ldc);
    }
  });
}

template void gemm<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, float, const float*, std::int64_t,
                          const float*, std::int64_t, float, float*, std::int64_t);
template void gemm<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double, const double*,
                           std::int64_t, const double*, std::int64_t, double, double*, std::int64_t);

}  // namespace veil::cpu
