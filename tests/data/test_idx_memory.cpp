// A small .gz whose header announces more data than memory holds fails with
// an error naming the file, not a bare std::bad_alloc. Runs in a forked child
// under an address-space limit; its own executable, so that it can report a
// skip under AddressSanitizer (whose shadow memory the limit would refuse).
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/test_data.h"
#include "veil/core/error.h"
#include "veil/data/idx_file.h"

using namespace veil;

TEST_CASE("an IDX file too large for memory is named in the error", "[data][idx]") {
#if defined(__SANITIZE_ADDRESS__)
  std::printf("skipped: an address-space limit cannot hold AddressSanitizer's shadow memory\n");
  std::fflush(stdout);
  std::_Exit(77);
#endif
  testing::TempDir dir;
  const auto path = dir.path() / "train-images-idx3-ubyte.gz";
  const std::uint32_t count = 100000;  // 78 MB of zero pixels, about 80 KB compressed
  testing::write_gzip_file(path, testing::idx_bytes({count, 28, 28}, std::vector<std::uint8_t>(std::size_t{count} * 784)));
  const auto result = testing::run_in_child(
      [&] {
        std::uint64_t pages = 0;
        std::ifstream("/proc/self/statm") >> pages;
        const std::uint64_t limit = pages * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)) + (std::uint64_t{32} << 20);
        const rlimit as{limit, limit};
        if (setrlimit(RLIMIT_AS, &as) != 0) throw std::runtime_error("setrlimit");
        try {
          data::read_idx_file(path, 3);
        } catch (const Error& error) {
          const std::string message = error.what();
          if (message.find(path.string()) != std::string::npos && message.find("memory") != std::string::npos) return;
          throw;
        }
        throw std::runtime_error("read a file larger than the memory limit");
      },
      60);
  INFO(result.describe());
  REQUIRE(result.finished);
  REQUIRE(result.status == 0);
}
