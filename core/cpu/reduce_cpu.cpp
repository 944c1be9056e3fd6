// CPU reductions: sums over dimensions and argmax.
#include <algorithm>
#include <vector>

#include "veil/core/parallel.h"
#include "veil/core/reduce_kernels.h"

namespace veil {
namespace {

// Column sums of a contiguous [rows, cols] block into out[cols] (the
// bias-gradient case, and sums over everything with cols = 1).
//
// Note [Deterministic sums]
// Sums accumulate in double (a float accumulator loses everything past 2^24
// ones) and in an order fixed by the shape alone, never by the thread
// count: threads split columns, or fixed blocks of kRowBlock rows whose
// partial sums are then added in block order.
constexpr std::int64_t kRowBlock = 2048;

template <typename T>
void column_sums(const T* px, std::int64_t rows, std::int64_t cols, T* po) {
  if (rows <= kRowBlock || cols >= 512) {
    parallel_for(cols, 256, [&](std::int64_t c0, std::int64_t c1) {
      std::vector<double> acc(c1 - c0, 0.0);
      for (std::int64_t r = 0; r < rows; ++r) {
        const T* row = px + r * cols + c0;
        for (std::int64_t c = 0; c < c1 - c0; ++c) acc[c] += row[c];
      }
      for (std::int64_t c = c0; c < c1; ++c) po[c] = static_cast<T>(acc[c - c0]);
    });
    return;
  }
  // Few columns, many rows: parallel over fixed row blocks.
  const std::int64_t blocks = (rows + kRowBlock - 1) / kRowBlock;
  std::vector<double> partial(blocks * cols, 0.0);
  parallel_for(blocks, 1, [&](std::int64_t b0, std::int64_t b1) {
    for (std::int64_t b = b0; b < b1; ++b) {
      double* acc = partial.data() + b * cols;
      const std::int64_t r1 = std::min(rows, (b + 1) * kRowBlock);
      for (std::int64_t r = b * kRowBlock; r < r1; ++r) {
        const T* row = px + r * cols;
        for (std::int64_t c = 0; c < cols; ++c) acc[c] += row[c];
      }
    }
  });
  for (std::int64_t c = 0; c < cols; ++c) {
    double total = 0.0;
    for (std::int64_t b = 0; b < blocks; ++b) total += partial[b * cols + c];
    po[c] = static_cast<T>(total);
  }
}

// Sums x over the masked dimensions into out. Moves the reduced dimensions
// last, so each output element is the sum of one contiguous row.
template <typename T>
void sum_masked(const Tensor& x, const std::vector<bool>& mask, const Tensor& out) {
  const int rank = x.dim();
  int leading = 0;
  while (leading < rank && mask[leading]) ++leading;
  const bool only_leading = std::count(mask.begin(), mask.end(), true) == leading;
  T* po = out.data<T>();
  if (only_leading && x.is_contiguous()) {
    std::int64_t rows = 1;
    for (int d = 0; d < leading; ++d) rows *= x.shape()[d];
    column_sums(x.data<T>(), rows, out.numel(), po);
    return;
  }
  std::vector<int> order;
  for (int d = 0; d < rank; ++d)
    if (!mask[d]) order.push_back(d);
  for (int d = 0; d < rank; ++d)
    if (mask[d]) order.push_back(d);
  Shape shape, strides;
  for (int d : order) {
    shape.push_back(x.shape()[d]);
    strides.push_back(x.strides()[d]);
  }
  const Tensor permuted = make_view(x, shape, strides, x.offset()).contiguous();
  const std::int64_t n_out = out.numel();
  const std::int64_t row = n_out == 0 ? 0 : permuted.numel() / n_out;
  const T* px = permuted.data<T>();
  parallel_for(n_out, std::max<std::int64_t>(1, 8192 / std::max<std::int64_t>(row, 1)),
               [&](std::int64_t b, std::int64_t e) {
                 for (std::int64_t i = b; i < e; ++i) {
                   double acc = 0.0;
                   const T* p = px + i * row;
                   for (std::int64_t j = 0; j < row; ++j) acc += p[j];
                   po[i] = static_cast<T>(acc);
                 }
               });
}

void cpu_sum(const Tensor& x, const std::vector<bool>& reduced, const Tensor& out) {
  dispatch_floating(x.dtype(), "sum", [&]<typename T>() { sum_masked<T>(x, reduced, out); });
}

void cpu_argmax(const Tensor& x, int d, const Tensor& out) {
  // View with dimension d moved last (the others keep their order).
  Shape shape, strides;
  for (int k = 0; k < x.dim(); ++k) {
    if (k == d) continue;
    shape.push_back(x.shape()[k]);
    strides.push_back(x.strides()[k]);
  }
  shape.push_back(x.shape()[d]);
  strides.push_back(x.strides()[d]);
  const Tensor moved = make_view(x, shape, strides, x.offset()).contiguous();
  const std::int64_t row = x.shape()[d];
  std::int64_t* po = out.data<std::int64_t>();
  dispatch_all(x.dtype(), "argmax", [&]<typename T>() {
    const T* px = moved.data<T>();
    for (std::int64_t i = 0; i < out.numel(); ++i) {
      const T* p = px + i * row;
      po[i] = std::max_element(p, p + row) - p;
    }
  });
}

}  // namespace

const ReduceKernels& cpu_reduce_kernels() {
  static const ReduceKernels kernels{cpu_sum, cpu_argmax};
  return kernels;
}

}  // namespace veil
