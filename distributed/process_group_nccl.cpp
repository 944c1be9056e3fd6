#include "veil/distributed/process_group_nccl.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>

#include "veil/core/cuda/cuda_check.h"
#include "veil/core/cuda/cuda_context.h"
#include "veil/core/device_waits.h"
#include "veil/core/error.h"
#include "veil/core/poll_backoff.h"
#include "veil/distributed/launch.h"

namespace veil::distributed {

namespace {

ncclDataType_t nccl_type(DType dtype) {
  switch (dtype) {
    case DType::Float32: return ncclFloat32;
    case DType::Float64: return ncclFloat64;
    case DType::Int64: return ncclInt64;
    case DType::UInt8: return ncclUint8;
  }
  VEIL_FAIL() << "unknown dtype";
  return ncclFloat32;
}

// The one checking helper for NCCL status codes.
void check_nccl(ncclResult_t status, const ProcessGroup& group, const char* operation) {
  if (status == ncclSuccess || status == ncclInProgress) return;
  throw Error(rank_label(group) + ": NCCL " + operation + " failed: " + ncclGetErrorString(status));
}

// RAII owner: the communicator is destroyed, or aborted when a collective
// failed and may still be running.
class NcclComm {
 public:
  NcclComm() = default;
  NcclComm(const NcclComm&) = delete;
  NcclComm& operator=(const NcclComm&) = delete;
  ~NcclComm() {
    if (!comm_) return;
    if (aborted_) return;
    ncclCommDestroy(comm_);
  }
  ncclComm_t* out() { return &comm_; }
  ncclComm_t get() const { return comm_; }
  void abort() {
    if (comm_ && !aborted_) ncclCommAbort(comm_);
    aborted_ = true;
  }

 private:
  ncclComm_t comm_ = nullptr;
  bool aborted_ = false;
};

// The events that mark queued collectives, reused so that a step creates
// none.
class EventPool {
 public:
  EventPool() = default;
  EventPool(const EventPool&) = delete;
  EventPool& operator=(const EventPool&) = delete;
  ~EventPool() {
    for (cudaEvent_t event : all_) (void)cudaEventDestroy(event);  // a pending one is released when it completes
  }
  // On the current device.
  cudaEvent_t take() {
    if (spare_.empty()) {
      cudaEvent_t event = nullptr;
      VEIL_CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
      all_.push_back(event);
      return event;
    }
    const cudaEvent_t event = spare_.back();
    spare_.pop_back();
    return event;
  }
  void give_back(cudaEvent_t event) { spare_.push_back(event); }

