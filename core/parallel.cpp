#include "veil/core/parallel.h"

#include <omp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "veil/core/error.h"

namespace veil {

namespace {

thread_local bool in_chunk = false;

// How long an idle thread spins before it sleeps (Note [veil's thread pool]).
constexpr auto kSpin = std::chrono::microseconds(50);

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Chunks are claimed through one 64-bit ticket: the job's number in the high
// half, the next chunk in the low half. A worker that wakes late, after its
// job finished and the next one began, fails the claim instead of running a
// chunk of the new job with the old job's function.
class ThreadPool {
 public:
  // Throws veil::Error when the OS refuses a thread (ulimit -u or -v), after
  // stopping the workers already started: a destructor that never runs would
  // leave them waiting forever.
  explicit ThreadPool(int workers) {
    try {
      for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
    } catch (const std::system_error& error) {
      const std::size_t started = workers_.size();
      stop();
      throw Error("cannot start " + std::to_string(workers + 1) + " threads (the system refused thread " +
                  std::to_string(started + 2) + ": " + error.what() + "); use fewer threads");
    }
  }

  ~ThreadPool() { stop(); }

  void run(std::int64_t chunks, void (*fn)(void*, std::int64_t), void* context) {
    VEIL_ASSERT(chunks > 0 && chunks < (std::int64_t{1} << 31)) << "bad chunk count " << chunks;
    std::lock_guard<std::mutex> submit(submit_mutex_);  // one job at a time
    Job job;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job = Job{job_.number + 1, chunks, fn, context};
      job_ = job;
      error_ = nullptr;
      remaining_.store(chunks, std::memory_order_relaxed);
      ticket_.store((job.number & 0xffffffffu) << 32, std::memory_order_release);
      published_.store(job.number, std::memory_order_release);
    }
    wake_.notify_all();
    take_chunks(job);
    // Wait for the workers' chunks: spin briefly, then sleep.
    const auto spin_until = std::chrono::steady_clock::now() + kSpin;
    for (std::uint32_t spins = 1; remaining_.load(std::memory_order_acquire) != 0; ++spins) {
      // The clock is read every 64 spins: reading it each time cost 3% of a step.
      if (spins % 64 != 0 || std::chrono::steady_clock::now() < spin_until) {
        cpu_relax();
        continue;
      }
      std::unique_lock<std::mutex> lock(mutex_);
      done_.wait(lock, [this] { return remaining_.load(std::memory_order_acquire) == 0; });
    }
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      ++job_.number;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }

  struct Job {
    std::uint64_t number = 0;
    std::int64_t chunks = 0;
    void (*fn)(void*, std::int64_t) = nullptr;
    void* context = nullptr;
  };

  // Claims and runs chunks of `job` until none are left or the job is over.
  void take_chunks(const Job& job) {
    in_chunk = true;
    for (;;) {
      std::uint64_t ticket = ticket_.load(std::memory_order_acquire);
      std::int64_t chunk;
      do {
        chunk = static_cast<std::int64_t>(ticket & 0xffffffffu);
        if ((ticket >> 32) != (job.number & 0xffffffffu) || chunk >= job.chunks) {
          in_chunk = false;
          return;
        }
      } while (!ticket_.compare_exchange_weak(ticket, ticket + 1, std::memory_order_acq_rel));
      try {
        job.fn(job.context, chunk);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
      if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mutex_);
        done_.notify_all();
      }
    }
  }

  void work() {
    std::uint64_t seen = 0;
    for (;;) {
      const auto spin_until = std::chrono::steady_clock::now() + kSpin;
      for (std::uint32_t spins = 1; published_.load(std::memory_order_acquire) == seen; ++spins) {
        if (spins % 64 == 0 && std::chrono::steady_clock::now() >= spin_until) break;
        cpu_relax();
      }
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || job_.number != seen; });
        if (stop_) return;
        job = job_;
        seen = job.number;
      }
      take_chunks(job);
    }
  }

  std::vector<std::thread> workers_;
  std::mutex submit_mutex_;
  std::mutex mutex_;  // guards job_, error_, stop_
  std::condition_variable wake_, done_;
  Job job_;
  std::atomic<std::uint64_t> published_{0};  // job_.number, readable without the lock
  std::atomic<std::uint64_t> ticket_{0};
  std::atomic<std::int64_t> remaining_{0};
  std::exception_ptr error_;
  bool stop_ = false;
};

std::atomic<int> thread_count{0};  // 0: not yet read from OpenMP's setting
std::mutex pool_mutex;
std::unique_ptr<ThreadPool> pool;  // num_threads() - 1 workers
int pool_workers = -1;

ThreadPool& pool_for(int threads) {
  std::lock_guard<std::mutex> lock(pool_mutex);
  if (pool_workers != threads - 1) {
    pool.reset();
    pool_workers = -1;  // until the new pool stands
    pool = std::make_unique<ThreadPool>(threads - 1);
    pool_workers = threads - 1;
  }
  return *pool;
}

}  // namespace

void set_num_threads(int threads) {
  VEIL_CHECK(threads >= 1) << "thread count must be at least 1, got " << threads;
  omp_set_num_threads(threads);
  thread_count.store(threads);
  pool_for(threads);  // a count the system cannot start fails here, not mid-run
}

int num_threads() {
  int threads = thread_count.load(std::memory_order_relaxed);
  if (threads == 0) {
    threads = omp_get_max_threads();  // OMP_NUM_THREADS, else the core count
    thread_count.store(threads);
  }
  return threads;
}

namespace detail {

bool in_parallel_region() { return in_chunk; }

void run_chunks(std::int64_t chunks, void (*job)(void*, std::int64_t), void* context) {
  pool_for(num_threads()).run(chunks, job, context);
}

}  // namespace detail

}  // namespace veil
