#include "veil/core/per_sample_kernels.h"

#include "veil/core/error.h"
#include "veil/core/kernel_table.h"

namespace veil {

const PerSampleKernels& cpu_per_sample_kernels();  // core/cpu/per_sample_cpu.cpp
const PerSampleKernels& cuda_per_sample_kernels();  // core/cuda/per_sample_cuda.cu

const PerSampleKernels& per_sample_kernels(Device device) {
#ifdef VEIL_WITH_CUDA
  const PerSampleKernels* cuda_table = &cuda_per_sample_kernels();
#else
  const PerSampleKernels* cuda_table = nullptr;
#endif
  return select_kernels(device, cpu_per_sample_kernels(), cuda_table, "per-sample");
}

namespace {

void check_coeffs(const Tensor& coeffs, const Tensor& per_sample, const char* op) {
  VEIL_CHECK(coeffs.dtype() == DType::Float64 && coeffs.numel() == per_sample.size(0))
      << op << ": expected " << per_sample.size(0) << " float64 coefficients, got " << coeffs.numel() << " "
      << coeffs.dtype();
  VEIL_CHECK(coeffs.device() == per_sample.device())
      << op << ": coefficients on " << coeffs.device() << " for samples on " << per_sample.device();
}

}  // namespace

Tensor row_sq_norms_kernel(const Tensor& per_sample) {
  const Tensor t = per_sample.contiguous();
  Tensor out = Tensor::empty({t.size(0)}, DType::Float64, t.device());
  per_sample_kernels(t.device()).row_sq_norms(t, out);
  return out;
}

Tensor scale_rows_kernel(const Tensor& per_sample, const Tensor& coeffs) {
  const Tensor t = per_sample.contiguous();
  check_coeffs(coeffs, t, "scale_rows");
  Tensor out = Tensor::empty(t.shape(), t.dtype(), t.device());
  per_sample_kernels(t.device()).scale_rows(t, coeffs.contiguous(), out);
  return out;
}

Tensor weighted_row_sum_kernel(const Tensor& per_sample, const Tensor& coeffs) {
  const Tensor t = per_sample.contiguous();
  check_coeffs(coeffs, t, "weighted_row_sum");
  Tensor out = Tensor::zeros(Shape(t.shape().begin() + 1, t.shape().end()), t.dtype(), t.device());
  per_sample_kernels(t.device()).weighted_row_sum(t, coeffs.contiguous(), out);
  return out;
}

Tensor keep_mask_kernel(const Tensor& coeffs) {
  const Tensor c = coeffs.contiguous();
  Tensor out = Tensor::empty({c.numel()}, DType::Float64, c.device());
  per_sample_kernels(c.device()).keep_mask(c, out);
  return out;
}

bool any_zero_kernel(const Tensor& coeffs) {
  const Tensor c = coeffs.contiguous();
  return per_sample_kernels(c.device()).any_zero(c);
}

Tensor sum_positions_kernel(const Tensor& x) {
  VEIL_CHECK(x.dim() == 3) << "sum_positions expects [B, T, C], got " << x.shape();
  const Tensor t = x.contiguous();
  Tensor out = Tensor::empty({t.size(0), t.size(2)}, t.dtype(), t.device());
  per_sample_kernels(t.device()).sum_positions(t, out);
  return out;
}

Tensor gram_sq_norms_kernel(std::int64_t groups, const Tensor& rows, const Tensor& grads, Tensor& workspace) {
  VEIL_CHECK(rows.dim() == 3 && grads.dim() == 3 && rows.size(0) == grads.size(0) && rows.size(1) == grads.size(1) &&
             groups > 0 && rows.size(2) % groups == 0 && grads.size(2) % groups == 0)
      << "gram_sq_norms: rows " << rows.shape() << " and output gradients " << grads.shape() << " with " << groups
      << " groups";
  VEIL_CHECK(rows.dtype() == grads.dtype() && rows.device() == grads.device())
      << "gram_sq_norms: rows and output gradients differ in dtype or device";
  const PerSampleKernels& kernels = per_sample_kernels(rows.device());
  const std::int64_t needed = kernels.gram_workspace_numel(rows.size(1));
  if (!workspace.defined() || workspace.numel() < needed || workspace.dtype() != rows.dtype() ||
      workspace.device() != rows.device())
    workspace = Tensor::empty({needed}, rows.dtype(), rows.device());
  Tensor out = Tensor::empty({rows.size(0)}, DType::Float64, rows.device());
  kernels.gram_sq_norms(groups, rows.contiguous(), grads.contiguous(), workspace, out);
  return out;
}

}  // namespace veil
