#pragma once
// In-memory data sets as tensors, and the transforms that make them.
//
// TensorDataset holds inputs [N, ...] and targets [N] (int64 labels); a
// batch is the rows at a list of indices. Image sets keep their pixels as
// bytes and decode each gathered batch to floats: a float copy of MNIST's
// training images alone would take 188 MB, the bytes take 47 MB.
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "veil/core/tensor.h"
#include "veil/data/mnist_files.h"

namespace veil::data {

struct Batch {
  Tensor inputs;   // [B, ...]
  Tensor targets;  // [B]
  std::int64_t size() const { return inputs.defined() ? inputs.size(0) : 0; }
};

// The float32 value of each byte value 0..255 after a transform.
using ByteTable = std::array<float, 256>;

class TensorDataset {
 public:
  TensorDataset(Tensor inputs, Tensor targets);
  // uint8 inputs kept as bytes; gather() maps every byte through `decode`
  // into a float32 batch.
  TensorDataset(Tensor byte_inputs, Tensor targets, const ByteTable& decode);
  std::int64_t size() const { return inputs_.size(0); }
  // As stored: the bytes for a data set made with a ByteTable.
  const Tensor& inputs() const { return inputs_; }
  const Tensor& targets() const { return targets_; }
  // Copies (or decodes) the rows at `indices` (each in [0, size())) into a
  // new batch.
  Batch gather(const std::vector<std::int64_t>& indices) const;

 private:
  Tensor inputs_, targets_;
  std::optional<ByteTable> decode_;
};

// ToTensor: uint8 images [N, R, C] -> float [N, 1, R, C] in [0, 1].
Tensor images_to_tensor(const MnistSplit& split);
// Normalize: (x - mean) / std, in place.
void normalize_(Tensor& images, double mean, double std);
// ToTensor then Normalize(mean, std) of every byte value, computed by the two
// functions above: decoding a byte through it gives exactly their float.
ByteTable normalized_byte_table(double mean, double std);
// The usual MNIST pipeline: images kept as bytes [N, 1, R, C] that each
// gathered batch decodes through normalized_byte_table(mean, std) (the same
// floats as ToTensor and Normalize of the whole set), int64 labels. The
// split's pixels are moved out of it.
TensorDataset make_image_dataset(MnistSplit&& split, double mean, double std);
// The same from the split's files in `dir` (load_mnist_split's checks and
// errors), the images read straight into the data set's bytes.
TensorDataset load_image_dataset(const std::filesystem::path& dir, Split split, double mean, double std);

}  // namespace veil::data
