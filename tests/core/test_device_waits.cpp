// Watched device waits (Note [Watched device waits]): watchers belong to one
// device and to their registration's lifetime; poll_until runs them after
// every poll, the successful one included, and a watcher that throws ends
// the wait with its error. Devices are only keys here: no GPU is needed.
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>

#include "veil/core/device_waits.h"
#include "veil/core/poll_backoff.h"

using namespace veil;

TEST_CASE("Wait watchers are registered per device for their lifetime", "[device_waits]") {
  const Device gpu0 = Device::cuda(0), gpu1 = Device::cuda(1);
  int calls = 0;
  {
    DeviceWaitWatch watch(gpu1, [&] { ++calls; });
    CHECK(has_wait_watchers(gpu1));
    CHECK_FALSE(has_wait_watchers(gpu0));
    run_wait_watchers(gpu0);
    CHECK(calls == 0);
    run_wait_watchers(gpu1);
    CHECK(calls == 1);
  }
  CHECK_FALSE(has_wait_watchers(gpu1));
  run_wait_watchers(gpu1);
  CHECK(calls == 1);
}

TEST_CASE("poll_until runs the watchers after every poll, the last one too", "[device_waits]") {
  const Device gpu = Device::cuda(0);
  int polls = 0, calls = 0;
  DeviceWaitWatch watch(gpu, [&] { ++calls; });
  poll_until(gpu, [&] { return ++polls == 5; });
  CHECK(polls == 5);
  CHECK(calls == 5);
  // A wait that is done at once still runs them: work may have ended by failing.
  poll_until(gpu, [] { return true; });
  CHECK(calls == 6);
}

TEST_CASE("A watcher that throws ends a wait that would never end", "[device_waits]") {
  const Device gpu = Device::cuda(0);
  const auto start = std::chrono::steady_clock::now();
  std::optional<DeviceWaitWatch> watch;
  watch.emplace(gpu, [start] {
    if (std::chrono::steady_clock::now() - start > std::chrono::milliseconds(50))
      throw std::runtime_error("collective timed out");
  });
  CHECK_THROWS_WITH(poll_until(gpu, [] { return false; }), "collective timed out");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(seconds < 5.0);
  watch.reset();
  CHECK_NOTHROW(poll_until(gpu, [] { return true; }));  // gone with its registration
}

TEST_CASE("PollBackoff measures the time since it started", "[device_waits]") {
  PollBackoff backoff;
  for (int i = 0; i < 300; ++i) backoff.pause();  // past the busy polls: sleeps
  CHECK(backoff.waited_seconds() > 0.0);
}
