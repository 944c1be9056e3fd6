#include "veil/layers/recorded_per_sample.h"

#include "veil/core/error.h"

namespace veil {

void RecordedPerSample::require_record(const std::string& layer) const {
  VEIL_CHECK(record_) << layer << ": no per-sample gradients recorded (per-sample mode off, or no backward)";
}

void RecordedPerSample::keep_record(std::shared_ptr<PerSampleRecord> record, const std::string& layer) {
  VEIL_CHECK(!record_) << layer << " ran backward twice before its per-sample gradients were consumed; "
                       << "a layer used twice in one step is not supported under DP";
  record_ = std::move(record);
}

}  // namespace veil
