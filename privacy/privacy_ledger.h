#pragma once
// PrivacyLedger: the ordered history of DP-SGD steps, each a run of the
// Poisson-subsampled Gaussian mechanism with sample rate q and noise
// multiplier sigma (noise standard deviation / clipping norm). Accountants
// turn it into (epsilon, delta); checkpoints store it so that a resumed run
// never reports less privacy spent than it has spent.
//
// Consecutive records with exactly equal (q, sigma) merge into one entry, so a
// run with a fixed schedule keeps a single entry however long it trains.
//
// Text format (to_string / from_string), one record per line, '\n' endings:
//
//   veil-privacy-ledger 1
//   entries 2
//   0.0033333333333333335 1 3000
//   0.01 1.5 100
//
// Line 1 is the format name and version, line 2 the number of entry lines
// that follow (so a truncated text is detected), then one line per entry:
// sample_rate noise_multiplier steps, separated by single spaces. Doubles are
// written in the shortest form that reads back to the same bits, so a round
// trip is exact. The parser accepts exactly this layout (a final newline is
// optional) and reports the line number of anything else.
#include <cstdint>
#include <string>
#include <vector>

namespace veil::privacy {

class Accountant;

struct LedgerEntry {
  double sample_rate;       // q in [0, 1]
  double noise_multiplier;  // sigma >= 0, finite; 0 is a step without noise
  std::int64_t steps;       // >= 1

  bool operator==(const LedgerEntry&) const = default;
};

class PrivacyLedger {
 public:
  // Appends `steps` steps at (sample_rate, noise_multiplier), merging into the
  // last entry when both values are equal. steps == 0 records nothing.
  // Every step is recorded, a noiseless one (sigma 0) too: it makes epsilon
  // infinite from then on (see has_noiseless_step).
  // Throws veil::Error for q outside [0, 1], sigma negative or not finite,
  // negative steps, or a total step count that would overflow.
  void record(double sample_rate, double noise_multiplier, std::int64_t steps = 1);

  const std::vector<LedgerEntry>& entries() const { return entries_; }
  std::int64_t total_steps() const { return total_steps_; }
  bool empty() const { return entries_.empty(); }
  // True when some step ran without noise (sigma 0) on a non-empty sample
  // (q > 0): no accountant can then give a finite epsilon.
  bool has_noiseless_step() const;

  std::string to_string() const;
  // Throws veil::Error naming the line for malformed or out-of-range text.
  static PrivacyLedger from_string(const std::string& text);

  bool operator==(const PrivacyLedger& other) const { return entries_ == other.entries_; }

 private:
  std::vector<LedgerEntry> entries_;
  std::int64_t total_steps_ = 0;
};

// Feeds every entry of `ledger`, in order, to accountant.step().
void replay(const PrivacyLedger& ledger, Accountant& accountant);

}  // namespace veil::privacy
