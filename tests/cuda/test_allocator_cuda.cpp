// The CUDA caching allocator: one pool per GPU, blocks reused within it.
#include <catch2/catch.hpp>

#include "support/cuda_agreement.h"
#include "veil/core/allocator.h"
#include "veil/core/device_runtime.h"

using namespace veil;
using namespace veil::testing;

// Before, one pool served every GPU, so a block freed on GPU 0 could be
// handed to GPU 1.
TEST_CASE("every GPU has a pool of its own", "[cuda][allocator]") {
  gpu();
  REQUIRE(&allocator_for(Device::cuda(0)) == &allocator_for(Device::cuda(0)));
  REQUIRE(&allocator_for(Device::cuda(0)) != &allocator_for(Device::cuda(1)));
  REQUIRE(&allocator_for(Device::cuda(0)) != &allocator_for(Device::cpu()));
}

TEST_CASE("a freed GPU block is reused by its own GPU, never by another", "[cuda][allocator]") {
  gpu();
  // An unusual size, so that nothing else in the process takes the block.
  const Shape shape{1237, 3};
  const void* first = nullptr;
  {
    const Tensor t = Tensor::full(shape, 1.5, DType::Float32, Device::cuda(0));
    first = t.storage()->data();
  }
  const Tensor again = Tensor::full(shape, 2.5, DType::Float32, Device::cuda(0));
  REQUIRE(again.storage()->data() == first);
  require_same(on_cpu(again), Tensor::full(shape, 2.5, DType::Float32), 0.0);
  if (cuda_device_count() < 2) {
    WARN("one GPU visible: the check across two GPUs did not run");
    return;
  }
  const void* freed = nullptr;
  {
    const Tensor t = Tensor::full(shape, 1.0, DType::Float32, Device::cuda(0));
    freed = t.storage()->data();
  }
  // GPU 0's block is cached; GPU 1 must get memory of its own, which its kernels can write.
  const Tensor on1 = Tensor::full(shape, 3.0, DType::Float32, Device::cuda(1));
  REQUIRE(on1.storage()->data() != freed);
  require_same(on_cpu(on1), Tensor::full(shape, 3.0, DType::Float32), 0.0);
}
