// bench_accountant: how long the accountants take to turn a history into
// epsilon, and to calibrate sigma, at 1e3, 1e4 and 1e5 steps of the DP-SGD
// MNIST schedule (q = 1/300, sigma = 1, delta = 1e-5). Prints the median
// wall time over repeats.
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/app_main.h"
#include "support/bench_timer.h"
#include "veil/privacy/accountant.h"
#include "veil/privacy/noise_calibration.h"

namespace {

namespace privacy = veil::privacy;

constexpr double kSampleRate = 1.0 / 300;
constexpr double kSigma = 1.0;
constexpr double kDelta = 1e-5;
constexpr double kTargetEpsilon = 1.0;

using veil::bench::median_ms;

struct Options {
  std::int64_t repeats = 5, calibration_repeats = 3, max_steps = 100000;
  bool json = false;
};

void add_options(CLI::App& app, Options& o) {
  app.description(
      "Times get_epsilon and noise calibration for the rdp, prv, pld and gdp accountants\n"
      "(q = 1/300, sigma = 1, delta = 1e-5; calibration targets epsilon 1).");
  veil::cli::add_option(app, "--repeats", o.repeats, "R", "runs per get_epsilon timing (median reported)", "5");
  veil::cli::add_option(app, "--calibration-repeats", o.calibration_repeats, "R",
                        "runs per calibration timing (median reported)", "3");
  veil::cli::add_option(app, "--max-steps", o.max_steps, "N", "largest step count to time (1e3, 1e4, 1e5 up to N)",
                        "100000");
  veil::cli::add_flag(app, "--json", o.json, "also print one JSON object per row");
}

// Beyond a million runs a timing is a typo, and int holds the count.
void check_options(const CLI::App&, const Options& o) {
  if (o.repeats < 1 || o.calibration_repeats < 1 || o.repeats > 1000000 || o.calibration_repeats > 1000000)
    throw veil::cli::UsageError("--repeats and --calibration-repeats must be in 1..1000000");
}

int run(const Options& o) {
  const int repeats = static_cast<int>(o.repeats);
  const int calibration_repeats = static_cast<int>(o.calibration_repeats);
  const std::int64_t max_steps = o.max_steps;
  const bool json = o.json;

  std::printf("%-10s %8s %12s %12s %16s %14s\n", "accountant", "steps", "epsilon", "eps time ms",
              "sigma(eps=1)", "calib time ms");
  for (const std::int64_t steps : {std::int64_t{1000}, std::int64_t{10000}, std::int64_t{100000}}) {
    if (steps > max_steps) break;
    for (const std::string name : {"rdp", "prv", "pld", "gdp"}) {
      auto accountant = privacy::make_accountant(name);
      accountant->step(kSigma, kSampleRate, steps);
      double epsilon = 0.0;
      const double epsilon_ms =
          median_ms(repeats, [&] { epsilon = accountant->get_epsilon(kDelta).epsilon; });
      double sigma = 0.0;
      const double calibration_ms = median_ms(calibration_repeats, [&] {
        sigma = privacy::noise_for_epsilon(kTargetEpsilon, kDelta, kSampleRate, steps, name);
      });
      std::printf("%-10s %8lld %12.6f %12.3f %16.6f %14.2f\n", name.c_str(), (long long)steps, epsilon,
                  epsilon_ms, sigma, calibration_ms);
      if (json) {
        const nlohmann::ordered_json line = {{"accountant", name},        {"steps", steps},
                                             {"epsilon", epsilon},         {"epsilon_ms", epsilon_ms},
                                             {"sigma_for_epsilon_1", sigma}, {"calibration_ms", calibration_ms}};
        std::printf("%s\n", line.dump().c_str());
      }
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return veil::cli::parse_and_run<Options>("bench_accountant", argc, argv, add_options, check_options, run);
}
