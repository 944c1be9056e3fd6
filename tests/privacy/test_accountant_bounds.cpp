// Soundness of every accountant over a wide sweep of (q, sigma, steps, delta):
// the result is an upper bound where the exact epsilon is known (q = 1, the
// Gaussian mechanism) and at least one relation's exact epsilon where that is
// known (one subsampled step; gdp, an approximation, is exempt), never NaN, never increasing with more noise, and where
// an accountant cannot answer it says so with a veil::Error, not an internal
// assertion.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "veil/core/error.h"
#include "veil/privacy/accountant.h"
#include "veil/privacy/accounting_math.h"
#include "veil/privacy/prv_accountant.h"

using namespace veil::privacy;

namespace {

const char* const kNames[] = {"rdp", "prv", "gdp"};

// Exact epsilon of `steps` Gaussian mechanisms without subsampling: their
// composition is the Gaussian mechanism with mu = sqrt(steps) / sigma.
double exact_epsilon(double sigma, std::int64_t steps, double delta) {
  return gaussian_dp_epsilon(std::sqrt(double(steps)) / sigma, delta);
}

// Exact epsilon of one Poisson-subsampled Gaussian step for the remove
// relation, a lower bound on the epsilon of both. Its curve is exactly
// q delta_G(log(1 + (e^epsilon - 1) / q)) with delta_G the Gaussian curve at
// mu = 1/sigma, because (1 - q) B + q N(1, s^2) - e^epsilon B = q (N(1, s^2) - e^epsilon' B).
double one_step_remove_epsilon(double sigma, double q, double delta) {
  if (delta >= q) return 0.0;
  const double inner = gaussian_dp_epsilon(1 / sigma, delta / q);  // epsilon'
  // log(1 + q (e^inner - 1)), without overflowing e^inner.
  if (inner < 1.0) return std::log1p(q * std::expm1(inner));
  return inner + std::log(q) + std::log1p((1 - q) * std::exp(-inner) / q);
}

struct Answer {
  double epsilon;
  double slack;  // how far above the true epsilon the accountant may be by design (PRV's t)
};

// The accountant's answer, or nothing when it refused with a veil::Error,
// whose message must then be a plain one. PRV runs on a grid capped at 2^16
// points, so the sweep stays quick and the coarsening is exercised too.
std::optional<Answer> answer_or_refusal(const std::string& name, double sigma, double q,
                                        std::int64_t steps, double delta) {
  try {
    if (name == "prv") {
      PrvAccountant accountant(PrvOptions{0.01, 1e-3, std::size_t{1} << 16});
      accountant.step(sigma, q, steps);
      const PrvResult result = accountant.compute(delta);
      return Answer{result.epsilon, result.epsilon_error};
    }
    auto accountant = make_accountant(name);
    accountant->step(sigma, q, steps);
    return Answer{accountant->get_epsilon(delta).epsilon, 0.0};
  } catch (const veil::Error& error) {
    const std::string message = error.what();
    INFO(message);
    CHECK(message.find("internal assertion") == std::string::npos);
    return std::nullopt;
  }
}

}  // namespace

TEST_CASE("rdp and prv bound the exact Gaussian mechanism, gdp equals it (q = 1, one step)",
          "[privacy][accountant][bounds]") {
  for (const double sigma : {0.01, 0.02, 0.03, 0.1, 1.0, 10.0}) {
    for (const double delta : {0.1, 1e-3, 1e-5, 1e-8}) {
      const double exact = exact_epsilon(sigma, 1, delta);
      for (const std::string name : kNames) {
        auto accountant = make_accountant(name);
        accountant->step(sigma, 1.0, 1);
        const double epsilon = accountant->get_epsilon(delta).epsilon;
        INFO(name << " sigma=" << sigma << " delta=" << delta << " exact=" << exact);
        if (name == "gdp") {
          CHECK(epsilon == Approx(exact).epsilon(1e-12));
        } else {
          CHECK(epsilon >= exact);
        }
      }
    }
  }
}

TEST_CASE("every accountant is sound over a sweep of extreme inputs", "[privacy][accountant][bounds]") {
  const double sigmas[] = {1e-300, 1e-160, 1e-10, 1e-3, 0.01, 0.1, 0.5, 1.0, 10.0, 1e3};
  for (const std::string name : kNames) {
    for (const double q : {1e-6, 1e-3, 0.01, 0.5, 1.0}) {
      for (const std::int64_t steps : {1, 1000}) {
        for (const double delta : {1e-10, 1e-5, 0.1}) {
          std::optional<double> previous;
          for (const double sigma : sigmas) {
            INFO(name << " q=" << q << " steps=" << steps << " delta=" << delta << " sigma=" << sigma);
            const std::optional<Answer> answer = answer_or_refusal(name, sigma, q, steps, delta);
            if (!answer) continue;
            const double epsilon = answer->epsilon;
            INFO("epsilon=" << epsilon << " slack=" << answer->slack);
            REQUIRE(!std::isnan(epsilon));
            CHECK(epsilon >= 0.0);
            if (q == 1.0) {
              const double exact = exact_epsilon(sigma, steps, delta);
              INFO("exact=" << exact);
              CHECK(epsilon >= exact * (1 - 1e-12));
            } else if (steps == 1 && name != "gdp") {
              const double lower = one_step_remove_epsilon(sigma, q, delta);
              INFO("one-step lower bound=" << lower);
              CHECK(epsilon >= lower * (1 - 1e-12));
            }
            // The true epsilon does not grow with sigma; an answer may exceed it by its slack.
            if (previous) CHECK(epsilon <= *previous * (1 + 1e-12) + answer->slack);
            previous = epsilon;
          }
        }
      }
    }
  }
}
