#include <catch2/catch.hpp>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "support/test_data.h"
#include "veil/data/dataset_locator.h"
#include "veil/data/mnist_files.h"

using Catch::Matchers::Contains;
using veil::data::load_mnist_split;
using veil::data::MnistSplit;
using veil::data::Split;
using veil::testing::error_message;
using veil::testing::fixture_images;
using veil::testing::fixture_labels;
using veil::testing::idx_bytes;
using veil::testing::MnistFixture;
using veil::testing::TempDir;
using veil::testing::write_file;
using veil::testing::write_mnist_dir;

namespace fs = std::filesystem;

namespace {

std::array<std::size_t, 10> label_histogram(const MnistSplit& split) {
  std::array<std::size_t, 10> histogram{};
  for (std::uint8_t label : split.labels) {
    if (label >= 10) FAIL("label " << int{label} << " is outside 0..9");
    ++histogram[label];
  }
  return histogram;
}

void check_split_shape(const MnistSplit& split, std::size_t count) {
  CHECK(split.count == count);
  CHECK(split.rows == 28);
  CHECK(split.cols == 28);
  CHECK(split.images.size() == count * 28 * 28);
  CHECK(split.labels.size() == count);
}

}  // namespace

TEST_CASE("mnist: loads both splits of a plain and of a gzip data set", "[data][mnist]") {
  for (bool gzip : {false, true}) {
    TempDir dir;
    MnistFixture fixture;
    fixture.gzip = gzip;
    write_mnist_dir(dir.path(), fixture);
    CHECK(veil::data::missing_mnist_files(dir.path()).empty());

    MnistSplit train = load_mnist_split(dir.path(), Split::Train);
    CHECK(train.count == fixture.train_count);
    CHECK(train.rows == fixture.rows);
    CHECK(train.cols == fixture.cols);
    CHECK(train.images == fixture_images(fixture.train_count, fixture.rows, fixture.cols));
    CHECK(train.labels == fixture_labels(fixture.train_count));
    CHECK(train.images_file ==
          dir.path() / (gzip ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte"));
    CHECK(train.labels_file ==
          dir.path() / (gzip ? "train-labels-idx1-ubyte.gz" : "train-labels-idx1-ubyte"));

    MnistSplit test = load_mnist_split(dir.path(), Split::Test);
    CHECK(test.count == fixture.test_count);
    CHECK(test.images == fixture_images(fixture.test_count, fixture.rows, fixture.cols));
    CHECK(test.labels_file.filename().string().rfind("t10k-labels-idx1-ubyte", 0) == 0);
  }
}

TEST_CASE("mnist: a plain file is preferred over its .gz", "[data][mnist]") {
  TempDir dir;
  MnistFixture gzip_fixture;
  gzip_fixture.gzip = true;
  gzip_fixture.train_count = 7;
  write_mnist_dir(dir.path(), gzip_fixture);
  write_mnist_dir(dir.path(), MnistFixture{});  // 20 training examples, plain

  MnistSplit train = load_mnist_split(dir.path(), Split::Train);
  CHECK(train.count == MnistFixture{}.train_count);
  CHECK(train.images_file == dir.path() / "train-images-idx3-ubyte");
}

TEST_CASE("mnist: missing files", "[data][mnist]") {
  TempDir dir;
  write_mnist_dir(dir.path());
  fs::remove(dir.path() / "t10k-labels-idx1-ubyte");
  CHECK(veil::data::missing_mnist_files(dir.path()) ==
        std::vector<std::string>{"t10k-labels-idx1-ubyte"});

  CHECK_NOTHROW(load_mnist_split(dir.path(), Split::Train));
  std::string message = error_message([&] { load_mnist_split(dir.path(), Split::Test); });
  CHECK_THAT(message, Contains("t10k-labels-idx1-ubyte") && Contains(dir.path().string()) &&
                          Contains("t10k-labels-idx1-ubyte.gz"));

  TempDir empty;
  CHECK(veil::data::missing_mnist_files(empty.path()).size() == 4);
}

TEST_CASE("mnist: images and labels must agree", "[data][mnist]") {
  TempDir dir;
  write_mnist_dir(dir.path());
  fs::path labels = dir.path() / "train-labels-idx1-ubyte";
  fs::path images = dir.path() / "train-images-idx3-ubyte";

  SECTION("count mismatch") {
    write_file(labels, idx_bytes({19}, fixture_labels(19)));
    std::string message = error_message([&] { load_mnist_split(dir.path(), Split::Train); });
    CHECK_THAT(message, Contains(images.string()) && Contains("20 images") &&
                            Contains(labels.string()) && Contains("19 labels"));
  }
  SECTION("label outside 0..9") {
    std::vector<std::uint8_t> bad = fixture_labels(20);
    bad[13] = 10;
    write_file(labels, idx_bytes({20}, bad));
    std::string message = error_message([&] { load_mnist_split(dir.path(), Split::Train); });
    CHECK_THAT(message, Contains(labels.string()) && Contains("label 10 at index 13") &&
                            Contains("outside 0..9"));
  }
  SECTION("images file of the wrong rank") {
    write_file(images, idx_bytes({20, 12}, fixture_images(20, 3, 4)));
    std::string message = error_message([&] { load_mnist_split(dir.path(), Split::Train); });
    CHECK_THAT(message, Contains(images.string()) && Contains("wrong number of dimensions"));
  }
  SECTION("labels file swapped for an images file") {
    fs::copy_file(images, labels, fs::copy_options::overwrite_existing);
    std::string message = error_message([&] { load_mnist_split(dir.path(), Split::Train); });
    CHECK_THAT(message, Contains(labels.string()) && Contains("wrong number of dimensions"));
  }
}

// Real data: MNIST as plain files beside the source tree (in the shared data
// folder), when present.
TEST_CASE("mnist: real MNIST from the shared data folder", "[data][mnist][real]") {
  const char* source_dir = std::getenv("VEIL_SOURCE_DIR");
  if (source_dir == nullptr) {
    WARN("skipped: VEIL_SOURCE_DIR is not set (CTest sets it to the source root)");
    return;
  }
  fs::path dir = fs::path(source_dir) / ".." / "shared" / "data" / "mnist";
  if (!veil::data::missing_mnist_files(dir).empty()) {
    WARN("skipped: no MNIST data set in " << dir.string());
    return;
  }

  MnistSplit train = load_mnist_split(dir, Split::Train);
  check_split_shape(train, 60000);
  // The class counts of MNIST, as published with the data set.
  std::array<std::size_t, 10> train_counts = {5923, 6742, 5958, 6131, 5842,
                                              5421, 5918, 6265, 5851, 5949};
  auto train_histogram = label_histogram(train);
  CHECK(train_histogram == train_counts);
  CHECK(std::accumulate(train_histogram.begin(), train_histogram.end(), std::size_t{0}) == 60000);

  MnistSplit test = load_mnist_split(dir, Split::Test);
  check_split_shape(test, 10000);
  std::array<std::size_t, 10> test_counts = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
  auto test_histogram = label_histogram(test);
  CHECK(test_histogram == test_counts);
  CHECK(std::accumulate(test_histogram.begin(), test_histogram.end(), std::size_t{0}) == 10000);
}

// Real data, gzip: Fashion-MNIST from Debian's dataset-fashion-mnist package.
TEST_CASE("mnist: Fashion-MNIST from the Debian package", "[data][mnist][real]") {
  fs::path dir = veil::data::kDebianFashionMnistDir;
  if (!veil::data::missing_mnist_files(dir).empty()) {
    WARN("skipped: Fashion-MNIST not installed in " << dir.string()
                                                    << " (apt-get install dataset-fashion-mnist)");
    return;
  }
  MnistSplit train = load_mnist_split(dir, Split::Train);
  CHECK(train.images_file.extension() == ".gz");
  check_split_shape(train, 60000);
  // Fashion-MNIST is balanced: 6000 training and 1000 test images per class.
  std::array<std::size_t, 10> train_counts;
  train_counts.fill(6000);
  CHECK(label_histogram(train) == train_counts);

  MnistSplit test = load_mnist_split(dir, Split::Test);
  check_split_shape(test, 10000);
  std::array<std::size_t, 10> test_counts;
  test_counts.fill(1000);
  CHECK(label_histogram(test) == test_counts);
}
