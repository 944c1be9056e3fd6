// The app's per-step figures (apps/support/step_records.h, Note [Reads at
// check points]): training steps as mnist_dp_ddp takes them make no host
// read but at check points (on the CPU one each), the figures read back are
// those of the steps on either device, and the first diverged step is the
// one named.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <vector>

#include "support/cuda_agreement.h"
#include "support/step_records.h"
#include "veil/autograd/ops.h"
#include "veil/core/host_reads.h"
#include "veil/layers/activations.h"
#include "veil/layers/linear.h"
#include "veil/layers/losses.h"
#include "veil/layers/sequential.h"
#include "veil/optim/optimizer.h"
#include "veil/privacy/dp_optimizer.h"

using namespace veil;
using cli::Divergence;
using cli::StepRecords;
using cli::TrainTally;

namespace {

std::shared_ptr<Sequential> small_net() {
  return std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
      std::make_shared<Linear>(4, 6, 1), std::make_shared<Tanh>(), std::make_shared<Linear>(6, 3, 3)});
}

// Batch sizes as a Poisson sampler draws them, an empty one included.
std::int64_t batch_size_of(std::int64_t step) { return step == 7 ? 0 : 3 + step % 4; }

Tensor inputs(std::int64_t step) { return Tensor::uniform({batch_size_of(step), 4}, -1, 1, 100 + step); }
Tensor labels(std::int64_t step) {
  std::vector<std::int64_t> y;
  for (std::int64_t i = 0; i < batch_size_of(step); ++i) y.push_back((step + i) % 3);
  return Tensor::from_vector<std::int64_t>(y, {batch_size_of(step)});
}

struct Trained {
  std::uint64_t reads_in_steps = 0, reads_at_check_points = 0;
  int check_points = 0;
  TrainTally tally;
  std::vector<Tensor> losses, correct;  // kept to compute the expected figures afterwards
};

// `steps` steps of the app's loop on `device`: forward, loss, backward, the
// optimizer step, the record, and a read at every check point.
Trained train(std::int64_t steps, bool dp, Device device = Device::cpu()) {
  auto net = small_net();
  net->to(device);
  std::unique_ptr<Optimizer> sgd = std::make_unique<SGD>(net->parameters(), SGDOptions{0.1, 0.9});
  std::unique_ptr<DPOptimizer> private_sgd;
  if (dp) {
    DPOptimizerOptions options;
    options.noise_multiplier = 1.0;
    options.expected_batch_size = 4.0;
    options.sample_rate = 0.01;
    options.noise_seed = 7;
    private_sgd = std::make_unique<DPOptimizer>(*net, std::move(sgd), options);
  }
  StepRecords records(cli::kCheckEvery, device, dp);
  Trained out;
  std::uint64_t since = host_read_count();
  for (std::int64_t step = 0; step < steps; ++step) {
    const Tensor logits = (*net)(inputs(step).to(device)), targets = labels(step).to(device);
    const Tensor loss = cross_entropy(logits, targets);
    loss.backward();
    if (dp) {
      private_sgd->step();
    } else {
      sgd->step();
      sgd->zero_grad();
    }
    records.record(step, batch_size_of(step), loss, logits, targets,
                   dp ? private_sgd->last_clipping().non_finite : Tensor());
    out.losses.push_back(loss.detach());
    out.correct.push_back(cli::count_correct(logits, targets));
    if (records.full() || step + 1 == steps) {
      out.reads_in_steps += host_read_count() - since;
      since = host_read_count();
      const Divergence d = records.read(out.tally);
      out.reads_at_check_points += host_read_count() - since;
      since = host_read_count();
      REQUIRE(d.step == -1);
      ++out.check_points;
    }
  }
  out.reads_in_steps += host_read_count() - since;
  return out;
}

}  // namespace

TEST_CASE("Training steps read nothing back but at check points, once each", "[apps][host_reads]") {
  const std::int64_t steps = 2 * cli::kCheckEvery + 5;
  for (bool dp : {false, true}) {
    INFO((dp ? "DP" : "no DP"));
    const Trained t = train(steps, dp);
    CHECK(t.check_points == 3);
    CHECK(t.reads_in_steps == 0);
    CHECK(t.reads_at_check_points == 3);
    // The figures are those of the steps, summed in step order as the app
    // always summed them.
    TrainTally expected;
    for (std::int64_t step = 0; step < steps; ++step) {
      const std::int64_t b = batch_size_of(step);
      expected.seen += b;
      expected.correct += std::llround(t.correct[step].item());
      if (b > 0) {
        expected.loss_sum += t.losses[step].item() * static_cast<double>(b);
        expected.loss_examples += b;
      }
    }
    CHECK(t.tally.loss_sum == expected.loss_sum);
    CHECK(t.tally.loss_examples == expected.loss_examples);
    CHECK(t.tally.seen == expected.seen);
    CHECK(t.tally.correct == expected.correct);
    CHECK(t.tally.non_finite == 0);
  }
}

