#include "core/ledger.h"

#include <sodium.h>

#include <cstring>

#include "fmt/format.h"

namespace rectrack {

const std::string kGenesisHash(64, '0');

namespace {

void Field(crypto_hash_sha256_state* st, std::string_view v) {
  unsigned char len[8];
  uint64_t n = v.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * (7 - i)));
  crypto_hash_sha256_update(st, len, sizeof len);
  crypto_hash_sha256_update(st, reinterpret_cast<const unsigned char*>(v.data()), v.size());
}

std::string Hex(const unsigned char* bytes, size_t n) {
  std::string out(n * 2, '0');
  sodium_bin2hex(out.data(), out.size() + 1, bytes, n);
  return out;
}

}  // namespace

std::string ComputeEventHash(std::string_view prev_hash, int64_t seq, std::string_view ts,
                             std::string_view actor, std::string_view kind,
                             std::string_view payload) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  Field(&st, "rectrack-ledger-v1");
  Field(&st, prev_hash);
  Field(&st, std::to_string(seq));
  Field(&st, ts);
  Field(&st, actor);
  Field(&st, kind);
  Field(&st, payload);
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&st, out);
  return Hex(out, sizeof out);
}

std::string EventContentDigest(std::string_view ts, std::string_view actor,
                               std::string_view kind, std::string_view payload) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  Field(&st, "rectrack-event-v2");
  Field(&st, ts);
  Field(&st, actor);
  Field(&st, kind);
  Field(&st, payload);
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&st, out);
  return Hex(out, sizeof out);
}

std::string LinkHash(std::string_view prev_hash, int64_t seq, std::string_view content_digest) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  Field(&st, "rectrack-ledger-v2");
  Field(&st, prev_hash);
  Field(&st, std::to_string(seq));
  Field(&st, content_digest);
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&st, out);
  return Hex(out, sizeof out);
}

std::string EventHash(const LedgerEvent& e) {
  if (e.scheme == 1) return ComputeEventHash(e.prev_hash, e.seq, e.ts, e.actor, e.kind, e.payload);
  if (e.scheme == 2)
    return LinkHash(e.prev_hash, e.seq, EventContentDigest(e.ts, e.actor, e.kind, e.payload));
  return "";
}

std::string Sha256Hex(std::string_view data) {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return Hex(out, sizeof out);
}

struct Sha256::State {
  crypto_hash_sha256_state st;
};

Sha256::Sha256() : state_(std::make_unique<State>()) { crypto_hash_sha256_init(&state_->st); }
Sha256::~Sha256() = default;

void Sha256::Update(std::string_view data) {
  crypto_hash_sha256_update(&state_->st, reinterpret_cast<const unsigned char*>(data.data()),
                            data.size());
}

std::string Sha256::HexDigest() {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state_->st, out);
  return Hex(out, sizeof out);
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
