// What every tight accountant (PLD, PRV) must do with a history of several
// (sigma, q) segments, checked once for each of them.
#include <catch2/catch.hpp>

#include <cstdint>
#include <initializer_list>

#include "veil/privacy/pld_accountant.h"
#include "veil/privacy/prv_accountant.h"
#include "veil/privacy/rdp_accountant.h"

using namespace veil::privacy;

namespace {

struct Segment {
  double sigma, q;
  std::int64_t steps;
};

template <typename Accountant>
double epsilon_of(std::initializer_list<Segment> history, double delta = 1e-5) {
  Accountant accountant;
  for (const Segment& s : history) accountant.step(s.sigma, s.q, s.steps);
  return accountant.get_epsilon(delta).epsilon;
}

}  // namespace

TEMPLATE_TEST_CASE("tight accountants compose changing (q, sigma) as one history", "[privacy][pld][prv]",
                   PldAccountant, PrvAccountant) {
  const double both = epsilon_of<TestType>({{1.0, 0.01, 500}, {1.2, 0.02, 500}});
  // The order and the splitting of the segments do not matter.
  CHECK(epsilon_of<TestType>({{1.2, 0.02, 500}, {1.0, 0.01, 500}}) == Approx(both).epsilon(1e-12));
  CHECK(epsilon_of<TestType>({{1.2, 0.02, 200}, {1.0, 0.01, 500}, {1.2, 0.02, 300}}) == Approx(both).epsilon(1e-12));
  CHECK(epsilon_of<TestType>({{1.0, 0.01, 200}, {1.0, 0.01, 0}, {1.0, 0.01, 300}}) ==
        Approx(epsilon_of<TestType>({{1.0, 0.01, 500}})).epsilon(1e-12));
  // Two segments cost more than either alone, and less than RDP says.
  CHECK(both > epsilon_of<TestType>({{1.0, 0.01, 500}}));
  CHECK(both > epsilon_of<TestType>({{1.2, 0.02, 500}}));
  CHECK(both < epsilon_of<RdpAccountant>({{1.0, 0.01, 500}, {1.2, 0.02, 500}}));
}

TEMPLATE_TEST_CASE("tight accountants' epsilon grows with steps and sample rate, shrinks with noise and delta",
                   "[privacy][pld][prv]", PldAccountant, PrvAccountant) {
  double previous = 0.0;
  for (const std::int64_t steps : {10, 100, 1000}) {
    const double epsilon = epsilon_of<TestType>({{1.0, 0.01, steps}});
    CHECK(epsilon > previous);
    previous = epsilon;
  }
  const double base = epsilon_of<TestType>({{1.0, 0.01, 100}});
  CHECK(epsilon_of<TestType>({{2.0, 0.01, 100}}) < base);
  CHECK(epsilon_of<TestType>({{1.0, 0.02, 100}}) > base);
  CHECK(epsilon_of<TestType>({{1.0, 0.01, 100}}, 1e-3) < base);
}
