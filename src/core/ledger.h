#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace rectrack {

// One entry of the append-only, hash-chained ledger.
struct LedgerEvent {
  int64_t seq = 0;        // 1, 2, 3, ... without gaps
  std::string ts;         // UTC, "2026-11-26T04:15:05.123Z"
  std::string actor;      // "cli:root", "user:alice"
  std::string kind;       // "import", "update", "alias", "publish", ...
  std::string payload;    // canonical JSON
  std::string prev_hash;  // hex; the genesis hash for seq 1
  std::string hash;       // hex SHA-256 over all of the above
  // How `hash` is computed: 1, over the whole event (ledgers before the
  // verifiable-state change); 2, over the link and a digest of the content
  // (EventContentDigest), so that a chain of links can be checked without the
  // events' contents (consistency proofs for witnesses). See docs/trust.md.
  int scheme = 2;
};

// 64 zeros: the prev_hash of the first event.
extern const std::string kGenesisHash;

// SHA-256 (libsodium) over the length-prefixed fields, so that no two different
// events can be made to hash alike by moving bytes between fields.
std::string ComputeEventHash(std::string_view prev_hash, int64_t seq, std::string_view ts,
                             std::string_view actor, std::string_view kind,
                             std::string_view payload);

// Scheme 2: the digest of an event's content, SHA-256 over the length-prefixed
// fields "rectrack-event-v2", ts, actor, kind, payload.
std::string EventContentDigest(std::string_view ts, std::string_view actor,
                               std::string_view kind, std::string_view payload);
// Scheme 2: an event's hash, SHA-256 over the length-prefixed fields
// "rectrack-ledger-v2", prev_hash, decimal seq, content digest. A witness holding
// only (seq, content digest, hash) triples checks that one head extends another.
std::string LinkHash(std::string_view prev_hash, int64_t seq, std::string_view content_digest);
// The hash `e` should have under its scheme (empty for an unknown scheme).
std::string EventHash(const LedgerEvent& e);

std::string Sha256Hex(std::string_view data);

// Sha256Hex of data that arrives in parts (a file read as it is imported).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data);
  // The digest of everything given so far, as Sha256Hex; call once.
  std::string HexDigest();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Checks a chain one event at a time, in stored order. After the first broken
// link it stops judging and reports that link.
class ChainVerifier {
 public:
  // Returns false once the chain is broken; problem() then names the link.
  bool Add(const LedgerEvent& e);
  bool ok() const { return problem_.empty(); }
  const std::string& problem() const { return problem_; }
  int64_t broken_seq() const { return broken_seq_; }
  int64_t count() const { return count_; }
  int64_t head_seq() const { return head_seq_; }
  const std::string& head_hash() const { return head_hash_; }

 private:
  std::string problem_;
  int64_t broken_seq_ = 0;
  int64_t count_ = 0;
  int64_t head_seq_ = 0;
  std::string head_hash_ = kGenesisHash;
  int scheme_ = 1;  // the scheme of the last event: it may only go up
};

}  // namespace rectrack
