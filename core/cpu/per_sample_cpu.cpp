// The CPU per-sample table (Note [Kernel tables]).
#include <algorithm>

#include "veil/core/cpu/gemm.h"
#include "veil/core/parallel.h"
#include "veil/core/per_sample_kernels.h"

namespace veil {
namespace {

std::int64_t row_size(const Tensor& t) { return t.size(0) == 0 ? 0 : t.numel() / t.size(0); }

// sum_e a[e] b[e] in float64. Eight partial sums (lane e % 8) make the
// loop vector-wide instead of one long chain of dependent additions; they
// are combined in a fixed order, so the result depends on the data alone.
template <typename T>
double dot(const T* a, const T* b, std::int64_t n) {
  constexpr std::int64_t kLanes = 8;
  double lanes[kLanes] = {};
  std::int64_t e = 0;
  for (; e + kLanes <= n; e += kLanes)
    for (std::int64_t l = 0; l < kLanes; ++l) lanes[l] += static_cast<double>(a[e + l]) * b[e + l];
  for (; e < n; ++e) lanes[e % kLanes] += static_cast<double>(a[e]) * b[e];
  return ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
}

void cpu_row_sq_norms(const Tensor& t, const Tensor& out) {
  const std::int64_t batch = t.size(0), width = row_size(t);
  double* po = out.data<double>();
  dispatch_floating(t.dtype(), "row_sq_norms", [&]<typename T>() {
    const T* p = t.data<T>();
    parallel_for(batch, 4, [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t i = b0; i < b1; ++i) {
        po[i] = dot(p + i * width, p + i * width, width);
      }
    });
  });
}

void cpu_scale_rows(const Tensor& t, const Tensor& coeffs, const Tensor& out) {
  const std::int64_t batch = t.size(0), width = row_size(t);
  const double* c = coeffs.data<double>();
  dispatch_floating(t.dtype(), "scale_rows", [&]<typename T>() {
    const T* p = t.data<T>();
    T* po = out.data<T>();
    parallel_for(batch, 4, [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t i = b0; i < b1; ++i)
        for (std::int64_t j = 0; j < width; ++j)
          po[i * width + j] = c[i] == 0.0 ? T(0) : static_cast<T>(c[i]) * p[i * width + j];
    });
  });
}

void cpu_weighted_row_sum(const Tensor& t, const Tensor& coeffs, const Tensor& out) {
  const std::int64_t batch = t.size(0), width = row_size(t);
  const double* c = coeffs.data<double>();
  dispatch_floating(t.dtype(), "weighted_row_sum", [&]<typename T>() {
    const T* p = t.data<T>();
    T* po = out.data<T>();
    parallel_for(width, 1024, [&](std::int64_t j0, std::int64_t j1) {
      for (std::int64_t i = 0; i < batch; ++i) {
        if (c[i] == 0.0) continue;  // a dropped example, possibly non-finite
        const T ci = static_cast<T>(c[i]);
        for (std::int64_t j = j0; j < j1; ++j) po[j] += ci * p[i * width + j];
      }
    });
  });
}

void cpu_keep_mask(const Tensor& coeffs, const Tensor& out) {
  const double* c = coeffs.data<double>();
  double* m = out.data<double>();
  for (std::int64_t i = 0; i < coeffs.numel(); ++i) m[i] = c[i] == 0.0 ? 0.0 : 1.0;
}

bool cpu_any_zero(const Tensor& coeffs) {
  const double* c = coeffs.data<double>();
  return std::any_of(c, c + coeffs.numel(), [](double v) { return v == 0.0; });
}

void cpu_sum_positions(const Tensor& x, const Tensor& out) {
  const std::int64_t batch = x.size(0), l = x.size(1), c = x.size(2);
  dispatch_floating(x.dtype(), "sum_positions", [&]<typename T>() {
    const T* pg = x.data<T>();
    T* po = out.data<T>();
    std::fill(po, po + batch * c, T(0));
    parallel_for(batch, 8, [&](std::int64_t i0, std::int64_t i1) {
      for (std::int64_t i = i0; i < i1; ++i)
        for (std::int64_t p = 0; p < l; ++p)
          for (std::int64_t ch = 0; ch < c; ++ch) po[i * c + ch] += pg[(i * l + p) * c + ch];
    });
  });
}

// Up to this many positions the two Gram matrices are summed entry by entry
// in float64: a GEMM call per example costs more than the products (a 2-D
// Linear layer has T = 1, where the result is ||u||^2 ||g||^2).
constexpr std::int64_t kDirectGramPositions = 4;

template <typename T>
double direct_gram_dot(const T* u, std::int64_t ldu, std::int64_t k, const T* g, std::int64_t ldg, std::int64_t o,
                       std::int64_t t) {
  double acc = 0.0;
  for (std::int64_t a = 0; a < t; ++a)
    for (std::int64_t b = 0; b < t; ++b) acc += dot(u + a * ldu, u + b * ldu, k) * dot(g + a * ldg, g + b * ldg, o);
  return acc;
}

// One slot of two T x T Gram matrices per thread.
std::int64_t cpu_gram_workspace_numel(std::int64_t positions) { return num_threads() * 2 * positions * positions; }

void cpu_gram_sq_norms(std::int64_t groups, const Tensor& rows, const Tensor& grads, const Tensor& workspace,
                       const Tensor& out) {
  const std::int64_t batch = rows.size(0), t = rows.size(1), patch = rows.size(2), out_channels = grads.size(2);
  const std::int64_t k = patch / groups, out_per_group = out_channels / groups;
  const std::int64_t slots = std::min<std::int64_t>(num_threads(), batch);
  double* pn = out.data<double>();
  dispatch_floating(rows.dtype(), "gram_sq_norms", [&]<typename T>() {
    const T* pr = rows.data<T>();
    const T* pg = grads.data<T>();
    parallel_for(slots, 1, [&](std::int64_t s0, std::int64_t s1) {
      for (std::int64_t s = s0; s < s1; ++s) {
        T* gram_u = workspace.data<T>() + s * 2 * t * t;
        T* gram_g = gram_u + t * t;
        for (std::int64_t i = batch * s / slots; i < batch * (s + 1) / slots; ++i) {
          double acc = 0.0;
          for (std::int64_t grp = 0; grp < groups; ++grp) {
            // <U_i U_i^T, G_i G_i^T> over the sample's T rows; for T = 1 this
            // is ||u_i||^2 ||g_i||^2.
            const T* u = pr + i * t * patch + grp * k;
            const T* gi = pg + i * t * out_channels + grp * out_per_group;
            if (t <= kDirectGramPositions) {
              acc += direct_gram_dot(u, patch, k, gi, out_channels, out_per_group, t);
              continue;
            }
            cpu::gemm<T>(false, true, t, t, k, T(1), u, patch, u, patch, T(0), gram_u, t);
            cpu::gemm<T>(false, true, t, t, out_per_group, T(1), gi, out_channels, gi, out_channels, T(0), gram_g, t);
            acc += dot(gram_u, gram_g, t * t);
          }
          pn[i] = acc;
        }
      }
    });
  });
}

}  // namespace

const PerSampleKernels& cpu_per_sample_kernels() {
  static const PerSampleKernels kernels{cpu_row_sq_norms, cpu_scale_rows,    cpu_weighted_row_sum,
                                        cpu_keep_mask,    cpu_any_zero,      cpu_sum_positions,
                                        cpu_gram_sq_norms, cpu_gram_workspace_numel};
  return kernels;
}

}  // namespace veil
