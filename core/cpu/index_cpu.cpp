// CPU row gathers and their accumulating adjoint.
#include <algorithm>

#include "veil/core/error.h"
#include "veil/core/index_kernels.h"

namespace veil {
namespace {

void cpu_gather_rows(const Tensor& src, const Tensor& indices, const Tensor& out) {
  const std::int64_t rows = src.size(0);
  const std::int64_t width = rows == 0 ? 0 : src.numel() / rows;
  const std::int64_t* pi = indices.data<std::int64_t>();
  dispatch_all(src.dtype(), "index_select", [&]<typename T>() {
    const T* ps = src.data<T>();
    T* po = out.data<T>();
    for (std::int64_t i = 0; i < indices.numel(); ++i)
      std::copy(ps + pi[i] * width, ps + (pi[i] + 1) * width, po + i * width);
  });
}

void cpu_scatter_add_rows(const Tensor& src, const Tensor& indices, const Tensor& out) {
  const std::int64_t rows = out.size(0);
  const std::int64_t width = rows == 0 ? 0 : out.numel() / rows;
  const std::int64_t* pi = indices.data<std::int64_t>();
  dispatch_floating(src.dtype(), "index_select backward", [&]<typename T>() {
    const T* pg = src.data<T>();
    T* pd = out.data<T>();
    for (std::int64_t i = 0; i < indices.numel(); ++i)
      for (std::int64_t j = 0; j < width; ++j) pd[pi[i] * width + j] += pg[i * width + j];
  });
}

}  // namespace

const IndexKernels& cpu_index_kernels() {
  static const IndexKernels kernels{cpu_gather_rows, cpu_scatter_add_rows};
  return kernels;
}

}  // namespace veil
