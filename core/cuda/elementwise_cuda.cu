// The CUDA launcher for the element-wise functors (Note [One functor, two
// loops] in core/elementwise.h). Operands of any strides (up to rank 8) are
// passed by value; one thread per output element.
#include "veil/core/cuda/launch.h"
#include "veil/core/cuda/strided_view.h"
#include "veil/core/elementwise.h"

namespace veil {

namespace {

template <typename T, typename F>
__global__ void unary_kernel_cuda(F f, const T* in, cuda::StridedView vin, T* out, cuda::StridedView vout,
                                  std::int64_t n) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n; i += stride)
    out[vout.element_offset(i)] = f(in[vin.element_offset(i)]);
}

template <typename T, typename F>
__global__ void binary_kernel_cuda(F f, const T* a, cuda::StridedView va, const T* b, cuda::StridedView vb, T* out,
                                   cuda::StridedView vout, std::int64_t n) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n; i += stride)
    out[vout.element_offset(i)] = f(a[va.element_offset(i)], b[vb.element_offset(i)]);
}

template <typename T>
void cuda_unary_typed(UnaryKind kind, double scalar, const Tensor& in, const Tensor& out) {
  const std::int64_t n = out.numel();
  if (n == 0) return;
  const cuda::StridedView vin = cuda::make_strided_view(in, out.shape()),
                          vout = cuda::make_strided_view(out, out.shape());
  const T* pin = static_cast<const T*>(in.storage()->data());
  T* pout = static_cast<T*>(out.storage()->data());
  const cudaStream_t stream = cuda::stream_for(out.device());
  visit_unary(kind, scalar, [&](const auto& f) {
    unary_kernel_cuda<T><<<cuda::blocks_for(n), cuda::kThreads, 0, stream>>>(f, pin, vin, pout, vout, n);
  });
  VEIL_CUDA_CHECK_LAUNCH_OF("element-wise unary kernel");
}

template <typename T>
void cuda_binary_typed(BinaryKind kind, double scalar, const Tensor& a, const Tensor& b, const Tensor& out) {
  const std::int64_t n = out.numel();
  if (n == 0) return;
  const cuda::StridedView va = cuda::make_strided_view(a, out.shape()), vb = cuda::make_strided_view(b, out.shape()),
                          vout = cuda::make_strided_view(out, out.shape());
  const T* pa = static_cast<const T*>(a.storage()->data());
  const T* pb = static_cast<const T*>(b.storage()->data());
  T* pout = static_cast<T*>(out.storage()->data());
  const cudaStream_t stream = cuda::stream_for(out.device());
  visit_binary(kind, scalar, [&](const auto& f) {
    binary_kernel_cuda<T><<<cuda::blocks_for(n), cuda::kThreads, 0, stream>>>(f, pa, va, pb, vb, pout, vout, n);
  });
  VEIL_CUDA_CHECK_LAUNCH_OF("element-wise binary kernel");
}

template <typename T>
void cuda_fill_typed(double scalar, const Tensor& out) {
  const cuda::StridedView vout = cuda::make_strided_view(out, out.shape());
  T* pout = static_cast<T*>(out.storage()->data());
  const T value = static_cast<T>(scalar);
  cuda::for_each_index("fill", out.device(), out.numel(),
                       [=] __device__(std::int64_t i) { pout[vout.element_offset(i)] = value; });
}

void cuda_unary(UnaryKind kind, double scalar, const Tensor& in, const Tensor& out) {
  if (kind == UnaryKind::Fill && !is_floating(out.dtype())) {
    // Integer tensors (indices, counters) are created and filled on the GPU too;
    // the math functors are instantiated for floating types only.
    dispatch_all(out.dtype(), "CUDA fill", [&]<typename T>() { cuda_fill_typed<T>(scalar, out); });
    return;
  }
  dispatch_floating(out.dtype(), "CUDA element-wise op",
                    [&]<typename T>() { cuda_unary_typed<T>(kind, scalar, in, out); });
}

// The binary functors are arithmetic and comparisons, defined for integers
// too: labels and predicted classes (int64) are compared on the GPU, as on the CPU.
void cuda_binary(BinaryKind kind, double scalar, const Tensor& a, const Tensor& b, const Tensor& out) {
  dispatch_all(out.dtype(), "CUDA element-wise op",
               [&]<typename T>() { cuda_binary_typed<T>(kind, scalar, a, b, out); });
}

}  // namespace

const ElementwiseKernels& cuda_elementwise_kernels() {
  static const ElementwiseKernels kernels{cuda_unary, cuda_binary};
  return kernels;
}

}  // namespace veil
