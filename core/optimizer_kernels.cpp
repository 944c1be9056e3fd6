#include "veil/core/optimizer_kernels.h"

#include "veil/core/kernel_table.h"

namespace veil {

const OptimizerKernels& cpu_optimizer_kernels();  // core/cpu/optimizer_cpu.cpp
const OptimizerKernels& cuda_optimizer_kernels();  // core/cuda/optimizer_cuda.cu

const OptimizerKernels& optimizer_kernels(Device device) {
#ifdef VEIL_WITH_CUDA
  const OptimizerKernels* cuda_table = &cuda_optimizer_kernels();
#else
  const OptimizerKernels* cuda_table = nullptr;
#endif
  return select_kernels(device, cpu_optimizer_kernels(), cuda_table, "optimizer");
}

namespace {

// Buffers are walked with the parameter's index, so they must match it.
void check_operand(const Tensor& param, const Tensor& t, const char* who) {
  VEIL_CHECK(t.is_contiguous() && t.dtype() == param.dtype() && t.shape() == param.shape() &&
             t.device() == param.device())
      << who << " step needs contiguous parameters, gradients and state of the same dtype, shape and device";
}

}  // namespace

void sgd_step_(const Tensor& param, const Tensor& grad, const Tensor& momentum, const SgdStep& step) {
  check_operand(param, param, "optimizer");
  check_operand(param, grad, "optimizer");
  if (step.momentum != 0) check_operand(param, momentum, "SGD");
  optimizer_kernels(param.device()).sgd(param, grad, momentum, step);
}

void adam_step_(const Tensor& param, const Tensor& grad, const Tensor& m, const Tensor& v, const AdamStep& step) {
  check_operand(param, param, "optimizer");
  check_operand(param, grad, "optimizer");
  check_operand(param, m, "Adam");
  check_operand(param, v, "Adam");
  optimizer_kernels(param.device()).adam(param, grad, m, v, step);
}

}  // namespace veil
