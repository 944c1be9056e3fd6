// DataLoader (sizes, drop-last, shuffling), DPDataLoader (Poisson rate
// 1/len(loader), batch size statistics, determinism, empty batches),
// TensorDataset::gather and the ToTensor / Normalize transforms.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <numeric>
#include <set>
#include <vector>

#include "support/test_data.h"
#include "veil/core/compare.h"
#include "veil/autograd/ops.h"
#include "veil/data/data_loader.h"
#include "veil/data/tensor_dataset.h"

using namespace veil;
using veil::data::Batch;
using veil::data::DataLoader;
using veil::data::DPDataLoader;
using veil::data::TensorDataset;

namespace {

// Row i of the inputs is [i, 10 i] (float), its target is 100 + i: every
// gathered row says where it came from.
std::shared_ptr<TensorDataset> indexed_dataset(std::int64_t n) {
  std::vector<float> inputs;
  std::vector<std::int64_t> targets;
  for (std::int64_t i = 0; i < n; ++i) {
    inputs.push_back(static_cast<float>(i));
    inputs.push_back(static_cast<float>(10 * i));
    targets.push_back(100 + i);
  }
  return std::make_shared<TensorDataset>(Tensor::from_vector(inputs, {n, 2}), Tensor::from_vector(targets, {n}));
}

std::vector<std::int64_t> iota_vector(std::int64_t first, std::int64_t count) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(count));
  std::iota(v.begin(), v.end(), first);
  return v;
}

void require_batch_matches(const Batch& batch, const std::vector<std::int64_t>& indices) {
  REQUIRE(batch.size() == static_cast<std::int64_t>(indices.size()));
  REQUIRE(batch.inputs.shape() == Shape{static_cast<std::int64_t>(indices.size()), 2});
  REQUIRE(batch.targets.shape() == Shape{static_cast<std::int64_t>(indices.size())});
  const auto in = batch.inputs.to_vector<float>();
  const auto t = batch.targets.to_vector<std::int64_t>();
  for (std::size_t k = 0; k < indices.size(); ++k) {
    REQUIRE(in[2 * k] == static_cast<float>(indices[k]));
    REQUIRE(in[2 * k + 1] == static_cast<float>(10 * indices[k]));
    REQUIRE(t[k] == 100 + indices[k]);
  }
}

}  // namespace

TEST_CASE("DataLoader sizes with and without drop_last", "[data][loader]") {
  auto ds = indexed_dataset(23);
  DataLoader keep(ds, 5, false, false, 0);
  REQUIRE(keep.steps_per_epoch() == 5);
  REQUIRE(keep.batch_size() == 5);
  for (std::int64_t s = 0; s < 4; ++s) REQUIRE(keep.indices(s) == iota_vector(5 * s, 5));
  REQUIRE(keep.indices(4) == iota_vector(20, 3));  // the partial last batch
  // The next epoch starts again at 0 (global step 5 = epoch 1, step 0).
  REQUIRE(keep.indices(5) == iota_vector(0, 5));
  REQUIRE(keep.indices(9) == iota_vector(20, 3));

  DataLoader drop(ds, 5, false, true, 0);
  REQUIRE(drop.steps_per_epoch() == 4);
  REQUIRE(drop.indices(3) == iota_vector(15, 5));
  REQUIRE(drop.indices(4) == iota_vector(0, 5));  // examples 20..22 are dropped

  // A batch size dividing N: drop_last changes nothing.
  REQUIRE(DataLoader(ds, 23, false, true, 0).steps_per_epoch() == 1);
  REQUIRE(DataLoader(ds, 23, false, false, 0).steps_per_epoch() == 1);
  REQUIRE(DataLoader(ds, 1, false, false, 0).steps_per_epoch() == 23);
  // A batch larger than the data set: one partial batch, or nothing to drop to.
  DataLoader big(ds, 50, false, false, 0);
  REQUIRE(big.steps_per_epoch() == 1);
  REQUIRE(big.indices(0) == iota_vector(0, 23));
  REQUIRE_THROWS_WITH(DataLoader(ds, 50, false, true, 0), Catch::Contains("no full batch"));
  REQUIRE_THROWS_WITH(DataLoader(ds, 0, false, false, 0), Catch::Contains("batch size must be positive"));
  REQUIRE_THROWS_AS(DataLoader(ds, -3, true, false, 0), Error);

  // for_each_batch hands over exactly gather(indices(step)), across epochs.
  std::vector<std::int64_t> steps;
  keep.for_each_batch(3, 8, [&](std::int64_t step, const Batch& batch) {
    steps.push_back(step);
    require_batch_matches(batch, keep.indices(step));
  });
  REQUIRE(steps == std::vector<std::int64_t>{3, 4, 5, 6, 7});
  std::int64_t calls = 0;
  keep.for_each_batch(4, 4, [&](std::int64_t, const Batch&) { ++calls; });
  REQUIRE(calls == 0);
}

