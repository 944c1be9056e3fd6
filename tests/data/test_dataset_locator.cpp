#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "support/test_data.h"
#include "veil/data/dataset_locator.h"

using Catch::Matchers::Contains;
using veil::data::DatasetLocation;
using veil::data::locate_dataset;
using veil::testing::error_message;
using veil::testing::TempDir;
using veil::testing::write_mnist_dir;

namespace fs = std::filesystem;

namespace {

// Sets (or, with nullopt, unsets) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    set(value);
  }
  ~ScopedEnv() { set(old_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  void set(const std::optional<std::string>& value) {
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  std::string name_;
  std::optional<std::string> old_;
};

// Runs one scope in another current directory.
class ScopedCwd {
 public:
  explicit ScopedCwd(const fs::path& dir) : old_(fs::current_path()) { fs::current_path(dir); }
  ~ScopedCwd() { fs::current_path(old_); }
  ScopedCwd(const ScopedCwd&) = delete;
  ScopedCwd& operator=(const ScopedCwd&) = delete;

 private:
  fs::path old_;
};

// A scratch world: a working directory, with room for ./data/mnist, a place
// for the Debian package that does not exist unless a test creates it, and
// no $VEIL_DATA.
struct World {
  TempDir root;
  ScopedCwd cwd{root.path()};
  ScopedEnv env{"VEIL_DATA", std::nullopt};
  fs::path local = root.path() / "data" / "mnist";
  fs::path debian = root.path() / "usr-share-datasets" / "fashion-mnist";
  fs::path mine = root.path() / "mine";
  fs::path other = root.path() / "other";
};

}  // namespace

TEST_CASE("locator: --data comes first", "[data][locator]") {
  World world;
  write_mnist_dir(world.mine);
  write_mnist_dir(world.other);
  write_mnist_dir(world.local);
  write_mnist_dir(world.debian);
  ScopedEnv env("VEIL_DATA", world.other.string());

  DatasetLocation found = locate_dataset(world.mine, world.debian);
  CHECK(found.directory == world.mine);
  CHECK(found.found_by == "--data");
  CHECK(found.name == "MNIST");
}

TEST_CASE("locator: $VEIL_DATA comes second", "[data][locator]") {
  World world;
  write_mnist_dir(world.other);
  write_mnist_dir(world.local);
  write_mnist_dir(world.debian);
  ScopedEnv env("VEIL_DATA", world.other.string());

  DatasetLocation found = locate_dataset({}, world.debian);
  CHECK(found.directory == world.other);
  CHECK(found.found_by == "$VEIL_DATA");
  CHECK(found.name == "MNIST");
}

TEST_CASE("locator: ./data/mnist comes third, an empty $VEIL_DATA counts as unset",
          "[data][locator]") {
  World world;
  write_mnist_dir(world.local, {.gzip = true});
  write_mnist_dir(world.debian);
  ScopedEnv env("VEIL_DATA", "");

  DatasetLocation found = locate_dataset({}, world.debian);
  CHECK(found.directory == world.local);  // made absolute
  CHECK(found.directory.is_absolute());
  CHECK(found.found_by == "./data/mnist");
  CHECK(found.name == "MNIST");
}

TEST_CASE("locator: Debian's Fashion-MNIST comes last", "[data][locator]") {
  World world;
  write_mnist_dir(world.debian, {.gzip = true});

  DatasetLocation found = locate_dataset({}, world.debian);
  CHECK(found.directory == world.debian);
  CHECK(found.found_by == "Debian package dataset-fashion-mnist");
  CHECK(found.name == "Fashion-MNIST");
}

TEST_CASE("locator: the name follows the directory's name", "[data][locator]") {
  World world;
  fs::path fashion = world.root.path() / "My-FASHION-mnist";
  write_mnist_dir(fashion);
  CHECK(locate_dataset(fashion, world.debian).name == "Fashion-MNIST");
  // A trailing separator does not hide the name.
  CHECK(locate_dataset(fashion.string() + "/", world.debian).name == "Fashion-MNIST");
  write_mnist_dir(world.mine);
  CHECK(locate_dataset(world.mine, world.debian).name == "MNIST");
}

TEST_CASE("locator: a place that applies but lacks files is an error, not a fall-through",
          "[data][locator]") {
  World world;
  write_mnist_dir(world.other);
  write_mnist_dir(world.debian);

  SECTION("--data without the files") {
    write_mnist_dir(world.mine);
    fs::remove(world.mine / "train-labels-idx1-ubyte");
    ScopedEnv env("VEIL_DATA", world.other.string());
    std::string message = error_message([&] { locate_dataset(world.mine, world.debian); });
    CHECK_THAT(message, Contains(world.mine.string()) && Contains("--data") &&
                            Contains("lacks train-labels-idx1-ubyte"));
  }
  SECTION("--data that does not exist") {
    std::string message =
        error_message([&] { locate_dataset(world.root.path() / "nowhere", world.debian); });
    CHECK_THAT(message, Contains("nowhere") && Contains("does not exist"));
  }
  SECTION("$VEIL_DATA without the files") {
    fs::create_directories(world.mine);
    write_mnist_dir(world.local);
    ScopedEnv env("VEIL_DATA", world.mine.string());
    std::string message = error_message([&] { locate_dataset({}, world.debian); });
    CHECK_THAT(message, Contains(world.mine.string()) && Contains("$VEIL_DATA") &&
                            Contains("train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                                     "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte"));
  }
  SECTION("an incomplete ./data/mnist") {
    write_mnist_dir(world.local);
    fs::remove(world.local / "t10k-images-idx3-ubyte");
    std::string message = error_message([&] { locate_dataset({}, world.debian); });
    CHECK_THAT(message, Contains("./data/mnist") && Contains("lacks t10k-images-idx3-ubyte"));
  }
}

TEST_CASE("locator: nothing found lists every place and how to get data", "[data][locator]") {
  World world;
  std::string message = error_message([&] { locate_dataset({}, world.debian); });
  CHECK_THAT(message, Contains("--data (not given)") && Contains("$VEIL_DATA (not set or empty)") &&
                          Contains("./data/mnist") && Contains(world.local.string()) &&
                          Contains(world.debian.string()) &&
                          Contains("apt-get install dataset-fashion-mnist") &&
                          Contains("pass --data DIR"));
}

TEST_CASE("locator: finds the installed Debian package by default", "[data][locator][real]") {
  if (!fs::is_directory(veil::data::kDebianFashionMnistDir)) {
    WARN("skipped: " << veil::data::kDebianFashionMnistDir
                     << " not installed (apt-get install dataset-fashion-mnist)");
    return;
  }
  World world;
  DatasetLocation found = locate_dataset();
  CHECK(found.directory == fs::path(veil::data::kDebianFashionMnistDir));
  CHECK(found.found_by == "Debian package dataset-fashion-mnist");
  CHECK(found.name == "Fashion-MNIST");
}
