// The CUDA per-sample table (Note [Kernel tables]): the pieces of the
// per-sample gradient routes on the GPU. Sums follow Note [Deterministic
// GPU sums] (core/cuda/launch.h): per-example norms are block sums in
// double, sums over the batch run over examples in order, one thread per
// element.
#include <algorithm>

#include "veil/core/cuda/launch.h"
#include "veil/core/gemm.h"
#include "veil/core/per_sample_kernels.h"

namespace veil {
namespace {

std::int64_t row_size(const Tensor& t) { return t.size(0) == 0 ? 0 : t.numel() / t.size(0); }

template <typename T>
void row_sq_norms_typed(const Tensor& t, const Tensor& out) {
  const std::int64_t width = row_size(t);
  const T* p = t.data<T>();
  double* po = out.data<double>();
  cuda::for_each_block("row_sq_norms", t.device(), t.size(0), [=] __device__(std::int64_t i) {
    double acc = 0.0;
    for (std::int64_t j = threadIdx.x; j < width; j += blockDim.x) {
      const double v = p[i * width + j];
      acc += v * v;
    }
    acc = cuda::block_sum(acc);
    if (threadIdx.x == 0) po[i] = acc;
  });
}

template <typename T>
void scale_rows_typed(const Tensor& t, const Tensor& coeffs, const Tensor& out) {
  const std::int64_t width = row_size(t);
  const double* c = coeffs.data<double>();
  const T* p = t.data<T>();
  T* po = out.data<T>();
  cuda::for_each_index("scale_rows", t.device(), t.numel(), [=] __device__(std::int64_t e) {
    const double ci = c[e / width];
    po[e] = ci == 0.0 ? T(0) : static_cast<T>(ci) * p[e];  // 0 drops a non-finite example
  });
}

template <typename T>
void weighted_row_sum_typed(const Tensor& t, const Tensor& coeffs, const Tensor& out) {
  const std::int64_t batch = t.size(0), width = row_size(t);
  const double* c = coeffs.data<double>();
  const T* p = t.data<T>();
  T* po = out.data<T>();
  // One thread per column, examples in order, as the CPU adds them.
  cuda::for_each_index("weighted_row_sum", t.device(), width, [=] __device__(std::int64_t j) {
    T acc = po[j];
    for (std::int64_t i = 0; i < batch; ++i)
      if (c[i] != 0.0) acc += static_cast<T>(c[i]) * p[i * width + j];  // a dropped example, possibly non-finite
    po[j] = acc;
  });
}

void cuda_row_sq_norms(const Tensor& t, const Tensor& out) {
  dispatch_floating(t.dtype(), "row_sq_norms", [&]<typename T>() { row_sq_norms_typed<T>(t, out); });
}
void cuda_scale_rows(const Tensor& t, const Tensor& coeffs, const Tensor& out) {
  dispatch_floating(t.dtype(), "scale_rows", [&]<typename T>() { scale_rows_typed<T>(t, coeffs, out); });
}
void cuda_weighted_row_sum(const Tensor& t, const Tensor& coeffs, const Tensor& out) {
  dispatch_floating(t.dtype(), "weighted_row_sum", [&]<typename T>() { weighted_row_sum_typed<T>(t, coeffs, out); });
}

void cuda_keep_mask(const Tensor& coeffs, const Tensor& out) {
  const double* c = coeffs.data<double>();
  double* m = out.data<double>();
  cuda::for_each_index("keep_mask", coeffs.device(), coeffs.numel(),
                       [=] __device__(std::int64_t i) { m[i] = c[i] == 0.0 ? 0.0 : 1.0; });
}

// The answer is a host bool, which would need a host read inside the step:
// say "maybe" and let the caller do the (device-side) work instead.
bool cuda_any_zero(const Tensor&) { return true; }

template <typename T>
void sum_positions_typed(const Tensor& x, const Tensor& out) {
  const std::int64_t l = x.size(1), c = x.size(2);
  const T* pg = x.data<T>();
  T* po = out.data<T>();
  cuda::for_each_index("sum_positions", x.device(), out.numel(), [=] __device__(std::int64_t e) {
    const std::int64_t i = e / c, ch = e % c;
    T acc = T(0);
    for (std::int64_t p = 0; p < l; ++p) acc += pg[(i * l + p) * c + ch];
    po[e] = acc;
  });
}

void cuda_sum_positions(const Tensor& x, const Tensor& out) {
  dispatch_floating(x.dtype(), "sum_positions", [&]<typename T>() { sum_positions_typed<T>(x, out); });
}

// Examples whose Gram matrices are formed at once: the workspace holds two
// T x T matrices for each.
constexpr std::int64_t kGramChunk = 64;

std::int64_t cuda_gram_workspace_numel(std::int64_t positions) { return kGramChunk * 2 * positions * positions; }

// out[i] (+)= <gram_u[i], gram_g[i]> in double, one block per example.
template <typename T>
void add_gram_dots(Device device, std::int64_t count, std::int64_t t, const T* gram_u, const T* gram_g, double* out,
                   bool accumulate) {
  const std::int64_t size = t * t;
  cuda::for_each_block("gram_sq_norms dot", device, count, [=] __device__(std::int64_t i) {
    double acc = 0.0;
    for (std::int64_t e = threadIdx.x; e < size; e += blockDim.x)
      acc += static_cast<double>(gram_u[i * size + e]) * gram_g[i * size + e];
    acc = cuda::block_sum(acc);
    if (threadIdx.x == 0) out[i] = accumulate ? out[i] + acc : acc;
  });
}

// Per chunk of examples and per group: the two Gram matrices of every
// example by one strided-batched GEMM each, then their dot product.
template <typename T>
void gram_sq_norms_typed(std::int64_t groups, const Tensor& rows, const Tensor& grads, const Tensor& workspace,
                         const Tensor& out) {
  const std::int64_t batch = rows.size(0), t = rows.size(1), patch = rows.size(2), out_channels = grads.size(2);
  const std::int64_t k = patch / groups, out_per_group = out_channels / groups;
  for (std::int64_t first = 0; first < batch; first += kGramChunk) {
    const std::int64_t count = std::min(kGramChunk, batch - first);
    const Tensor gram_u = make_view(workspace, {count, t, t}, {t * t, t, 1}, workspace.offset());
    const Tensor gram_g = make_view(workspace, {count, t, t}, {t * t, t, 1}, workspace.offset() + kGramChunk * t * t);
    for (std::int64_t grp = 0; grp < groups; ++grp) {
      // [count, T, K] column blocks of the rows and the output gradients.
      const Tensor u =
          make_view(rows, {count, t, k}, {t * patch, patch, 1}, rows.offset() + first * t * patch + grp * k);
      const Tensor gi = make_view(grads, {count, t, out_per_group}, {t * out_channels, out_channels, 1},
                                  grads.offset() + first * t * out_channels + grp * out_per_group);
      batched_gemm(false, true, 1.0, u, u, 0.0, gram_u);
      batched_gemm(false, true, 1.0, gi, gi, 0.0, gram_g);
      add_gram_dots<T>(rows.device(), count, t, gram_u.data<T>(), gram_g.data<T>(), out.data<double>() + first,
                       grp > 0);
    }
  }
}

void cuda_gram_sq_norms(std::int64_t groups, const Tensor& rows, const Tensor& grads, const Tensor& workspace,
                        const Tensor& out) {
  dispatch_floating(rows.dtype(), "gram_sq_norms",
                    [&]<typename T>() { gram_sq_norms_typed<T>(groups, rows, grads, workspace, out); });
}

}  // namespace

const PerSampleKernels& cuda_per_sample_kernels() {
  static const PerSampleKernels kernels{cuda_row_sq_norms,  cuda_scale_rows,   cuda_weighted_row_sum,
                                        cuda_keep_mask,     cuda_any_zero,     cuda_sum_positions,
                                        cuda_gram_sq_norms, cuda_gram_workspace_numel};
  return kernels;
}

}  // namespace veil
