// CUDA Philox fills against the CPU's (Note [Philox streams]): the same
// blocks through the same __host__ __device__ functions, built only from
// correctly rounded, never contracted operations (Note [Bit-identical
// normals]), so every fill is the CPU's bit for bit: uniforms, normals,
// their scaled forms, DP noise and Bernoulli masks.
#include <catch2/catch.hpp>

#include "support/cuda_agreement.h"
#include "veil/core/philox_kernels.h"

using namespace veil;
using namespace veil::testing;

namespace {

// A full 64-bit seed and stream word; offsets at the start, mid-stream and
// past 2^32 blocks (the offset's high word). Sizes end in partly used blocks
// of every kind (1 and 3 of 4 floats, 1 of 2 doubles).
const std::uint64_t kSeed = 0x0123456789abcdefULL;
const std::uint64_t kStream = philox_stream(PhiloxPurpose{7}, 99);
const std::uint64_t kOffsets[] = {0, 12345, (std::uint64_t{1} << 32) + 7};
const std::int64_t kSizes[] = {1, 3, 1001, 4099};

// Runs fill on a CPU and a GPU copy of the same tensor, for every dtype,
// size and offset, and requires identical bits. The tensors start empty, or
// from random values for fills that add to what is there.
template <typename Fill>
void require_fills_identical(Fill fill, bool start_random = false) {
  const Device g = gpu();
  for (DType dtype : {DType::Float32, DType::Float64})
    for (std::uint64_t offset : kOffsets)
      for (std::int64_t n : kSizes) {
        INFO("dtype " << dtype << ", offset " << offset << ", " << n << " elements");
        const PhiloxState at{kSeed, kStream, offset, 0};
        Tensor cpu = start_random ? rand({n}, 1, dtype) : Tensor::empty({n}, dtype);
        Tensor cuda = start_random ? cpu.to(g) : Tensor::empty({n}, dtype, g);
        fill(cpu, at);
        fill(cuda, at);
        require_bitwise_agrees(cuda, cpu);
      }
}

}  // namespace

TEST_CASE("CUDA Philox uniforms are the CPU's bit for bit", "[cuda][philox]") {
  require_fills_identical([](const Tensor& t, const PhiloxState& at) { philox_fill_uniform_(t, at, 0.0, 1.0); });
  // Scaled: lo + (hi - lo) u with two roundings on both sides.
  require_fills_identical([](const Tensor& t, const PhiloxState& at) { philox_fill_uniform_(t, at, -3.0, 5.1); });
}

TEST_CASE("CUDA Philox normals are the CPU's bit for bit", "[cuda][philox]") {
  require_fills_identical([](const Tensor& t, const PhiloxState& at) { philox_fill_normal_(t, at, 0.0, 1.0); });
  require_fills_identical([](const Tensor& t, const PhiloxState& at) { philox_fill_normal_(t, at, 0.1, 3.7); });
}

TEST_CASE("CUDA DP noise is the CPU's bit for bit", "[cuda][philox]") {
  require_fills_identical([](const Tensor& t, const PhiloxState& at) { philox_add_normal_(t, at, 0.75); },
                          /*start_random=*/true);
}

TEST_CASE("CUDA Bernoulli masks are the CPU's bit for bit", "[cuda][philox]") {
  require_fills_identical([](const Tensor& t, const PhiloxState& at) { philox_bernoulli_mask_(t, at, 0.3, 1.0 / 0.7); });
}
