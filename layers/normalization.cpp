#include "veil/layers/normalization.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "veil/core/error.h"
#include "veil/core/parallel.h"

namespace veil::normalization {

namespace {

std::int64_t row_width(const Tensor& t, std::int64_t rows) {
  VEIL_ASSERT(t.is_contiguous() && (rows == 0 || t.numel() % rows == 0))
      << "tensor " << t.shape() << " is not " << rows << " contiguous rows";
  return rows == 0 ? 0 : t.numel() / rows;
}

// Enough rows per thread that short rows do not drown in scheduling.
std::int64_t row_grain(std::int64_t width) {
  return std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(width, 1));
}

}  // namespace

RowStats normalize_rows(const Tensor& x, std::int64_t rows, double eps) {
  const std::int64_t width = row_width(x, rows);
  RowStats s{Tensor::empty(x.shape(), x.dtype()), Tensor::empty({rows}, DType::Float64),
             Tensor::empty({rows}, DType::Float64), Tensor::empty({rows}, DType::Float64)};
  double* mean = s.mean.data<double>();
  double* var = s.var.data<double>();
  double* rstd = s.rstd.data<double>();
  dispatch_floating(x.dtype(), "normalize_rows", [&]<typename T>() {
    const T* px = x.data<T>();
    T* ph = s.x_hat.data<T>();
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
  return s;
}

Tensor normalize_rows_backward(const Tensor& gx_hat, const RowStats& stats, std::int64_t rows) {
  const Tensor g = gx_hat.contiguous();
  const std::int64_t width = row_width(g, rows);
  Tensor dx = Tensor::empty(g.shape(), g.dtype());
  const double* rstd = stats.rstd.data<double>();
  dispatch_floating(g.dtype(), "normalize_rows backward", [&]<typename T>() {
    const T* pg = g.data<T>();
    const T* ph = stats.x_hat.data<T>();
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
  return dx;
}

Tensor apply_affine(const Tensor& x_in, const Tensor& gamma, const Tensor& beta, const AffineLayout& layout) {
  const Tensor x = x_in.contiguous();
  const std::int64_t planes = layout.batch * layout.outer, k_count = layout.features, inner = layout.inner;
  VEIL_ASSERT(x.numel() == planes * k_count * inner && gamma.numel() == k_count &&
              (!beta.defined() || beta.numel() == k_count))
      << "affine over " << x.shape() << " with " << gamma.numel() << " features";
  const Tensor scales = gamma.contiguous();
  const Tensor shifts = beta.defined() ? beta.contiguous() : Tensor();
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch_floating(x.dtype(), "apply_affine", [&]<typename T>() {
    const T* px = x.data<T>();
    const T* pgamma = scales.data<T>();
    const T* pbeta = shifts.defined() ? shifts.data<T>() : nullptr;
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
  return y;
}

AffineGradSamples affine_grad_samples(const Tensor& g_in, const Tensor& x_hat, const AffineLayout& layout) {
  const Tensor g = g_in.contiguous();
  const std::int64_t batch = layout.batch, outer = layout.outer, k_count = layout.features, inner = layout.inner;
  VEIL_ASSERT(g.numel() == batch * outer * k_count * inner && x_hat.numel() == g.numel())
      << "affine gradients of " << g.shape() << " with x_hat " << x_hat.shape();
  AffineGradSamples out{Tensor::empty({batch, k_count}, g.dtype()), Tensor::empty({batch, k_count}, g.dtype())};
  dispatch_floating(g.dtype(), "affine_grad_samples", [&]<typename T>() {
    const T* pg = g.data<T>();
    const T* ph = x_hat.data<T>();
    T* pdg = out.gamma.data<T>();
    T* pdb = out.beta.data<T>();
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
  return out;
}

Tensor normalize_affine(const Tensor& x, std::int64_t rows, double eps, const Tensor& gamma, const Tensor& beta,
                        const AffineLayout& layout, RowStats* stats) {
  *stats = normalize_rows(x, rows, eps);
  // A copy without affine, so that the output never aliases what backward keeps.
  return gamma.defined() ? apply_affine(stats->x_hat, gamma, beta, layout) : stats->x_hat.clone();
}

NormalizeAffineGrads normalize_affine_backward(const Tensor& g_in, const RowStats& stats, std::int64_t rows,
                                               const Tensor& gamma, const AffineLayout& layout, bool need_dx) {
  const Tensor g = g_in.contiguous();
  NormalizeAffineGrads out;
  if (need_dx) {
    const Tensor gx_hat = gamma.defined() ? apply_affine(g, gamma, Tensor(), layout) : g;
    out.dx = normalize_rows_backward(gx_hat, stats, rows);
  }
  if (gamma.defined()) out.affine = affine_grad_samples(g, stats.x_hat, layout);
  return out;
}

}  // namespace veil::normalization
