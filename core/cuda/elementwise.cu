// The CUDA launcher for the element-wise functors (Note [One functor, two
// loops] in core/elementwise.h). Operands of any strides (up to rank 8) are
// passed by value; one thread per output element.
#include "veil/core/cuda/cuda_check.h"
#include "veil/core/elementwise.h"

namespace veil {

namespace {

constexpr int kMaxCudaRank = 8;

struct StridedView {
  int rank;
  std::int64_t shape[kMaxCudaRank];
  std::int64_t strides[kMaxCudaRank];
  std::int64_t offset;
};

StridedView make_strided_view(const Tensor& t, const Shape& shape) {
  VEIL_CHECK(shape.size() <= kMaxCudaRank) << "CUDA element-wise ops support rank <= " << kMaxCudaRank;
  StridedView v{};
  v.rank = static_cast<int>(shape.size());
  for (int d = 0; d < v.rank; ++d) {
    v.shape[d] = shape[d];
    v.strides[d] = t.strides()[d];
  }
  v.offset = t.offset();
  return v;
}

__device__ std::int64_t element_offset(const StridedView& v, std::int64_t linear) {
  std::int64_t offset = v.offset;
  for (int d = v.rank - 1; d >= 0; --d) {
    offset += (linear % v.shape[d]) * v.strides[d];
    linear /= v.shape[d];
  }
  return offset;
}

template <typename T, typename F>
__global__ void unary_kernel_cuda(F f, const T* in, StridedView vin, T* out, StridedView vout, std::int64_t n) {
  const std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (i < n) out[element_offset(vout, i)] = f(in[element_offset(vin, i)]);
}

template <typename T, typename F>
__global__ void binary_kernel_cuda(F f, const T* a, StridedView va, const T* b, StridedView vb, T* out,
                                   StridedView vout, std::int64_t n) {
  const std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (i < n) out[element_offset(vout, i)] = f(a[element_offset(va, i)], b[element_offset(vb, i)]);
}

constexpr int kThreads = 256;
unsigned blocks_for(std::int64_t n) { return static_cast<unsigned>((n + kThreads - 1) / kThreads); }

template <typename T>
void cuda_unary_typed(UnaryKind kind, double scalar, const Tensor& in, const Tensor& out) {
  const std::int64_t n = out.numel();
  if (n == 0) return;
  const StridedView vin = make_strided_view(in, out.shape()), vout = make_strided_view(out, out.shape());
  const T* pin = static_cast<const T*>(in.storage()->data());
  T* pout = static_cast<T*>(out.storage()->data());
  visit_unary(kind, scalar, [&](const auto& f) {
    unary_kernel_cuda<T><<<blocks_for(n), kThreads>>>(f, pin, vin, pout, vout, n);
  });
  VEIL_CUDA_CHECK_LAUNCH();
}

template <typename T>
void cuda_binary_typed(BinaryKind kind, double scalar, const Tensor& a, const Tensor& b, const Tensor& out) {
  const std::int64_t n = out.numel();
  if (n == 0) return;
  const StridedView va = make_strided_view(a, out.shape()), vb = make_strided_view(b, out.shape()),
                    vout = make_strided_view(out, out.shape());
  const T* pa = static_cast<const T*>(a.storage()->data());
  const T* pb = static_cast<const T*>(b.storage()->data());
  T* pout = static_cast<T*>(out.storage()->data());
  visit_binary(kind, scalar, [&](const auto& f) {
    binary_kernel_cuda<T><<<blocks_for(n), kThreads>>>(f, pa, va, pb, vb, pout, vout, n);
  });
  VEIL_CUDA_CHECK_LAUNCH();
}

void cuda_unary(UnaryKind kind, double scalar, const Tensor& in, const Tensor& out) {
  dispatch_floating(out.dtype(), "CUDA element-wise op",
                    [&]<typename T>() { cuda_unary_typed<T>(kind, scalar, in, out); });
}

void cuda_binary(BinaryKind kind, double scalar, const Tensor& a, const Tensor& b, const Tensor& out) {
  dispatch_floating(out.dtype(), "CUDA element-wise op",
                    [&]<typename T>() { cuda_binary_typed<T>(kind, scalar, a, b, out); });
}

}  // namespace

const ElementwiseKernels& cuda_elementwise_kernels() {
  static const ElementwiseKernels kernels{cuda_unary, cuda_binary};
  return kernels;
}

}  // namespace veil
