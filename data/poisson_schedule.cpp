#include "veil/data/poisson_schedule.h"

#include <cmath>

#include "veil/core/error.h"

namespace veil::data {

std::int64_t PoissonSchedule::steps(double epochs) const {
  VEIL_CHECK(epochs >= 0 && std::isfinite(epochs)) << "epochs must be finite and >= 0, got " << epochs;
  const double steps = std::ceil(epochs * static_cast<double>(steps_per_epoch));
  VEIL_CHECK(steps < 9.2e18) << epochs << " epochs of " << steps_per_epoch << " steps overflow the step count";
  return static_cast<std::int64_t>(steps);
}

PoissonSchedule poisson_schedule(std::int64_t dataset_size, std::int64_t batch_size, bool drop_last) {
  VEIL_CHECK(dataset_size >= 1) << "dataset size must be >= 1, got " << dataset_size;
  VEIL_CHECK(batch_size >= 1) << "batch size must be >= 1, got " << batch_size;
  VEIL_CHECK(!drop_last || batch_size <= dataset_size)
      << "with drop_last, batch size " << batch_size << " leaves no full batch of " << dataset_size << " examples";
  const std::int64_t steps = dataset_size / batch_size + (!drop_last && dataset_size % batch_size != 0);
  return {1.0 / static_cast<double>(steps), steps};
}

}  // namespace veil::data
