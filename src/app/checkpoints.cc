#include "app/checkpoints.h"

#include "core/ledger.h"
#include "core/signing.h"
#include "fmt/format.h"

namespace rectrack {

using json = nlohmann::json;

json CheckpointDoc(const Checkpoint& c) {
  return json{{"ledger_seq", c.ledger_seq},
              {"ledger_hash", c.ledger_hash},
              {"state_digest", c.state_digest},
              {"time", c.time},
              {"signature", {{"alg", "ed25519"},
                             {"public_key", c.public_key},
                             {"signature", c.signature},
                             {"signed", "rectrack-checkpoint-v1"}}}};
}

namespace {

std::string Str(const json& doc, const char* name, std::vector<std::string>* problems) {
  if (!doc.contains(name) || !doc[name].is_string()) {
    problems->push_back(fmt::format("\"{}\" is missing or not text", name));
    return "";
  }
  return doc[name].get<std::string>();
}

}  // namespace

Result<Checkpoint> ParseCheckpointDoc(const json& doc) {
  if (!doc.is_object()) return Fail(Error::Invalid("a checkpoint is a JSON object"));
  std::vector<std::string> problems;
  Checkpoint c;
  if (!doc.contains("ledger_seq") || !doc["ledger_seq"].is_number_integer() ||
      doc["ledger_seq"].get<int64_t>() < 0)
    problems.push_back("\"ledger_seq\" is missing or not a whole number");
  else
    c.ledger_seq = doc["ledger_seq"].get<int64_t>();
  c.ledger_hash = Str(doc, "ledger_hash", &problems);
  c.state_digest = Str(doc, "state_digest", &problems);
  c.time = Str(doc, "time", &problems);
  if (!doc.contains("signature") || !doc["signature"].is_object()) {
    problems.push_back("\"signature\" is missing");
  } else {
    const json& s = doc["signature"];
    if (Str(s, "alg", &problems) != "ed25519") problems.push_back("the signature is not ed25519");
    c.public_key = Str(s, "public_key", &problems);
    c.signature = Str(s, "signature", &problems);
  }
  if (!problems.empty())
    return Fail(Error::Invalid(fmt::format("not a checkpoint: {}", problems.front())));
  if (!VerifySignature(c.public_key,
                       CheckpointSigningMessage({c.ledger_seq, c.ledger_hash, c.state_digest, c.time}),
                       c.signature))
    return Fail(Error::Invalid(fmt::format(
        "the checkpoint at event {} is not signed by the key it names ({}): it was altered",
        c.ledger_seq, c.public_key)));
  return c;
}

json KeysDoc(const std::vector<TrackerKey>& keys) {
  json out = json::array();
  for (const auto& k : keys)
    out.push_back({{"public_key", k.public_key},
                   {"created_at", k.created_at},
                   {"first_seq", k.first_seq},
                   {"previous_key", k.previous_key.empty() ? json(nullptr) : json(k.previous_key)},
                   {"endorsement", k.endorsement.empty() ? json(nullptr) : json(k.endorsement)}});
  return out;
}

Result<std::vector<TrackerKey>> ParseKeysDoc(const json& doc) {
  if (!doc.is_array() || doc.empty()) return Fail(Error::Invalid("the key list is missing or empty"));
  std::vector<TrackerKey> keys;
  for (const auto& k : doc) {
    std::vector<std::string> problems;
    if (!k.is_object()) return Fail(Error::Invalid("a key is not a JSON object"));
    TrackerKey t;
    t.public_key = Str(k, "public_key", &problems);
    t.created_at = Str(k, "created_at", &problems);
    if (k.contains("first_seq") && k["first_seq"].is_number_integer()) t.first_seq = k["first_seq"].get<int64_t>();
    else problems.push_back("\"first_seq\" is missing");
    if (k.contains("previous_key") && k["previous_key"].is_string()) t.previous_key = k["previous_key"].get<std::string>();
    if (k.contains("endorsement") && k["endorsement"].is_string()) t.endorsement = k["endorsement"].get<std::string>();
    if (!problems.empty()) return Fail(Error::Invalid(fmt::format("a key: {}", problems.front())));
    if (!keys.empty()) {
      if (t.previous_key != keys.back().public_key ||
          !VerifySignature(t.previous_key, KeyEndorsementMessage(t.previous_key, t.public_key, t.first_seq),
                           t.endorsement))
        return Fail(Error::Invalid(fmt::format(
            "key {} is not endorsed by the key before it ({})", t.public_key, keys.back().public_key)));
    }
    keys.push_back(std::move(t));
  }
  return keys;
}

Result<json> CheckpointsDoc(Store& store) {
  auto keys = store.TrackerKeys();
  if (!keys) return Fail(keys.error());
  auto cps = store.Checkpoints();
  if (!cps) return Fail(cps.error());
  json list = json::array();
  for (const auto& c : *cps) list.push_back(CheckpointDoc(c));
  return json{{"keys", KeysDoc(*keys)},
              {"checkpoints", list},
              {"links", {{"latest", "/api/v1/checkpoints/latest"},
                         {"proof", "/api/v1/ledger/proof?from={ledger_seq}&to={ledger_seq}"}}}};
}

Result<json> ProofDoc(Store& store, int64_t from, int64_t to) {
  if (from < 0 || to < from)
    return Fail(Error::Invalid("a proof goes from one event to the same or a later one (from <= to)"));
  if (to - from > kMaxProofLinks)
    return Fail(Error::Invalid(fmt::format("a proof holds at most {} links: ask for a shorter range",
                                           kMaxProofLinks)));
  auto head = store.Head();
  if (!head) return Fail(head.error());
  if (to > head->seq)
    return Fail(Error::NotFound(fmt::format("the ledger ends at event {}", head->seq)));
  json links = json::array();
  std::string from_hash = kGenesisHash;
  Status problem;
  if (from > 0) {
    auto e = store.GetEvent(from);
    if (!e) return Fail(e.error());
    if (!*e) return Fail(Error::NotFound(fmt::format("no event {}", from)));
    from_hash = (*e)->hash;
  }
  if (to > from)
    RT_TRY(store.ForEachEventFrom(from + 1, [&](const LedgerEvent& e) {
      if (e.seq > to) return false;
      if (e.scheme != 2) {
        problem = Fail(Error::Conflict(fmt::format(
            "event {} was hashed by the old scheme, before the store's baseline: proofs start "
            "after it",
            e.seq)));
        return false;
      }
      links.push_back(json::array({e.seq, EventContentDigest(e.ts, e.actor, e.kind, e.payload), e.hash}));
      return true;
    }));
  if (!problem) return Fail(problem.error());
  return json{{"from", {{"ledger_seq", from}, {"ledger_hash", from_hash}}}, {"links", links}};
}

Status CheckProof(const json& proof, int64_t from_seq, const std::string& from_hash, int64_t to_seq,
                  const std::string& to_hash) {
  if (!proof.is_object() || !proof.contains("links") || !proof["links"].is_array())
    return Fail(Error::Invalid("the proof is not a proof (no links)"));
  int64_t seq = from_seq;
  std::string hash = from_hash;
  for (const auto& l : proof["links"]) {
    if (!l.is_array() || l.size() != 3 || !l[0].is_number_integer() || !l[1].is_string() ||
        !l[2].is_string())
      return Fail(Error::Invalid("a link of the proof is malformed"));
    int64_t s = l[0].get<int64_t>();
    if (s != seq + 1) return Fail(Error::Invalid(fmt::format("the proof skips from event {} to {}", seq, s)));
    std::string expect = LinkHash(hash, s, l[1].get<std::string>());
    if (expect != l[2].get<std::string>())
      return Fail(Error::Corrupt(fmt::format("the proof's event {} does not link to event {}", s, seq)));
    seq = s;
    hash = expect;
  }
  if (seq != to_seq || hash != to_hash)
    return Fail(Error::Corrupt(fmt::format(
        "the chain from event {} leads to event {} with hash {}, not to the checkpoint's event {} "
        "with hash {}: the history was rewritten",
        from_seq, seq, hash, to_seq, to_hash)));
  return {};
}

}  // namespace rectrack
