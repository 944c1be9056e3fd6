#pragma once
// Phase marks: the end of each phase of a training step (per-sample norms,
// clipping, noise, update), for a profiler that splits a step's time
// (bench_train --profile). The library calls phase_done(name) where a phase
// ends; with no listener installed that is one relaxed atomic load, so the
// marks stay in the code at no measurable cost.
#include <atomic>

namespace veil {

// Called on the thread that finished the phase; `phase` is a string literal.
using PhaseListener = void (*)(const char* phase);

inline std::atomic<PhaseListener> phase_listener{nullptr};

// Installs (or, with nullptr, removes) the process-wide listener.
inline void set_phase_listener(PhaseListener listener) { phase_listener.store(listener, std::memory_order_relaxed); }

inline void phase_done(const char* phase) {
  if (PhaseListener listener = phase_listener.load(std::memory_order_relaxed)) listener(phase);
}

}  // namespace veil
