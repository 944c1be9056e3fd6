#include "veil/core/secure_rng.h"

#include <sodium.h>

#include <algorithm>
#include <string.h>  // explicit_bzero

#include "veil/core/error.h"
#include "veil/core/philox.h"

namespace veil {

void os_random_bytes(uint8_t* out, size_t n) {
  if (n == 0) return;  // randombytes_buf declares its buffer non-null, even for 0 bytes
  ensure_sodium();
  randombytes_buf(out, n);
}

SecureRng::SecureRng() {
  std::array<uint8_t, 32> bytes;
  os_random_bytes(bytes.data(), bytes.size());
  key_ = chacha20_key_from_bytes(bytes);
  explicit_bzero(bytes.data(), bytes.size());
}

SecureRng::SecureRng(const std::array<uint8_t, 32>& key) : key_(chacha20_key_from_bytes(key)) {}

SecureRng::~SecureRng() {
  // explicit_bzero, unlike memset, is not removed as a dead store.
  explicit_bzero(key_.data(), sizeof(key_));
  explicit_bzero(buffer_.data(), sizeof(buffer_));
}

uint32_t SecureRng::next_u32() {
  if (used_ == filled_) {
    // A refill stops where the 32-bit block counter wraps into the next nonce.
    const auto counter = static_cast<uint32_t>(next_block_);
    const std::size_t blocks =
        static_cast<std::size_t>(std::min<uint64_t>(kBufferBlocks, (uint64_t{1} << 32) - counter));
    const ChaChaNonce nonce{static_cast<uint32_t>(next_block_ >> 32), 0, 0};
    chacha20_blocks(key_, counter, nonce, buffer_.data(), blocks);
    next_block_ += blocks;
    filled_ = blocks * 16;
    used_ = 0;
  }
  const std::size_t word = used_++;
  return buffer_[word / 16][word % 16];
}

uint64_t SecureRng::next_u64() {
  const uint64_t lo = next_u32();
  return lo | (uint64_t{next_u32()} << 32);
}

uint128 SecureRng::next_u128() {
  const uint128 lo = next_u64();
  return lo | (uint128{next_u64()} << 64);
}

uint64_t SecureRng::uniform_below(uint64_t bound) {
  VEIL_CHECK(bound > 0) << "uniform_below needs a positive bound";
  return uniform_int_below(bound, [this] { return next_u64(); });
}

uint128 SecureRng::uniform_below_u128(uint128 bound) {
  VEIL_CHECK(bound > 0) << "uniform_below needs a positive bound";
  // Bounds that fit in 64 bits take half the keystream.
  if (bound >> 64 == 0) return uniform_below(static_cast<uint64_t>(bound));
  return uniform_int_below(bound, [this] { return next_u128(); });
}

// The child's key words come straight from the parent's keystream, so no
// copy of the key is left behind on the stack.
SecureRng::SecureRng(SecureRng& parent, SplitFrom) {
  for (uint32_t& word : key_) word = parent.next_u32();
}

SecureRng SecureRng::split() { return SecureRng(*this, SplitFrom{}); }

}  // namespace veil
