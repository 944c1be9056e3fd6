#pragma once
// Running a piece of a test in a forked child under a wall-clock bound, so
// that a regression to a hang fails the test instead of stalling the run.
// The child must not need the parent's other threads (veil's thread pool):
// call nothing that runs parallel_for.
#include <functional>
#include <string>

namespace veil::testing {

struct ChildResult {
  bool finished = false;  // exited before the bound (with any status)
  int status = -1;        // its exit status when finished
  std::string describe() const;
};

// Runs body() in a child killed after `seconds`; the child exits 0 when
// body returns and 1 when it throws.
ChildResult run_in_child(const std::function<void()>& body, unsigned seconds);

}  // namespace veil::testing
