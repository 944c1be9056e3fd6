#pragma once
// Timing helpers shared by veil's benchmarks (bench_*).
//
// Benchmarks here run on small, shared machines where other processes come
// and go. Two rules keep their figures honest:
//  - report medians, never means or minima;
//  - compare variants measured in the same process, interleaved
//    (A B C A B C ...), and report the median of per-round ratios, so load
//    drift hits every variant alike.
//
//   std::vector<std::function<void()>> variants = {plain, dp};
//   const veil::bench::Samples s = veil::bench::interleave(variants, 21, 4);
//   double ms = veil::bench::median(s[1]);             // per call, ms
//   double ratio = veil::bench::median_ratio(s[1], s[0]);
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace veil::bench {

// Milliseconds since `start`.
double elapsed_ms(std::chrono::steady_clock::time_point start);

// The median (mean of the two middle values for an even count); NaN when
// empty.
double median(std::vector<double> values);

// Median over i of numerator[i] / denominator[i]: the ratio of two variants
// taken round by round. Both vectors have the same length.
double median_ratio(const std::vector<double>& numerator, const std::vector<double>& denominator);

// Median wall time of `work` in milliseconds over `repeats` runs.
double median_ms(int repeats, const std::function<void()>& work);

// Samples[v][r]: variant v's time in round r, in milliseconds per call.
using Samples = std::vector<std::vector<double>>;

// Runs `rounds` rounds; each round times every variant once, in order, as
// `inner` back-to-back calls (so that short calls are measured over at least
// a millisecond or so), and records the time per call. `before` (optional) is
// called untimed before each variant's calls, e.g. to reset gradients; it
// gets the variant index.
Samples interleave(const std::vector<std::function<void()>>& variants, int rounds, int inner = 1,
                   const std::function<void(std::size_t)>& before = {});

// The 1-, 5- and 15-minute load averages ("1.52 1.10 0.98") from
// /proc/loadavg, or "unknown": benchmarks print it, since figures taken on a
// busy machine read differently.
std::string load_average();

// Progress lines on stderr for runs that take a while: silent for the first
// `delay_s` seconds, then at most one line every `every_s` seconds, e.g.
// "bench_train: round 4/10, 12 s". finish() ends with a line naming the
// total time if anything was printed.
class Progress {
 public:
  explicit Progress(std::string program, double delay_s = 3.0, double every_s = 5.0);
  void update(const std::string& what);
  void finish();

 private:
  std::string program_;
  double delay_s_, every_s_;
  std::chrono::steady_clock::time_point start_, last_;
  bool printed_ = false;
};

}  // namespace veil::bench
