// One schedule rule for the trainer and the accountant tool: DPDataLoader's
// rate and epoch length, make_private_with_epsilon's calibration and
// dp_accountant's epoch mode (tests/privacy/test_dp_accountant_cli.cpp) all
// come from poisson_schedule.
#include <catch2/catch.hpp>

#include "support/test_data.h"
#include "veil/data/data_loader.h"
#include "veil/layers/linear.h"
#include "veil/privacy/noise_calibration.h"
#include "veil/data/poisson_schedule.h"
#include "veil/privacy/privacy_engine.h"

using namespace veil;

namespace {

std::shared_ptr<data::TensorDataset> dataset_of(std::int64_t n) {
  return std::make_shared<data::TensorDataset>(Tensor::zeros({n, 3}), Tensor::zeros({n}, DType::Int64));
}

}  // namespace

TEST_CASE("poisson_schedule: len(loader) steps per epoch at q = 1/len(loader)", "[privacy][schedule]") {
  const data::PoissonSchedule mnist = data::poisson_schedule(60000, 256);
  REQUIRE(mnist.steps_per_epoch == 235);
  REQUIRE(mnist.sample_rate == 1.0 / 235);
  REQUIRE(mnist.steps(1) == 235);
  REQUIRE(mnist.steps(60) == 60 * 235);
  REQUIRE(mnist.steps(2.5) == 588);  // rounded up: never fewer steps than trained
  REQUIRE(mnist.steps(0) == 0);
  REQUIRE(data::poisson_schedule(60000, 200).sample_rate == 1.0 / 300);
  REQUIRE(data::poisson_schedule(1010, 50).steps_per_epoch == 21);
  REQUIRE(data::poisson_schedule(1010, 50, /*drop_last=*/true).steps_per_epoch == 20);
  REQUIRE(data::poisson_schedule(10, 50).sample_rate == 1.0);
  CHECK_THROWS_AS(data::poisson_schedule(0, 5), Error);
  CHECK_THROWS_AS(data::poisson_schedule(5, 0), Error);
  CHECK_THROWS_AS(data::poisson_schedule(5, 6, true), Error);
  CHECK_THROWS_AS(mnist.steps(-1), Error);
  CHECK_THROWS_AS(mnist.steps(1e300), Error);
}

TEST_CASE("DPDataLoader samples at the schedule's rate for its epoch length", "[privacy][schedule]") {
  for (const std::int64_t n : {1, 7, 200, 1010, 60000})
    for (const std::int64_t b : {1, 3, 50, 256})
      for (const bool drop_last : {false, true}) {
        if (drop_last && b > n) continue;
        INFO("N " << n << ", B " << b << ", drop_last " << drop_last);
        const data::DataLoader plain(dataset_of(n), b, true, drop_last, 0);
        const data::PoissonSchedule schedule = data::poisson_schedule(n, b, drop_last);
        const data::DPDataLoader seeded(plain, 1);
        REQUIRE(seeded.sample_rate() == schedule.sample_rate);
        REQUIRE(seeded.steps_per_epoch() == schedule.steps_per_epoch);
        const data::DPDataLoader secure = data::DPDataLoader::make_secure(plain);
        REQUIRE(secure.sample_rate() == schedule.sample_rate);
        REQUIRE(secure.steps_per_epoch() == schedule.steps_per_epoch);
      }
}

TEST_CASE("make_private_with_epsilon calibrates for the schedule it trains", "[privacy][schedule]") {
  const data::DataLoader plain(dataset_of(1010), 50, true, false, 0);
  Linear model(3, 2, 1);
  PrivacyEngine engine;
  const PrivateTraining priv = engine.make_private_with_epsilon(
      model, std::make_unique<SGD>(model.parameters(), SGDOptions{0.1}), plain, 2.0, 1e-5, 3, 1.0);
  const data::PoissonSchedule schedule = data::poisson_schedule(1010, 50);
  REQUIRE(priv.loader->sample_rate() == schedule.sample_rate);
  REQUIRE(priv.optimizer->options().noise_multiplier ==
          privacy::noise_for_epsilon(2.0, 1e-5, schedule.sample_rate, schedule.steps(3)));
}
