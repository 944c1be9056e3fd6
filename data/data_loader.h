#pragma once
// Loaders: which examples form each step's batch, and a background thread
// that gathers the next batch (and sends it to the GPU) while the current one
// trains.
//
// DataLoader is the plain, non-private loader (fixed batch size, optional
// shuffling, optional drop-last). DPDataLoader turns one into the Poisson
// loader DP-SGD's accounting assumes: each example is included in each step
// independently with probability q = 1/len(loader) (as Opacus), so batch sizes
// vary and may be 0; an epoch is len(loader) steps (data::poisson_schedule,
// the rule dp_accountant uses too).
#include <functional>
#include <memory>

#include "veil/data/tensor_dataset.h"
#include "veil/data/poisson_sampler.h"
#include "veil/data/shuffle_sampler.h"

namespace veil::data {

// Receives the step's index within the epoch and its batch.
using BatchFn = std::function<void(std::int64_t step, const Batch& batch)>;

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual std::int64_t steps_per_epoch() const = 0;
  // The indices of global step `step` (epoch * steps_per_epoch() + step in epoch).
  virtual std::vector<std::int64_t> indices(std::int64_t global_step) = 0;
  virtual const TensorDataset& dataset() const = 0;
  virtual std::string describe() const = 0;

  // Runs fn over the steps [first_step, end_step) of the global step count,
  // gathering step k+1 on a background thread while fn runs step k. With a
  // GPU `device` that thread also queues the batch's copy to it (inputs and
  // targets; Note [Pinned staging] in core/cuda/host_staging.h), so fn gets
  // tensors on the device and the GPU never waits for the loader.
  void for_each_batch(std::int64_t first_step, std::int64_t end_step, const BatchFn& fn,
                      Device device = Device::cpu());
};

class DataLoader : public BatchSource {
 public:
  DataLoader(std::shared_ptr<const TensorDataset> dataset, std::int64_t batch_size, bool shuffle, bool drop_last,
             std::uint64_t seed);
  std::int64_t steps_per_epoch() const override;
  std::vector<std::int64_t> indices(std::int64_t global_step) override;
  const TensorDataset& dataset() const override { return *dataset_; }
  std::string describe() const override;
  std::int64_t batch_size() const { return batch_size_; }
  bool drop_last() const { return drop_last_; }
  std::shared_ptr<const TensorDataset> dataset_ptr() const { return dataset_; }

 private:
  std::shared_ptr<const TensorDataset> dataset_;
  std::int64_t batch_size_;
  bool shuffle_, drop_last_;
  ShuffleSampler sampler_;
};

class DPDataLoader : public BatchSource {
 public:
  // Poisson loader on poisson_schedule(N, loader's batch size, drop_last).
  DPDataLoader(const DataLoader& loader, std::uint64_t seed, int rank = 0, int world_size = 1);
  // Poisson loader with an explicit rate.
  DPDataLoader(std::shared_ptr<const TensorDataset> dataset, double sample_rate, std::uint64_t seed, int rank = 0,
               int world_size = 1);
  // As the first constructor, but sampling in secure mode
  // (PoissonSampler::make_secure): keyed from the OS, not reproducible.
  static DPDataLoader make_secure(const DataLoader& loader, int rank = 0, int world_size = 1);
  std::int64_t steps_per_epoch() const override { return steps_per_epoch_; }
  std::vector<std::int64_t> indices(std::int64_t global_step) override;
  const TensorDataset& dataset() const override { return *dataset_; }
  std::string describe() const override;
  double sample_rate() const { return sampler_.sample_rate(); }
  double expected_batch_size() const { return sampler_.expected_batch_size(); }

 private:
  DPDataLoader(std::shared_ptr<const TensorDataset> dataset, PoissonSampler sampler);

  std::shared_ptr<const TensorDataset> dataset_;
  PoissonSampler sampler_;
  std::int64_t steps_per_epoch_;
};

}  // namespace veil::data
