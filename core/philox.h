#pragma once
// Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw,
// "Parallel random numbers: as easy as 1, 2, 3" (SC 2011). It is a pure
// function (counter, key) -> 128 random bits, so any part of a stream can be
// computed on its own: fills run in parallel on CPU threads and CUDA threads
// and give the same bits everywhere.
//
// Note [Philox streams]
// A position in veil's random streams is a PhiloxState:
//   key     = seed                   words {seed lo, seed hi}
//   counter = (offset, stream)       words {offset lo, offset hi, stream lo, stream hi}
// `offset` counts 128-bit blocks. The top byte of `stream` is a PhiloxPurpose
// and the low 56 bits an id chosen by that purpose (a step, an epoch), so
// different uses of one seed never share a counter (philox_stream).
// Fill rule, the same for the CPU loop and a CUDA kernel: element i of a
//   float fill  uses block (offset + i / 4), word i % 4 (normals: Box-Muller
//               on words {0,1} gives elements 0,1 and words {2,3} gives 2,3);
//   double fill uses block (offset + i / 2), words {2(i%2), 2(i%2)+1}
//               (normals: one Box-Muller pair from all four words).
// Words, uniforms, normals and the scaled values (lo + (hi - lo) u,
// mean + std z, x + std z) agree bit for bit between CPU and GPU: the
// Gaussian transform and the scaling use only correctly rounded operations,
// never contracted into an FMA (Note [Bit-identical normals],
// core/philox_math.h).
#include <cstdint>

#include "veil/core/host_device.h"
#include "veil/core/philox_math.h"

namespace veil {

struct Philox4x32Block {
  uint32_t v[4];
};

struct PhiloxKey {
  uint32_t v[2];
};

// One Philox4x32-10 evaluation: 10 rounds, the key bumped by the Weyl
// constants between rounds. Checked against the Random123 known answers.
VEIL_HOST_DEVICE inline Philox4x32Block philox4x32_10(Philox4x32Block counter, PhiloxKey key) {
  constexpr uint32_t kM0 = 0xD2511F53u;
  constexpr uint32_t kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u;
  constexpr uint32_t kW1 = 0xBB67AE85u;
  uint32_t* c = counter.v;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key.v[0] += kW0;
      key.v[1] += kW1;
    }
    const uint64_t p0 = static_cast<uint64_t>(kM0) * c[0];
    const uint64_t p1 = static_cast<uint64_t>(kM1) * c[2];
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    const uint32_t c1 = c[1], c3 = c[3];
    c[0] = hi1 ^ c1 ^ key.v[0];
    c[1] = lo1;
    c[2] = hi0 ^ c3 ^ key.v[1];
    c[3] = lo0;
  }
  return counter;
}

// Block `offset` of stream `stream` under key `seed` (Note [Philox streams]).
VEIL_HOST_DEVICE inline Philox4x32Block philox_block(uint64_t seed, uint64_t stream, uint64_t offset) {
  const Philox4x32Block counter{{static_cast<uint32_t>(offset), static_cast<uint32_t>(offset >> 32),
                                 static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32)}};
  const PhiloxKey key{{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)}};
  return philox4x32_10(counter, key);
}

// Uniforms from random words. The _co variants are in [0, 1), the _oc
// variants in (0, 1]: never 0, so log() stays finite. Floats carry 24 random
// bits (one word), doubles 53 (two words, `hi` supplying the top bits).
VEIL_HOST_DEVICE inline float uniform_float_co(uint32_t x) {
  return static_cast<float>(x >> 8) * 0x1p-24f;
}
VEIL_HOST_DEVICE inline float uniform_float_oc(uint32_t x) {
  return static_cast<float>((x >> 8) + 1u) * 0x1p-24f;
}
VEIL_HOST_DEVICE inline double uniform_double_co(uint32_t hi, uint32_t lo) {
  return static_cast<double>(((static_cast<uint64_t>(hi) << 32) | lo) >> 11) * 0x1p-53;
}
VEIL_HOST_DEVICE inline double uniform_double_oc(uint32_t hi, uint32_t lo) {
  return static_cast<double>((((static_cast<uint64_t>(hi) << 32) | lo) >> 11) + 1u) * 0x1p-53;
}

// A uniform integer in [0, bound) from draw(), a source of uniform unsigned
// words of type U (uint64_t, unsigned __int128). Exact: the 2^bits mod bound
// smallest words, which would make some residues one draw more likely than
// the rest, are rejected. Used by Philox and by the secure generator.
template <typename U, typename Draw>
U uniform_int_below(U bound, Draw&& draw) {
  if (bound == 1) return 0;  // certain: spend no randomness
  const U biased = static_cast<U>(U{0} - bound) % bound;
  U x = draw();
  while (x < biased) x = draw();
  return x % bound;
}

