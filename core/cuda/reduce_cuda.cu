// CUDA reductions: sums over dimensions and argmax. Sums accumulate in
// double like the CPU (Note [Deterministic sums] in core/cpu/reduce_cpu.cpp),
// in an order fixed by the shape (Note [Deterministic GPU sums] in
// core/cuda/launch.h).
#include <algorithm>
#include <vector>

#include "veil/core/cuda/launch.h"
#include "veil/core/reduce_kernels.h"

namespace veil {
namespace {

// x viewed with the dimensions in `order`, made contiguous.
Tensor permuted_contiguous(const Tensor& x, const std::vector<int>& order) {
  Shape shape, strides;
  for (int d : order) {
    shape.push_back(x.shape()[d]);
    strides.push_back(x.strides()[d]);
  }
  return make_view(x, shape, strides, x.offset()).contiguous();
}

// Many columns: one thread per column sums the rows in order.
constexpr std::int64_t kColumnThreadsMin = 256;

template <typename T>
void column_sums(Device device, const T* px, std::int64_t rows, std::int64_t cols, T* po) {
  cuda::for_each_index("column sums", device, cols, [=] __device__(std::int64_t c) {
    double acc = 0.0;
    for (std::int64_t r = 0; r < rows; ++r) acc += px[r * cols + c];
    po[c] = static_cast<T>(acc);
  });
}

// One block per output element sums its contiguous row.
template <typename T>
void row_sums(Device device, const T* px, std::int64_t count, std::int64_t row, T* po) {
  cuda::for_each_block("row sums", device, count, [=] __device__(std::int64_t i) {
    double acc = 0.0;
    for (std::int64_t j = threadIdx.x; j < row; j += blockDim.x) acc += px[i * row + j];
    acc = cuda::block_sum(acc);
    if (threadIdx.x == 0) po[i] = static_cast<T>(acc);
  });
}

template <typename T>
void sum_typed(const Tensor& x, const std::vector<bool>& mask, const Tensor& out) {
  const int rank = x.dim();
  const std::int64_t n_out = out.numel();
  T* po = out.data<T>();
  if (n_out == 0) return;
  int leading = 0;
  while (leading < rank && mask[leading]) ++leading;
  const bool only_leading = std::count(mask.begin(), mask.end(), true) == leading;
  if (only_leading && x.is_contiguous() && n_out >= kColumnThreadsMin) {  // the bias-gradient case
    column_sums(x.device(), x.data<T>(), x.numel() / n_out, n_out, po);
    return;
  }
  std::vector<int> order;
  for (int d = 0; d < rank; ++d)
    if (!mask[d]) order.push_back(d);
  for (int d = 0; d < rank; ++d)
    if (mask[d]) order.push_back(d);
  const Tensor permuted = permuted_contiguous(x, order);
  row_sums(x.device(), permuted.data<T>(), n_out, permuted.numel() / n_out, po);
}

void cuda_sum(const Tensor& x, const std::vector<bool>& reduced, const Tensor& out) {
  dispatch_floating(x.dtype(), "sum", [&]<typename T>() { sum_typed<T>(x, reduced, out); });
}

// The first maximum of each row, compared as std::max_element does (a later
// element wins only when the best so far is less than it).
template <typename T>
void argmax_typed(const Tensor& moved, std::int64_t row, const Tensor& out) {
  const T* px = moved.data<T>();
  std::int64_t* po = out.data<std::int64_t>();
  cuda::for_each_index("argmax", out.device(), out.numel(), [=] __device__(std::int64_t i) {
    const T* p = px + i * row;
    std::int64_t best = 0;
    for (std::int64_t j = 1; j < row; ++j)
      if (p[best] < p[j]) best = j;
    po[i] = best;
  });
}

void cuda_argmax(const Tensor& x, int d, const Tensor& out) {
  std::vector<int> order;
  for (int k = 0; k < x.dim(); ++k)
    if (k != d) order.push_back(k);
  order.push_back(d);
  const Tensor moved = permuted_contiguous(x, order);
  dispatch_all(x.dtype(), "argmax", [&]<typename T>() { argmax_typed<T>(moved, x.shape()[d], out); });
}

}  // namespace

const ReduceKernels& cuda_reduce_kernels() {
  static const ReduceKernels kernels{cuda_sum, cuda_argmax};
  return kernels;
}

}  // namespace veil
