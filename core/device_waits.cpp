#include "veil/core/device_waits.h"

#include <mutex>
#include <utility>
#include <vector>

#include "veil/core/poll_backoff.h"

namespace veil {

namespace {

struct Watcher {
  std::uint64_t id;
  Device device;
  std::function<void()> check;
};

// Held while watchers run, so that a watcher is never unregistered (and its
// owner destroyed) during its own call.
struct Registry {
  std::mutex mutex;
  std::vector<Watcher> watchers;
  std::uint64_t next_id = 1;
};
Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

DeviceWaitWatch::DeviceWaitWatch(Device device, std::function<void()> check) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  id_ = r.next_id++;
  r.watchers.push_back({id_, device, std::move(check)});
}

DeviceWaitWatch::~DeviceWaitWatch() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::erase_if(r.watchers, [this](const Watcher& w) { return w.id == id_; });
}

bool has_wait_watchers(Device device) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (const Watcher& w : r.watchers)
    if (w.device == device) return true;
  return false;
}

void run_wait_watchers(Device device) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (const Watcher& w : r.watchers)
    if (w.device == device) w.check();
}

void poll_until(Device device, const std::function<bool()>& done) {
  for (PollBackoff backoff;; backoff.pause()) {
    const bool finished = done();
    run_wait_watchers(device);  // after the last poll too: work may have ended by failing
    if (finished) return;
  }
}

}  // namespace veil
