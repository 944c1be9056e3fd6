#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "veil/core/error.h"
#include "veil/privacy/accountant.h"

using namespace veil::privacy;

TEST_CASE("make_accountant builds each accountant by name", "[privacy][accountant]") {
  for (const std::string name : {"rdp", "prv", "pld", "gdp"}) {
    auto accountant = make_accountant(name);
    REQUIRE(accountant != nullptr);
    CHECK(accountant->name() == name);
    CHECK(accountant->get_epsilon(1e-5).epsilon == 0.0);
    accountant->step(1.0, 0.01, 100);
    accountant->step(1.0, 0.01, 50);
    CHECK(accountant->history().total_steps() == 150);
    CHECK(accountant->get_epsilon(1e-5).epsilon > 0.0);
  }
}

TEST_CASE("a noiseless step makes epsilon infinite in every accountant, before or after noisy steps",
          "[privacy][accountant]") {
  for (const std::string name : {"rdp", "prv", "pld", "gdp"}) {
    INFO(name);
    auto before = make_accountant(name);
    before->step(0.0, 1.0 / 300, 20);
    before->step(1.0, 1.0 / 300, 20);
    CHECK(std::isinf(before->get_epsilon(1e-5).epsilon));
    auto after = make_accountant(name);
    after->step(1.0, 1.0 / 300, 20);
    after->step(0.0, 1.0 / 300, 1);
    CHECK(std::isinf(after->get_epsilon(1e-5).epsilon));
    // q = 0 costs nothing, noise or not.
    auto unsampled = make_accountant(name);
    unsampled->step(1.0, 1.0 / 300, 20);
    const double noisy_only = unsampled->get_epsilon(1e-5).epsilon;
    unsampled->step(0.0, 0.0, 5);
    CHECK(unsampled->get_epsilon(1e-5).epsilon == noisy_only);
    CHECK_THROWS_WITH(unsampled->get_epsilon(0.0), Catch::Contains("delta must lie in (0, 1)"));
  }
}

TEST_CASE("make_accountant rejects unknown names with the accepted list", "[privacy][accountant]") {
  CHECK_THROWS_WITH(make_accountant("moments"),
                    Catch::Contains("unknown accountant 'moments'") && Catch::Contains("rdp, prv, pld or gdp"));
  CHECK_THROWS_AS(make_accountant(""), veil::Error);
  CHECK_THROWS_AS(make_accountant("RDP"), veil::Error);
}

TEST_CASE("accountants agree on order: gdp <= pld <= prv <= rdp in a central-limit regime",
          "[privacy][accountant]") {
  // Many steps at a small rate, where GDP's approximation is good and PRV and
  // PLD tight (PLD without PRV's slack).
  double epsilons[4];
  int i = 0;
  for (const std::string name : {"gdp", "pld", "prv", "rdp"}) {
    auto accountant = make_accountant(name);
    accountant->step(1.0, 1.0 / 300, 3000);
    epsilons[i++] = accountant->get_epsilon(1e-5).epsilon;
  }
  CHECK(epsilons[0] < epsilons[1]);
  CHECK(epsilons[1] < epsilons[2]);
  CHECK(epsilons[2] < epsilons[3]);
  CHECK(epsilons[1] - epsilons[0] < 0.1);
}
