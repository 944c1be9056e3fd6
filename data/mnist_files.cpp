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

MnistSplit load_mnist_split(const std::filesystem::path& dir, Split split) {
  MnistSplit result;
  result.images_file = require_idx_file(dir, mnist_images_name(split));
  result.labels_file = require_idx_file(dir, mnist_labels_name(split));

  IdxFile images = read_idx_file(result.images_file, 3);
  IdxFile labels = read_idx_file(result.labels_file, 1);
  VEIL_CHECK(images.dims[0] == labels.dims[0])
      << result.images_file << " holds " << images.dims[0] << " images but " << result.labels_file
      << " holds " << labels.dims[0] << " labels";
  for (std::size_t i = 0; i < labels.payload.size(); ++i) {
    VEIL_CHECK(labels.payload[i] < kNumClasses)
        << result.labels_file << ": label " << int{labels.payload[i]} << " at index " << i
        << " is outside 0.." << kNumClasses - 1;
  }

  result.count = images.dims[0];
  result.rows = images.dims[1];
  result.cols = images.dims[2];
  result.images = std::move(images.payload);
  result.labels = std::move(labels.payload);
  return result;
}

}  // namespace veil::data
