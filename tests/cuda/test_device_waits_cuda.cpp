// Host waits for a GPU are watched (Note [Watched device waits]): while the
// GPU has a watcher, a host read or synchronize() runs it, and an error it
// throws ends the wait; without one, nothing changes.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "support/cuda_agreement.h"
#include "veil/core/device_runtime.h"
#include "veil/core/device_waits.h"

using namespace veil;
using namespace veil::testing;

TEST_CASE("CUDA host reads and synchronize run the GPU's watchers", "[cuda][device_waits]") {
  const Device g = gpu();
  const Tensor t = Tensor::ones({1000}, DType::Float32, g).mul_(3.0);
  int calls = 0;
  {
    DeviceWaitWatch watch(g, [&] { ++calls; });
    REQUIRE(on_cpu(t).to_vector<float>()[999] == 3.0f);
    REQUIRE(calls >= 1);
    const int after_read = calls;
    synchronize(g);
    REQUIRE(calls > after_read);
  }
  const int before = calls;
  REQUIRE(on_cpu(t).to_vector<float>()[0] == 3.0f);
  REQUIRE(calls == before);
}

TEST_CASE("A CUDA watcher's error ends the host read", "[cuda][device_waits]") {
  const Device g = gpu();
  const Tensor t = Tensor::ones({4}, DType::Float32, g);
  {
    DeviceWaitWatch watch(g, [] { throw std::runtime_error("a peer is gone"); });
    REQUIRE_THROWS_WITH(t.to(Device::cpu()), "a peer is gone");
    REQUIRE_THROWS_WITH(synchronize(g), "a peer is gone");
  }
  REQUIRE(on_cpu(t).to_vector<float>()[3] == 1.0f);
}
