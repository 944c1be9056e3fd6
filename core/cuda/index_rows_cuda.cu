// The CUDA index-rows table (Note [Kernel tables]): the embedding table's
// kernels. Scatter-adds give every table element to one thread, which adds
// the rows in the CPU's order (Note [Deterministic GPU sums] in
// core/cuda/launch.h), so two examples hitting one row never race. An
// index outside the table (its check's failure still pending) gathers 0 and
// scatters nowhere.
#include "veil/core/cuda/launch.h"
#include "veil/core/index_rows.h"

namespace veil {
namespace {

template <typename T>
void gather_rows_typed(const Tensor& table, const Tensor& indices, const Tensor& out) {
  const std::int64_t rows = table.size(0), dim = table.size(1);
  const std::int64_t* pi = indices.data<std::int64_t>();
  const T* pw = table.data<T>();
  T* py = out.data<T>();
  cuda::for_each_index("gather_rows", table.device(), indices.numel() * dim, [=] __device__(std::int64_t e) {
    const std::int64_t row = pi[e / dim];
    py[e] = row >= 0 && row < rows ? pw[row * dim + e % dim] : T(0);
  });
}

// Column j of the table collects its entries of every row in order, so only
// one thread writes each table element.
template <typename T>
void scatter_add_rows_typed(const Tensor& indices, const Tensor& rows, const Tensor& coeffs, const Tensor& table) {
  const std::int64_t batch = indices.size(0), t = indices.size(1), v = table.size(0), dim = table.size(1);
  const std::int64_t* pi = indices.data<std::int64_t>();
  const T* pg = rows.data<T>();
  const double* c = coeffs.defined() ? coeffs.data<double>() : nullptr;
  T* pw = table.data<T>();
  cuda::for_each_index("scatter_add_rows", table.device(), dim, [=] __device__(std::int64_t j) {
    for (std::int64_t i = 0; i < batch; ++i) {
      if (c != nullptr && c[i] == 0.0) continue;  // a dropped example, possibly non-finite
      const T scale = c != nullptr ? static_cast<T>(c[i]) : T(1);
      for (std::int64_t p = 0; p < t; ++p) {
        const std::int64_t row = pi[i * t + p];
        if (row >= 0 && row < v) pw[row * dim + j] += scale * pg[(i * t + p) * dim + j];
      }
    }
  });
}

template <typename T>
void scatter_add_per_sample_typed(const Tensor& indices, const Tensor& rows, const Tensor& out) {
  const std::int64_t batch = indices.size(0), t = indices.size(1), v = out.size(1), d = out.size(2);
  const std::int64_t* pi = indices.data<std::int64_t>();
  const T* pg = rows.data<T>();
  T* pw = out.data<T>();
  cuda::for_each_index("scatter_add_per_sample", out.device(), batch * d, [=] __device__(std::int64_t e) {
    const std::int64_t i = e / d, j = e % d;
    for (std::int64_t p = 0; p < t; ++p) {
      const std::int64_t row = pi[i * t + p];
      if (row >= 0 && row < v) pw[(i * v + row) * d + j] += pg[(i * t + p) * d + j];
    }
  });
}

// One block per example: each index's rows are summed (positions in order)
// by the first position holding it, and the squares summed over the block.
template <typename T>
void scattered_sq_norms_typed(const Tensor& indices, const Tensor& rows, const Tensor& out) {
  const std::int64_t t = indices.size(1), d = rows.size(2);
  const std::int64_t* pi = indices.data<std::int64_t>();
  const T* pg = rows.data<T>();
  double* pn = out.data<double>();
  cuda::for_each_block("scattered_sq_norms", out.device(), indices.size(0), [=] __device__(std::int64_t i) {
    const std::int64_t* idx = pi + i * t;
    const T* gi = pg + i * t * d;
    double total = 0.0;
    for (std::int64_t e = threadIdx.x; e < t * d; e += blockDim.x) {
      const std::int64_t p = e / d, j = e % d;
      bool first = true;
      for (std::int64_t q = 0; q < p && first; ++q) first = idx[q] != idx[p];
      if (!first) continue;
      double row = 0.0;
      for (std::int64_t q = p; q < t; ++q)
        if (idx[q] == idx[p]) row += gi[q * d + j];
      total += row * row;
    }
    total = cuda::block_sum(total);
    if (threadIdx.x == 0) pn[i] = total;
  });
}

void cuda_gather_rows(const Tensor& table, const Tensor& indices, const Tensor& out) {
  dispatch_floating(table.dtype(), "gather_rows", [&]<typename T>() { gather_rows_typed<T>(table, indices, out); });
}
void cuda_scatter_add_rows(const Tensor& indices, const Tensor& rows, const Tensor& coeffs, const Tensor& table) {
  dispatch_floating(table.dtype(), "scatter_add_rows",
                    [&]<typename T>() { scatter_add_rows_typed<T>(indices, rows, coeffs, table); });
}
void cuda_scatter_add_per_sample(const Tensor& indices, const Tensor& rows, const Tensor& out) {
  dispatch_floating(out.dtype(), "scatter_add_per_sample",
                    [&]<typename T>() { scatter_add_per_sample_typed<T>(indices, rows, out); });
}
void cuda_scattered_sq_norms(const Tensor& indices, const Tensor& rows, const Tensor& out) {
  dispatch_floating(rows.dtype(), "scattered_sq_norms",
                    [&]<typename T>() { scattered_sq_norms_typed<T>(indices, rows, out); });
}

}  // namespace

const IndexRowsKernels& cuda_index_rows_kernels() {
  static const IndexRowsKernels kernels{cuda_gather_rows, cuda_scatter_add_rows, cuda_scatter_add_per_sample,
                                        cuda_scattered_sq_norms};
  return kernels;
}

}  // namespace veil