TEST_CASE("DataLoader counts steps for the largest batch size without overflow", "[data][loader]") {
  DataLoader huge(indexed_dataset(23), INT64_MAX, false, false, 0);
  REQUIRE(huge.steps_per_epoch() == 1);
  REQUIRE(huge.indices(0) == iota_vector(0, 23));
}

TEST_CASE("Shuffling: every index once per epoch, reshuffled per epoch, determined by the seed", "[data][loader]") {
  const std::int64_t n = 103, b = 10;
  auto ds = indexed_dataset(n);
  for (bool drop_last : {false, true}) {
    INFO("drop_last " << drop_last);
    DataLoader a(ds, b, true, drop_last, 42), same(ds, b, true, drop_last, 42), other(ds, b, true, drop_last, 43);
    const std::int64_t steps = a.steps_per_epoch();
    REQUIRE(steps == (drop_last ? 10 : 11));
    std::vector<std::vector<std::int64_t>> orders;
    for (std::int64_t epoch = 0; epoch < 3; ++epoch) {
      std::vector<std::int64_t> order;
      for (std::int64_t s = 0; s < steps; ++s) {
        const auto idx = a.indices(epoch * steps + s);
        REQUIRE(idx.size() == static_cast<std::size_t>(s == 10 ? n - 10 * b : b));
        order.insert(order.end(), idx.begin(), idx.end());
        REQUIRE(same.indices(epoch * steps + s) == idx);  // same seed, same batches
      }
      // No index twice; without drop_last every index exactly once.
      std::set<std::int64_t> distinct(order.begin(), order.end());
      REQUIRE(distinct.size() == order.size());
      REQUIRE(order.size() == static_cast<std::size_t>(drop_last ? 100 : n));
      REQUIRE(*distinct.begin() >= 0);
      REQUIRE(*distinct.rbegin() < n);
      REQUIRE(order != iota_vector(0, static_cast<std::int64_t>(order.size())));  // shuffled
      orders.push_back(order);
    }
    REQUIRE(orders[0] != orders[1]);  // a fresh order each epoch
    REQUIRE(orders[1] != orders[2]);
    // Another seed, another order.
    std::vector<std::int64_t> first_other;
    for (std::int64_t s = 0; s < steps; ++s) {
      const auto idx = other.indices(s);
      first_other.insert(first_other.end(), idx.begin(), idx.end());
    }
    REQUIRE(first_other != orders[0]);
    // Steps asked out of order give the same batches (a resumed run).
    DataLoader resumed(ds, b, true, drop_last, 42);
    REQUIRE(resumed.indices(2 * steps + 3) == a.indices(2 * steps + 3));
    REQUIRE(resumed.indices(3) == a.indices(3));
  }
}

