#include "veil/core/poll_backoff.h"

#include <thread>

namespace veil {

void PollBackoff::pause() {
  if (++polls_ <= 256) return;
  std::this_thread::sleep_for(waited_seconds() < 1.0 ? std::chrono::microseconds(20) : std::chrono::microseconds(500));
}

double PollBackoff::waited_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

}  // namespace veil
