// bench_accountant: how long the accountants take to turn a history into
// epsilon, and to calibrate sigma, at 1e3, 1e4 and 1e5 steps of the DP-SGD
// MNIST schedule (q = 1/300, sigma = 1, delta = 1e-5). Prints the median
// wall time over repeats.
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "support/bench_timer.h"
#include "support/cli.h"
#include "support/json_line.h"
#include "veil/privacy/accountant.h"
#include "veil/privacy/noise_calibration.h"

namespace {

using veil::cli::ArgParser;
using veil::cli::parse_or_help;
namespace privacy = veil::privacy;

constexpr double kSampleRate = 1.0 / 300;
constexpr double kSigma = 1.0;
constexpr double kDelta = 1e-5;
constexpr double kTargetEpsilon = 1.0;

using veil::bench::median_ms;

int run(const std::vector<std::string>& args) {
  ArgParser parser("bench_accountant [options]",
                   "Times get_epsilon and noise calibration for the rdp, prv, pld and gdp accountants\n"
                   "(q = 1/300, sigma = 1, delta = 1e-5; calibration targets epsilon 1).");
  parser.option("repeats", "R", "runs per get_epsilon timing (median reported)", "5")
      .option("calibration-repeats", "R", "runs per calibration timing (median reported)", "3")
      .option("max-steps", "N", "largest step count to time (1e3, 1e4, 1e5 up to N)", "100000")
      .flag("json", "also print one JSON object per row");
  if (parse_or_help(parser, args)) return 0;
  const int repeats = int(parser.get_int("repeats", 5));
  const int calibration_repeats = int(parser.get_int("calibration-repeats", 3));
  const std::int64_t max_steps = parser.get_int("max-steps", 100000);
  if (repeats < 1 || calibration_repeats < 1) throw veil::cli::UsageError("repeats must be >= 1");
  const bool json = parser.has("json");

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
        veil::cli::JsonLine line;
        line.add("accountant", name)
            .add("steps", steps)
            .add("epsilon", epsilon)
            .add("epsilon_ms", epsilon_ms)
            .add("sigma_for_epsilon_1", sigma)
            .add("calibration_ms", calibration_ms);
        std::printf("%s\n", line.str().c_str());
      }
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return veil::cli::guarded_main("bench_accountant", [&] { return run(veil::cli::arguments(argc, argv)); });
}