TEST_CASE("DPDataLoader: rate 1/len(loader), Poisson batch sizes, determinism", "[data][loader][poisson]") {
  const std::int64_t n = 1000;
  auto ds = indexed_dataset(n);
  DataLoader plain(ds, 50, true, false, 0);
  DPDataLoader dp(plain, 7);
  REQUIRE(dp.sample_rate() == Approx(1.0 / 20));
  REQUIRE(dp.expected_batch_size() == Approx(50.0));
  REQUIRE(dp.steps_per_epoch() == 20);
  // len(loader) counts the partial batch: 1010 examples in batches of 50 are
  // 21 batches, so q = 1/21.
  DPDataLoader partial(DataLoader(indexed_dataset(1010), 50, false, false, 0), 7);
  REQUIRE(partial.sample_rate() == Approx(1.0 / 21));
  REQUIRE(partial.steps_per_epoch() == 21);
  REQUIRE(DPDataLoader(DataLoader(indexed_dataset(1010), 50, false, true, 0), 7).sample_rate() == Approx(1.0 / 20));

  const std::int64_t steps = 400;
  const double q = 1.0 / 20;
  std::vector<double> sizes;
  std::vector<std::int64_t> hits(n, 0);
  DPDataLoader again(plain, 7), other(plain, 8);
  std::int64_t differ = 0;
  for (std::int64_t s = 0; s < steps; ++s) {
    const auto idx = dp.indices(s);
    REQUIRE(std::is_sorted(idx.begin(), idx.end()));
    REQUIRE(std::adjacent_find(idx.begin(), idx.end()) == idx.end());
    if (!idx.empty()) {
      REQUIRE(idx.front() >= 0);
      REQUIRE(idx.back() < n);
    }
    for (std::int64_t i : idx) ++hits[i];
    sizes.push_back(static_cast<double>(idx.size()));
    REQUIRE(again.indices(s) == idx);  // same seed, same batches
    differ += other.indices(s) != idx;
  }
  REQUIRE(differ == steps);  // another seed, other batches
  // Batch size ~ Binomial(1000, 1/20): mean 50, variance 47.5. The mean of 400
  // has sd 0.34; the sample variance has sd about 47.5 * sqrt(2/399) = 3.4.
  double mean = 0, var = 0;
  for (double s : sizes) mean += s;
  mean /= steps;
  for (double s : sizes) var += (s - mean) * (s - mean);
  var /= steps - 1;
  INFO("mean batch " << mean << ", variance " << var);
  REQUIRE(std::fabs(mean - n * q) < 5 * std::sqrt(n * q * (1 - q) / steps));
  REQUIRE(std::fabs(var - n * q * (1 - q)) < 5 * 3.4);
  // Not a fixed-size batch: sizes vary.
  REQUIRE(*std::max_element(sizes.begin(), sizes.end()) > *std::min_element(sizes.begin(), sizes.end()) + 10);
  // Each example's inclusion count ~ Binomial(400, 1/20): mean 20; the
  // average over examples is the batch mean / N * steps.
  const double mean_hits = std::accumulate(hits.begin(), hits.end(), 0.0) / n;
  REQUIRE(mean_hits == Approx(mean * steps / n));
  const auto max_hits = *std::max_element(hits.begin(), hits.end());
  REQUIRE(max_hits < 20 + 6 * std::sqrt(400 * q * (1 - q)));
  REQUIRE(*std::min_element(hits.begin(), hits.end()) > 0);
  REQUIRE(dp.describe().find("Poisson") != std::string::npos);
}

TEST_CASE("DPDataLoader: empty batches flow through for_each_batch", "[data][loader][poisson]") {
  auto ds = indexed_dataset(10);
  // q = 0.05: P(empty) = 0.95^10 = 0.60.
  DPDataLoader dp(ds, 0.05, 3);
  REQUIRE(dp.steps_per_epoch() == 20);
  REQUIRE(dp.expected_batch_size() == Approx(0.5));
  std::int64_t empty = 0, nonempty = 0, calls = 0;
  dp.for_each_batch(0, 100, [&](std::int64_t step, const Batch& batch) {
    REQUIRE(step == calls++);
    const auto idx = dp.indices(step);
    require_batch_matches(batch, idx);
    if (batch.size() == 0) {
      ++empty;
      REQUIRE(batch.inputs.defined());
      REQUIRE(batch.inputs.shape() == Shape{0, 2});
      REQUIRE(batch.targets.shape() == Shape{0});
      REQUIRE(batch.targets.dtype() == DType::Int64);
    } else {
      ++nonempty;
    }
  });
  REQUIRE(calls == 100);
  // Binomial(100, 0.6): 60 +- 4.9.
  REQUIRE(empty > 35);
  REQUIRE(empty < 85);
  REQUIRE(nonempty > 0);
  // q = 1 takes everything; an empty data set gives empty batches.
  REQUIRE(DPDataLoader(ds, 1.0, 0).indices(5) == iota_vector(0, 10));
  DPDataLoader nothing(indexed_dataset(0), 0.5, 0);
  nothing.for_each_batch(0, 3, [&](std::int64_t, const Batch& batch) { REQUIRE(batch.size() == 0); });
  REQUIRE(nothing.indices(1).empty());
  REQUIRE_THROWS_AS(DPDataLoader(ds, 0.0, 0), Error);
  REQUIRE_THROWS_AS(DPDataLoader(ds, 1.5, 0), Error);
}

