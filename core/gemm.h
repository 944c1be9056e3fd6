#pragma once
// Matrix products on tensors, dispatched on the tensors' device (Note
// [Kernel tables]). No autograd recording (matmul in autograd/ops.h does).
//
// A matrix is a 2-D view with unit column stride: row r starts strides()[0]
// elements after row r - 1 (the leading dimension), so a column block of a
// wider matrix (one group of a grouped convolution, see last_dim_block) is a
// view, not a copy. A batch of matrices is a 3-D view of such matrices.
// op(x) is x, or x^T for trans_x with x stored transposed. Outputs must not
// alias inputs. CPU results do not depend on the thread count (Note
// [Thread-independent GEMM] in core/cpu/gemm.cpp).
#include "veil/core/tensor.h"

namespace veil {

struct GemmKernels {
  // c [M, N] = alpha op(a) op(b) + beta c.
  void (*gemm)(bool trans_a, bool trans_b, double alpha, const Tensor& a, const Tensor& b, double beta,
               const Tensor& c) = nullptr;
  // The same product for every leading index of 3-D views [Bt, ., .].
  void (*batched_gemm)(bool trans_a, bool trans_b, double alpha, const Tensor& a, const Tensor& b, double beta,
                       const Tensor& c) = nullptr;
  // c [M, N] = a [M, K] b^T for b stored [N, K] (a weight matrix): the
  // convolution forward. The CPU uses a register-blocked kernel when N is
  // 16 or 32, so results may differ from `gemm` in the last bits.
  void (*gemm_nt)(const Tensor& a, const Tensor& b, const Tensor& c) = nullptr;
  // c [G*M, K] += per group g: sum over the N rows of a[:, g]^T b[:, g], for
  // a [N, G*M] and b [N, G*K] (a weight gradient summed over many rows). The
  // CPU splits the rows into chunks fixed by the shapes, not by the thread
  // count, and adds the partial sums in chunk order.
  void (*grouped_gemm_tn_rows)(std::int64_t groups, const Tensor& a, const Tensor& b, const Tensor& c) = nullptr;
};

// The kernels for a device; throws for a device without them.
const GemmKernels& gemm_kernels(Device device);

// Conveniences over the table; they check dtypes, devices and shapes.
void gemm(bool trans_a, bool trans_b, double alpha, const Tensor& a, const Tensor& b, double beta, const Tensor& c);
void batched_gemm(bool trans_a, bool trans_b, double alpha, const Tensor& a, const Tensor& b, double beta,
                  const Tensor& c);
void gemm_nt(const Tensor& a, const Tensor& b, const Tensor& c);
void grouped_gemm_tn_rows(std::int64_t groups, const Tensor& a, const Tensor& b, const Tensor& c);

// Columns [start, start + width) of the last dimension of t, as a view.
Tensor last_dim_block(const Tensor& t, std::int64_t start, std::int64_t width);

}  // namespace veil
