// CPU normalisation: row statistics, the affine map, their gradients and
// BatchNorm's running statistics.
#include <algorithm>
#include <cmath>
#include <vector>

#include "veil/core/normalization_kernels.h"
#include "veil/core/parallel.h"

namespace veil {
namespace {

using normalization::AffineLayout;

// Enough rows per thread that short rows do not drown in scheduling.
std::int64_t row_grain(std::int64_t width) {
  return std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(width, 1));
}

void cpu_normalize_rows(const Tensor& x, double eps, const Tensor& x_hat, const Tensor& mean_out,
                        const Tensor& var_out, const Tensor& rstd_out) {
  const std::int64_t rows = mean_out.numel();
  const std::int64_t width = rows == 0 ? 0 : x.numel() / rows;
  double* mean = mean_out.data<double>();
  double* var = var_out.data<double>();
  double* rstd = rstd_out.data<double>();
  dispatch_floating(x.dtype(), "normalize_rows", [&]<typename T>() {
    const T* px = x.data<T>();
    T* ph = x_hat.data<T>();
    parallel_for(rows, row_grain(width), [&](std::int64_t r0, std::int64_t r1) {
      for (std::int64_t r = r0; r < r1; ++r) {
        const T* xr = px + r * width;
        // Two passes: the variance of the deviations, not E[x^2] - E[x]^2.
        double acc = 0.0;
        for (std::int64_t j = 0; j < width; ++j) acc += xr[j];
        const double m = width > 0 ? acc / width : 0.0;
        double sq = 0.0;
        for (std::int64_t j = 0; j < width; ++j) sq += (xr[j] - m) * (xr[j] - m);
        const double v = width > 0 ? sq / width : 0.0;
        const double rs = 1.0 / std::sqrt(v + eps);
        for (std::int64_t j = 0; j < width; ++j) ph[r * width + j] = static_cast<T>((xr[j] - m) * rs);
        mean[r] = m;
        var[r] = v;
        rstd[r] = rs;
      }
    });
  });
}

void cpu_normalize_rows_backward(const Tensor& g, const Tensor& x_hat, const Tensor& rstd_in, const Tensor& dx) {
  const std::int64_t rows = rstd_in.numel();
  const std::int64_t width = rows == 0 ? 0 : g.numel() / rows;
  const double* rstd = rstd_in.data<double>();
  dispatch_floating(g.dtype(), "normalize_rows backward", [&]<typename T>() {
    const T* pg = g.data<T>();
    const T* ph = x_hat.data<T>();
    T* pd = dx.data<T>();
    parallel_for(rows, row_grain(width), [&](std::int64_t r0, std::int64_t r1) {
      for (std::int64_t r = r0; r < r1; ++r) {
        const T* gr = pg + r * width;
        const T* hr = ph + r * width;
        double g_sum = 0.0, gh_sum = 0.0;
        for (std::int64_t j = 0; j < width; ++j) {
          g_sum += gr[j];
          gh_sum += static_cast<double>(gr[j]) * hr[j];
        }
        const double g_mean = g_sum / width, gh_mean = gh_sum / width;
        for (std::int64_t j = 0; j < width; ++j)
          pd[r * width + j] = static_cast<T>(rstd[r] * (gr[j] - g_mean - hr[j] * gh_mean));
      }
    });
  });
}

void cpu_affine(const Tensor& x, const Tensor& gamma, const Tensor& beta, const AffineLayout& layout,
                const Tensor& y) {
  const std::int64_t planes = layout.batch * layout.outer, k_count = layout.features, inner = layout.inner;
  dispatch_floating(x.dtype(), "apply_affine", [&]<typename T>() {
    const T* px = x.data<T>();
    const T* pgamma = gamma.data<T>();
    const T* pbeta = beta.defined() ? beta.data<T>() : nullptr;
    T* py = y.data<T>();
    parallel_for(planes, row_grain(k_count * inner), [&](std::int64_t p0, std::int64_t p1) {
      for (std::int64_t p = p0; p < p1; ++p)
        for (std::int64_t k = 0; k < k_count; ++k) {
          const T scale = pgamma[k], shift = pbeta ? pbeta[k] : T(0);
          const std::int64_t base = (p * k_count + k) * inner;
          for (std::int64_t i = 0; i < inner; ++i) py[base + i] = px[base + i] * scale + shift;
        }
    });
  });
}

void cpu_affine_grad_samples(const Tensor& g, const Tensor& x_hat, const AffineLayout& layout, const Tensor& dgamma_out,
                             const Tensor& dbeta_out) {
  const std::int64_t batch = layout.batch, outer = layout.outer, k_count = layout.features, inner = layout.inner;
  dispatch_floating(g.dtype(), "affine_grad_samples", [&]<typename T>() {
    const T* pg = g.data<T>();
    const T* ph = x_hat.data<T>();
    T* pdg = dgamma_out.data<T>();
    T* pdb = dbeta_out.data<T>();
    parallel_for(batch, 1, [&](std::int64_t b0, std::int64_t b1) {
      std::vector<double> dgamma(k_count), dbeta(k_count);
      for (std::int64_t b = b0; b < b1; ++b) {
        std::fill(dgamma.begin(), dgamma.end(), 0.0);
        std::fill(dbeta.begin(), dbeta.end(), 0.0);
        for (std::int64_t o = 0; o < outer; ++o)
          for (std::int64_t k = 0; k < k_count; ++k) {
            const std::int64_t base = ((b * outer + o) * k_count + k) * inner;
            for (std::int64_t i = 0; i < inner; ++i) {
              dgamma[k] += static_cast<double>(pg[base + i]) * ph[base + i];
              dbeta[k] += pg[base + i];
            }
          }
        for (std::int64_t k = 0; k < k_count; ++k) {
          pdg[b * k_count + k] = static_cast<T>(dgamma[k]);
          pdb[b * k_count + k] = static_cast<T>(dbeta[k]);
        }
      }
    });
  });
}

void cpu_update_running_stats(const Tensor& mean_in, const Tensor& var_in, double momentum, double unbias,
                              const Tensor& running_mean, const Tensor& running_var) {
  const double* mean = mean_in.data<double>();
  const double* var = var_in.data<double>();
  dispatch_floating(running_mean.dtype(), "BatchNorm2d running statistics", [&]<typename T>() {
    T* rm = running_mean.data<T>();
    T* rv = running_var.data<T>();
    for (std::int64_t c = 0; c < running_mean.numel(); ++c) {
      rm[c] = static_cast<T>((1 - momentum) * rm[c] + momentum * mean[c]);
      rv[c] = static_cast<T>((1 - momentum) * rv[c] + momentum * var[c] * unbias);
    }
  });
}

void cpu_running_stats_affine(const Tensor& running_mean, const Tensor& running_var, double eps, const Tensor& scale,
                              const Tensor& shift) {
  dispatch_floating(running_mean.dtype(), "BatchNorm2d eval", [&]<typename T>() {
    const T* rm = running_mean.data<T>();
    const T* rv = running_var.data<T>();
    T* ps = scale.data<T>();
    T* pt = shift.data<T>();
    for (std::int64_t c = 0; c < running_mean.numel(); ++c) {
      const double rstd = 1.0 / std::sqrt(static_cast<double>(rv[c]) + eps);
      ps[c] = static_cast<T>(rstd);
      pt[c] = static_cast<T>(-rm[c] * rstd);
    }
  });
}

}  // namespace

const NormalizationKernels& cpu_normalization_kernels() {
  static const NormalizationKernels kernels{cpu_normalize_rows,   cpu_normalize_rows_backward,
                                            cpu_affine,           cpu_affine_grad_samples,
                                            cpu_update_running_stats, cpu_running_stats_affine};
  return kernels;
}

}  // namespace veil
