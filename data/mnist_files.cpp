#include "veil/data/mnist_files.h"

#include <system_error>

#include "veil/core/error.h"
#include "veil/data/idx_file.h"

namespace veil::data {
namespace {

namespace fs = std::filesystem;

constexpr std::uint8_t kNumClasses = 10;

bool path_exists(const fs::path& path) {
  std::error_code error;  // an unreadable entry counts as absent
  return fs::exists(path, error);
}

fs::path require_idx_file(const fs::path& dir, const std::string& base_name) {
  std::optional<fs::path> path = find_idx_file(dir, base_name);
  VEIL_CHECK(path.has_value()) << "MNIST file " << base_name << " not found in " << dir
                               << ": looked for " << base_name << " and " << base_name << ".gz";
  return *path;
}

}  // namespace

std::string mnist_images_name(Split split) {
  return split == Split::Train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte";
}

std::string mnist_labels_name(Split split) {
  return split == Split::Train ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte";
}

std::optional<std::filesystem::path> find_idx_file(const std::filesystem::path& dir,
                                                   std::string_view base_name) {
  fs::path plain = dir / base_name;
  if (path_exists(plain)) return plain;
  fs::path gzip = dir / (std::string(base_name) + ".gz");
  if (path_exists(gzip)) return gzip;
  return std::nullopt;
}

std::vector<std::string> missing_mnist_files(const std::filesystem::path& dir) {
  std::vector<std::string> missing;
  for (Split split : {Split::Train, Split::Test}) {
    for (const std::string& name : {mnist_images_name(split), mnist_labels_name(split)}) {
      if (!find_idx_file(dir, name)) missing.push_back(name);
    }
  }
  return missing;
}

MnistSplit load_mnist_split(const std::filesystem::path& dir, Split split, const ImagesDestination& destination) {
  MnistSplit result;
  result.images_file = require_idx_file(dir, mnist_images_name(split));
  result.labels_file = require_idx_file(dir, mnist_labels_name(split));

  const std::vector<std::size_t> image_dims = read_idx_file_into(
      result.images_file, 3,
      [&](const std::vector<std::size_t>& dims, std::uint64_t) { return destination(dims[0], dims[1], dims[2]); });
  IdxFile labels = read_idx_file(result.labels_file, 1);
  VEIL_CHECK(image_dims[0] == labels.dims[0])
      << result.images_file << " holds " << image_dims[0] << " images but " << result.labels_file
      << " holds " << labels.dims[0] << " labels";
  for (std::size_t i = 0; i < labels.payload.size(); ++i) {
    VEIL_CHECK(labels.payload[i] < kNumClasses)
        << result.labels_file << ": label " << int{labels.payload[i]} << " at index " << i
        << " is outside 0.." << kNumClasses - 1;
  }

  result.count = image_dims[0];
  result.rows = image_dims[1];
  result.cols = image_dims[2];
  result.labels = std::move(labels.payload);
  return result;
}

MnistSplit load_mnist_split(const std::filesystem::path& dir, Split split) {
  std::vector<std::uint8_t> images;
  MnistSplit result = load_mnist_split(dir, split, [&](std::size_t count, std::size_t rows, std::size_t cols) {
    images.resize(count * rows * cols);
    return images.data();
  });
  result.images = std::move(images);
  return result;
}

}  // namespace veil::data
