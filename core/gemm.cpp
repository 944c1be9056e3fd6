#include "veil/core/gemm.h"

#include "veil/core/error.h"
#include "veil/core/kernel_table.h"

namespace veil {

const GemmKernels& cpu_gemm_kernels();  // core/cpu/gemm_cpu.cpp
const GemmKernels& cuda_gemm_kernels();  // core/cuda/gemm_cuda.cu

const GemmKernels& gemm_kernels(Device device) {
#ifdef VEIL_WITH_CUDA
  const GemmKernels* cuda_table = &cuda_gemm_kernels();
#else
  const GemmKernels* cuda_table = nullptr;
#endif
  return select_kernels(device, cpu_gemm_kernels(), cuda_table, "GEMM");
}

namespace {

void check_operands(const char* op, int rank, const Tensor& a, const Tensor& b, const Tensor& c) {
  for (const Tensor* t : {&a, &b, &c}) {
    VEIL_CHECK(t->dim() == rank) << op << " expects " << rank << "-D operands, got " << t->shape();
    VEIL_CHECK(t->dtype() == c.dtype()) << op << " dtype mismatch: " << t->dtype() << " and " << c.dtype();
    VEIL_CHECK(t->device() == c.device()) << op << " device mismatch: " << t->device() << " and " << c.device();
    VEIL_ASSERT(t->strides().back() == 1 || t->size(-1) <= 1) << op << " operand with column stride "
                                                               << t->strides().back();
  }
}

void check_product(const char* op, bool trans_a, bool trans_b, const Tensor& a, const Tensor& b, const Tensor& c) {
  const std::int64_t m = trans_a ? a.size(-1) : a.size(-2), ka = trans_a ? a.size(-2) : a.size(-1);
  const std::int64_t kb = trans_b ? b.size(-1) : b.size(-2), n = trans_b ? b.size(-2) : b.size(-1);
  VEIL_CHECK(ka == kb && m == c.size(-2) && n == c.size(-1))
      << op << " shape mismatch: " << a.shape() << (trans_a ? "^T" : "") << " x " << b.shape() << (trans_b ? "^T" : "")
      << " into " << c.shape();
}

}  // namespace

void gemm(bool trans_a, bool trans_b, double alpha, const Tensor& a, const Tensor& b, double beta, const Tensor& c) {
  check_operands("gemm", 2, a, b, c);
  check_product("gemm", trans_a, trans_b, a, b, c);
  gemm_kernels(c.device()).gemm(trans_a, trans_b, alpha, a, b, beta, c);
}

void batched_gemm(bool trans_a, bool trans_b, double alpha, const Tensor& a, const Tensor& b, double beta,
                  const Tensor& c) {
  check_operands("batched_gemm", 3, a, b, c);
  check_product("batched_gemm", trans_a, trans_b, a, b, c);
  VEIL_CHECK(a.size(0) == c.size(0) && b.size(0) == c.size(0))
      << "batched_gemm batch mismatch: " << a.shape() << ", " << b.shape() << " into " << c.shape();
  gemm_kernels(c.device()).batched_gemm(trans_a, trans_b, alpha, a, b, beta, c);
}

void gemm_nt(const Tensor& a, const Tensor& b, const Tensor& c) {
  check_operands("gemm_nt", 2, a, b, c);
  check_product("gemm_nt", false, true, a, b, c);
  gemm_kernels(c.device()).gemm_nt(a, b, c);
}

void grouped_gemm_tn_rows(std::int64_t groups, const Tensor& a, const Tensor& b, const Tensor& c) {
  check_operands("grouped_gemm_tn_rows", 2, a, b, c);
  VEIL_CHECK(groups > 0 && a.size(0) == b.size(0) && a.size(1) % groups == 0 && b.size(1) % groups == 0 &&
             c.size(0) == a.size(1) && c.size(1) == b.size(1) / groups && c.is_contiguous())
      << "grouped_gemm_tn_rows shape mismatch: " << a.shape() << "^T x " << b.shape() << " into " << c.shape()
      << " with " << groups << " groups";
  gemm_kernels(c.device()).grouped_gemm_tn_rows(groups, a, b, c);
}

Tensor last_dim_block(const Tensor& t, std::int64_t start, std::int64_t width) {
  VEIL_CHECK(start >= 0 && width >= 0 && start + width <= t.size(-1))
      << "columns [" << start << ", " << start + width << ") of a tensor of shape " << t.shape();
  Shape shape = t.shape();
  shape.back() = width;
  return make_view(t, shape, t.strides(), t.offset() + start * t.strides().back());
}

}  // namespace veil
