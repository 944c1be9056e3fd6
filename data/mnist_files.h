#pragma once
// The four files of an MNIST-format data set (MNIST, Fashion-MNIST) in one
// directory, each plain or gzip-compressed:
//   train-images-idx3-ubyte[.gz]  train-labels-idx1-ubyte[.gz]
//   t10k-images-idx3-ubyte[.gz]   t10k-labels-idx1-ubyte[.gz]
// When both forms exist the plain file is used (no decompression needed).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace veil::data {

enum class Split { Train, Test };

struct MnistSplit {
  std::size_t count = 0;
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<std::uint8_t> images;   // [count, rows, cols] row-major, 0..255
  std::vector<std::uint8_t> labels;   // [count], each in 0..9
  std::filesystem::path images_file;  // the files actually read
  std::filesystem::path labels_file;
};

// Base names (without ".gz") of a split's images and labels files.
std::string mnist_images_name(Split split);
std::string mnist_labels_name(Split split);

// `dir / base_name` if it exists, else `dir / (base_name + ".gz")` if that
// exists, else nothing.
std::optional<std::filesystem::path> find_idx_file(const std::filesystem::path& dir,
                                                   std::string_view base_name);

// Base names of the four data set files that `dir` lacks in both forms; empty
// when the data set is complete.
std::vector<std::string> missing_mnist_files(const std::filesystem::path& dir);

// Loads one split from `dir`. Throws veil::Error naming the file when a file
// is missing or malformed (see read_idx_file), when the images and labels
// counts differ, or when a label is outside 0..9.
MnistSplit load_mnist_split(const std::filesystem::path& dir, Split split);

// Where the images can go instead: memory for count * rows * cols bytes.
using ImagesDestination = std::function<std::uint8_t*(std::size_t count, std::size_t rows, std::size_t cols)>;
// As above, but the images go into the memory `destination` returns (read
// straight from a plain file: see read_idx_file_into); MnistSplit::images
// stays empty.
MnistSplit load_mnist_split(const std::filesystem::path& dir, Split split, const ImagesDestination& destination);

}  // namespace veil::data
