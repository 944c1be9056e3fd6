// Reductions: sum, mean, argmax, sum_to.
#include <algorithm>
#include <numeric>
#include <vector>

#include "veil/autograd/node.h"
#include "veil/core/device_check.h"
#include "veil/core/elementwise.h"
#include "veil/autograd/ops.h"
#include "veil/core/parallel.h"

namespace veil {

using autograd::record_op;
using Grads = std::vector<Tensor>;

namespace {

std::vector<bool> reduced_mask(const std::vector<int>& dims, int rank) {
  std::vector<bool> mask(rank, false);
  for (int d : dims) {
    const int n = normalize_dim(d, rank);
    VEIL_CHECK(!mask[n]) << "dimension " << d << " listed twice in a reduction";
    mask[n] = true;
  }
  return mask;
}

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

// Sums x over the masked dimensions into out (contiguous, shape of the kept
// dimensions). Moves the reduced dimensions last, so each output element is
// the sum of one contiguous row.
template <typename T>
void sum_kernel(const Tensor& x, const std::vector<bool>& mask, const Tensor& out) {
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

Shape reduced_shape(const Shape& shape, const std::vector<bool>& mask, bool keepdim) {
  Shape out;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (!mask[d]) out.push_back(shape[d]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}

}  // namespace

Tensor sum(const Tensor& a, const std::vector<int>& dims, bool keepdim) {
  require_cpu(a, "sum");
  const auto mask = reduced_mask(dims, a.dim());
  const Shape out_shape = reduced_shape(a.shape(), mask, keepdim);
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
  dispatch_floating(a.dtype(), "sum", [&]<typename T>() { sum_kernel<T>(a, mask, out); });
  const Shape input_shape = a.shape();
  const Shape kept_shape = reduced_shape(a.shape(), mask, true);
  return record_op("sum", out, {a}, [input_shape, kept_shape](const Tensor& g) {
    return Grads{expand_to(g.reshape(kept_shape), input_shape).contiguous()};
  });
}

Tensor sum(const Tensor& a) {
  std::vector<int> dims(a.dim());
  std::iota(dims.begin(), dims.end(), 0);
  return sum(a, dims, false);
}

Tensor mean(const Tensor& a, const std::vector<int>& dims, bool keepdim) {
  std::int64_t count = 1;
  for (int d : dims) count *= a.shape()[normalize_dim(d, a.dim())];
  return mul_scalar(sum(a, dims, keepdim), count == 0 ? 0.0 : 1.0 / static_cast<double>(count));
}

Tensor mean(const Tensor& a) {
  return mul_scalar(sum(a), a.numel() == 0 ? 0.0 : 1.0 / static_cast<double>(a.numel()));
}

Tensor sum_to(const Tensor& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  const int extra = a.dim() - static_cast<int>(shape.size());
  VEIL_CHECK(extra >= 0) << "sum_to: cannot reduce shape " << a.shape() << " to " << shape;
  std::vector<int> dims;
  for (int d = 0; d < a.dim(); ++d) {
    if (d < extra) dims.push_back(d);
    else if (shape[d - extra] == 1 && a.shape()[d] != 1) dims.push_back(d);
    else VEIL_CHECK(shape[d - extra] == a.shape()[d]) << "sum_to: cannot reduce shape " << a.shape() << " to " << shape;
  }
  return sum(a, dims, false).reshape(shape);
}

Tensor argmax(const Tensor& a, int dim) {
  require_cpu(a, "argmax");
  const int d = normalize_dim(dim, a.dim());
  VEIL_CHECK(a.shape()[d] > 0) << "argmax over an empty dimension of shape " << a.shape();
  // View with dimension d moved last (the others keep their order).
  Shape shape, strides;
  for (int k = 0; k < a.dim(); ++k) {
    if (k == d) continue;
    shape.push_back(a.shape()[k]);
    strides.push_back(a.strides()[k]);
  }
  const Shape out_shape = shape;
  shape.push_back(a.shape()[d]);
  strides.push_back(a.strides()[d]);
  const Tensor moved = make_view(a, shape, strides, a.offset()).contiguous();
  Tensor out = Tensor::empty(out_shape, DType::Int64);
  const std::int64_t row = a.shape()[d];
  std::int64_t* po = out.data<std::int64_t>();
  dispatch_all(a.dtype(), "argmax", [&]<typename T>() {
    const T* px = moved.data<T>();
    for (std::int64_t i = 0; i < out.numel(); ++i) {
      const T* p = px + i * row;
      po[i] = std::max_element(p, p + row) - p;
    }
  });
  return out;
}

}  // namespace veil
