// Deferred device errors on the GPU (Note [Deferred device errors]): a
// failed check returns at once and its error is raised, once, at the next
// host read of that device, naming the lowest bad index whatever the
// thread schedule; a later failure does not replace an unread earlier one.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "support/cuda_agreement.h"
#include "veil/core/device_checks.h"
#include "veil/core/host_reads.h"

using namespace veil;
using namespace veil::testing;

namespace {

const DeviceCheck kRange([](const CheckFailure& f) {
  return "value " + std::to_string(static_cast<std::int64_t>(f.value)) + " at " + std::to_string(f.index) +
         " is outside [0, " + std::to_string(f.limit) + ")";
});
const DeviceCheck kCounted([](const CheckFailure& f) {
  return "row " + std::to_string(f.index / f.row_length) + ", column " + std::to_string(f.index % f.row_length) +
         ": " + std::to_string(f.count) + " bad";
});
const DeviceCheck kFinite([](const CheckFailure& f) {
  return "element " + std::to_string(f.index) + (std::isnan(f.value) ? " is NaN" : " is infinite");
});

}  // namespace

TEST_CASE("CUDA checks defer their failure to the next host read", "[cuda][device_checks]") {
  const Device g = gpu();
  std::vector<std::int64_t> indices(100000, 1);
  indices[70001] = 9;
  indices[99999] = -4;  // later: the lowest index is reported
  const Tensor idx = Tensor::from_vector<std::int64_t>(indices, {100000}).to(g);
  const std::uint64_t before = host_read_count();
  REQUIRE_NOTHROW(check_indices_in_range(idx, 5, kRange));
  REQUIRE(host_read_count() == before);  // the check itself reads nothing back
  const Tensor other = Tensor::ones({2}, DType::Float64, g);
  REQUIRE_THROWS_WITH(other.to(Device::cpu()), "value 9 at 70001 is outside [0, 5)");
  REQUIRE_NOTHROW(other.to(Device::cpu()));  // raised once, then cleared

  // The first failure stays until read; raise_device_failures reads it.
  std::vector<double> values(3000, 1.0);
  values[2500] = NAN;
  REQUIRE_NOTHROW(check_all_finite(Tensor::from_vector<double>(values, {3000}).to(g), kFinite));
  REQUIRE_NOTHROW(check_indices_in_range(idx, 5, kRange));
  REQUIRE_THROWS_WITH(raise_device_failures(g), "element 2500 is NaN");
  REQUIRE_NOTHROW(raise_device_failures(g));
  REQUIRE_NOTHROW(check_all_finite(Tensor::ones({7}, DType::Float64, g), kFinite));
  REQUIRE_NOTHROW(raise_device_failures(g));
}

TEST_CASE("CUDA checks count the bad elements and know the row length", "[cuda][device_checks]") {
  const Device g = gpu();
  std::vector<std::int64_t> indices(3 * 1000, 0);
  indices[1000 + 17] = 5;
  indices[2000 + 3] = -1;
  indices[2999] = 8;
  const Tensor idx = Tensor::from_vector<std::int64_t>(indices, {3, 1000}).to(g);
  REQUIRE_NOTHROW(check_indices_in_range(idx, 5, kCounted));
  REQUIRE_THROWS_WITH(raise_device_failures(g), "row 1, column 17: 3 bad");
  std::vector<double> values(10, 0.0);
  values[4] = NAN;
  values[9] = INFINITY;
  REQUIRE_NOTHROW(check_all_finite(Tensor::from_vector<double>(values, {10}).to(g), kCounted));
  REQUIRE_THROWS_WITH(raise_device_failures(g), "row 0, column 4: 2 bad");
}
