// The CUDA GEMM table (Note [Kernel tables]) over cuBLAS.
//
// Note [Row-major cuBLAS]
// cuBLAS is column-major. A row-major matrix with leading dimension ld is,
// read column-major, its transpose with the same ld. So the row-major
// C = op(A) op(B) is computed as the column-major C^T = op(B)^T op(A)^T:
// cuBLAS gets B first, then A, with m and n swapped and each operand's
// transpose flag unchanged.
#include <algorithm>
#include <climits>
#include <type_traits>

#include "veil/core/cuda/cuda_check.h"
#include "veil/core/cuda/cuda_context.h"
#include "veil/core/cuda/launch.h"
#include "veil/core/gemm.h"

namespace veil {
namespace {

// cuBLAS takes int sizes.
int as_int(std::int64_t value, const char* what) {
  VEIL_CHECK(value >= 0 && value <= INT_MAX) << "cuBLAS GEMM: " << what << " " << value << " does not fit in an int";
  return static_cast<int>(value);
}

// The leading dimension of a matrix view (of the matrices of a 3-D view). A
// matrix with one row or no columns never steps to a next row, and its stride
// may be anything (a transposed column): cuBLAS still wants at least the
// row's length.
std::int64_t ld(const Tensor& t) {
  const std::int64_t rows = t.size(-2), cols = t.size(-1), stride = t.strides()[t.dim() - 2];
  if (rows <= 1 || cols == 0) return std::max<std::int64_t>(cols, 1);
  VEIL_CHECK(stride >= cols) << "cuBLAS GEMM needs matrix rows at least a row apart, got shape " << t.shape()
                             << " with strides " << t.strides();
  return stride;
}

// The stride between the matrices of a batch (0 for a batch of one).
std::int64_t batch_stride(const Tensor& t) { return t.dim() == 3 && t.size(0) > 1 ? t.strides()[0] : 0; }

struct RowMajorProduct {
  bool trans_a, trans_b;
  std::int64_t m, n, k;
  std::int64_t lda, ldb, ldc;
  std::int64_t stride_a = 0, stride_b = 0, stride_c = 0;
  std::int64_t batch = 1;
};

// c = beta c (0 where beta is 0, whatever c held) for every product with an
// empty inner dimension, as the CPU's gemm does: what cuBLAS writes for k = 0
// is not documented, and an empty Poisson batch makes k = 0 in the summed
// weight gradient of Linear (C = G^T A over no rows).
template <typename T>
void scale_products(Device device, const RowMajorProduct& p, T beta, T* c) {
  const std::int64_t m = p.m, n = p.n, ldc = p.ldc, stride = p.stride_c;
  cuda::for_each_index("gemm with k = 0", device, p.batch * m * n, [=] __device__(std::int64_t e) {
    T& v = c[(e / (m * n)) * stride + (e / n % m) * ldc + e % n];
    v = beta == T(0) ? T(0) : beta * v;
  });
}

// c = alpha op(a) op(b) + beta c for each of p.batch row-major products.
template <typename T>
void row_major_gemm(Device device, const RowMajorProduct& p, T alpha, const T* a, const T* b, T beta, T* c) {
  if (p.m == 0 || p.n == 0 || p.batch == 0) return;
  if (p.k == 0) {
    scale_products(device, p, beta, c);
    return;
  }
  const cublasHandle_t handle = cuda::device_context(device).cublas.get();
  const cublasOperation_t op_a = p.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, op_b = p.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int m = as_int(p.n, "n"), n = as_int(p.m, "m"), k = as_int(p.k, "k");
  const int lda = as_int(p.ldb, "ldb"), ldb = as_int(p.lda, "lda"), ldc = as_int(p.ldc, "ldc");
  const int batch = as_int(p.batch, "batch");
  const cuda::CublasLibrary& blas = cuda::cublas_library();
  if constexpr (std::is_same_v<T, float>) {
    if (batch == 1)
      VEIL_CUBLAS_CHECK(blas.sgemm(handle, op_b, op_a, m, n, k, &alpha, b, lda, a, ldb, &beta, c, ldc));
    else
      VEIL_CUBLAS_CHECK(blas.sgemm_strided_batched(handle, op_b, op_a, m, n, k, &alpha, b, lda, p.stride_b, a, ldb,
                                                   p.stride_a, &beta, c, ldc, p.stride_c, batch));
  } else {
    if (batch == 1)
      VEIL_CUBLAS_CHECK(blas.dgemm(handle, op_b, op_a, m, n, k, &alpha, b, lda, a, ldb, &beta, c, ldc));
    else
      VEIL_CUBLAS_CHECK(blas.dgemm_strided_batched(handle, op_b, op_a, m, n, k, &alpha, b, lda, p.stride_b, a, ldb,
                                                   p.stride_a, &beta, c, ldc, p.stride_c, batch));
  }
}

void cuda_gemm(bool trans_a, bool trans_b, double alpha, const Tensor& a, const Tensor& b, double beta,
               const Tensor& c) {
  const RowMajorProduct p{trans_a, trans_b, c.size(0), c.size(1), trans_a ? a.size(0) : a.size(1), ld(a), ld(b), ld(c)};
  dispatch_floating(c.dtype(), "gemm", [&]<typename T>() {
    row_major_gemm<T>(c.device(), p, T(alpha), a.data<T>(), b.data<T>(), T(beta), c.data<T>());
  });
}

// One strided-batched call over the leading dimension.
void cuda_batched_gemm(bool trans_a, bool trans_b, double alpha, const Tensor& a, const Tensor& b, double beta,
                       const Tensor& c) {
  RowMajorProduct p{trans_a, trans_b, c.size(1), c.size(2), trans_a ? a.size(1) : a.size(2), ld(a), ld(b), ld(c)};
  p.stride_a = batch_stride(a);
  p.stride_b = batch_stride(b);
  p.stride_c = batch_stride(c);
  p.batch = c.size(0);
  dispatch_floating(c.dtype(), "batched_gemm", [&]<typename T>() {
    row_major_gemm<T>(c.device(), p, T(alpha), a.data<T>(), b.data<T>(), T(beta), c.data<T>());
  });
}

// cuBLAS picks its own kernel for every shape: there is no small-N special
// case to mirror, so this is gemm with b transposed.
void cuda_gemm_nt(const Tensor& a, const Tensor& b, const Tensor& c) { cuda_gemm(false, true, 1.0, a, b, 0.0, c); }

// c [G*M, K] += a[:, g]^T b[:, g] per group: the groups are a batch whose
// operands are column blocks (a stride of M or K columns) and whose results
// are consecutive [M, K] blocks of c. cuBLAS sums the N rows in its own
// fixed order, not the CPU's thread ranges (Note [Deterministic GPU sums]
// in core/cuda/launch.h).
void cuda_grouped_gemm_tn_rows(std::int64_t groups, const Tensor& a, const Tensor& b, const Tensor& c) {
  const std::int64_t out_per_group = a.size(1) / groups, k = c.size(1);
  RowMajorProduct p{true, false, out_per_group, k, a.size(0), ld(a), ld(b), k};
  p.stride_a = out_per_group;
  p.stride_b = k;
  p.stride_c = out_per_group * k;
  p.batch = groups;
  dispatch_floating(c.dtype(), "grouped_gemm_tn_rows", [&]<typename T>() {
    row_major_gemm<T>(c.device(), p, T(1), a.data<T>(), b.data<T>(), T(1), c.data<T>());
  });
}

}  // namespace

const GemmKernels& cuda_gemm_kernels() {
  static const GemmKernels kernels{cuda_gemm, cuda_batched_gemm, cuda_gemm_nt, cuda_grouped_gemm_tn_rows};
  return kernels;
}

}  // namespace veil
