#pragma once
// How the host waits for something that may never come (a peer rank in a
// collective, a GPU whose queued work waits for one; Note [Watched device
// waits] in core/device_waits.h): poll, and between polls pause for longer
// and longer.
//
// A few hundred polls back to back first (a collective between ranks in step
// completes in microseconds), then short sleeps, which leave the core to the
// peer: with more ranks than free cores the peer needs it to make progress.
// Measured on a busy 2-core machine, 2 ranks, SampleConvNet's sums (104 KB):
// 50-90 us per all-reduce with sleeps, 300-1150 us when the waiting rank
// yielded instead. After a second of waiting the sleeps grow, since a peer
// that late is computing, stuck or dead.
#include <chrono>

namespace veil {

class PollBackoff {
 public:
  PollBackoff() : start_(std::chrono::steady_clock::now()) {}
  // Call after each unsuccessful poll.
  void pause();
  double waited_seconds() const;

 private:
  std::chrono::steady_clock::time_point start_;
  int polls_ = 0;
};

}  // namespace veil
