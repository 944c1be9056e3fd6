#pragma once
// The Poisson schedule of an epoch-based DP-SGD run: one rule, used by the
// trainer (DPDataLoader, PrivacyEngine) and by dp_accountant, so that the
// epsilon a tool predicts is the epsilon the trainer spends.
//
// With N examples and batch size B an epoch is len(loader) = ceil(N / B)
// steps (floor with drop_last) at sample rate q = 1 / len(loader), as Opacus
// does; the expected batch q N is then B, or a little less when B does not
// divide N.
#include <cstdint>

namespace veil::data {

struct PoissonSchedule {
  double sample_rate;           // q = 1 / steps_per_epoch
  std::int64_t steps_per_epoch;  // len(loader)

  // Steps of `epochs` epochs, rounded up (epochs may be fractional, >= 0):
  // ceil(epochs * steps_per_epoch). Throws veil::Error for negative or
  // non-finite epochs, or a count beyond int64.
  std::int64_t steps(double epochs) const;
};

// Throws veil::Error unless dataset_size >= 1 and batch_size >= 1, and, with
// drop_last, batch_size <= dataset_size (else no full batch exists).
PoissonSchedule poisson_schedule(std::int64_t dataset_size, std::int64_t batch_size, bool drop_last = false);

}  // namespace veil::data

// The accountant's tools spelled these privacy::PoissonSchedule before the
// samplers moved to data/; the old names stay valid.
namespace veil::privacy {
using data::poisson_schedule;
using data::PoissonSchedule;
}  // namespace veil::privacy
