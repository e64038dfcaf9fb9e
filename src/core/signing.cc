#include "core/signing.h"

#include <sodium.h>

#include <stdexcept>
#include <vector>

#include "fmt/format.h"

namespace rectrack {
namespace {

void InitSodium() {
  // Idempotent and thread-safe; the command line calls it first, tests may not.
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string Hex(const unsigned char* bytes, size_t n) {
  std::string out(n * 2, '0');
  sodium_bin2hex(out.data(), out.size() + 1, bytes, n);
  return out;
}

// Decodes exactly `n` bytes of hex (either case); false otherwise.
bool Unhex(std::string_view hex, size_t n, unsigned char* out) {
  if (hex.size() != n * 2) return false;
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(out, n, hex.data(), hex.size(), nullptr, &len, &end) != 0) return false;
  return len == n && end == hex.data() + hex.size();
}

struct SecretKey {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  ~SecretKey() { sodium_memzero(sk, sizeof sk); }
};

bool FromSeed(std::string_view seed_hex, SecretKey* key) {
  unsigned char seed[crypto_sign_SEEDBYTES];
  if (!Unhex(seed_hex, sizeof seed, seed)) return false;
  crypto_sign_seed_keypair(key->pk, key->sk, seed);
  sodium_memzero(seed, sizeof seed);
  return true;
}

void Quoted(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (u < 0x20) {
      *out += fmt::format("\\u{:04x}", u);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

}  // namespace

SigningKeyPair GenerateSigningKey() {
  InitSodium();
  unsigned char seed[crypto_sign_SEEDBYTES];
  randombytes_buf(seed, sizeof seed);
  SigningKeyPair out;
  out.seed_hex = Hex(seed, sizeof seed);
  sodium_memzero(seed, sizeof seed);
  SecretKey key;
  FromSeed(out.seed_hex, &key);
  out.public_key_hex = Hex(key.pk, sizeof key.pk);
  return out;
}

Result<SigningKeyPair> SigningKeyFromSeed(std::string_view seed_hex) {
  InitSodium();
  SecretKey key;
  if (!FromSeed(seed_hex, &key))
    return Fail(Error::Corrupt("the stored signing key is not 64 hexadecimal digits"));
  return SigningKeyPair{std::string(seed_hex), Hex(key.pk, sizeof key.pk)};
}

Result<std::string> SignMessage(std::string_view seed_hex, std::string_view message) {
  InitSodium();
  SecretKey key;
  if (!FromSeed(seed_hex, &key))
    return Fail(Error::Corrupt("the stored signing key is not 64 hexadecimal digits"));
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), key.sk);
  return Hex(sig, sizeof sig);
}

bool VerifySignature(std::string_view public_key_hex, std::string_view message,
                     std::string_view signature_hex) {
  InitSodium();
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sig[crypto_sign_BYTES];
  if (!Unhex(public_key_hex, sizeof pk, pk) || !Unhex(signature_hex, sizeof sig, sig))
    return false;
  return crypto_sign_verify_detached(sig, reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), pk) == 0;
}

namespace {

// A signed message: its first line, then "name=value" lines (integers in
// decimal, everything else Quoted).
class Message {
 public:
  explicit Message(std::string_view first) : m_(first) { m_ += '\n'; }
  void Str(std::string_view name, std::string_view v) {
    m_ += name;
    m_ += '=';
    Quoted(&m_, v);
    m_ += '\n';
  }
  void Num(std::string_view name, int64_t v) { m_ += fmt::format("{}={}\n", name, v); }
  std::string Take() { return std::move(m_); }

 private:
  std::string m_;
};

}  // namespace

std::string HeadSigningMessage(int64_t ledger_seq, std::string_view ledger_hash) {
  Message m("rectrack-head-v1");
  m.Num("ledger_seq", ledger_seq);
  m.Str("ledger_hash", ledger_hash);
  return m.Take();
}

std::string CheckpointSigningMessage(const CheckpointFields& f) {
  Message m("rectrack-checkpoint-v1");
  m.Num("ledger_seq", f.ledger_seq);
  m.Str("ledger_hash", f.ledger_hash);
  m.Str("state_digest", f.state_digest);
  m.Str("time", f.time);
  return m.Take();
}

std::string KeyEndorsementMessage(std::string_view previous_key, std::string_view public_key,
                                  int64_t first_seq) {
  Message m("rectrack-key-rotation-v1");
  m.Str("previous_key", previous_key);
  m.Str("public_key", public_key);
  m.Num("first_seq", first_seq);
  return m.Take();
}

std::string PublicationSigningMessage(const PublicationSigningFields& f) {
  Message m("rectrack-publication-v1");
  m.Num("id", f.id);
  m.Str("source", f.source);
  m.Str("title", f.title);
  m.Str("as_of", f.as_of);
  m.Str("created_at", f.created_at);
  m.Num("ledger_seq", f.ledger_seq);
  m.Str("ledger_hash", f.ledger_hash);
  m.Str("snapshot_sha256", f.snapshot_sha256);
  return m.Take();
}

std::string RandomHex(size_t n) {
  InitSodium();
  std::vector<unsigned char> buf(n);
  randombytes_buf(buf.data(), buf.size());
  std::string out = Hex(buf.data(), buf.size());
  sodium_memzero(buf.data(), buf.size());
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace rectrack
