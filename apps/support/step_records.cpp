#include "support/step_records.h"

#include <cmath>

#include "veil/autograd/grad_mode.h"
#include "veil/autograd/ops.h"
#include "veil/core/error.h"

namespace veil::cli {

namespace {
enum Column : std::int64_t { Loss, Correct, NonFinite, Columns };
}  // namespace

Tensor count_correct(const Tensor& logits, const Tensor& targets) {
  NoGradGuard no_grad;
  // The sum kernels take floating types: 0/1 flags are exact in float64.
  return sum(eq(argmax(logits.detach(), 1), targets).to(DType::Float64));
}

StepRecords::StepRecords(std::int64_t capacity, Device device, bool dp)
    : capacity_(capacity), dp_(dp), values_(Tensor::zeros({capacity, Columns}, DType::Float64, device)) {
  VEIL_ASSERT(capacity > 0) << "StepRecords needs room for a step, got capacity " << capacity;
}

void StepRecords::record(std::int64_t step, std::int64_t batch_size, const Tensor& loss, const Tensor& logits,
                         const Tensor& targets, const Tensor& non_finite) {
  VEIL_ASSERT(!full()) << "StepRecords: " << capacity_ << " steps recorded and none read";
  NoGradGuard no_grad;
  const std::int64_t row = static_cast<std::int64_t>(steps_.size());
  const auto cell = [&](Column column) { return values_.slice(0, row, row + 1).slice(1, column, column + 1); };
  cell(Loss).copy_(loss.detach());
  cell(Correct).copy_(count_correct(logits, targets));
  if (dp_ && batch_size > 0) cell(NonFinite).copy_(sum(non_finite));
  else cell(NonFinite).fill_(0.0);
  steps_.push_back(step);
  batch_sizes_.push_back(batch_size);
}

Divergence StepRecords::read(TrainTally& tally) {
  const std::int64_t rows = static_cast<std::int64_t>(steps_.size());
  Divergence first;
  if (rows == 0) return first;
  const std::vector<double> values = values_.slice(0, 0, rows).to(Device::cpu()).to_vector<double>();
  for (std::int64_t i = 0; i < rows; ++i) {
    const double loss = values[i * Columns + Loss];
    const std::int64_t examples = batch_sizes_[i], non_finite = std::llround(values[i * Columns + NonFinite]);
    tally.seen += examples;
    tally.correct += std::llround(values[i * Columns + Correct]);
    tally.non_finite += non_finite;
    // An empty batch's loss means nothing; one holding a dropped example is NaN.
    if (examples > 0 && std::isfinite(loss)) {
      tally.loss_sum += loss * static_cast<double>(examples);
      tally.loss_examples += examples;
    }
    const bool diverged = examples > 0 && (dp_ ? non_finite == examples : !std::isfinite(loss));
    if (diverged && first.step < 0) first = {steps_[i], loss};
  }
  steps_.clear();
  batch_sizes_.clear();
  return first;
}

}  // namespace veil::cli
