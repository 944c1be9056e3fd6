#include "veil/data/tensor_dataset.h"

#include <algorithm>
#include <cstring>

#include "veil/core/error.h"
#include "veil/core/parallel.h"

namespace veil::data {

TensorDataset::TensorDataset(Tensor inputs, Tensor targets)
    : inputs_(inputs.contiguous()), targets_(targets.contiguous()) {
  VEIL_CHECK(inputs_.dim() >= 1 && targets_.dim() == 1 && inputs_.size(0) == targets_.size(0))
      << "TensorDataset: inputs " << inputs_.shape() << " and targets " << targets_.shape()
      << " must have the same number of rows";
}

TensorDataset::TensorDataset(Tensor byte_inputs, Tensor targets, const ByteTable& decode)
    : TensorDataset(std::move(byte_inputs), std::move(targets)) {
  VEIL_CHECK(inputs_.dtype() == DType::UInt8 && inputs_.device().is_cpu())
      << "TensorDataset: decoded inputs must be uint8 bytes on the CPU, got " << dtype_name(inputs_.dtype());
  decode_ = decode;
}

Batch TensorDataset::gather(const std::vector<std::int64_t>& indices) const {
  const auto count = static_cast<std::int64_t>(indices.size());
  Shape input_shape = inputs_.shape();
  input_shape[0] = count;
  Batch batch{Tensor::empty(input_shape, decode_ ? DType::Float32 : inputs_.dtype()),
              Tensor::empty({count}, targets_.dtype())};
  const std::size_t row_elements = size() ? inputs_.numel() / size() : 0;
  const std::size_t row_bytes = row_elements * dtype_size(inputs_.dtype());
  const std::size_t target_bytes = dtype_size(targets_.dtype());
  const auto* src = static_cast<const char*>(inputs_.raw_data());
  const auto* src_targets = static_cast<const char*>(targets_.raw_data());
  auto* dst = static_cast<char*>(batch.inputs.raw_data());
  auto* dst_targets = static_cast<char*>(batch.targets.raw_data());
  for (std::int64_t k = 0; k < count; ++k) {
    const std::int64_t i = indices[k];
    VEIL_CHECK(i >= 0 && i < size()) << "index " << i << " outside the data set of " << size() << " examples";
    if (decode_) {
      const auto* bytes = reinterpret_cast<const std::uint8_t*>(src + i * row_bytes);
      float* row = reinterpret_cast<float*>(dst) + k * row_elements;
      for (std::size_t j = 0; j < row_elements; ++j) row[j] = (*decode_)[bytes[j]];
    } else {
      std::memcpy(dst + k * row_bytes, src + i * row_bytes, row_bytes);
    }
    std::memcpy(dst_targets + k * target_bytes, src_targets + i * target_bytes, target_bytes);
  }
  return batch;
}

Tensor images_to_tensor(const MnistSplit& split) {
  const auto n = static_cast<std::int64_t>(split.count);
  const auto rows = static_cast<std::int64_t>(split.rows), cols = static_cast<std::int64_t>(split.cols);
  VEIL_CHECK(static_cast<std::int64_t>(split.images.size()) == n * rows * cols)
      << "images_to_tensor: " << split.images.size() << " bytes for " << n << " images of " << rows << "x" << cols;
  Tensor out = Tensor::empty({n, 1, rows, cols});
  float* p = out.data<float>();
  const std::uint8_t* src = split.images.data();
  parallel_for(out.numel(), 1 << 16, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) p[i] = static_cast<float>(src[i]) / 255.0f;
  });
  return out;
}

void normalize_(Tensor& images, double mean, double std) {
  VEIL_CHECK(std > 0) << "Normalize: std must be > 0, got " << std;
  images.add_(Tensor::scalar(1.0, images.dtype()), -mean);
  images.mul_(1.0 / std);
}

ByteTable normalized_byte_table(double mean, double std) {
  MnistSplit every_byte;  // 256 images of one pixel: 0, 1, ..., 255
  every_byte.count = 256;
  every_byte.rows = every_byte.cols = 1;
  for (int value = 0; value < 256; ++value) every_byte.images.push_back(static_cast<std::uint8_t>(value));
  Tensor values = images_to_tensor(every_byte);
  normalize_(values, mean, std);
  ByteTable table;
  std::memcpy(table.data(), values.data<float>(), sizeof(table));
  return table;
}

namespace {

TensorDataset image_dataset(Tensor images, const std::vector<std::uint8_t>& labels, double mean, double std) {
  std::vector<std::int64_t> targets(labels.begin(), labels.end());
  return TensorDataset(std::move(images), Tensor::from_vector(targets, {static_cast<std::int64_t>(targets.size())}),
                       normalized_byte_table(mean, std));
}

}  // namespace

TensorDataset make_image_dataset(MnistSplit&& split, double mean, double std) {
  const auto n = static_cast<std::int64_t>(split.count);
  const auto rows = static_cast<std::int64_t>(split.rows), cols = static_cast<std::int64_t>(split.cols);
  VEIL_CHECK(static_cast<std::int64_t>(split.images.size()) == n * rows * cols)
      << "make_image_dataset: " << split.images.size() << " bytes for " << n << " images of " << rows << "x" << cols;
  Tensor images = Tensor::empty({n, 1, rows, cols}, DType::UInt8);
  std::memcpy(images.raw_data(), split.images.data(), split.images.size());
  std::vector<std::uint8_t>().swap(split.images);  // the tensor holds them now
  return image_dataset(std::move(images), split.labels, mean, std);
}

TensorDataset load_image_dataset(const std::filesystem::path& dir, Split split, double mean, double std) {
  Tensor images;
  const MnistSplit loaded = load_mnist_split(dir, split, [&](std::size_t count, std::size_t rows, std::size_t cols) {
    images = Tensor::empty(
        {static_cast<std::int64_t>(count), 1, static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols)},
        DType::UInt8);
    return static_cast<std::uint8_t*>(images.raw_data());
  });
  return image_dataset(std::move(images), loaded.labels, mean, std);
}

}  // namespace veil::data
