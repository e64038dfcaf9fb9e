#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "nlohmann/json.hpp"
#include "store/store.h"

namespace rectrack {

// Signed checkpoints as documents: what the API serves at /api/v1/checkpoints,
// what `rectrack checkpoint -o FILE` writes, what `verify --checkpoint` and
// `witness` read. docs/trust.md describes them.

// One checkpoint: {"ledger_seq", "ledger_hash", "state_digest", "time",
// "signature": {"alg": "ed25519", "public_key", "signature", "signed":
// "rectrack-checkpoint-v1"}}.
nlohmann::json CheckpointDoc(const Checkpoint& c);
// Reads one; checks its form and its signature (not whose key it is).
Result<Checkpoint> ParseCheckpointDoc(const nlohmann::json& doc);

// The tracker's keys, oldest first, each after the first with the endorsement
// of the one before.
nlohmann::json KeysDoc(const std::vector<TrackerKey>& keys);
// Reads a KeysDoc and checks that each key endorses the next (for witnesses,
// who trust the first key they saw, or one they were given).
Result<std::vector<TrackerKey>> ParseKeysDoc(const nlohmann::json& doc);

// {"keys": KeysDoc, "checkpoints": [CheckpointDoc, ...]}: every checkpoint,
// oldest first.
Result<nlohmann::json> CheckpointsDoc(Store& store);

// A consistency proof: the links of the events after `from` up to `to`, each
// [seq, content digest, hash] (docs/trust.md), so that anyone holding the
// checkpoint at `from` can check that the one at `to` extends it without the
// events' contents. At most kMaxProofLinks links; events hashed by the old
// scheme (before a store's baseline) cannot be proven this way.
inline constexpr int64_t kMaxProofLinks = 100000;
Result<nlohmann::json> ProofDoc(Store& store, int64_t from, int64_t to);
// Checks a ProofDoc from (from_seq, from_hash) to (to_seq, to_hash).
Status CheckProof(const nlohmann::json& proof, int64_t from_seq, const std::string& from_hash,
                  int64_t to_seq, const std::string& to_hash);

}  // namespace rectrack
