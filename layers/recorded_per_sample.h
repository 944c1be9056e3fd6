#pragma once
// RecordedPerSample: the bookkeeping shared by parametric layers whose
// backward records factors for the per-sample rule (Linear, Conv2d,
// Embedding). It holds the record of the last backward pass and answers the
// PerSampleLayer queries that only read it; the layer implements the rule.
// Each layer's record type derives from PerSampleRecord.
#include <memory>
#include <string>

#include "veil/layers/per_sample.h"

namespace veil {

struct PerSampleRecord {
  virtual ~PerSampleRecord() = default;
  // Folds the record of another call of the same layer in the same forward
  // pass (same batch, same record type) into this one, choosing the route
  // again for the combined shapes (Note [Shared parameters and repeated layers]).
  virtual void append_call(const PerSampleRecord& other) = 0;

  std::int64_t batch = 0;
  GradSampleMode route = GradSampleMode::Off;
  std::uint64_t backward_pass = 0;  // autograd::current_backward_pass() when recorded
};

class RecordedPerSample : public PerSampleLayer {
 public:
  bool has_per_sample() const override { return record_ != nullptr; }
  std::int64_t per_sample_batch_size() const override { return record_ ? record_->batch : 0; }
  GradSampleMode route_taken() const override { return record_ ? record_->route : GradSampleMode::Off; }
  void clear_per_sample() override { record_ = nullptr; }

 protected:
  // The record of the last backward, as the layer's own type; throws naming
  // `layer` when there is none.
  template <typename Record>
  Record& record(const std::string& layer) const {
    require_record(layer);
    return static_cast<Record&>(*record_);
  }
  // Keeps the record of a backward call. A second call in the same backward
  // pass (a layer used twice in one forward) is appended to the first; one
  // from another backward pass before the records are consumed is refused.
  void keep_record(std::shared_ptr<PerSampleRecord> record, const std::string& layer);

 private:
  void require_record(const std::string& layer) const;

  std::shared_ptr<PerSampleRecord> record_;
};

}  // namespace veil