 private:
  std::vector<cudaEvent_t> all_, spare_;
};

struct Queued {
  cudaEvent_t done;
  const char* operation;
  std::chrono::steady_clock::time_point start;
};

// Collectives that may be unfinished when the next one is queued (Note
// [Stream-ordered collectives]).
constexpr std::size_t kMaxUnfinished = 2;

std::size_t checked_count(const Tensor& t, int device, const std::string& where) {
  VEIL_CHECK(t.defined()) << where << " got an undefined tensor";
  VEIL_CHECK(t.device() == Device::cuda(device)) << where << " takes tensors on cuda:" << device
                                                 << " (the NCCL backend), got one on " << t.device();
  VEIL_CHECK(t.is_contiguous()) << where << " takes contiguous tensors";
  return static_cast<std::size_t>(t.numel());
}

}  // namespace

struct NcclProcessGroup::Handles {
  NcclComm comm;
  Tensor token;  // one float on the GPU, for barrier()
  // Guards the communicator and the queue: watchers run on any thread that
  // waits for the GPU, and NCCL takes one thread at a time.
  std::mutex mutex;
  EventPool events;
  std::deque<Queued> queued;  // oldest first
  const char* last_operation = "collective";
  std::optional<DeviceWaitWatch> watch;  // destroyed first
};

namespace {

// Drops the finished collectives from the front of the queue; returns the
// CUDA error that ended one, if any (it stays at the front).
cudaError_t reap(std::deque<Queued>& queued, EventPool& events) {
  while (!queued.empty()) {
    const cudaError_t status = cudaEventQuery(queued.front().done);
    if (status == cudaErrorNotReady) return cudaSuccess;
    if (status != cudaSuccess) return status;
    events.give_back(queued.front().done);
    queued.pop_front();
  }
  return cudaSuccess;
}

bool is_failure(ncclResult_t status) { return status != ncclSuccess && status != ncclInProgress; }

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

NcclProcessGroup::NcclProcessGroup(ProcessGroup& bootstrap, double timeout_seconds) : bootstrap_(bootstrap) {
  set_timeout(timeout_seconds);
  int devices = 0;
  VEIL_CUDA_CHECK(cudaGetDeviceCount(&devices));
  VEIL_CHECK(devices > 0) << rank_label(*this) << ": the NCCL process group needs a GPU, and none is visible";
  try {
    device_ = gpu_for_local_rank(bootstrap.local_rank(), bootstrap.local_size(), devices);
  } catch (const Error& error) {
    throw Error(rank_label(*this) + ": " + error.what());
  }
  VEIL_CUDA_CHECK(cudaSetDevice(device_));
  ncclUniqueId id{};
  if (bootstrap.rank() == 0) check_nccl(ncclGetUniqueId(&id), *this, "ncclGetUniqueId");
  const std::vector<std::byte> ids = bootstrap.all_gather_bytes(&id, sizeof(id));
  std::memcpy(&id, ids.data(), sizeof(id));  // rank 0's
  handles_ = std::make_unique<Handles>();
  check_nccl(ncclCommInitRank(handles_->comm.out(), bootstrap.size(), id, bootstrap.rank()), *this,
             "ncclCommInitRank");
  handles_->token = Tensor::zeros({1}, DType::Float32, Device::cuda(device_));
  handles_->watch.emplace(Device::cuda(device_), [this] { watch(); });
}

NcclProcessGroup::~NcclProcessGroup() {
  if (!handles_) return;
  Handles& h = *handles_;
  h.watch.reset();
  if (broken_) return;
  // Destroying a communicator waits for its queued collectives: they get the
  // timeout, then the communicator is aborted (a destructor must neither
  // throw nor hang).
  for (PollBackoff backoff;; backoff.pause()) {
    std::lock_guard<std::mutex> lock(h.mutex);
    const cudaError_t status = reap(h.queued, h.events);
    if (status == cudaSuccess && h.queued.empty()) return;
    ncclResult_t async = ncclSuccess;
    (void)ncclCommGetAsyncError(h.comm.get(), &async);
    if (status != cudaSuccess || is_failure(async) || backoff.waited_seconds() > timeout_seconds_) {
      h.comm.abort();
      return;
    }
  }
}

void NcclProcessGroup::set_timeout(double seconds) {
  VEIL_CHECK(seconds > 0 && std::isfinite(seconds)) << "the collective timeout must be positive, got " << seconds << " s";
  timeout_seconds_ = seconds;
  bootstrap_.set_timeout(seconds);
}

void NcclProcessGroup::check_usable(const char* operation) const {
  if (broken_)
    throw Error(rank_label(*this) + ": " + operation + " on a process group whose earlier collective failed");
}

void NcclProcessGroup::fail(const std::string& message) {
  Handles& h = *handles_;
  broken_ = true;
  h.comm.abort();  // ends the kernels still waiting for a peer
  h.queued.clear();  // their events stay in the pool, released at the end
  throw Error(rank_label(*this) + ": " + message);
}

// The watcher (Note [Stream-ordered collectives]); reports a failure once,
// after which the group is broken and says so.
void NcclProcessGroup::watch() {
  Handles& h = *handles_;
  std::lock_guard<std::mutex> lock(h.mutex);
  if (broken_) return;
  const char* operation = h.queued.empty() ? h.last_operation : h.queued.front().operation;
  const cudaError_t status = reap(h.queued, h.events);
  if (status != cudaSuccess) fail(std::string(operation) + " failed on the GPU: " + cudaGetErrorString(status));
  ncclResult_t async = ncclSuccess;
  check_nccl(ncclCommGetAsyncError(h.comm.get(), &async), *this, "ncclCommGetAsyncError");
  if (is_failure(async)) fail(std::string("NCCL ") + operation + " failed: " + ncclGetErrorString(async));
  if (!h.queued.empty() && seconds_since(h.queued.front().start) > timeout_seconds_)
    fail(std::string(h.queued.front().operation) + " timed out after " + std::to_string(timeout_seconds_.load()) +
         " s waiting for the other ranks (one of them failed or is stuck)");
}

std::size_t NcclProcessGroup::unfinished() {
  Handles& h = *handles_;
  std::lock_guard<std::mutex> lock(h.mutex);
  if (broken_) return 0;  // the caller's next check_usable says so
  (void)reap(h.queued, h.events);  // an error is the watcher's to report
  return h.queued.size();
}

// Queues `launch(tensor, stream)` for every tensor in one NCCL group on the
// GPU's stream, behind the tensors' producers. The caching allocator may
// hand a tensor's memory to a later op as soon as the caller drops it: that
// op is queued behind the collective (Note [One stream per device]).
template <typename Launch>
void NcclProcessGroup::enqueue(const char* operation, const std::vector<Tensor>& tensors, Launch launch) {
  check_usable(operation);
  for (const Tensor& t : tensors) checked_count(t, device_, rank_label(*this) + ": " + operation);
  const Device gpu = Device::cuda(device_);
  const cudaStream_t stream = cuda::stream_for(gpu);  // makes the GPU current, for the event
  poll_until(gpu, [this] { return unfinished() < kMaxUnfinished; });
  Handles& h = *handles_;
  std::lock_guard<std::mutex> lock(h.mutex);
  check_usable(operation);
  check_nccl(ncclGroupStart(), *this, "ncclGroupStart");
  for (const Tensor& t : tensors) launch(t, stream);
  check_nccl(ncclGroupEnd(), *this, "ncclGroupEnd");
  const cudaEvent_t done = h.events.take();
  VEIL_CUDA_CHECK(cudaEventRecord(done, stream));
  h.queued.push_back({done, operation, std::chrono::steady_clock::now()});
  h.last_operation = operation;
}

void NcclProcessGroup::all_reduce_sum_(const std::vector<Tensor>& tensors) {
  enqueue("all_reduce_sum_", tensors, [this](const Tensor& t, cudaStream_t stream) {
    check_nccl(ncclAllReduce(t.raw_data(), t.raw_data(), static_cast<std::size_t>(t.numel()), nccl_type(t.dtype()),
                             ncclSum, handles_->comm.get(), stream),
               *this, "ncclAllReduce");
  });
}

void NcclProcessGroup::broadcast_(const std::vector<Tensor>& tensors, int root) {
  VEIL_CHECK(root >= 0 && root < size()) << rank_label(*this) << ": broadcast_ from root " << root
                                         << ", not a rank of the group";
  enqueue("broadcast_", tensors, [this, root](const Tensor& t, cudaStream_t stream) {
    check_nccl(ncclBroadcast(t.raw_data(), t.raw_data(), static_cast<std::size_t>(t.numel()), nccl_type(t.dtype()),
                             root, handles_->comm.get(), stream),
               *this, "ncclBroadcast");
  });
}

void NcclProcessGroup::barrier() {
  enqueue("barrier", {handles_->token}, [this](const Tensor& t, cudaStream_t stream) {
    check_nccl(ncclAllReduce(t.raw_data(), t.raw_data(), 1, ncclFloat32, ncclSum, handles_->comm.get(), stream), *this,
               "ncclAllReduce");
  });
  // A barrier promises the host that every rank has reached it, so the host
  // waits here (watched, as any wait for the GPU).
  poll_until(Device::cuda(device_), [this] { return unfinished() == 0; });
  check_usable("barrier");
}

std::vector<std::byte> NcclProcessGroup::all_gather_bytes(const void* data, std::size_t bytes) {
  check_usable("all_gather");
  return bootstrap_.all_gather_bytes(data, bytes);
}

}  // namespace veil::distributed
