#include "veil/core/normalization_kernels.h"

#include "veil/core/error.h"
#include "veil/core/kernel_table.h"

namespace veil {

const NormalizationKernels& cpu_normalization_kernels();  // core/cpu/normalization_cpu.cpp
const NormalizationKernels& cuda_normalization_kernels();  // core/cuda/normalization_cuda.cu

const NormalizationKernels& normalization_kernels(Device device) {
#ifdef VEIL_WITH_CUDA
  const NormalizationKernels* cuda_table = &cuda_normalization_kernels();
#else
  const NormalizationKernels* cuda_table = nullptr;
#endif
  return select_kernels(device, cpu_normalization_kernels(), cuda_table, "normalization");
}

namespace normalization {
namespace {

void check_rows(const Tensor& t, std::int64_t rows) {
  VEIL_ASSERT(t.is_contiguous() && (rows == 0 || t.numel() % rows == 0))
      << "tensor " << t.shape() << " is not " << rows << " contiguous rows";
}

// A kernel reads `t` beside the data: on another device it would read a
// pointer of the wrong memory (a module left on the CPU for a GPU input).
void check_device(const Tensor& t, const Tensor& data, const char* what) {
  VEIL_CHECK(t.device() == data.device()) << "normalisation " << what << " on " << t.device() << " for data on "
                                          << data.device() << ": move the module to the data's device";
}

}  // namespace

RowStats normalize_rows(const Tensor& x, std::int64_t rows, double eps) {
  check_rows(x, rows);
  RowStats s{Tensor::empty(x.shape(), x.dtype(), x.device()), Tensor::empty({rows}, DType::Float64, x.device()),
             Tensor::empty({rows}, DType::Float64, x.device()), Tensor::empty({rows}, DType::Float64, x.device())};
  normalization_kernels(x.device()).normalize_rows(x, eps, s.x_hat, s.mean, s.var, s.rstd);
  return s;
}

Tensor normalize_rows_backward(const Tensor& gx_hat, const RowStats& stats, std::int64_t rows) {
  const Tensor g = gx_hat.contiguous();
  check_rows(g, rows);
  Tensor dx = Tensor::empty(g.shape(), g.dtype(), g.device());
  normalization_kernels(g.device()).normalize_rows_backward(g, stats.x_hat, stats.rstd, dx);
  return dx;
}

Tensor apply_affine(const Tensor& x_in, const Tensor& gamma, const Tensor& beta, const AffineLayout& layout) {
  const Tensor x = x_in.contiguous();
  check_device(gamma, x, "weight");
  if (beta.defined()) check_device(beta, x, "bias");
  VEIL_ASSERT(x.numel() == layout.batch * layout.outer * layout.features * layout.inner &&
              gamma.numel() == layout.features && (!beta.defined() || beta.numel() == layout.features))
      << "affine over " << x.shape() << " with " << gamma.numel() << " features";
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  normalization_kernels(x.device())
      .affine(x, gamma.contiguous(), beta.defined() ? beta.contiguous() : Tensor(), layout, y);
  return y;
}

AffineGradSamples affine_grad_samples(const Tensor& g_in, const Tensor& x_hat, const AffineLayout& layout) {
  const Tensor g = g_in.contiguous();
  VEIL_ASSERT(g.numel() == layout.batch * layout.outer * layout.features * layout.inner &&
              x_hat.numel() == g.numel())
      << "affine gradients of " << g.shape() << " with x_hat " << x_hat.shape();
  AffineGradSamples out{Tensor::empty({layout.batch, layout.features}, g.dtype(), g.device()),
                        Tensor::empty({layout.batch, layout.features}, g.dtype(), g.device())};
  normalization_kernels(g.device()).affine_grad_samples(g, x_hat.contiguous(), layout, out.gamma, out.beta);
  return out;
}

void update_running_stats(const RowStats& batch_stats, std::int64_t count, double momentum, const Tensor& running_mean,
                          const Tensor& running_var) {
  check_device(running_mean, batch_stats.mean, "running mean");
  check_device(running_var, batch_stats.mean, "running variance");
  const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
  normalization_kernels(running_mean.device())
      .update_running_stats(batch_stats.mean, batch_stats.var, momentum, unbias, running_mean, running_var);
}

ChannelAffine running_stats_affine(const Tensor& running_mean, const Tensor& running_var, double eps) {
  const Tensor mean = running_mean.contiguous(), var = running_var.contiguous();
  ChannelAffine out{Tensor::empty(mean.shape(), mean.dtype(), mean.device()),
                    Tensor::empty(mean.shape(), mean.dtype(), mean.device())};
  normalization_kernels(mean.device()).running_stats_affine(mean, var, eps, out.scale, out.shift);
  return out;
}

}  // namespace normalization
}  // namespace veil
