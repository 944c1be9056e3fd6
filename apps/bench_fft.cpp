// bench_fft: veil's radix-2 FFT (core/fft.h) against kissfft's C++
// template (kissfft.hh, in double precision) on the lengths the PRV and PLD
// accountants transform, for the decision recorded in core/fft.h.
//
// Each round times a forward and an inverse transform of the same data with
// both, interleaved (veil, kissfft, veil, ...); kissfft's plans are made once,
// outside the clock, its best case. Prints the medians and the median of the
// per-round ratios, and the accuracy of both against a long double DFT and
// against each other. See --help.
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <kissfft/kissfft.hh>

#include "support/app_main.h"
#include "support/bench_timer.h"
#include "veil/core/fft.h"
#include "veil/privacy/pld_accountant.h"
#include "veil/privacy/prv_accountant.h"

namespace {

using namespace veil;
using Complex = std::complex<double>;

struct Options {
  std::int64_t rounds = 7, max_log2 = 22;
};

void add_options(CLI::App& app, Options& o) {
  app.description(
      "Times veil's FFT against kissfft (double precision) for lengths 2^12 .. 2^N, forward plus inverse,\n"
      "in interleaved rounds; prints median milliseconds, the median per-round ratio and the accuracy of both.");
  cli::add_option(app, "--rounds", o.rounds, "R", "timed rounds per length (median reported)", "7");
  cli::add_option(app, "--max-log2", o.max_log2, "N", "largest length 2^N, 12..24 (the PRV accountant's cap is 2^22)",
                  "22");
}

void check_options(const CLI::App&, const Options& o) {
  if (o.rounds < 1 || o.rounds > 1000) throw cli::UsageError("--rounds must be in 1..1000");
  if (o.max_log2 < 12 || o.max_log2 > 24) throw cli::UsageError("--max-log2 must be in 12..24");
}

std::vector<Complex> random_signal(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::normal_distribution<double> normal;
  std::vector<Complex> x(n);
  for (Complex& value : x) value = {normal(engine), normal(engine)};
  return x;
}

double max_abs_diff(const std::vector<Complex>& a, const std::vector<Complex>& b) {
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

std::vector<Complex> kiss_forward(const std::vector<Complex>& x) {
  std::vector<Complex> out(x.size());
  kissfft<double>(x.size(), false).transform(x.data(), out.data());
  return out;
}

std::vector<Complex> veil_forward(std::vector<Complex> x) {
  fft(x, FftDirection::forward);
  return x;
}

// Forward errors against a DFT summed in long double, for a length small
// enough to do so; then both against each other at the largest length.
void report_accuracy(std::size_t largest) {
  constexpr std::size_t n = 1024;
  const std::vector<Complex> x = random_signal(n, 7);
  std::vector<Complex> exact(n);
  for (std::size_t k = 0; k < n; ++k) {
    std::complex<long double> sum = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const long double angle = -2.0L * 3.14159265358979323846264338327950288L * static_cast<long double>((j * k) % n) / n;
      sum += std::complex<long double>(x[j].real(), x[j].imag()) * std::complex<long double>(std::cos(angle), std::sin(angle));
    }
    exact[k] = {static_cast<double>(sum.real()), static_cast<double>(sum.imag())};
  }
  std::printf("accuracy, forward, length %zu, max |error| against a long double DFT: veil %.3g, kissfft %.3g\n", n,
              max_abs_diff(veil_forward(x), exact), max_abs_diff(kiss_forward(x), exact));
  const std::vector<Complex> y = random_signal(largest, 8);
  std::vector<Complex> round_trip = veil_forward(y);
  fft(round_trip, FftDirection::inverse);
  std::vector<Complex> kiss_back(largest);
  kissfft<double>(largest, true).transform(kiss_forward(y).data(), kiss_back.data());
  for (Complex& value : kiss_back) value /= static_cast<double>(largest);
  std::printf("accuracy, length %zu: max |veil - kissfft| forward %.3g; round trip max |error| veil %.3g, kissfft %.3g\n\n",
              largest, max_abs_diff(veil_forward(y), kiss_forward(y)), max_abs_diff(round_trip, y),
              max_abs_diff(kiss_back, y));
}

int run(const Options& o) {
  // The lengths the accountants choose at the MNIST schedule (q = 1/300,
  // sigma 1, delta 1e-5): a power of two up to their caps (PRV 2^22, PLD 2^20).
  std::printf("bench_fft: load average %s\nlengths the accountants use at q = 1/300, sigma 1, delta 1e-5:",
              bench::load_average().c_str());
  for (const std::int64_t steps : {std::int64_t{1000}, std::int64_t{10000}, std::int64_t{100000}}) {
    privacy::PrvAccountant prv;
    privacy::PldAccountant pld;
    prv.step(1.0, 1.0 / 300, steps);
    pld.step(1.0, 1.0 / 300, steps);
    std::printf(" %lld steps: prv 2^%d, pld 2^%d;", static_cast<long long>(steps),
                static_cast<int>(std::log2(static_cast<double>(prv.compute(1e-5).grid_size))),
                static_cast<int>(std::log2(static_cast<double>(pld.compute(1e-5).grid_size))));
  }
  std::printf("\n");
  report_accuracy(std::size_t{1} << o.max_log2);

  std::printf("%8s %14s %14s %16s\n", "length", "veil ms", "kissfft ms", "veil / kissfft");
  for (std::int64_t log2 = 12; log2 <= o.max_log2; log2 += 2) {
    const std::size_t n = std::size_t{1} << log2;
    const std::vector<Complex> input = random_signal(n, static_cast<std::uint64_t>(log2));
    std::vector<Complex> data(n), spectrum(n);
    const kissfft<double> forward(n, false), inverse(n, true);
    const auto veil_pair = [&] {
      fft(data, FftDirection::forward);
      fft(data, FftDirection::inverse);
    };
    const auto kiss_pair = [&] {
      forward.transform(data.data(), spectrum.data());
      inverse.transform(spectrum.data(), data.data());
    };
    // Short transforms are timed over several calls per round.
    const int inner = static_cast<int>(std::max<std::int64_t>(1, (std::int64_t{1} << 18) >> log2));
    const bench::Samples samples = bench::interleave({veil_pair, kiss_pair}, static_cast<int>(o.rounds), inner,
                                                     [&](std::size_t) { data = input; });
    std::printf("%6s%-2lld %14.3f %14.3f %16.3f\n", "2^", static_cast<long long>(log2), bench::median(samples[0]),
                bench::median(samples[1]), bench::median_ratio(samples[0], samples[1]));
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return veil::cli::parse_and_run<Options>("bench_fft", argc, argv, add_options, check_options, run);
}
