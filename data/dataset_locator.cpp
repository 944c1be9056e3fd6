#include "veil/data/dataset_locator.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <system_error>
#include <vector>

#include "veil/core/error.h"
#include "veil/data/mnist_files.h"

namespace veil::data {
namespace {

namespace fs = std::filesystem;

constexpr const char* kByOption = "--data";
constexpr const char* kByEnv = "$VEIL_DATA";
constexpr const char* kByLocal = "./data/mnist";
constexpr const char* kByDebian = "Debian package dataset-fashion-mnist";

bool directory_exists(const fs::path& path) {
  std::error_code error;  // unreadable counts as absent
  return fs::is_directory(path, error);
}

fs::path absolute_or_as_is(const fs::path& path) {
  std::error_code error;
  fs::path absolute = fs::absolute(path, error).lexically_normal();
  return error ? path : absolute;
}

std::string dataset_name(const fs::path& dir, const std::string& found_by) {
  if (found_by == kByDebian) return "Fashion-MNIST";
  fs::path last = dir.filename().empty() ? dir.parent_path().filename() : dir.filename();
  std::string lower = last.string();
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("fashion") != std::string::npos ? "Fashion-MNIST" : "MNIST";
}

std::string join(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) joined += (joined.empty() ? "" : ", ") + name;
  return joined;
}

// The chosen place must hold the whole data set.
DatasetLocation use_directory(const fs::path& dir, const std::string& found_by) {
  VEIL_CHECK(directory_exists(dir)) << "data directory " << dir << " (from " << found_by
                                    << ") does not exist or is not a directory";
  std::vector<std::string> missing = missing_mnist_files(dir);
  VEIL_CHECK(missing.empty()) << "data directory " << dir << " (from " << found_by << ") lacks "
                              << join(missing) << " (looked for each plain and with .gz)";
  DatasetLocation location;
  location.directory = absolute_or_as_is(dir);
  location.name = dataset_name(location.directory, found_by);
  location.found_by = found_by;
  return location;
}

}  // namespace

DatasetLocation locate_dataset(const std::filesystem::path& data_option,
                               const std::filesystem::path& debian_fashion_dir) {
  if (!data_option.empty()) return use_directory(data_option, kByOption);
  const char* env = std::getenv("VEIL_DATA");
  if (env != nullptr && *env != '\0') return use_directory(env, kByEnv);
  const fs::path local = fs::path("data") / "mnist";
  if (directory_exists(local)) return use_directory(local, kByLocal);
  VEIL_CHECK(directory_exists(debian_fashion_dir))
      << "no MNIST-format data set found. Searched, in order: " << kByOption << " (not given); "
      << kByEnv << " (not set or empty); " << kByLocal << " (" << absolute_or_as_is(local)
      << ": no such directory); " << debian_fashion_dir << " (" << kByDebian
      << ": not installed). Install Fashion-MNIST with `apt-get install dataset-fashion-mnist`, "
      << "or pass --data DIR (or set VEIL_DATA=DIR) naming a directory that holds "
      << "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and "
      << "t10k-labels-idx1-ubyte (each plain or .gz)";
  return use_directory(debian_fashion_dir, kByDebian);
}

}  // namespace veil::data
