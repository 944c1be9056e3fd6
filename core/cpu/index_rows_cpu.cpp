// The CPU index-rows table (Note [Kernel tables]).
#include <algorithm>
#include <numeric>
#include <vector>

#include "veil/core/index_rows.h"
#include "veil/core/parallel.h"

namespace veil {
namespace {

// table[indices[t]] += scale * rows[t] for t < count; rows and table rows
// have `dim` elements.
template <typename T>
void add_rows_at(T* table, const std::int64_t* indices, const T* rows, std::int64_t count, std::int64_t dim, T scale) {
  for (std::int64_t t = 0; t < count; ++t) {
    T* dst = table + indices[t] * dim;
    const T* src = rows + t * dim;
    for (std::int64_t j = 0; j < dim; ++j) dst[j] += scale * src[j];
  }
}

void cpu_gather_rows(const Tensor& table, const Tensor& indices, const Tensor& out) {
  const std::int64_t count = indices.numel(), dim = table.size(1);
  const std::int64_t* pi = indices.data<std::int64_t>();
  dispatch_floating(table.dtype(), "gather_rows", [&]<typename T>() {
    const T* pw = table.data<T>();
    T* py = out.data<T>();
    parallel_for(count, 64, [&](std::int64_t k0, std::int64_t k1) {
      for (std::int64_t k = k0; k < k1; ++k) std::copy(pw + pi[k] * dim, pw + (pi[k] + 1) * dim, py + k * dim);
    });
  });
}

void cpu_scatter_add_rows(const Tensor& indices, const Tensor& rows, const Tensor& coeffs, const Tensor& table) {
  const std::int64_t batch = indices.size(0), t = indices.size(1), dim = table.size(1);
  const std::int64_t* pi = indices.data<std::int64_t>();
  dispatch_floating(table.dtype(), "scatter_add_rows", [&]<typename T>() {
    const T* pg = rows.data<T>();
    T* pw = table.data<T>();
    if (!coeffs.defined()) {
      add_rows_at(pw, pi, pg, batch * t, dim, T(1));
      return;
    }
    const double* c = coeffs.data<double>();
    for (std::int64_t i = 0; i < batch; ++i)
      if (c[i] != 0.0) add_rows_at(pw, pi + i * t, pg + i * t * dim, t, dim, static_cast<T>(c[i]));
  });
}

void cpu_scatter_add_per_sample(const Tensor& indices, const Tensor& rows, const Tensor& out) {
  const std::int64_t batch = indices.size(0), t = indices.size(1), v = out.size(1), d = out.size(2);
  const std::int64_t* pi = indices.data<std::int64_t>();
  dispatch_floating(out.dtype(), "scatter_add_per_sample", [&]<typename T>() {
    const T* pg = rows.data<T>();
    T* pw = out.data<T>();
    parallel_for(batch, 1, [&](std::int64_t i0, std::int64_t i1) {
      for (std::int64_t i = i0; i < i1; ++i) add_rows_at(pw + i * v * d, pi + i * t, pg + i * t * d, t, d, T(1));
    });
  });
}

void cpu_scattered_sq_norms(const Tensor& indices, const Tensor& rows, const Tensor& out) {
  const std::int64_t b = indices.size(0), t = indices.size(1), d = rows.size(2);
  double* pn = out.data<double>();
  const std::int64_t* pi = indices.data<std::int64_t>();
  dispatch_floating(rows.dtype(), "scattered_sq_norms", [&]<typename T>() {
    const T* pg = rows.data<T>();
    parallel_for(b, 1, [&](std::int64_t i0, std::int64_t i1) {
      std::vector<std::int64_t> order(t);
      std::vector<double> row(d);
      for (std::int64_t i = i0; i < i1; ++i) {
        const std::int64_t* idx = pi + i * t;
        const T* gi = pg + i * t * d;
        // Positions grouped by index: each group sums into one row of dW_i.
        std::iota(order.begin(), order.end(), std::int64_t{0});
        std::sort(order.begin(), order.end(), [idx](std::int64_t a, std::int64_t c) { return idx[a] < idx[c]; });
        double total = 0.0;
        for (std::int64_t start = 0, end = 0; start < t; start = end) {
          std::fill(row.begin(), row.end(), 0.0);
          for (end = start; end < t && idx[order[end]] == idx[order[start]]; ++end)
            for (std::int64_t j = 0; j < d; ++j) row[j] += gi[order[end] * d + j];
          for (double value : row) total += value * value;
        }
        pn[i] = total;
      }
    });
  });
}

}  // namespace

const IndexRowsKernels& cpu_index_rows_kernels() {
  static const IndexRowsKernels kernels{cpu_gather_rows, cpu_scatter_add_rows,
                                        cpu_scatter_add_per_sample, cpu_scattered_sq_norms};
  return kernels;
}

}  // namespace veil
