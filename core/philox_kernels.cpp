#include "veil/core/philox_kernels.h"

#include "veil/core/kernel_table.h"

namespace veil {

const PhiloxKernels& cpu_philox_kernels();  // core/cpu/philox_cpu.cpp
const PhiloxKernels& cuda_philox_kernels();  // core/cuda/philox_cuda.cu

const PhiloxKernels& philox_kernels(Device device) {
#ifdef VEIL_WITH_CUDA
  const PhiloxKernels* cuda_table = &cuda_philox_kernels();
#else
  const PhiloxKernels* cuda_table = nullptr;
#endif
  return select_kernels(device, cpu_philox_kernels(), cuda_table, "Philox fill");
}

namespace {

// A fill owns whole blocks; a half-read block belongs to a sequential reader.
void check_fill(const Tensor& out, const PhiloxState& at, const char* what) {
  VEIL_CHECK(at.lane == 0) << "a Philox fill starts on a block boundary, got lane " << at.lane
                           << " (use Philox::take_blocks)";
  VEIL_CHECK(is_floating(out.dtype())) << what << " fills floating-point tensors, got " << out.dtype();
  VEIL_CHECK(out.is_contiguous()) << what << " fills contiguous tensors";
}

}  // namespace

void philox_fill_uniform_(const Tensor& out, const PhiloxState& at, double lo, double hi) {
  check_fill(out, at, "uniform");
  philox_kernels(out.device()).uniform(out, at, lo, hi);
}

void philox_fill_normal_(const Tensor& out, const PhiloxState& at, double mean, double std) {
  check_fill(out, at, "normal");
  philox_kernels(out.device()).normal(out, at, mean, std);
}

void philox_add_normal_(const Tensor& inout, const PhiloxState& at, double std) {
  check_fill(inout, at, "normal noise");
  philox_kernels(inout.device()).add_normal(inout, at, std);
}

void philox_bernoulli_mask_(const Tensor& out, const PhiloxState& at, double p, double scale, const Tensor& counter) {
  check_fill(out, at, "Bernoulli mask");
  VEIL_CHECK(!counter.defined() || (counter.dtype() == DType::Int64 && counter.numel() == 1 &&
                                    counter.is_contiguous() && counter.device() == out.device()))
      << "a Bernoulli mask's stream counter must be one int64 on the mask's device (" << out.device() << "), got "
      << counter.dtype() << " " << counter.shape() << " on " << counter.device();
  philox_kernels(out.device()).bernoulli_mask(out, at, counter, p, scale);
}

}  // namespace veil
