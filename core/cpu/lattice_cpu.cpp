// CPU lattice noise (core/lattice_kernels.h).
#include <cmath>

#include "veil/core/lattice_kernels.h"
#include "veil/core/parallel.h"

namespace veil {
namespace {

void cpu_snap_add(const Tensor& data, const Tensor& steps, double granularity) {
  dispatch_floating(data.dtype(), "lattice noise", [&]<typename T>() {
    T* x = data.data<T>();
    const std::int64_t* z = steps.data<std::int64_t>();
    parallel_for(data.numel(), 4096, [&](std::int64_t i0, std::int64_t i1) {
      for (std::int64_t i = i0; i < i1; ++i) {
        // Grid point plus noise is an integer times a power of two, exact in
        // double below 2^53 grid steps; beyond that and in the cast to T it
        // is rounded, and rounding an exactly noised value is post-processing.
        const double snapped = std::nearbyint(static_cast<double>(x[i]) / granularity);
        x[i] = static_cast<T>((snapped + static_cast<double>(z[i])) * granularity);
      }
    });
  });
}

}  // namespace

const LatticeKernels& cpu_lattice_kernels() {
  static const LatticeKernels kernels{cpu_snap_add};
  return kernels;
}

}  // namespace veil
