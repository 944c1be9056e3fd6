#include "veil/core/elementwise.h"

#include "veil/core/error.h"
#include "veil/core/kernel_table.h"

namespace veil {

const ElementwiseKernels& cpu_elementwise_kernels();   // core/cpu/elementwise_cpu.cpp
const ElementwiseKernels& cuda_elementwise_kernels();  // core/cuda/elementwise_cuda.cu

const ElementwiseKernels& elementwise_kernels(Device device) {
#ifdef VEIL_WITH_CUDA
  const ElementwiseKernels* cuda_table = &cuda_elementwise_kernels();
#else
  const ElementwiseKernels* cuda_table = nullptr;
#endif
  return select_kernels(device, cpu_elementwise_kernels(), cuda_table, "element-wise");
}

Tensor expand_to(const Tensor& t, const Shape& shape) {
  const int rank = static_cast<int>(shape.size());
  const int offset = rank - t.dim();
  VEIL_CHECK(offset >= 0) << "cannot expand shape " << t.shape() << " to " << shape;
  Shape strides(rank, 0);
  for (int d = 0; d < t.dim(); ++d) {
    const std::int64_t size = t.shape()[d];
    VEIL_CHECK(size == shape[d + offset] || size == 1) << "cannot expand shape " << t.shape() << " to " << shape;
    strides[d + offset] = size == 1 ? 0 : t.strides()[d];
  }
  return make_view(t, shape, strides, t.offset());
}

Tensor unary_kernel(UnaryKind kind, const Tensor& in, double scalar) {
  Tensor out = Tensor::empty(in.shape(), in.dtype(), in.device());
  elementwise_kernels(in.device()).unary(kind, scalar, in, out);
  return out;
}

void unary_kernel_(UnaryKind kind, const Tensor& inout, double scalar) {
  elementwise_kernels(inout.device()).unary(kind, scalar, inout, inout);
}

Tensor binary_kernel(BinaryKind kind, const Tensor& a, const Tensor& b, double scalar) {
  VEIL_CHECK(a.dtype() == b.dtype()) << "dtype mismatch: " << a.dtype() << " and " << b.dtype();
  VEIL_CHECK(a.device() == b.device()) << "device mismatch: " << a.device() << " and " << b.device();
  const Shape shape = broadcast_shapes(a.shape(), b.shape());
  Tensor out = Tensor::empty(shape, a.dtype(), a.device());
  elementwise_kernels(a.device()).binary(kind, scalar, expand_to(a, shape), expand_to(b, shape), out);
  return out;
}

void binary_kernel_(BinaryKind kind, const Tensor& a_out, const Tensor& b, double scalar) {
  VEIL_CHECK(a_out.dtype() == b.dtype()) << "dtype mismatch: " << a_out.dtype() << " and " << b.dtype();
  VEIL_CHECK(a_out.device() == b.device()) << "device mismatch: " << a_out.device() << " and " << b.device();
  elementwise_kernels(a_out.device()).binary(kind, scalar, a_out, expand_to(b, a_out.shape()), a_out);
}

}  // namespace veil
