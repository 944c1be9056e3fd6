#pragma once
// In-memory data sets as tensors, and the transforms that make them.
//
// TensorDataset holds inputs [N, ...] and targets [N] (int64 labels); a
// batch is the rows at a list of indices.
#include <cstdint>
#include <vector>

#include "veil/core/tensor.h"
#include "veil/data/mnist_files.h"

namespace veil::data {

struct Batch {
  Tensor inputs;   // [B, ...]
  Tensor targets;  // [B]
  std::int64_t size() const { return inputs.defined() ? inputs.size(0) : 0; }
};

class TensorDataset {
 public:
  TensorDataset(Tensor inputs, Tensor targets);
  std::int64_t size() const { return inputs_.size(0); }
  const Tensor& inputs() const { return inputs_; }
  const Tensor& targets() const { return targets_; }
  // Copies the rows at `indices` (each in [0, size())) into a new batch.
  Batch gather(const std::vector<std::int64_t>& indices) const;

 private:
  Tensor inputs_, targets_;
};

// ToTensor: uint8 images [N, R, C] -> float [N, 1, R, C] in [0, 1].
Tensor images_to_tensor(const MnistSplit& split);
// Normalize: (x - mean) / std, in place.
void normalize_(Tensor& images, double mean, double std);
// The usual MNIST pipeline: ToTensor, Normalize(mean, std), int64 labels.
TensorDataset make_image_dataset(const MnistSplit& split, double mean, double std);

}  // namespace veil::data
