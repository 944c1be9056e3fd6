#include "support/child_process.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

namespace veil::testing {

std::string ChildResult::describe() const {
  return finished ? "child exited with status " + std::to_string(status) : "child did not finish in time";
}

ChildResult run_in_child(const std::function<void()>& body, unsigned seconds) {
  std::fflush(nullptr);  // or the child would write the parent's buffered output again
  const pid_t child = fork();
  if (child < 0) return {};
  if (child == 0) {
    alarm(seconds);  // SIGALRM's default action ends the child
    try {
      body();
    } catch (...) {
      _exit(1);
    }
    _exit(0);
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child) return {};
  ChildResult result;
  result.finished = WIFEXITED(status);
  result.status = result.finished ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace veil::testing