// What one block yields under the fill rule of Note [Philox streams].
struct Float4 {
  float v[4];
};
struct Double2 {
  double v[2];
};
constexpr int64_t kPhiloxFloatsPerBlock = 4;
constexpr int64_t kPhiloxDoublesPerBlock = 2;

VEIL_HOST_DEVICE inline Float4 philox_uniform_float4(const Philox4x32Block& b) {
  return Float4{{uniform_float_co(b.v[0]), uniform_float_co(b.v[1]), uniform_float_co(b.v[2]),
                 uniform_float_co(b.v[3])}};
}
VEIL_HOST_DEVICE inline Float4 philox_normal_float4(const Philox4x32Block& b) {
  Float4 z;
  box_muller(uniform_float_oc(b.v[0]), uniform_float_co(b.v[1]), &z.v[0], &z.v[1]);
  box_muller(uniform_float_oc(b.v[2]), uniform_float_co(b.v[3]), &z.v[2], &z.v[3]);
  return z;
}
VEIL_HOST_DEVICE inline Double2 philox_uniform_double2(const Philox4x32Block& b) {
  return Double2{{uniform_double_co(b.v[0], b.v[1]), uniform_double_co(b.v[2], b.v[3])}};
}
VEIL_HOST_DEVICE inline Double2 philox_normal_double2(const Philox4x32Block& b) {
  Double2 z;
  box_muller(uniform_double_oc(b.v[0], b.v[1]), uniform_double_co(b.v[2], b.v[3]), &z.v[0], &z.v[1]);
  return z;
}

// Blocks a fill of n elements at `per_block` elements per block consumes.
constexpr uint64_t philox_blocks(int64_t n, int64_t per_block) {
  return static_cast<uint64_t>((n + per_block - 1) / per_block);
}

// Who draws from a stream: the top byte of the stream word (Note [Philox
// streams]). Each module defines the purposes it draws from in its own
// header, next to the code that draws (layers/dropout.h,
// privacy/gaussian_noise.h, data/poisson_sampler.h, data/shuffle_sampler.h);
// a test checks that no two share a value. Never renumber one: checkpoints
// and reproducibility depend on these values.
struct PhiloxPurpose {
  uint8_t value;
  bool operator==(const PhiloxPurpose&) const = default;
  static const PhiloxPurpose kGeneral;  // Tensor::uniform / Tensor::normal
};
inline constexpr PhiloxPurpose PhiloxPurpose::kGeneral{0};

// The stream word for `purpose` and an id < 2^56 (throws otherwise).
uint64_t philox_stream(PhiloxPurpose purpose, uint64_t id);
// The id bits of a stream word.
constexpr uint64_t kPhiloxStreamIdMask = (uint64_t{1} << 56) - 1;

// A position in a stream: everything needed to save and resume a Philox.
struct PhiloxState {
  uint64_t seed = 0;
  uint64_t stream = 0;
  uint64_t offset = 0;  // the block being read
  uint32_t lane = 0;    // words of block `offset` already consumed, 0..3

  bool operator==(const PhiloxState&) const = default;
};

// A sequential reader of one stream, for host code that draws a few numbers
// at a time (samplers, shuffles). Bulk tensor fills are core/philox_kernels.h.
class Philox {
 public:
  explicit Philox(uint64_t seed, uint64_t stream = 0);
  explicit Philox(const PhiloxState& state);

  uint32_t next_u32();
  uint64_t next_u64();  // two words, the first one high
  // Uniform integer in [0, bound), exactly (rejection of the biased tail).
  uint64_t next_below(uint64_t bound);
  float uniform_float();  // [0, 1), one word
  double uniform();       // [0, 1), two words
  // A standard normal from four words (one Box-Muller pair, the second value
  // is dropped so the state stays a plain position).
  double normal();

  // Skips n 32-bit words.
  void skip(uint64_t n);
  // Reserves `blocks` whole blocks for a fill and returns where they start
  // (lane 0); this generator continues after them.
  PhiloxState take_blocks(uint64_t blocks);

  const PhiloxState& state() const { return state_; }
  void set_state(const PhiloxState& state);

 private:
  PhiloxState state_;
  Philox4x32Block block_{};  // block state_.offset, valid when cached_
  bool cached_ = false;
};

}  // namespace veil
