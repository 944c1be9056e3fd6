#pragma once
// Adding integer noise on a lattice (Note [Kernel tables]): secure mode's
// noise (privacy/gaussian_noise.h, docs/secure_noise.md) snaps the data to
// the grid of spacing g and adds whole grid steps, so the released value is
// post-processing of an exactly distributed one:
//   data[i] = T((nearbyint(double(data[i]) / g) + double(steps[i])) * g)
// data: contiguous, floating; steps: contiguous int64 with data's numel and
// device.
#include "veil/core/tensor.h"

namespace veil {

struct LatticeKernels {
  void (*snap_add)(const Tensor& data, const Tensor& steps, double granularity) = nullptr;
};

// The kernels for a device; fails by name on a device without them.
const LatticeKernels& lattice_kernels(Device device);

// The convenience over the table (no autograd recording).
void lattice_snap_add_(const Tensor& data, const Tensor& steps, double granularity);

}  // namespace veil
