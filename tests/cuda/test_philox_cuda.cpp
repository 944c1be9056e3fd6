// CUDA Philox fills against the CPU's (Note [Philox streams]): the same
// blocks and the same __host__ __device__ conversions, so uniforms and
// Bernoulli masks are identical bit for bit. Normals go through the
// device's log, sqrt, sin and cos, which differ from the host's libm by a
// few units in the last place.
#include <catch2/catch.hpp>

#include "support/cuda_agreement.h"
#include "veil/core/philox_kernels.h"

using namespace veil;
using namespace veil::testing;

namespace {

// Mid-stream and with a full 64-bit seed and stream word; 1001 elements end
// in a partly used block.
const PhiloxState kAt{0x0123456789abcdefULL, philox_stream(PhiloxPurpose{7}, 99), 12345, 0};
constexpr std::int64_t kCount = 1001;

}  // namespace

TEST_CASE("CUDA Philox uniforms are the CPU's bit for bit", "[cuda][philox]") {
  const Device g = gpu();
  for (DType dtype : {DType::Float32, DType::Float64}) {
    INFO("dtype " << dtype);
    Tensor cpu = Tensor::empty({kCount}, dtype);
    const Tensor cuda = Tensor::empty({kCount}, dtype, g);
    philox_fill_uniform_(cpu, kAt, 0.0, 1.0);
    philox_fill_uniform_(cuda, kAt, 0.0, 1.0);
    require_bitwise_agrees(cuda, cpu);
    // Scaled: lo + (hi - lo) u, an FMA or not depending on the compilers.
    philox_fill_uniform_(cpu, kAt, -3.0, 5.0);
    philox_fill_uniform_(cuda, kAt, -3.0, 5.0);
    require_agrees(cuda, cpu, 1e-6, 0.0);
  }
}

TEST_CASE("CUDA Bernoulli masks are the CPU's bit for bit", "[cuda][philox]") {
  const Device g = gpu();
  Tensor cpu = Tensor::empty({kCount}, DType::Float64);
  const Tensor cuda = Tensor::empty({kCount}, DType::Float64, g);
  philox_bernoulli_mask_(cpu, kAt, 0.3, 1.0 / 0.7);
  philox_bernoulli_mask_(cuda, kAt, 0.3, 1.0 / 0.7);
  require_bitwise_agrees(cuda, cpu);
}

TEST_CASE("CUDA Philox normals and DP noise agree with the CPU to a few ulps", "[cuda][philox]") {
  const Device g = gpu();
  for (DType dtype : {DType::Float32, DType::Float64}) {
    INFO("dtype " << dtype);
    const double ulps = dtype == DType::Float32 ? 4 * 0x1p-24 : 4 * 0x1p-53;
    Tensor cpu = Tensor::empty({kCount}, dtype);
    const Tensor cuda = Tensor::empty({kCount}, dtype, g);
    philox_fill_normal_(cpu, kAt, 0.0, 1.0);
    philox_fill_normal_(cuda, kAt, 0.0, 1.0);
    // Normals reach 5.8 (float) or 8.6 (double) sigma: relative ulps, with an
    // absolute floor near zero where cos/sin lose relative accuracy.
    require_agrees(cuda, cpu, 8 * ulps, ulps);
    Tensor noised = rand({kCount}, 1, dtype);
    const Tensor noised_gpu = noised.to(g);
    philox_add_normal_(noised, kAt, 0.75);
    philox_add_normal_(noised_gpu, kAt, 0.75);
    require_agrees(noised_gpu, noised, 16 * ulps, ulps);
  }
}