TEST_CASE("count_correct counts the rows whose first largest logit is the label", "[apps]") {
  const Tensor logits = Tensor::from_vector<float>({0, 2, 1, 5, 5, 0, 1, 1, 1, -1, -3, -2}, {4, 3});
  const Tensor targets = Tensor::from_vector<std::int64_t>({1, 1, 0, 2}, {4});
  // Rows 0 and 2 are right (row 2's three-way tie goes to class 0, its
  // label); row 1 ties classes 0 and 1, and argmax picks 0, not its label.
  CHECK(cli::count_correct(logits, targets).item() == 2.0);
  CHECK(cli::count_correct(Tensor::zeros({0, 3}), Tensor::zeros({0}, DType::Int64)).item() == 0.0);
}

TEST_CASE("Without DP the first step with a non-finite loss is named; an empty batch is no divergence", "[apps]") {
  StepRecords records(8, Device::cpu(), /*dp=*/false);
  const Tensor logits = Tensor::from_vector<float>({1, 0, 0, 1}, {2, 2});
  const Tensor targets = Tensor::from_vector<std::int64_t>({0, 0}, {2});
  const std::vector<float> losses = {1.5f, NAN, 2.0f, INFINITY, NAN};
  const std::vector<std::int64_t> sizes = {2, 0, 2, 2, 2};
  for (std::size_t i = 0; i < losses.size(); ++i)
    records.record(40 + static_cast<std::int64_t>(i), sizes[i], Tensor::scalar(losses[i]),
                   sizes[i] ? logits : Tensor::zeros({0, 2}), sizes[i] ? targets : Tensor::zeros({0}, DType::Int64),
                   Tensor());
  TrainTally tally;
  const Divergence d = records.read(tally);
  CHECK(d.step == 43);
  CHECK(std::isinf(d.loss));
  CHECK(tally.seen == 8);
  CHECK(tally.correct == 4);
  CHECK(tally.loss_examples == 4);
  CHECK(tally.loss_sum == 7.0);
  // Read, the records are empty: reading again reads nothing and finds nothing.
  const std::uint64_t before = host_read_count();
  CHECK(records.read(tally).step == -1);
  CHECK(host_read_count() == before);
  CHECK(tally.seen == 8);
}

TEST_CASE("Under DP a step diverges when clipping dropped all of its examples, not some", "[apps]") {
  StepRecords records(4, Device::cpu(), /*dp=*/true);
  const Tensor logits = Tensor::zeros({2, 3}), targets = Tensor::zeros({2}, DType::Int64);
  const auto flags = [](std::vector<double> f) { return Tensor::from_vector<double>(f, {2}); };
  // One example dropped makes its batch's loss NaN, left out of the train
  // loss; it is no divergence.
  records.record(5, 2, Tensor::scalar(NAN), logits, targets, flags({0, 1}));
  records.record(6, 2, Tensor::scalar(0.5), logits, targets, flags({0, 0}));
  records.record(7, 2, Tensor::scalar(NAN), logits, targets, flags({1, 1}));
  records.record(8, 2, Tensor::scalar(NAN), logits, targets, flags({1, 1}));
  REQUIRE(records.full());
  REQUIRE_THROWS_AS(records.record(9, 2, Tensor::scalar(0.5), logits, targets, flags({0, 0})), Error);
  TrainTally tally;
  const Divergence d = records.read(tally);
  CHECK(d.step == 7);
  CHECK(std::isnan(d.loss));
  CHECK(tally.non_finite == 5);
  CHECK(tally.seen == 8);
  CHECK(tally.correct == 8);  // all-zero logits predict class 0
  CHECK(tally.loss_examples == 2);
  CHECK(tally.loss_sum == 1.0);
  CHECK(!records.full());
}

TEST_CASE("On the GPU the steps read nothing back either, and the figures agree with the CPU's", "[apps][cuda]") {
  const Device device = testing::gpu();
  const std::int64_t steps = cli::kCheckEvery + 3;
  for (bool dp : {false, true}) {
    INFO((dp ? "DP" : "no DP"));
    const Trained on_gpu = train(steps, dp, device), on_cpu = train(steps, dp);
    CHECK(on_gpu.reads_in_steps == 0);
    CHECK(on_gpu.reads_at_check_points > 0);
    CHECK(on_gpu.tally.loss_sum == Approx(on_cpu.tally.loss_sum).epsilon(1e-4));
    CHECK(on_gpu.tally.loss_examples == on_cpu.tally.loss_examples);
    CHECK(on_gpu.tally.seen == on_cpu.tally.seen);
    CHECK(on_gpu.tally.correct == on_cpu.tally.correct);
    CHECK(on_gpu.tally.non_finite == 0);
  }
}
