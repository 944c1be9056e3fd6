// GraphedStep on the CPU (Note [Captured steps]): it runs the step directly,
// so callers keep one code path; the GPU's recording and replay are tested
// in tests/cuda/test_cuda_graph_cuda.cpp.
#include <catch2/catch.hpp>

#include "support/core_check.h"
#include "veil/autograd/ops.h"
#include "veil/core/device_graph.h"
#include "veil/core/device_runtime.h"
#include "veil/core/graphed_step.h"
#include "veil/core/host_reads.h"

using namespace veil;
using namespace veil::testing;

TEST_CASE("on the CPU a GraphedStep runs its step every time, as a direct call does", "[graphed_step]") {
  int calls = 0, after_replays = 0;
  auto step = [&](const std::vector<Tensor>& in) -> GraphedStep::Result {
    ++calls;
    return {{add(mul_scalar(in[0], 2.0), in[1])}, [&] { ++after_replays; }};
  };
  GraphedStep graphed(step);
  for (int k = 0; k < 4; ++k) {
    const Tensor a = Tensor::uniform({3, 5}, -1, 1, 10 + k), b = Tensor::uniform({3, 5}, -1, 1, 20 + k);
    const std::vector<Tensor> out = graphed.run({a, b});
    REQUIRE(out.size() == 1);
    require_identical(out[0], step({a, b}).outputs[0]);
  }
  REQUIRE(calls == 8);
  REQUIRE(after_replays == 0);
  REQUIRE(graphed.recordings() == 0);
  REQUIRE(graphed.replays() == 0);
  REQUIRE(graphed.graphs() == 0);
}

TEST_CASE("GraphedStep refuses missing inputs and a bound of no graphs", "[graphed_step]") {
  auto step = [](const std::vector<Tensor>& in) -> GraphedStep::Result { return {{in[0]}, {}}; };
  REQUIRE_THROWS_WITH(GraphedStep(step, 0), Catch::Contains("at least one graph"));
  GraphedStep graphed(step);
  REQUIRE_THROWS_WITH(graphed.run({}), Catch::Contains("at least one input"));
  REQUIRE_THROWS_WITH(graphed.run({Tensor::ones({2}), Tensor()}), Catch::Contains("input 1 is undefined"));
}

TEST_CASE("CPU work is never recorded as a graph, and CPU host reads are always allowed", "[graphed_step]") {
  REQUIRE_THROWS_WITH(capture_device_graph(Device::cpu(), [] {}), Catch::Contains("runs directly"));
  REQUIRE_FALSE(capturing_graph(Device::cpu()));
  REQUIRE_NOTHROW(check_host_read_allowed(Device::cpu()));
}

TEST_CASE("restore_grads puts back the gradients the parameters held when it was made", "[graphed_step]") {
  Tensor w = Tensor::uniform({2, 3}, -1, 1, 1), b = Tensor::zeros({3});
  w.set_requires_grad(true);
  b.set_requires_grad(true);
  sum(add(w, b)).backward();
  const Tensor w_grad = w.grad(), b_grad = b.grad();
  const auto restore = GraphedStep::restore_grads({w, b});
  w.set_grad(Tensor());  // as zero_grad leaves them
  b.set_grad(Tensor());
  restore();
  // The same tensors, not copies: a replay rewrites them in place.
  REQUIRE(w.grad().raw_data() == w_grad.raw_data());
  REQUIRE(b.grad().raw_data() == b_grad.raw_data());
}