TEST_CASE("TensorDataset: gather copies rows and rejects bad indices", "[data][dataset]") {
  auto ds = indexed_dataset(5);
  REQUIRE(ds->size() == 5);
  require_batch_matches(ds->gather({4, 0, 4, 2}), {4, 0, 4, 2});  // repeats allowed
  require_batch_matches(ds->gather({}), {});
  REQUIRE_THROWS_WITH(ds->gather({1, 5}), Catch::Contains("index 5 outside the data set of 5 examples"));
  REQUIRE_THROWS_WITH(ds->gather({-1}), Catch::Contains("index -1 outside"));
  // The batch is a copy: writing into it leaves the data set alone.
  Batch b = ds->gather({1});
  b.inputs.data<float>()[0] = -7;
  REQUIRE(ds->inputs().to_vector<float>()[2] == 1.0f);
  // Rows of inputs and targets must agree.
  REQUIRE_THROWS_WITH(TensorDataset(Tensor::zeros({4, 2}), Tensor::zeros({3}, DType::Int64)),
                      Catch::Contains("same number of rows"));
  REQUIRE_THROWS_AS(TensorDataset(Tensor::zeros({4, 2}), Tensor::zeros({4, 1}, DType::Int64)), Error);
  // Multi-dimensional rows (images) are gathered whole.
  TensorDataset images(Tensor::uniform({3, 1, 2, 2}, 0, 1, 5), Tensor::from_vector<std::int64_t>({7, 8, 9}, {3}));
  const Batch ib = images.gather({2, 0});
  REQUIRE(ib.inputs.shape() == Shape{2, 1, 2, 2});
  REQUIRE(max_abs_diff(ib.inputs.slice(0, 0, 1), images.inputs().slice(0, 2, 3)) == 0.0);
  REQUIRE(max_abs_diff(ib.inputs.slice(0, 1, 2), images.inputs().slice(0, 0, 1)) == 0.0);
  REQUIRE(ib.targets.to_vector<std::int64_t>() == std::vector<std::int64_t>{9, 7});
}

TEST_CASE("images_to_tensor and normalize_ give the tutorial's values", "[data][dataset]") {
  data::MnistSplit split;
  split.count = 2;
  split.rows = 2;
  split.cols = 3;
  split.images = {0, 255, 51, 102, 1, 254, 128, 0, 0, 255, 255, 17};
  split.labels = {3, 9};
  const Tensor t = data::images_to_tensor(split);
  REQUIRE(t.shape() == Shape{2, 1, 2, 3});
  REQUIRE(t.dtype() == DType::Float32);
  const auto v = t.to_vector<float>();
  for (std::size_t i = 0; i < v.size(); ++i) REQUIRE(v[i] == Approx(split.images[i] / 255.0).margin(1e-7));
  REQUIRE(v[0] == 0.0f);
  REQUIRE(v[1] == 1.0f);

  Tensor n = t.clone();
  data::normalize_(n, 0.1307, 0.3081);
  const auto nv = n.to_vector<float>();
  for (std::size_t i = 0; i < nv.size(); ++i)
    REQUIRE(nv[i] == Approx((split.images[i] / 255.0 - 0.1307) / 0.3081).margin(1e-5));
  REQUIRE_THROWS_WITH(data::normalize_(n, 0.0, 0.0), Catch::Contains("std must be > 0"));

  const std::vector<std::uint8_t> pixels = split.images;
  const TensorDataset ds = data::make_image_dataset(std::move(split), 0.5, 0.25);
  REQUIRE(ds.size() == 2);
  REQUIRE(ds.targets().dtype() == DType::Int64);
  REQUIRE(ds.targets().to_vector<std::int64_t>() == std::vector<std::int64_t>{3, 9});
  REQUIRE(ds.inputs().dtype() == DType::UInt8);  // kept as bytes
  REQUIRE(ds.inputs().to_vector<std::uint8_t>() == pixels);
  const Batch both = ds.gather({0, 1});
  REQUIRE(both.inputs.dtype() == DType::Float32);
  REQUIRE(both.inputs.shape() == Shape{2, 1, 2, 3});
  const auto dv = both.inputs.to_vector<float>();
  REQUIRE(dv[0] == Approx(-2.0));
  REQUIRE(dv[1] == Approx(2.0));
  REQUIRE(dv[2] == Approx((51 / 255.0 - 0.5) / 0.25).margin(1e-5));
}

