#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/ledger.h"
#include "core/result.h"
#include "store/store.h"

namespace rectrack {

// `rectrack verify`: the ledger is the truth, the tables its projection. A
// check replays the ledger into a scratch store (Store::Apply, the function
// every write uses) and compares the result with the live tables, row by row;
// on the way it checks the chain, the signed head, the key history, every
// publication's signature and pin, and every checkpoint's signature and state
// digest. docs/trust.md says what this guarantees, and against whom.

struct VerifyOptions {
  // Checkpoints kept outside the store (`verify --checkpoint`): the ledger must
  // extend each of them, whoever holds the key.
  std::vector<Checkpoint> checkpoints;
  // A public key the caller trusts (`verify --key`): it must be one of the
  // tracker's keys, so that a history re-signed with another key fails.
  std::string trusted_key;
  // The public half of the operator's key file, when there is one: the store's
  // current key must be it.
  std::string operator_key;
  // Check the search index and the secrets' digests too.
  bool check_derived = true;
};

// The digest of a projected state, as checkpoints carry it: SHA-256 over
// "rectrack-state-v1" and then every projected table in order (its name, its
// rows in key order, each value as a tag byte 0 NULL, 1 number (8 bytes, big
// endian), 2 text (8-byte length, then the bytes), then 0xFF), docs/trust.md.
Result<std::string> StateDigest(Store& store);

// Keeps a replayed projection of one store's ledger between checks, so that a
// check after a few writes only replays and compares what they changed. Not
// thread-safe: one user at a time.
class Verifier {
 public:
  static Result<std::unique_ptr<Verifier>> Create();
  ~Verifier();

  // Replays the whole ledger into a new scratch store and compares everything.
  // A report with problems is a result, not an error: errors are I/O.
  Result<VerifyReport> Full(Store& live, const VerifyOptions& options);
  // After a Full() that passed: replays only the events since, checks that the
  // events already checked are still there unchanged, and compares the rows
  // the new events changed and the signed head. Runs Full() the first time.
  Result<VerifyReport> Incremental(Store& live, const VerifyOptions& options);
  // Compares every row of one source (recommendations, assignments, updates,
  // funding, publications) and every owner and alias with the replayed state:
  // what a publication of that source is about to freeze.
  Status CompareSource(Store& live, int64_t source_id, std::vector<std::string>* problems);
  // The digest of the replayed state at the head last checked.
  Result<std::string> ReplayedStateDigest();

  // Forget what was checked: the next Incremental() is a Full(). For when
  // events it replayed were rolled back (a publication that failed midway).
  void Invalidate() { ok_ = false; }

  bool ok() const { return ok_; }
  // The publications the replay checked (signature, digest, pin, key), each as
  // "SNAPSHOT_SHA256 SIGNATURE", by id; after a check that passed, the live
  // rows equal them.
  std::map<int64_t, std::string> VerifiedPublications() const;
  int64_t checked_seq() const { return checked_seq_; }
  const std::string& checked_hash() const { return checked_hash_; }

 private:
  // Full and Incremental inside the read snapshot the public ones open.
  Result<VerifyReport> FullInSnapshot(Store& live, const VerifyOptions& options);
  Result<VerifyReport> IncrementalInSnapshot(Store& live, const VerifyOptions& options);
  Verifier() = default;
  struct Replay;
  std::unique_ptr<Replay> replay_;
  bool ok_ = false;
  int64_t checked_seq_ = 0;
  std::string checked_hash_;
};

// One check of `live` with a new Verifier (Full).
Result<VerifyReport> VerifyStore(Store& live, const VerifyOptions& options);

// What serving a publication needs to know of it, checked alone and cheaply:
// its snapshot against its digest, its signature by a key of the tracker that
// was current when it was made, its row against the ledger event that made
// it, and its pin against the chain. Empty: it holds.
Result<std::vector<std::string>> CheckPublication(Store& store, const Publication& p);

}  // namespace rectrack
