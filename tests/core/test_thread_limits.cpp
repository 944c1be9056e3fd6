// A thread count the system cannot start (ulimit -v here) fails with an
// error naming the count, instead of aborting or hanging on the workers
// already started. Runs in a forked child, under an address-space limit and
// an alarm, so a regression fails this test instead of the test run; its own
// executable, so that no pool exists yet when it forks.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "veil/core/error.h"
#include "veil/core/parallel.h"

using namespace veil;

namespace {

// Bytes of address space this process maps now.
std::uint64_t mapped_bytes() {
  std::uint64_t pages = 0;
  std::ifstream("/proc/self/statm") >> pages;
  return pages * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

TEST_CASE("a thread pool the system refuses throws and leaves no worker behind", "[core][threading]") {
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer's shadow memory does not fit under the limit: CTest's
  // skip code (tests/CMakeLists.txt), this being the file's only test case.
  std::printf("skipped: an address-space limit cannot hold AddressSanitizer's shadow memory\n");
  std::fflush(stdout);
  std::_Exit(77);
#endif
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    alarm(60);  // a deadlock ends as SIGALRM, a failure below
    const std::uint64_t limit = mapped_bytes() + (std::uint64_t{256} << 20);
    const rlimit as{limit, limit};
    if (setrlimit(RLIMIT_AS, &as) != 0) _exit(4);
    try {
      set_num_threads(1000);  // 1000 stacks of 8 MiB do not fit in 256 MiB
      parallel_for(1 << 20, 1, [](std::int64_t, std::int64_t) {});
      _exit(5);
    } catch (const Error& error) {
      _exit(std::string(error.what()).find("cannot start 1000 threads") != std::string::npos ? 0 : 6);
    } catch (...) {
      _exit(7);
    }
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  INFO("child " << (WIFEXITED(status) ? "exited with " + std::to_string(WEXITSTATUS(status))
                                      : "killed by signal " + std::to_string(WTERMSIG(status))));
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
}
