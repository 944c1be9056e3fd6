// CUDA lattice noise (core/lattice_kernels.h): the CPU's snap-and-add per
// element. The integer steps come from the secure discrete Gaussian
// sampler, which runs on the host (privacy/gaussian_noise.cpp copies them
// here); only this exact arithmetic runs on the GPU, with the same results.
#include <cmath>

#include "veil/core/cuda/launch.h"
#include "veil/core/lattice_kernels.h"

namespace veil {
namespace {

template <typename T>
void snap_add_typed(const Tensor& data, const Tensor& steps, double granularity) {
  T* x = data.data<T>();
  const std::int64_t* z = steps.data<std::int64_t>();
  cuda::for_each_index("lattice noise", data.device(), data.numel(), [=] __device__(std::int64_t i) {
    // Division, rounding to nearest even and the product by a power of two
    // are exact IEEE operations on both devices (Note in the CPU kernel).
    const double snapped = nearbyint(static_cast<double>(x[i]) / granularity);
    x[i] = static_cast<T>((snapped + static_cast<double>(z[i])) * granularity);
  });
}

void cuda_snap_add(const Tensor& data, const Tensor& steps, double granularity) {
  dispatch_floating(data.dtype(), "lattice noise", [&]<typename T>() { snap_add_typed<T>(data, steps, granularity); });
}

}  // namespace

const LatticeKernels& cuda_lattice_kernels() {
  static const LatticeKernels kernels{cuda_snap_add};
  return kernels;
}

}  // namespace veil
