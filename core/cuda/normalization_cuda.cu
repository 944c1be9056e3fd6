// CUDA normalisation: row statistics and their backward as one block per
// row (sums in double through block_sum, Note [Deterministic GPU sums] in
// core/cuda/launch.h), the affine map and the running statistics one
// thread per element, the per-example affine gradients one block per
// (example, feature).
#include <cmath>

#include "veil/core/cuda/launch.h"
#include "veil/core/normalization_kernels.h"

namespace veil {
namespace {

using normalization::AffineLayout;

template <typename T>
void normalize_rows_typed(const Tensor& x, double eps, const Tensor& x_hat, const Tensor& mean_out,
                          const Tensor& var_out, const Tensor& rstd_out) {
  const std::int64_t rows = mean_out.numel();
  const std::int64_t width = rows == 0 ? 0 : x.numel() / rows;
  const T* px = x.data<T>();
  T* ph = x_hat.data<T>();
  double* mean = mean_out.data<double>();
  double* var = var_out.data<double>();
  double* rstd = rstd_out.data<double>();
  cuda::for_each_block("normalize_rows", x.device(), rows, [=] __device__(std::int64_t r) {
    const T* xr = px + r * width;
    // Two passes: the variance of the deviations, not E[x^2] - E[x]^2.
    double acc = 0.0;
    for (std::int64_t j = threadIdx.x; j < width; j += blockDim.x) acc += xr[j];
    const double m = width > 0 ? cuda::block_sum(acc) / width : 0.0;
    double sq = 0.0;
    for (std::int64_t j = threadIdx.x; j < width; j += blockDim.x) sq += (xr[j] - m) * (xr[j] - m);
    const double v = width > 0 ? cuda::block_sum(sq) / width : 0.0;
    const double rs = 1.0 / sqrt(v + eps);
    for (std::int64_t j = threadIdx.x; j < width; j += blockDim.x) ph[r * width + j] = static_cast<T>((xr[j] - m) * rs);
    if (threadIdx.x == 0) {
      mean[r] = m;
      var[r] = v;
      rstd[r] = rs;
    }
  });
}

template <typename T>
void normalize_rows_backward_typed(const Tensor& g, const Tensor& x_hat, const Tensor& rstd_in, const Tensor& dx) {
  const std::int64_t rows = rstd_in.numel();
  const std::int64_t width = rows == 0 ? 0 : g.numel() / rows;
  const double* rstd = rstd_in.data<double>();
  const T* pg = g.data<T>();
  const T* ph = x_hat.data<T>();
  T* pd = dx.data<T>();
  cuda::for_each_block("normalize_rows backward", g.device(), rows, [=] __device__(std::int64_t r) {
    const T* gr = pg + r * width;
    const T* hr = ph + r * width;
    double g_sum = 0.0, gh_sum = 0.0;
    for (std::int64_t j = threadIdx.x; j < width; j += blockDim.x) {
      g_sum += gr[j];
      gh_sum += static_cast<double>(gr[j]) * hr[j];
    }
    const double g_mean = cuda::block_sum(g_sum) / width, gh_mean = cuda::block_sum(gh_sum) / width;
    for (std::int64_t j = threadIdx.x; j < width; j += blockDim.x)
      pd[r * width + j] = static_cast<T>(rstd[r] * (gr[j] - g_mean - hr[j] * gh_mean));
  });
}

template <typename T>
void affine_typed(const Tensor& x, const Tensor& gamma, const Tensor& beta, const AffineLayout& layout,
                  const Tensor& y) {
  const std::int64_t k_count = layout.features, inner = layout.inner;
  const T* px = x.data<T>();
  const T* pgamma = gamma.data<T>();
  const T* pbeta = beta.defined() ? beta.data<T>() : nullptr;
  T* py = y.data<T>();
  cuda::for_each_index("apply_affine", x.device(), x.numel(), [=] __device__(std::int64_t e) {
    const std::int64_t k = (e / inner) % k_count;
    py[e] = px[e] * pgamma[k] + (pbeta != nullptr ? pbeta[k] : T(0));
  });
}

template <typename T>
void affine_grad_samples_typed(const Tensor& g, const Tensor& x_hat, const AffineLayout& layout,
                               const Tensor& dgamma_out, const Tensor& dbeta_out) {
  const std::int64_t outer = layout.outer, k_count = layout.features, inner = layout.inner;
  const T* pg = g.data<T>();
  const T* ph = x_hat.data<T>();
  T* pdg = dgamma_out.data<T>();
  T* pdb = dbeta_out.data<T>();
  cuda::for_each_block("affine_grad_samples", g.device(), layout.batch * k_count, [=] __device__(std::int64_t bk) {
    const std::int64_t b = bk / k_count, k = bk % k_count;
    double dgamma = 0.0, dbeta = 0.0;
    for (std::int64_t e = threadIdx.x; e < outer * inner; e += blockDim.x) {
      const std::int64_t o = e / inner, i = e % inner;
      const std::int64_t at = ((b * outer + o) * k_count + k) * inner + i;
      dgamma += static_cast<double>(pg[at]) * ph[at];
      dbeta += pg[at];
    }
    dgamma = cuda::block_sum(dgamma);
    dbeta = cuda::block_sum(dbeta);
    if (threadIdx.x == 0) {
      pdg[bk] = static_cast<T>(dgamma);
      pdb[bk] = static_cast<T>(dbeta);
    }
  });
}

template <typename T>
void update_running_stats_typed(const Tensor& mean_in, const Tensor& var_in, double momentum, double unbias,
                                const Tensor& running_mean, const Tensor& running_var) {
  const double* mean = mean_in.data<double>();
  const double* var = var_in.data<double>();
  T* rm = running_mean.data<T>();
  T* rv = running_var.data<T>();
  cuda::for_each_index("BatchNorm2d running statistics", running_mean.device(), running_mean.numel(),
                       [=] __device__(std::int64_t c) {
                         rm[c] = static_cast<T>((1 - momentum) * rm[c] + momentum * mean[c]);
                         rv[c] = static_cast<T>((1 - momentum) * rv[c] + momentum * var[c] * unbias);
                       });
}

template <typename T>
void running_stats_affine_typed(const Tensor& running_mean, const Tensor& running_var, double eps, const Tensor& scale,
                                const Tensor& shift) {
  const T* rm = running_mean.data<T>();
  const T* rv = running_var.data<T>();
  T* ps = scale.data<T>();
  T* pt = shift.data<T>();
  cuda::for_each_index("BatchNorm2d eval", running_mean.device(), running_mean.numel(), [=] __device__(std::int64_t c) {
    const double rstd = 1.0 / sqrt(static_cast<double>(rv[c]) + eps);
    ps[c] = static_cast<T>(rstd);
    pt[c] = static_cast<T>(-rm[c] * rstd);
  });
}

void cuda_normalize_rows(const Tensor& x, double eps, const Tensor& x_hat, const Tensor& mean, const Tensor& var,
                         const Tensor& rstd) {
  dispatch_floating(x.dtype(), "normalize_rows",
                    [&]<typename T>() { normalize_rows_typed<T>(x, eps, x_hat, mean, var, rstd); });
}
void cuda_normalize_rows_backward(const Tensor& g, const Tensor& x_hat, const Tensor& rstd, const Tensor& dx) {
  dispatch_floating(g.dtype(), "normalize_rows backward",
                    [&]<typename T>() { normalize_rows_backward_typed<T>(g, x_hat, rstd, dx); });
}
void cuda_affine(const Tensor& x, const Tensor& gamma, const Tensor& beta, const AffineLayout& layout,
                 const Tensor& y) {
  dispatch_floating(x.dtype(), "apply_affine", [&]<typename T>() { affine_typed<T>(x, gamma, beta, layout, y); });
}
void cuda_affine_grad_samples(const Tensor& g, const Tensor& x_hat, const AffineLayout& layout, const Tensor& dgamma,
                              const Tensor& dbeta) {
  dispatch_floating(g.dtype(), "affine_grad_samples",
                    [&]<typename T>() { affine_grad_samples_typed<T>(g, x_hat, layout, dgamma, dbeta); });
}
void cuda_update_running_stats(const Tensor& mean, const Tensor& var, double momentum, double unbias,
                               const Tensor& running_mean, const Tensor& running_var) {
  dispatch_floating(running_mean.dtype(), "BatchNorm2d running statistics", [&]<typename T>() {
    update_running_stats_typed<T>(mean, var, momentum, unbias, running_mean, running_var);
  });
}
void cuda_running_stats_affine(const Tensor& running_mean, const Tensor& running_var, double eps, const Tensor& scale,
                               const Tensor& shift) {
  dispatch_floating(running_mean.dtype(), "BatchNorm2d eval", [&]<typename T>() {
    running_stats_affine_typed<T>(running_mean, running_var, eps, scale, shift);
  });
}

}  // namespace

const NormalizationKernels& cuda_normalization_kernels() {
  static const NormalizationKernels kernels{cuda_normalize_rows,       cuda_normalize_rows_backward,
                                            cuda_affine,               cuda_affine_grad_samples,
                                            cuda_update_running_stats, cuda_running_stats_affine};
  return kernels;
}

}  // namespace veil
