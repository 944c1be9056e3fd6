// Device checks on the CPU (core/device_checks.h): the values are on the
// host, so a failure throws at once with its check's sentence, naming the
// first bad element; host reads are counted (Note [Host reads]).
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "veil/core/device_checks.h"
#include "veil/core/error.h"
#include "veil/core/host_reads.h"

using namespace veil;

namespace {

const DeviceCheck kTestRange([](const CheckFailure& f) {
  return "value " + std::to_string(static_cast<std::int64_t>(f.value)) + " at " + std::to_string(f.index) +
         " is outside [0, " + std::to_string(f.limit) + ")";
});
const DeviceCheck kTestFinite([](const CheckFailure& f) {
  return "element " + std::to_string(f.index) + (std::isnan(f.value) ? " is NaN" : " is infinite");
});

}  // namespace

TEST_CASE("CPU device checks throw at once, naming the first bad element", "[device_checks]") {
  CHECK(kTestRange.id() != kTestFinite.id());
  CHECK(&DeviceCheck::by_id(kTestRange.id()) == &kTestRange);
  const Tensor good = Tensor::from_vector<std::int64_t>({0, 2, 1}, {3});
  CHECK_NOTHROW(check_indices_in_range(good, 3, kTestRange));
  const Tensor bad = Tensor::from_vector<std::int64_t>({0, 3, -1}, {3});
  CHECK_THROWS_WITH(check_indices_in_range(bad, 3, kTestRange), "value 3 at 1 is outside [0, 3)");
  const Tensor values = Tensor::from_vector<double>({1.0, INFINITY, NAN}, {3});
  CHECK_THROWS_WITH(check_all_finite(values, kTestFinite), "element 1 is infinite");
  CHECK_NOTHROW(check_all_finite(Tensor::from_vector<double>({1.0, -2.0}, {2}), kTestFinite));
  CHECK_NOTHROW(raise_device_failures(Device::cpu()));  // nothing is ever deferred on the CPU
}

TEST_CASE("A failed check counts its bad elements and knows the row length", "[device_checks]") {
  CheckFailure seen;
  static CheckFailure* last = nullptr;
  last = &seen;
  static const DeviceCheck recording([](const CheckFailure& f) {
    *last = f;
    return std::string("recorded");
  });
  const Tensor bad = Tensor::from_vector<std::int64_t>({0, 7, 1, -2, 9, 2}, {2, 3});
  CHECK_THROWS_WITH(check_indices_in_range(bad, 3, recording), "recorded");
  CHECK(seen.index == 1);
  CHECK(seen.value == 7);
  CHECK(seen.limit == 3);
  CHECK(seen.count == 3);
  CHECK(seen.row_length == 3);
  const Tensor values = Tensor::from_vector<double>({1.0, NAN, 2.0, NAN}, {4});
  CHECK_THROWS_WITH(check_all_finite(values, recording), "recorded");
  CHECK(seen.index == 1);
  CHECK(seen.count == 2);
  CHECK(seen.row_length == 4);
}

TEST_CASE("host reads are counted where values reach the host", "[device_checks][host_reads]") {
  const Tensor t = Tensor::from_vector<double>({1.0, 2.0}, {2});
  std::uint64_t before = host_read_count();
  Tensor doubled = t.clone();
  doubled.mul_(2.0);  // ops read nothing back
  CHECK(host_read_count() == before);
  CHECK(doubled.to_vector<double>()[1] == 4.0);
  CHECK(host_read_count() == before + 1);
  before = host_read_count();
  CHECK(doubled.slice(0, 0, 1).item() == 2.0);
  CHECK(host_read_count() == before + 1);
}
