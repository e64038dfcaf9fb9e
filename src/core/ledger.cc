#include "core/ledger.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <cstring>
#include <stdexcept>

#include "fmt/format.h"

namespace rectrack {

const std::string kGenesisHash(64, '0');

namespace {

std::string Hex(const unsigned char* bytes, size_t n) {
  std::string out(n * 2, '0');
  sodium_bin2hex(out.data(), out.size() + 1, bytes, n);
  return out;
}

// Each field as an 8-byte big-endian length and its bytes.
void Field(Sha256& h, std::string_view v) {
  unsigned char len[8];
  uint64_t n = v.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * (7 - i)));
  h.Update(std::string_view(reinterpret_cast<const char*>(len), sizeof len));
  h.Update(v);
}

}  // namespace

// OpenSSL's SHA-256, which uses the CPU's SHA instructions where it has them
// (four times libsodium's portable code here): the ledger hashes every byte
// of every import.
struct Sha256::State {
  EVP_MD_CTX* ctx = nullptr;
  ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  state_->ctx = EVP_MD_CTX_new();
  if (!state_->ctx || EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 is not available");
}
Sha256::~Sha256() = default;

void Sha256::Update(std::string_view data) {
  EVP_DigestUpdate(state_->ctx, data.data(), data.size());
}

std::string Sha256::HexDigest() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(state_->ctx, out, &n);
  return Hex(out, n);
}

std::string ComputeEventHash(std::string_view prev_hash, int64_t seq, std::string_view ts,
                             std::string_view actor, std::string_view kind,
                             std::string_view payload) {
  Sha256 h;
  Field(h, "rectrack-ledger-v1");
  Field(h, prev_hash);
  Field(h, std::to_string(seq));
  Field(h, ts);
  Field(h, actor);
  Field(h, kind);
  Field(h, payload);
  return h.HexDigest();
}

std::string EventContentDigest(std::string_view ts, std::string_view actor,
                               std::string_view kind, std::string_view payload) {
  Sha256 h;
  Field(h, "rectrack-event-v2");
  Field(h, ts);
  Field(h, actor);
  Field(h, kind);
  Field(h, payload);
  return h.HexDigest();
}

std::string LinkHash(std::string_view prev_hash, int64_t seq, std::string_view content_digest) {
  Sha256 h;
  Field(h, "rectrack-ledger-v2");
  Field(h, prev_hash);
  Field(h, std::to_string(seq));
  Field(h, content_digest);
  return h.HexDigest();
}

std::string EventHash(const LedgerEvent& e) {
  if (e.scheme == 1) return ComputeEventHash(e.prev_hash, e.seq, e.ts, e.actor, e.kind, e.payload);
  if (e.scheme == 2)
    return LinkHash(e.prev_hash, e.seq, EventContentDigest(e.ts, e.actor, e.kind, e.payload));
  return "";
}

std::string Sha256Hex(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.HexDigest();
}

bool ChainVerifier::Add(const LedgerEvent& e) {
  if (!ok()) return false;
  ++count_;
  auto fail = [&](std::string why) {
    problem_ = std::move(why);
    broken_seq_ = e.seq;
    return false;
  };
  if (e.seq != head_seq_ + 1) {
    if (e.seq <= head_seq_)
      return fail(fmt::format("event {} comes after event {}: events were reordered or "
                              "duplicated",
                              e.seq, head_seq_));
    return fail(fmt::format("event {} follows event {}: event(s) {}..{} are missing", e.seq,
                            head_seq_, head_seq_ + 1, e.seq - 1));
  }
  if (e.prev_hash != head_hash_)
    return fail(fmt::format("event {} does not link to event {}: its prev_hash {} is not {}",
                            e.seq, head_seq_, e.prev_hash, head_hash_));
  if (e.scheme != 1 && e.scheme != 2)
    return fail(fmt::format("event {} has an unknown hash scheme {}", e.seq, e.scheme));
  if (e.scheme < scheme_)
    return fail(fmt::format("event {} goes back to hash scheme {} after scheme {}", e.seq,
                            e.scheme, scheme_));
  std::string expect = EventHash(e);
  if (expect != e.hash)
    return fail(fmt::format("event {} ({} by {} at {}) was altered: its content hashes to {}, "
                            "not the recorded {}",
                            e.seq, e.kind, e.actor, e.ts, expect, e.hash));
  head_seq_ = e.seq;
  head_hash_ = e.hash;
  scheme_ = e.scheme;
  return true;
}

}  // namespace rectrack
