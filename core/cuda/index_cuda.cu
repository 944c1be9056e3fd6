// CUDA row gathers and their accumulating adjoint. The adjoint gives each
// column to one thread, which adds the rows in index order as the CPU does
// (Note [Deterministic GPU sums] in core/cuda/launch.h). Bad indices may
// reach them before their check's failure is raised (Note [Deferred device
// errors]): they read and write nothing outside the tensors.
#include "veil/core/cuda/launch.h"
#include "veil/core/index_kernels.h"

namespace veil {
namespace {

template <typename T>
void gather_rows_typed(const Tensor& src, const Tensor& indices, const Tensor& out, std::int64_t rows,
                       std::int64_t width) {
  const std::int64_t* pi = indices.data<std::int64_t>();
  const T* ps = src.data<T>();
  T* po = out.data<T>();
  cuda::for_each_index("index_select", src.device(), indices.numel() * width, [=] __device__(std::int64_t e) {
    const std::int64_t row = pi[e / width];
    po[e] = row >= 0 && row < rows ? ps[row * width + e % width] : T(0);
  });
}

void cuda_gather_rows(const Tensor& src, const Tensor& indices, const Tensor& out) {
  const std::int64_t rows = src.size(0);
  const std::int64_t width = rows == 0 ? 0 : src.numel() / rows;
  dispatch_all(src.dtype(), "index_select",
               [&]<typename T>() { gather_rows_typed<T>(src, indices, out, rows, width); });
}

template <typename T>
void scatter_add_rows_typed(const Tensor& src, const Tensor& indices, const Tensor& out) {
  const std::int64_t rows = out.size(0);
  const std::int64_t width = rows == 0 ? 0 : out.numel() / rows, count = indices.numel();
  const std::int64_t* pi = indices.data<std::int64_t>();
  const T* pg = src.data<T>();
  T* pd = out.data<T>();
  cuda::for_each_index("index_select backward", out.device(), width, [=] __device__(std::int64_t j) {
    for (std::int64_t i = 0; i < count; ++i)
      if (pi[i] >= 0 && pi[i] < rows) pd[pi[i] * width + j] += pg[i * width + j];
  });
}

void cuda_scatter_add_rows(const Tensor& src, const Tensor& indices, const Tensor& out) {
  dispatch_floating(src.dtype(), "index_select backward",
                    [&]<typename T>() { scatter_add_rows_typed<T>(src, indices, out); });
}

}  // namespace

const IndexKernels& cuda_index_kernels() {
  static const IndexKernels kernels{cuda_gather_rows, cuda_scatter_add_rows};
  return kernels;
}

}  // namespace veil
