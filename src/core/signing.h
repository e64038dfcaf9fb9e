#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rectrack {

// Ed25519 signatures (libsodium) of publications, and the random secrets of
// accounts (session and API tokens). Keys and signatures travel as lowercase hex.

struct SigningKeyPair {
  std::string seed_hex;        // 32 bytes: the secret; the whole key derives from it
  std::string public_key_hex;  // 32 bytes
};

// A new key pair from the operating system's randomness.
SigningKeyPair GenerateSigningKey();
// The key pair of a stored seed; fails if the seed is not 64 hex digits.
Result<SigningKeyPair> SigningKeyFromSeed(std::string_view seed_hex);

// The detached signature of `message`, hex (64 bytes).
Result<std::string> SignMessage(std::string_view seed_hex, std::string_view message);
// True when `signature_hex` is `public_key_hex`'s signature of `message`.
// Malformed hex is simply "not valid".
bool VerifySignature(std::string_view public_key_hex, std::string_view message,
                     std::string_view signature_hex);

// What a publication's signature covers. See docs/signatures.md.
struct PublicationSigningFields {
  int64_t id = 0;
  std::string source;  // the source's slug
  std::string title;
  std::string as_of;       // YYYY-MM-DD
  std::string created_at;  // UTC timestamp, as stored
  int64_t ledger_seq = 0;
  std::string ledger_hash;
  std::string snapshot_sha256;
};

// The exact bytes that are signed: a first line "rectrack-publication-v1", then
// one line per field, "name=value", in the order of the struct; integers in
// decimal, every other value as a quoted string ('"' and '\' escaped with a
// backslash, bytes below 0x20 as \u00XX with lowercase hex, everything else as
// its own bytes). Every line ends with "\n".
std::string PublicationSigningMessage(const PublicationSigningFields& f);

// The bytes that sign a store's ledger head, so that events cut off its end
// cannot go unseen by whoever lacks the key: "rectrack-head-v1", then
// ledger_seq and ledger_hash, one per line as above.
std::string HeadSigningMessage(int64_t ledger_seq, std::string_view ledger_hash);

// A signed checkpoint: a ledger head and the digest of the state it leads to,
// at a time. Outsiders keep them (`rectrack witness`); see docs/trust.md.
struct CheckpointFields {
  int64_t ledger_seq = 0;
  std::string ledger_hash;
  std::string state_digest;
  std::string time;  // UTC timestamp
};
// "rectrack-checkpoint-v1", then ledger_seq, ledger_hash, state_digest, time.
std::string CheckpointSigningMessage(const CheckpointFields& f);

// What the old key signs when the tracker's key is rotated:
// "rectrack-key-rotation-v1", then previous_key, public_key and first_seq (the
// ledger event from which the new key signs).
std::string KeyEndorsementMessage(std::string_view previous_key, std::string_view public_key,
                                  int64_t first_seq);

// `n` random bytes, hex (2n digits).
std::string RandomHex(size_t n);

// Constant-time equality of two strings (the length is not secret).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace rectrack
