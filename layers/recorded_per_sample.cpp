#include "veil/layers/recorded_per_sample.h"

#include "veil/autograd/node.h"
#include "veil/core/error.h"

namespace veil {

void RecordedPerSample::require_record(const std::string& layer) const {
  VEIL_CHECK(record_) << layer << ": no per-sample gradients recorded (per-sample mode off, or no backward)";
}

void RecordedPerSample::keep_record(std::shared_ptr<PerSampleRecord> record, const std::string& layer) {
  record->backward_pass = autograd::current_backward_pass();
  if (!record_) {
    record_ = std::move(record);
    return;
  }
  check_same_backward_pass(record_->backward_pass, record->backward_pass, layer);
  VEIL_CHECK(record->batch == record_->batch)
      << layer << " recorded batches of " << record_->batch << " and " << record->batch
      << " examples before its per-sample gradients were consumed; calls of one layer within one step must see "
      << "the same examples (clip and step between batches)";
  record_->append_call(*record);
}

}  // namespace veil
