#pragma once
// The ChaCha20 block function of RFC 8439 (section 2.3), the keystream under
// veil's secure random generator (privacy/secure_rng.h). Written from the RFC
// and checked against its test vectors; no encryption API, only blocks.
#include <array>
#include <cstdint>

namespace veil {

using ChaChaKey = std::array<uint32_t, 8>;     // the 256-bit key as little-endian words
using ChaChaNonce = std::array<uint32_t, 3>;   // the 96-bit nonce as little-endian words
using ChaChaBlock = std::array<uint32_t, 16>;  // one 64-byte keystream block as words

// The RFC's quarter round on four state words (section 2.1).
void chacha20_quarter_round(uint32_t& a, uint32_t& b, uint32_t& c, uint32_t& d);

// Keystream block `counter` for (key, nonce): 20 rounds plus the input state.
ChaChaBlock chacha20_block(const ChaChaKey& key, uint32_t counter, const ChaChaNonce& nonce);

// Little-endian word views of byte strings, as the RFC serialises them.
ChaChaKey chacha20_key_from_bytes(const std::array<uint8_t, 32>& bytes);
std::array<uint8_t, 64> chacha20_block_bytes(const ChaChaBlock& block);

}  // namespace veil
