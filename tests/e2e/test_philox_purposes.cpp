// Each module names the Philox purposes it draws from in its own header
// (Note [Philox streams]); this test sees them all and keeps them apart.
#include <catch2/catch.hpp>
#include <set>
#include <utility>
#include <vector>

#include "veil/core/philox.h"
#include "veil/data/poisson_sampler.h"
#include "veil/data/shuffle_sampler.h"
#include "veil/layers/dropout.h"
#include "veil/privacy/gaussian_noise.h"

using namespace veil;

TEST_CASE("the modules' Philox purposes are distinct and keep their values", "[philox]") {
  // The values are part of every saved seed's meaning: a renumbered purpose
  // would change the noise, batches and masks of a resumed run.
  const std::vector<std::pair<PhiloxPurpose, int>> purposes{
      {PhiloxPurpose::kGeneral, 0}, {kGaussianNoisePurpose, 1}, {kPoissonSamplingPurpose, 2},
      {kShufflePurpose, 3},         {kDropoutPurpose, 4}};
  std::set<int> seen;
  for (const auto& [purpose, value] : purposes) {
    CHECK(purpose.value == value);
    CHECK(seen.insert(purpose.value).second);
  }
  CHECK(philox_stream(kGaussianNoisePurpose, 5) != philox_stream(kShufflePurpose, 5));
  CHECK(philox_stream(kPoissonSamplingPurpose, 5) == ((std::uint64_t{2} << 56) | 5));
}
