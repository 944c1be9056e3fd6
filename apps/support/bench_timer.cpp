#include "support/bench_timer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <stdexcept>

namespace veil::bench {

double elapsed_ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  const std::size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + mid, values.end());
  if (values.size() % 2 == 1) return values[mid];
  const double upper = values[mid];
  const double lower = *std::max_element(values.begin(), values.begin() + mid);
  return 0.5 * (lower + upper);
}

double median_ratio(const std::vector<double>& numerator, const std::vector<double>& denominator) {
  if (numerator.size() != denominator.size()) throw std::logic_error("median_ratio: sample counts differ");
  std::vector<double> ratios;
  ratios.reserve(numerator.size());
  for (std::size_t i = 0; i < numerator.size(); ++i) ratios.push_back(numerator[i] / denominator[i]);
  return median(std::move(ratios));
}

double median_ms(int repeats, const std::function<void()>& work) {
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    work();
    times.push_back(elapsed_ms(start));
  }
  return median(std::move(times));
}

Samples interleave(const std::vector<std::function<void()>>& variants, int rounds, int inner,
                   const std::function<void(std::size_t)>& before) {
  if (inner < 1) throw std::logic_error("interleave: inner must be >= 1");
  Samples samples(variants.size());
  for (auto& s : samples) s.reserve(static_cast<std::size_t>(std::max(rounds, 0)));
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t v = 0; v < variants.size(); ++v) {
      double total = 0.0;
      for (int k = 0; k < inner; ++k) {
        // `before` runs outside the clock, between calls.
        if (before) before(v);
        const auto start = std::chrono::steady_clock::now();
        variants[v]();
        total += elapsed_ms(start);
      }
      samples[v].push_back(total / inner);
    }
  }
  return samples;
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  if (!(in >> one >> five >> fifteen)) return "unknown";
  return one + " " + five + " " + fifteen;
}

Progress::Progress(std::string program, double delay_s, double every_s)
    : program_(std::move(program)),
      delay_s_(delay_s),
      every_s_(every_s),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void Progress::update(const std::string& what) {
  const auto now = std::chrono::steady_clock::now();
  const double since_start = std::chrono::duration<double>(now - start_).count();
  const double since_last = std::chrono::duration<double>(now - last_).count();
  if (since_start < delay_s_ || (printed_ && since_last < every_s_)) return;
  std::fprintf(stderr, "%s: %s, %.0f s\n", program_.c_str(), what.c_str(), since_start);
  std::fflush(stderr);
  printed_ = true;
  last_ = now;
}

void Progress::finish() {
  if (!printed_) return;
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::fprintf(stderr, "%s: done in %.1f s\n", program_.c_str(), total);
  std::fflush(stderr);
}

}  // namespace veil::bench
