#include "veil/data/data_loader.h"

#include <algorithm>
#include <cmath>
#include <future>
#include <numeric>
#include <sstream>

#include "veil/core/error.h"
#include "veil/data/poisson_schedule.h"

namespace veil::data {

// Note [Batches on the GPU]
// A GPU run gets its batches through pinned staging rather than from a copy of
// the data set kept on the GPU. Both keep the GPU fed: a batch of MNIST is
// 0.6 MB of floats, a few tens of microseconds over PCIe, queued from this
// background thread while the GPU runs the previous step. The resident copy
// would move less (only the indices) but needs the same asynchronous upload
// for them plus gather and decode kernels on the device; staging reuses the
// CPU's gather and decode (the tested reference) and works for any data set
// that fits in host memory, whatever the GPU's.
void BatchSource::for_each_batch(std::int64_t first_step, std::int64_t end_step, const BatchFn& fn, Device device) {
  if (first_step >= end_step) return;
  auto fetch = [this, device](std::int64_t step) {
    Batch batch = dataset().gather(indices(step));
    if (device.is_cuda()) batch = Batch{batch.inputs.to(device), batch.targets.to(device)};
    return batch;
  };
  std::future<Batch> next = std::async(std::launch::async, fetch, first_step);
  for (std::int64_t step = first_step; step < end_step; ++step) {
    Batch batch = next.get();
    if (step + 1 < end_step) next = std::async(std::launch::async, fetch, step + 1);
    fn(step, batch);
  }
}

DataLoader::DataLoader(std::shared_ptr<const TensorDataset> dataset, std::int64_t batch_size, bool shuffle,
                       bool drop_last, std::uint64_t seed)
    : dataset_(std::move(dataset)),
      batch_size_(batch_size),
      shuffle_(shuffle),
      drop_last_(drop_last),
      sampler_(dataset_->size(), std::max<std::int64_t>(batch_size, 1), seed) {
  VEIL_CHECK(batch_size > 0) << "batch size must be positive, got " << batch_size;
  VEIL_CHECK(steps_per_epoch() > 0) << "the data set (" << dataset_->size() << " examples) holds no full batch of "
                                    << batch_size;
}

std::int64_t DataLoader::steps_per_epoch() const {
  const std::int64_t n = dataset_->size();
  return n / batch_size_ + (!drop_last_ && n % batch_size_ != 0);  // n + batch_size_ - 1 could overflow
}

std::vector<std::int64_t> DataLoader::indices(std::int64_t global_step) {
  const std::int64_t epoch = global_step / steps_per_epoch(), step = global_step % steps_per_epoch();
  if (shuffle_) return sampler_.sample(static_cast<std::uint64_t>(epoch * sampler_.steps_per_epoch() + step));
  std::vector<std::int64_t> out(std::min(batch_size_, dataset_->size() - step * batch_size_));
  std::iota(out.begin(), out.end(), step * batch_size_);
  return out;
}

std::string DataLoader::describe() const {
  std::ostringstream os;
  os << "DataLoader(examples=" << dataset_->size() << ", batch_size=" << batch_size_ << ", batches=" << steps_per_epoch()
     << (shuffle_ ? ", shuffle" : "") << (drop_last_ ? ", drop_last" : "") << ")";
  return os.str();
}

namespace {

double sample_rate_of(const DataLoader& loader) {
  return data::poisson_schedule(loader.dataset().size(), loader.batch_size(), loader.drop_last()).sample_rate;
}

}  // namespace

DPDataLoader::DPDataLoader(const DataLoader& loader, std::uint64_t seed, int rank, int world_size)
    : DPDataLoader(loader.dataset_ptr(), sample_rate_of(loader), seed, rank, world_size) {}

DPDataLoader::DPDataLoader(std::shared_ptr<const TensorDataset> dataset, double sample_rate, std::uint64_t seed,
                           int rank, int world_size)
    : DPDataLoader(dataset, PoissonSampler(dataset->size(), sample_rate, seed, rank, world_size)) {}

DPDataLoader DPDataLoader::make_secure(const DataLoader& loader, int rank, int world_size) {
  return DPDataLoader(loader.dataset_ptr(),
                      PoissonSampler::make_secure(loader.dataset().size(), sample_rate_of(loader), rank, world_size));
}

DPDataLoader::DPDataLoader(std::shared_ptr<const TensorDataset> dataset, PoissonSampler sampler)
    : dataset_(std::move(dataset)),
      sampler_(std::move(sampler)),
      steps_per_epoch_(static_cast<std::int64_t>(std::llround(1.0 / sampler_.sample_rate()))) {}

std::vector<std::int64_t> DPDataLoader::indices(std::int64_t global_step) {
  return sampler_.sample(static_cast<std::uint64_t>(global_step));
}

std::string DPDataLoader::describe() const {
  std::ostringstream os;
  os << "DPDataLoader(Poisson sampling, examples=" << dataset_->size() << ", sample_rate=" << sampler_.sample_rate()
     << ", expected_batch_size=" << sampler_.expected_batch_size() << ", steps_per_epoch=" << steps_per_epoch_
     << (sampler_.is_secure() ? ", secure: ChaCha20 keyed from the OS" : "") << ")";
  return os.str();
}

}  // namespace veil::data
