// CUDA clipping factors and lattice noise: exact IEEE arithmetic per
// element, so the GPU gives the CPU's numbers bit for bit.
#include <catch2/catch.hpp>

#include <limits>

#include "support/cuda_agreement.h"
#include "veil/core/clip_kernels.h"
#include "veil/core/lattice_kernels.h"

using namespace veil;
using namespace veil::testing;

TEST_CASE("CUDA clip factors are the CPU's, zero for non-finite examples", "[cuda][clip]") {
  const Device g = gpu();
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const Tensor norms = Tensor::from_vector<double>({0.1, 2.0, 5.0, nan, 1.0, 0.0}, {6});
  const Tensor totals = Tensor::from_vector<double>({0.1, 2.0, 5.0, nan, inf, 0.0}, {6});
  require_bitwise_agrees(clip_factors(norms.to(g), totals.to(g), 1.5, 1e-6), clip_factors(norms, totals, 1.5, 1e-6));
}

TEST_CASE("CUDA lattice noise snaps and adds like the CPU", "[cuda][lattice]") {
  const Device g = gpu();
  const Tensor steps = Tensor::from_vector<std::int64_t>({-3, 0, 7, 1, -100000, 2}, {6});
  for (DType dtype : {DType::Float32, DType::Float64}) {
    INFO("dtype " << dtype);
    Tensor data = rand({6}, 1, dtype, -2.0, 2.0);
    const Tensor data_gpu = data.to(g);
    lattice_snap_add_(data, steps, 0x1p-10);
    lattice_snap_add_(data_gpu, steps.to(g), 0x1p-10);
    require_bitwise_agrees(data_gpu, data);
  }
}
