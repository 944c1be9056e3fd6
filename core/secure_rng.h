#pragma once
// Randomness for secure mode (docs/secure_noise.md): a ChaCha20 keystream
// (core/chacha20.h) keyed with 256 bits from the operating system. Unlike
// Philox, its output cannot be recomputed from anything in a checkpoint or a
// log, so the noise of a private run cannot be subtracted again.
//
// Keystream layout: block j of the stream is chacha20_block(key, j mod 2^32,
// nonce {j / 2^32, 0, 0}), i.e. a 64-bit block counter spread over the RFC's
// 32-bit counter and first nonce word, so the stream never repeats; words are
// consumed in order.
#include <array>
#include <cstddef>
#include <cstdint>

#include "veil/core/chacha20.h"

namespace veil {

__extension__ typedef unsigned __int128 uint128;

// Fills out[0, n) from the operating system's CSPRNG through libsodium's
// randombytes_buf (getrandom(2) on Linux, blocking until the kernel pool is
// seeded).
void os_random_bytes(uint8_t* out, size_t n);

// A cryptographically secure generator. Neither copyable nor movable: a
// copy would hand out the same "secret" stream twice. split() makes
// independent generators for parallel workers.
class SecureRng {
 public:
  // Keyed with 32 fresh bytes from os_random_bytes.
  SecureRng();
  // Keyed by the caller. Deterministic, so only for known-answer tests and
  // for split(); a private run uses the default constructor.
  explicit SecureRng(const std::array<uint8_t, 32>& key);
  SecureRng(const SecureRng&) = delete;
  SecureRng& operator=(const SecureRng&) = delete;
  // Wipes the key and the buffered keystream.
  ~SecureRng();

  uint32_t next_u32();
  uint64_t next_u64();    // two words, the first one low
  uint128 next_u128();    // four words, the first one lowest
  // Uniform integers in [0, bound), exactly; bound > 0.
  uint64_t uniform_below(uint64_t bound);
  uint128 uniform_below_u128(uint128 bound);
  // A generator keyed by the next 32 bytes of this one's keystream.
  SecureRng split();

 private:
  struct SplitFrom {};
  SecureRng(SecureRng& parent, SplitFrom);

  ChaChaKey key_;
  // The keystream is produced 16 blocks (1 KiB) at a time: one library call
  // per block would dominate the cost of secure noise.
  static constexpr std::size_t kBufferBlocks = 16;
  uint64_t next_block_ = 0;
  std::array<ChaChaBlock, kBufferBlocks> buffer_{};
  std::size_t filled_ = 0;  // words of buffer_ holding keystream
  std::size_t used_ = 0;    // words of buffer_ already handed out
};

}  // namespace veil
