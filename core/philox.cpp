#include "veil/core/philox.h"

#include "veil/core/error.h"

namespace veil {

uint64_t philox_stream(PhiloxPurpose purpose, uint64_t id) {
  VEIL_CHECK(id < (uint64_t{1} << 56)) << "Philox stream id " << id << " does not fit in 56 bits";
  return (static_cast<uint64_t>(purpose.value) << 56) | id;
}

Philox::Philox(uint64_t seed, uint64_t stream) : state_{seed, stream, 0, 0} {}

Philox::Philox(const PhiloxState& state) { set_state(state); }

void Philox::set_state(const PhiloxState& state) {
  VEIL_CHECK(state.lane < 4) << "Philox lane " << state.lane << " out of range [0, 4)";
  state_ = state;
  cached_ = false;
}

uint32_t Philox::next_u32() {
  if (!cached_) {
    block_ = philox_block(state_.seed, state_.stream, state_.offset);
    cached_ = true;
  }
  const uint32_t word = block_.v[state_.lane];
  if (++state_.lane == 4) {
    state_.lane = 0;
    ++state_.offset;
    cached_ = false;
  }
  return word;
}

uint64_t Philox::next_u64() {
  const uint64_t hi = next_u32();
  return (hi << 32) | next_u32();
}

uint64_t Philox::next_below(uint64_t bound) {
  VEIL_CHECK(bound > 0) << "next_below needs a positive bound";
  return uniform_int_below(bound, [this] { return next_u64(); });
}

float Philox::uniform_float() { return uniform_float_co(next_u32()); }

double Philox::uniform() {
  const uint32_t hi = next_u32();
  return uniform_double_co(hi, next_u32());
}

double Philox::normal() {
  Philox4x32Block words;
  for (uint32_t& w : words.v) w = next_u32();
  return philox_normal_double2(words).v[0];
}

void Philox::skip(uint64_t n) {
  const uint64_t words = state_.lane + n;
  state_.offset += words / 4;
  state_.lane = static_cast<uint32_t>(words % 4);
  cached_ = false;
}

PhiloxState Philox::take_blocks(uint64_t blocks) {
  if (state_.lane != 0) skip(4 - state_.lane);
  const PhiloxState start = state_;
  state_.offset += blocks;
  cached_ = false;
  return start;
}

}  // namespace veil
