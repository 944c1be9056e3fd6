// The phase marks a DP step leaves for a profiler (core/phase_marks.h), which
// bench_train --profile turns into its per-phase split.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "veil/core/phase_marks.h"
#include "veil/layers/linear.h"
#include "veil/layers/losses.h"
#include "veil/privacy/dp_optimizer.h"

using namespace veil;

namespace {

std::vector<std::string> marks;
void remember(const char* phase) { marks.emplace_back(phase); }

}  // namespace

TEST_CASE("a DP step marks the ends of norms, clipping, noise and update in order, only while listened to",
          "[privacy][dp_optimizer]") {
  Linear layer(3, 2, 1);
  layer.set_per_sample({GradSampleMode::Auto, LossReduction::Mean});
  DPOptimizerOptions options;
  options.expected_batch_size = 4;
  options.sample_rate = 0.1;
  DPOptimizer dp(layer, std::make_unique<SGD>(layer.parameters(), SGDOptions{0.1}), options);
  const Tensor x = Tensor::uniform({4, 3}, -1, 1, 2);
  const Tensor y = Tensor::from_vector<std::int64_t>({0, 1, 1, 0}, {4});
  auto train_step = [&] {
    cross_entropy(layer(x), y).backward();
    dp.step();
  };
  marks.clear();
  train_step();  // nobody listening
  REQUIRE(marks.empty());

  set_phase_listener(remember);
  train_step();
  set_phase_listener(nullptr);
  REQUIRE(marks == std::vector<std::string>{"per-sample norms", "clipping", "noise", "update"});
  train_step();
  REQUIRE(marks.size() == 4);
}
