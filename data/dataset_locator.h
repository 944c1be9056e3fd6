#pragma once
// Finding an MNIST-format data set without being told where it is.
//
// Places are tried in this order; the first that applies is used:
//   1. `data_option`, the app's --data DIR, when not empty
//   2. $VEIL_DATA, when set and not empty
//   3. ./data/mnist, relative to the current directory, when it exists
//   4. Debian's dataset-fashion-mnist package directory, when it exists
// A place that applies but lacks one of the four files (see mnist_files.h) is
// an error naming the directory and the missing files: veil never falls
// through to another data set than the one the user pointed at.
#include <filesystem>
#include <string>

namespace veil::data {

// Where Debian's dataset-fashion-mnist package installs the gzip files.
inline constexpr const char* kDebianFashionMnistDir = "/usr/share/datasets/fashion-mnist";

struct DatasetLocation {
  std::filesystem::path directory;  // absolute
  // "Fashion-MNIST" when found through the Debian package or when the
  // directory's own name contains "fashion" (any case); "MNIST" otherwise.
  // The files themselves do not say which data set they hold.
  std::string name;
  // How it was found: "--data", "$VEIL_DATA", "./data/mnist" or
  // "Debian package dataset-fashion-mnist".
  std::string found_by;
};

// Throws veil::Error when the chosen place lacks files, or when no place
// applies; that message lists every place searched and how to get a data set.
// `debian_fashion_dir` exists so tests can point it elsewhere.
DatasetLocation locate_dataset(
    const std::filesystem::path& data_option = {},
    const std::filesystem::path& debian_fashion_dir = kDebianFashionMnistDir);

}  // namespace veil::data