// Decoding per gathered batch replaced ToTensor and Normalize of the whole
// set: the floats a batch holds must be those, bit for bit, or training would
// change.
TEST_CASE("an image data set's gathered batches hold exactly the floats of the whole set transformed", "[data][dataset]") {
  data::MnistSplit split;
  split.count = 300;
  split.rows = split.cols = 28;  // every byte value, at many positions within a row and across rows
  for (std::size_t i = 0; i < split.count * 28 * 28; ++i) split.images.push_back(static_cast<std::uint8_t>(i * 7919 % 256));
  split.labels.assign(split.count, 4);
  Tensor whole = data::images_to_tensor(split);
  data::normalize_(whole, 0.1307, 0.3081);
  const TensorDataset ds = data::make_image_dataset(std::move(split), 0.1307, 0.3081);
  std::vector<std::int64_t> indices(300);
  for (std::int64_t k = 0; k < 300; ++k) indices[k] = (k * 113) % 300;  // a permutation
  const Batch batch = ds.gather(indices);
  const auto got = batch.inputs.to_vector<float>(), all = whole.to_vector<float>();
  for (std::size_t k = 0; k < indices.size(); ++k)
    REQUIRE(std::memcmp(&got[k * 784], &all[static_cast<std::size_t>(indices[k]) * 784], 784 * sizeof(float)) == 0);
  REQUIRE_THROWS_WITH(TensorDataset(Tensor::zeros({2, 3}), Tensor::zeros({2}, DType::Int64), data::ByteTable{}),
                      Catch::Contains("uint8"));
}

TEST_CASE("load_image_dataset reads the files into the same data set as make_image_dataset", "[data][dataset]") {
  for (bool gzip : {false, true}) {
    INFO("gzip " << gzip);
    testing::TempDir dir;
    testing::write_mnist_dir(dir.path(), {.train_count = 30, .test_count = 7, .rows = 5, .cols = 6, .gzip = gzip});
    for (data::Split split : {data::Split::Train, data::Split::Test}) {
      data::MnistSplit loaded = data::load_mnist_split(dir.path(), split);
      const std::vector<std::uint8_t> pixels = loaded.images;
      const TensorDataset expected = data::make_image_dataset(std::move(loaded), 0.1307, 0.3081);
      const TensorDataset direct = data::load_image_dataset(dir.path(), split, 0.1307, 0.3081);
      REQUIRE(direct.inputs().shape() == expected.inputs().shape());
      REQUIRE(direct.inputs().to_vector<std::uint8_t>() == pixels);
      REQUIRE(direct.targets().to_vector<std::int64_t>() == expected.targets().to_vector<std::int64_t>());
      std::vector<std::int64_t> all(static_cast<std::size_t>(direct.size()));
      std::iota(all.begin(), all.end(), 0);
      REQUIRE(max_abs_diff(direct.gather(all).inputs, expected.gather(all).inputs) == 0.0);
    }
  }
}

TEST_CASE("for_each_batch with a GPU hands over the same batches on the GPU", "[cuda][data][loader]") {
  REQUIRE(cuda_available());
  auto ds = indexed_dataset(40);
  DPDataLoader dp(ds, 0.1, 5);  // varying sizes, empty ones among them
  std::int64_t calls = 0;
  dp.for_each_batch(
      0, 60,
      [&](std::int64_t step, const Batch& batch) {
        ++calls;
        REQUIRE(batch.inputs.device() == Device::cuda());
        REQUIRE(batch.targets.device() == Device::cuda());
        require_batch_matches(Batch{batch.inputs.to(Device::cpu()), batch.targets.to(Device::cpu())}, dp.indices(step));
      },
      Device::cuda());
  REQUIRE(calls == 60);
}
