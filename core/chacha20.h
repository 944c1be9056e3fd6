#pragma once
// ChaCha20 keystream blocks of RFC 8439 (section 2.3), the keystream under
// veil's secure random generator (core/secure_rng.h) and the secure Poisson
// sampler. Computed by libsodium (crypto_stream_chacha20_ietf): cryptography
// comes from a maintained, reviewed library, not from veil; veil's tests keep
// checking the RFC's test vectors through this interface.
#include <array>
#include <cstddef>
#include <cstdint>

namespace veil {

using ChaChaKey = std::array<uint32_t, 8>;     // the 256-bit key as little-endian words
using ChaChaNonce = std::array<uint32_t, 3>;   // the 96-bit nonce as little-endian words
using ChaChaBlock = std::array<uint32_t, 16>;  // one 64-byte keystream block as words

// Initialises libsodium once per process; throws veil::Error if it cannot.
// Every function here and in secure_rng.h calls it first.
void ensure_sodium();

// Keystream blocks counter, counter + 1, ... for (key, nonce) into out[0,
// count); the counter must not pass 2^32 - 1.
void chacha20_blocks(const ChaChaKey& key, uint32_t counter, const ChaChaNonce& nonce, ChaChaBlock* out,
                     std::size_t count);
// Keystream block `counter` for (key, nonce).
ChaChaBlock chacha20_block(const ChaChaKey& key, uint32_t counter, const ChaChaNonce& nonce);

// Little-endian word views of byte strings, as the RFC serialises them.
ChaChaKey chacha20_key_from_bytes(const std::array<uint8_t, 32>& bytes);
std::array<uint8_t, 64> chacha20_block_bytes(const ChaChaBlock& block);

}  // namespace veil
