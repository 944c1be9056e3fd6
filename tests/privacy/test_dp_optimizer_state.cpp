// DPOptimizer::state() / load_state() (Note [Saved training state]) and
// their place in a checkpoint (privacy/training_checkpoint.h).
#include <catch2/catch.hpp>

#include "veil/autograd/ops.h"
#include "veil/layers/linear.h"
#include "veil/layers/losses.h"
#include "veil/layers/serialization.h"
#include "veil/privacy/dp_optimizer.h"
#include "veil/privacy/training_checkpoint.h"
#include "support/test_data.h"

using namespace veil;

namespace {

constexpr std::int64_t kIn = 5, kOut = 3, kBatch = 8;

DPOptimizerOptions noisy_options() {
  DPOptimizerOptions options;
  options.noise_multiplier = 0.8;
  options.clipping.max_grad_norm = 0.7;
  options.expected_batch_size = kBatch;
  options.sample_rate = 0.25;
  options.noise_seed = 42;
  return options;
}

// The per-sample rule for the sum loss train_step uses.
Linear& summed(Linear& layer) {
  layer.set_per_sample({GradSampleMode::Auto, LossReduction::Sum});
  return layer;
}

std::unique_ptr<Optimizer> make_inner(const std::string& kind, Module& model) {
  if (kind == "adam") return std::make_unique<Adam>(model.parameters(), AdamOptions{0.01});
  SGDOptions sgd{0.1};
  sgd.momentum = 0.9;
  return std::make_unique<SGD>(model.parameters(), sgd);
}

// One DP step on the batch of step `step` (a function of the step alone, as
// Poisson batches are).
void train_step(Module& model, DPOptimizer& dp, std::int64_t step) {
  const Tensor x = Tensor::uniform({kBatch, kIn}, -1, 1, 100, static_cast<std::uint64_t>(step));
  const Tensor y = Tensor::from_vector<std::int64_t>({0, 1, 2, 0, 1, 2, 0, 1}, {kBatch});
  cross_entropy(model(x), y, LossReduction::Sum).backward();
  dp.step();
}

}  // namespace

TEST_CASE("a DPOptimizer restored from state() continues bit for bit", "[privacy][dp_optimizer][state]") {
  for (const std::string kind : {"sgd", "adam"}) {
    INFO(kind);
    Linear uninterrupted(kIn, kOut, 7), first(kIn, kOut, 7);
    summed(uninterrupted);
    summed(first);
    DPOptimizer a(uninterrupted, make_inner(kind, uninterrupted), noisy_options());
    DPOptimizer b(first, make_inner(kind, first), noisy_options());
    for (std::int64_t step = 0; step < 3; ++step) {
      train_step(uninterrupted, a, step);
      train_step(first, b, step);
    }
    // The state goes through a checkpoint file, as an app saves it.
    testing::TempDir tmp;
    Checkpoint ck;
    ck.tensors["model.weight"] = first.named_parameters()[0].second;
    store_training_state(ck, b.state());
    save_checkpoint(tmp.path() / "run.ckpt", ck);
    const Checkpoint loaded = load_checkpoint(tmp.path() / "run.ckpt");

    Linear resumed(kIn, kOut, 99);  // other weights, overwritten below
    summed(resumed);
    StateDict weights = first.state_dict();
    resumed.load_state_dict(weights);
    DPOptimizer c(resumed, make_inner(kind, resumed), noisy_options());
    c.load_state(read_training_state(loaded, "run.ckpt", c.optimizer(), true));
    REQUIRE(c.steps_taken() == 3);
    REQUIRE(c.ledger() == b.ledger());
    for (std::int64_t step = 3; step < 6; ++step) {
      train_step(uninterrupted, a, step);
      train_step(resumed, c, step);
    }
    const auto expected = uninterrupted.parameters(), actual = resumed.parameters();
    for (std::size_t k = 0; k < expected.size(); ++k)
      REQUIRE(expected[k].to_vector<float>() == actual[k].to_vector<float>());
    REQUIRE(c.ledger() == a.ledger());
  }
}

TEST_CASE("load_state refuses another kind, a ledger out of step, and changes nothing", "[privacy][dp_optimizer][state]") {
  Linear net(kIn, kOut, 7);
  summed(net);
  DPOptimizer dp(net, make_inner("sgd", net), noisy_options());
  train_step(net, dp, 0);
  const TrainingState good = dp.state();

  TrainingState adam = good;
  adam.optimizer_kind = "adam";
  REQUIRE_THROWS_WITH(dp.load_state(adam), Catch::Contains("adam"));
  TrainingState short_ledger = good;
  short_ledger.steps = 2;
  REQUIRE_THROWS_WITH(dp.load_state(short_ledger), Catch::Contains("ledger holds 1 steps but it was written at step 2"));
  TrainingState no_ledger = good;
  no_ledger.ledger.reset();
  REQUIRE_THROWS_WITH(dp.load_state(no_ledger), Catch::Contains("no privacy ledger"));
  TrainingState bad_buffer = good;
  bad_buffer.optimizer[0].second = Tensor::zeros({1});
  REQUIRE_THROWS_WITH(dp.load_state(bad_buffer), Catch::Contains("momentum.0"));
  REQUIRE(dp.steps_taken() == 1);
  REQUIRE(dp.ledger().total_steps() == 1);
}

TEST_CASE("read_training_state names the file and the field it cannot read", "[privacy][state]") {
  Linear net(kIn, kOut, 7);
  summed(net);
  DPOptimizer dp(net, make_inner("sgd", net), noisy_options());
  train_step(net, dp, 0);
  Checkpoint good;
  store_training_state(good, dp.state());

  Checkpoint no_step = good;
  no_step.fields.erase("global_step");
  REQUIRE_THROWS_WITH(read_training_state(no_step, "a.ckpt", dp.optimizer(), true),
                      Catch::Contains("a.ckpt") && Catch::Contains("'global_step'"));
  Checkpoint bad_step = good;
  bad_step.fields["global_step"] = "1x";
  REQUIRE_THROWS_WITH(read_training_state(bad_step, "a.ckpt", dp.optimizer(), true),
                      Catch::Contains("malformed field 'global_step'"));
  Checkpoint bad_ledger = good;
  bad_ledger.fields["privacy_ledger"] = "not a ledger";
  REQUIRE_THROWS_WITH(read_training_state(bad_ledger, "a.ckpt", dp.optimizer(), true),
                      Catch::Contains("unreadable privacy ledger"));
  Checkpoint extra = good;
  extra.tensors["optimizer.velocity"] = Tensor::zeros({1});
  REQUIRE_THROWS_WITH(read_training_state(extra, "a.ckpt", dp.optimizer(), true),
                      Catch::Contains("optimizer.velocity") && Catch::Contains("neither"));
  // Without DP the ledger is neither needed nor read.
  Checkpoint plain = good;
  plain.fields.erase("privacy_ledger");
  REQUIRE_FALSE(read_training_state(plain, "a.ckpt", dp.optimizer(), false).ledger.has_value());
}
