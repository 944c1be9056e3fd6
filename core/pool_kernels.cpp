#include "veil/core/pool_kernels.h"

#include "veil/core/error.h"
#include "veil/core/kernel_table.h"

namespace veil {

const PoolKernels& cpu_pool_kernels();  // core/cpu/pool_cpu.cpp
const PoolKernels& cuda_pool_kernels();  // core/cuda/pool_cuda.cu

const PoolKernels& pool_kernels(Device device) {
#ifdef VEIL_WITH_CUDA
  const PoolKernels* cuda_table = &cuda_pool_kernels();
#else
  const PoolKernels* cuda_table = nullptr;
#endif
  return select_kernels(device, cpu_pool_kernels(), cuda_table, "pooling");
}

namespace {

Shape pooled_shape(const Tensor& x, const Conv2dGeometry& g, const char* op) {
  VEIL_CHECK(x.dim() == 4) << op << " expects [B, C, H, W], got " << x.shape();
  VEIL_CHECK(g.pad_h * 2 <= g.kernel_h && g.pad_w * 2 <= g.kernel_w)
      << op << ": padding must be at most half the kernel size";
  return {x.size(0), x.size(1), g.out_h(x.size(2)), g.out_w(x.size(3))};
}

}  // namespace

MaxPoolForward max_pool2d_kernel(const Tensor& x_in, const Conv2dGeometry& g) {
  const Shape shape = pooled_shape(x_in, g, "max_pool2d");
  const Tensor x = x_in.contiguous();
  MaxPoolForward out{Tensor::empty(shape, x.dtype(), x.device()), Tensor()};
  out.indices = pool_kernels(x.device()).max_pool2d(x, g, out.values);
  return out;
}

Tensor max_pool2d_backward_kernel(const Tensor& x, const MaxPoolForward& forward, const Tensor& grad,
                                  const Conv2dGeometry& g) {
  Tensor dx = Tensor::empty(x.shape(), grad.dtype(), grad.device());
  pool_kernels(x.device()).max_pool2d_backward(x, forward.values, forward.indices, grad.contiguous(), g, dx);
  return dx;
}

Tensor avg_pool2d_kernel(const Tensor& x_in, const Conv2dGeometry& g) {
  const Shape shape = pooled_shape(x_in, g, "avg_pool2d");
  const Tensor x = x_in.contiguous();
  Tensor out = Tensor::empty(shape, x.dtype(), x.device());
  pool_kernels(x.device()).avg_pool2d(x, g, out);
  return out;
}

Tensor avg_pool2d_backward_kernel(const Tensor& grad, const Conv2dGeometry& g, const Shape& input_shape) {
  Tensor dx = Tensor::empty(input_shape, grad.dtype(), grad.device());
  pool_kernels(grad.device()).avg_pool2d_backward(grad.contiguous(), g, dx);
  return dx;
}

}  // namespace veil
