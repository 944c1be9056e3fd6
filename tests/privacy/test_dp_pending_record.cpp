// DPOptimizer's pending record (what a step recorded as a graph restores
// after each replay, Note [Captured steps]) and the DP step through
// GraphedStep, on the CPU; the GPU's replays are tested in
// tests/cuda/test_cuda_graph_cuda.cpp.
#include <catch2/catch.hpp>

#include <memory>

#include "support/core_check.h"
#include "veil/core/graphed_step.h"
#include "veil/layers/losses.h"
#include "veil/layers/sample_conv_net.h"
#include "veil/optim/optimizer.h"
#include "veil/privacy/dp_optimizer.h"

using namespace veil;
using namespace veil::testing;

namespace {

struct Trainer {
  SampleConvNet net{5};
  std::unique_ptr<DPOptimizer> dp;

  Trainer() {
    DPOptimizerOptions options;
    options.noise_multiplier = 1.0;
    options.clipping.max_grad_norm = 0.5;
    options.expected_batch_size = 6;
    options.sample_rate = 0.01;
    options.noise_seed = 42;
    dp = std::make_unique<DPOptimizer>(net, std::make_unique<SGD>(net.parameters(), SGDOptions{0.1, 0.9}), options);
  }
  void backward(const Tensor& x, const Tensor& y) { cross_entropy(net(x), y).backward(); }
  void require_same_parameters(Trainer& other) {
    const auto mine = net.named_parameters(), theirs = other.net.named_parameters();
    for (std::size_t k = 0; k < mine.size(); ++k) {
      INFO(mine[k].first);
      require_identical(mine[k].second.detach(), theirs[k].second.detach());
    }
  }
};

Tensor labels(std::int64_t batch) {
  std::vector<std::int64_t> y;
  for (std::int64_t i = 0; i < batch; ++i) y.push_back((3 * i + 1) % 10);
  return Tensor::from_vector<std::int64_t>(y, {batch});
}

}  // namespace

TEST_CASE("a DP step restored from its pending record equals the step itself", "[privacy][dp_optimizer]") {
  const Tensor x = Tensor::uniform({6, 1, 28, 28}, 0, 1, 3), y = labels(6);
  Trainer direct, restored;
  for (int step = 0; step < 2; ++step) {
    direct.backward(x, y);
    direct.dp->step();

    restored.backward(x, y);
    restored.dp->accumulate_microbatch();
    const DPOptimizer::PendingRecord record = restored.dp->pending_record();
    REQUIRE(record.examples == 6);
    REQUIRE(record.microbatches == 1);
    REQUIRE_THROWS_WITH(restored.dp->restore_pending(record), Catch::Contains("pending already"));
    restored.dp->zero_grad();  // what the step after a replay finds: nothing pending
    restored.dp->restore_pending(record);
    REQUIRE(restored.dp->pending_examples() == 6);
    restored.dp->step();
    restored.require_same_parameters(direct);
  }
}

TEST_CASE("a DP step run through GraphedStep on the CPU equals the direct step", "[privacy][dp_optimizer]") {
  Trainer direct, graphed;
  GraphedStep step([&](const std::vector<Tensor>& in) -> GraphedStep::Result {
    Tensor loss = cross_entropy(graphed.net(in[0]), in[1]);
    loss.backward();
    graphed.dp->accumulate_microbatch();
    return {{loss}, [&, record = graphed.dp->pending_record()] { graphed.dp->restore_pending(record); }};
  });
  for (int k = 0; k < 3; ++k) {
    const Tensor x = Tensor::uniform({6, 1, 28, 28}, 0, 1, 30 + k), y = labels(6);
    direct.backward(x, y);
    direct.dp->step();
    step.run({x, y});
    graphed.dp->step();
    graphed.require_same_parameters(direct);
  }
}
