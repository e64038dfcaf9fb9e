#include "store/verify.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <optional>

#include "core/signing.h"
#include "fmt/format.h"
#include "store/tables.h"

namespace rectrack {
namespace {

using Hash = std::array<unsigned char, 32>;

std::optional<Hash> ParseHash(std::string_view hex) {
  Hash h;
  size_t len = 0;
  const char* end = nullptr;
  if (hex.size() != 64 ||
      sodium_hex2bin(h.data(), h.size(), hex.data(), hex.size(), nullptr, &len, &end) != 0 ||
      len != 32)
    return std::nullopt;
  return h;
}

std::string HexOf(const Hash& h) {
  std::string out(64, '0');
  sodium_bin2hex(out.data(), out.size() + 1, h.data(), h.size());
  return out;
}

// The state digest, fed one table and row at a time.
class StateHasher {
 public:
  StateHasher() { Bytes("rectrack-state-v1"); }
  // A table that is digested only when it has rows names itself with its first.
  void Table(const TableDef& t) {
    pending_ = t.digest_when_empty ? std::string_view() : t.name;
    if (t.digest_when_empty) Bytes(t.name);
    open_ = t.digest_when_empty;
  }
  void RowOf(const Row& row) {
    if (!open_) {
      Bytes(pending_);
      open_ = true;
    }
    for (const auto& v : row) {
      char tag = static_cast<char>(v.type);
      h_.Update(std::string_view(&tag, 1));
      if (v.type == Value::Type::kInt) Number(static_cast<uint64_t>(v.i));
      else if (v.type == Value::Type::kText) Bytes(v.s);
    }
  }
  void EndTable() {
    if (open_) h_.Update("\xff");
    open_ = false;
  }
  std::string Digest() { return h_.HexDigest(); }

 private:
  void Number(uint64_t n) {
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(n >> (8 * (7 - i)));
    h_.Update(std::string_view(b, 8));
  }
  void Bytes(std::string_view s) {
    Number(s.size());
    h_.Update(s);
  }
  Sha256 h_;
  std::string_view pending_;
  bool open_ = false;
};

std::string DescribeRowKey(const TableDef& t, const Row& key) {
  return fmt::format("{}, {}", t.name, t.DescribeKey(key));
}

// Two values that differ, as a person can see it: long texts from a little
// before the first byte where they part.
std::string DescribeDifference(const Value& ledger, const Value& table) {
  constexpr size_t kShort = 80;
  if (ledger.type != Value::Type::kText || table.type != Value::Type::kText ||
      (ledger.s.size() <= kShort && table.s.size() <= kShort))
    return fmt::format("the ledger says {}, the table says {}", ledger.Describe(), table.Describe());
  size_t at = 0;
  while (at < ledger.s.size() && at < table.s.size() && ledger.s[at] == table.s[at]) ++at;
  size_t from = at > 20 ? at - 20 : 0;
  while (from > 0 && (static_cast<unsigned char>(ledger.s[from]) & 0xC0) == 0x80) --from;
  auto window = [&](const std::string& s) {
    return (from > 0 ? "…" : "") + Value::Text(s.substr(from)).Describe().substr(1);
  };
  return fmt::format("differs from byte {} of {}: the ledger says '{}, the table says '{}", at,
                     ledger.s.size(), window(ledger.s), window(table.s));
}

// The first column in which two rows of `t` differ, as a problem; empty if none.
std::string RowDifference(const TableDef& t, const Row& key, const Row& ledger, const Row& table) {
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (ledger[i] == table[i]) continue;
    return fmt::format("{}, column {}: {}", DescribeRowKey(t, key), t.columns[i].name,
                       DescribeDifference(ledger[i], table[i]));
  }
  return "";
}

int CompareKeys(const TableDef& t, const Row& a, const Row& b) {
  for (size_t i = 0; i < t.key_columns; ++i) {
    if (a[i] < b[i]) return -1;
    if (b[i] < a[i]) return 1;
  }
  return 0;
}

const Row* Inserted(const ChangeSet& cs, std::string_view table, size_t i) {
  auto it = cs.tables.find(std::string(table));
  if (it == cs.tables.end() || i >= it->second.inserts.size()) return nullptr;
  return &it->second.inserts[i];
}

}  // namespace

// ---- the replay ------------------------------------------------------------------

struct Verifier::Replay {
  std::unique_ptr<Store> scratch;
  ChainVerifier chain;
  int64_t full_from = 0;
  bool baseline_done = false;  // an event other than a baseline part came after it
  std::vector<Hash> hashes;    // hashes[seq - 1]
  std::vector<TrackerKey> keys;
  std::map<int64_t, std::string> legacy_publish;  // publication id -> digest (scheme-1 events)
  std::map<int64_t, std::string> good_publications;  // id -> "sha signature", checks passed
  std::set<int64_t> wanted_digests;               // seqs whose state digest is asked for
  std::map<int64_t, std::string> digests;         // seq -> state digest there
  std::map<std::string, std::set<Row>> touched;   // rows changed since the last compare
  std::vector<std::string> problems;
  int64_t events = 0, publications = 0, checkpoints = 0;
  bool broken = false;  // the replay cannot go on

  void Problem(std::string p) { problems.push_back(std::move(p)); }

  std::string HashAt(int64_t seq) const {
    if (seq == 0) return kGenesisHash;
    if (seq < 0 || seq > static_cast<int64_t>(hashes.size())) return "";
    return HexOf(hashes[static_cast<size_t>(seq - 1)]);
  }
  // The key that signs at `seq`: the last whose first_seq is not after it.
  const TrackerKey* KeyAt(int64_t seq) const {
    const TrackerKey* k = nullptr;
    for (const auto& x : keys)
      if (x.first_seq <= seq) k = &x;
    return k;
  }

  Status Feed(const LedgerEvent& e);
  Status CheckKeyRow(const LedgerEvent& e, const Row& r);
  Status CheckPublicationRow(const LedgerEvent& e, const Row& r);
  Status CheckCheckpointRow(const LedgerEvent& e, const Row& r, const std::string& digest_before);
};

Result<std::string> StateDigest(Store& store) {
  StateHasher h;
  for (const auto& t : ProjectedTables()) {
    h.Table(t);
    RT_TRY(store.ScanTable(t, [&](Row& row) {
      h.RowOf(row);
      return true;
    }));
    h.EndTable();
  }
  return h.Digest();
}

Status Verifier::Replay::Feed(const LedgerEvent& e) {
  if (broken) return {};
  ++events;
  if (!chain.Add(e)) {
    Problem(chain.problem());
    broken = true;
    return {};
  }
  auto h = ParseHash(e.hash);
  hashes.push_back(h ? *h : Hash{});
  if (full_from == 0) {
    if (e.kind != "tracker_key" && e.kind != "baseline") {
      // A store made before the ledger held every change: this event is a
      // summary, checked as part of the chain. Its publication digests are
      // still worth comparing.
      if (e.kind == "publish") {
        auto j = nlohmann::json::parse(e.payload, nullptr, false);
        if (j.is_object() && j.contains("publication_id") && j.contains("snapshot_sha256") &&
            j["publication_id"].is_number_integer() && j["snapshot_sha256"].is_string())
          legacy_publish[j["publication_id"].get<int64_t>()] = j["snapshot_sha256"].get<std::string>();
      }
      return {};
    }
    full_from = e.seq;
  }
  auto fail = [&](std::string why) -> Status {
    Problem(fmt::format("event {} ({} by {} at {}) {}", e.seq, e.kind, e.actor, e.ts, why));
    broken = true;
    return {};
  };
  if (e.kind == "baseline") {
    if (baseline_done) return fail("is a baseline after other events: a baseline only begins a ledger");
  } else {
    baseline_done = true;
  }
  if (e.kind == "tracker_key" && e.seq != full_from)
    return fail("introduces a first key in a ledger that has one");
  auto payload = ParsePayload(e.payload);
  if (!payload) return fail(fmt::format("cannot be read: {}", payload.error().message));
  const ChangeSet& cs = payload->changes;
  if (auto s = CheckChangeSet(cs); !s) return fail(fmt::format("cannot be applied: {}", s.error().message));
  // Keys, publications and checkpoints are made, never changed.
  for (const char* t : {"tracker_keys", "publications", "checkpoints"}) {
    auto it = cs.tables.find(t);
    if (it != cs.tables.end() && (!it->second.updates.empty() || !it->second.deletes.empty()))
      return fail(fmt::format("changes or deletes rows of {}, which are never changed", t));
  }
  std::string digest_before;
  if (wanted_digests.count(e.seq - 1) || Inserted(cs, "checkpoints", 0)) {
    auto d = StateDigest(*scratch);
    if (!d) return Fail(d.error());
    digest_before = *d;
    if (wanted_digests.count(e.seq - 1)) digests[e.seq - 1] = *d;
  }
  // Keys first: a rotation's own head is signed by the key it brings.
  if (auto it = cs.tables.find("tracker_keys"); it != cs.tables.end())
    for (const auto& r : it->second.inserts) RT_TRY(CheckKeyRow(e, r));
  if (auto s = scratch->Apply(cs, false); !s)
    return fail(fmt::format("cannot be applied to the state before it: {}", s.error().message));
  if (auto it = cs.tables.find("publications"); it != cs.tables.end())
    for (const auto& r : it->second.inserts) RT_TRY(CheckPublicationRow(e, r));
  if (auto it = cs.tables.find("checkpoints"); it != cs.tables.end())
    for (const auto& r : it->second.inserts) RT_TRY(CheckCheckpointRow(e, r, digest_before));
  for (const auto& [name, tc] : cs.tables) {
    const TableDef* t = FindProjectedTable(name);
    auto& set = touched[name];
    for (const auto& r : tc.inserts) set.insert(t->KeyOf(r));
    for (const auto& [k, cols] : tc.updates) set.insert(k);
    for (const auto& k : tc.deletes) set.insert(k);
  }
  return {};
}

Status Verifier::Replay::CheckKeyRow(const LedgerEvent& e, const Row& r) {
  TrackerKey k{r[0].i, r[1].s, r[2].s, r[3].i, r[4].s, r[5].s};
  auto bad = [&](std::string why) {
    Problem(fmt::format("tracker_keys, id {}: {} (event {})", k.id, why, e.seq));
  };
  if (keys.empty()) {
    if (!k.previous_key.empty() || !k.endorsement.empty() || k.first_seq > e.seq)
      bad("the first key cannot be endorsed by another nor sign before its event");
  } else if (k.previous_key != keys.back().public_key) {
    bad(fmt::format("it follows key {}, but the current key is {}", k.previous_key,
                    keys.back().public_key));
  } else if (k.first_seq != e.seq) {
    bad(fmt::format("a new key signs from its own event {}, not from {}", e.seq, k.first_seq));
  } else if (!VerifySignature(k.previous_key,
                              KeyEndorsementMessage(k.previous_key, k.public_key, k.first_seq),
                              k.endorsement)) {
    bad(fmt::format("key {} is not endorsed by the key before it: its endorsement does not verify",
                    k.public_key));
  }
  keys.push_back(std::move(k));
  return {};
}

Status Verifier::Replay::CheckPublicationRow(const LedgerEvent& e, const Row& r) {
  ++publications;
  const size_t problems_before = problems.size();
  struct Remember {  // as good, if no problem was found
    Replay* self;
    const Row& r;
    size_t before;
    ~Remember() {
      if (self->problems.size() == before) self->good_publications[r[0].i] = r[8].s + " " + r[9].s;
    }
  } remember{this, r, problems_before};
  Publication p;
  p.id = r[0].i;
  p.source_id = r[1].i;
  p.title = r[2].s;
  std::string as_of = r[3].s;
  p.ledger_seq = r[4].i;
  p.ledger_hash = r[5].s;
  p.created_at = r[6].s;
  const std::string& snapshot = r[7].s;
  p.snapshot_sha256 = r[8].s;
  p.signature = r[9].s;
  p.signing_key = r[10].s;
  auto bad = [&](std::string why) {
    Problem(fmt::format("publications, id {} ('{}'): {}", p.id, p.title, why));
  };
  if (Sha256Hex(snapshot) != p.snapshot_sha256)
    bad("its snapshot no longer matches its digest");
  if (auto legacy = legacy_publish.find(p.id);
      legacy != legacy_publish.end() && legacy->second != p.snapshot_sha256)
    bad("its digest is not the one its publish event recorded");
  if (p.ledger_seq >= e.seq || HashAt(p.ledger_seq) != p.ledger_hash)
    bad(fmt::format("it is pinned to ledger event {} with hash {}, which the ledger does not hold "
                    "before it",
                    p.ledger_seq, p.ledger_hash));
  if (p.signature.empty()) {
    if (e.kind != "baseline") bad("it is not signed");
    return {};  // made before rectrack signed publications
  }
  const TrackerKey* k = KeyAt(p.ledger_seq + 1);
  if (!k || k->public_key != p.signing_key)
    bad(fmt::format("it is signed by key {}, which was not the tracker's key when it was made",
                    p.signing_key));
  auto source = scratch->GetRow(*FindProjectedTable("sources"), {Value::Int(p.source_id)});
  if (!source) return Fail(source.error());
  std::string slug = *source ? (**source)[1].s : "";
  PublicationSigningFields f{p.id, slug, p.title, as_of, p.created_at, p.ledger_seq,
                             p.ledger_hash, p.snapshot_sha256};
  if (!VerifySignature(p.signing_key, PublicationSigningMessage(f), p.signature))
    bad("its signature does not match its fields");
  return {};
}

Status Verifier::Replay::CheckCheckpointRow(const LedgerEvent& e, const Row& r,
                                            const std::string& digest_before) {
  ++checkpoints;
  Checkpoint c{r[0].i, r[1].s, r[2].s, r[3].s, r[4].s, r[5].s};
  auto bad = [&](std::string why) {
    Problem(fmt::format("checkpoints, ledger_seq {}: {}", c.ledger_seq, why));
  };
  if (c.ledger_seq != e.seq - 1 || HashAt(c.ledger_seq) != c.ledger_hash)
    bad(fmt::format("it certifies event {} with hash {}, but its own event {} follows event {} "
                    "with hash {}",
                    c.ledger_seq, c.ledger_hash, e.seq, e.seq - 1, HashAt(e.seq - 1)));
  const TrackerKey* k = KeyAt(e.seq);
  if (!k || k->public_key != c.public_key)
    bad(fmt::format("it is signed by key {}, not the tracker's key at the time", c.public_key));
  if (!VerifySignature(c.public_key,
                       CheckpointSigningMessage({c.ledger_seq, c.ledger_hash, c.state_digest, c.time}),
                       c.signature))
    bad("its signature does not match its fields");
  if (c.state_digest != digest_before)
    bad(fmt::format("its state digest {} is not the digest of the state the ledger gives there ({})",
                    c.state_digest, digest_before));
  return {};
}

// ---- comparing ---------------------------------------------------------------------

namespace {

// Every table, row by row in key order, the replayed state against the live
// one: the first difference of each table is a problem. The replayed rows also
// make the state digest.
Status CompareTables(Store& live, Store& replay, VerifyReport* rep, StateHasher* digest) {
  for (const auto& t : ProjectedTables()) {
    auto a = replay.ScanRows(t);
    if (!a) return Fail(a.error());
    auto b = live.ScanRows(t);
    if (!b) return Fail(b.error());
    digest->Table(t);
    Row x, y;
    auto next = [](RowCursor& c, Row* r) -> Result<bool> { return c.Next(r); };
    auto hx = next(**a, &x);
    if (!hx) return Fail(hx.error());
    auto hy = next(**b, &y);
    if (!hy) return Fail(hy.error());
    bool has_x = *hx, has_y = *hy, reported = false;
    int64_t n = 0;
    while (has_x || has_y) {
      int c = !has_x ? 1 : !has_y ? -1 : CompareKeys(t, x, y);
      if (c == 0) {
        ++n;
        if (!reported) {
          std::string d = RowDifference(t, t.KeyOf(x), x, y);
          if (!d.empty()) {
            rep->problems.push_back(d);
            reported = true;
          }
        }
      } else if (!reported) {
        rep->problems.push_back(
            c < 0 ? fmt::format("{}: row missing (the ledger has it)", DescribeRowKey(t, t.KeyOf(x)))
                  : fmt::format("{}: row not in the ledger", DescribeRowKey(t, t.KeyOf(y))));
        reported = true;
      }
      if (c <= 0) {
        digest->RowOf(x);
        auto r = next(**a, &x);
        if (!r) return Fail(r.error());
        has_x = *r;
      }
      if (c >= 0) {
        auto r = next(**b, &y);
        if (!r) return Fail(r.error());
        has_y = *r;
      }
    }
    digest->EndTable();
    rep->rows_checked.emplace_back(std::string(t.name), n);
  }
  return {};
}

}  // namespace

// ---- the verifier ----------------------------------------------------------------

Verifier::~Verifier() = default;

Result<std::unique_ptr<Verifier>> Verifier::Create() {
  return std::unique_ptr<Verifier>(new Verifier());
}

namespace {

// What every check ends with: the head the store recorded against the chain,
// its signature, and the keys the caller trusts.
void CheckHeadAndKeys(Store& live, const ChainVerifier& chain, const std::vector<TrackerKey>& keys,
                      const TrackerKey* head_key, const VerifyOptions& options,
                      std::vector<std::string>* problems, const RecordedHead& recorded) {
  std::string actual = fmt::format("{} {}", chain.head_seq(), chain.head_hash());
  if (!recorded.present) {
    if (chain.head_seq() > 0) problems->push_back("the store has no record of its ledger head");
  } else if (recorded.value != actual) {
    std::string seq_text = recorded.value.substr(0, recorded.value.find(' '));
    int64_t seq = -1;
    try {
      seq = std::stoll(seq_text);
    } catch (const std::exception&) {
    }
    std::string what = seq < 0                  ? "the recorded head is unreadable"
                       : seq > chain.head_seq() ? "events were removed from the end"
                       : seq < chain.head_seq() ? "events were added after the recorded head"
                                                : "the last event was replaced";
    problems->push_back(fmt::format(
        "the ledger ends at event {} but the store recorded its head as event {}: {}",
        chain.head_seq(), seq_text, what));
  } else if (head_key) {
    if (!VerifySignature(head_key->public_key, HeadSigningMessage(chain.head_seq(), chain.head_hash()),
                         recorded.signature))
      problems->push_back(fmt::format(
          "the ledger's head (event {}) is not signed by the tracker's key {}: events were cut "
          "off or the head was written by someone without the key",
          chain.head_seq(), head_key->public_key));
  }
  (void)live;
  if (!options.operator_key.empty() && !keys.empty() && keys.back().public_key != options.operator_key)
    problems->push_back(fmt::format(
        "the store's current key is {}, but the key file's is {}: the ledger was re-signed by "
        "someone else's key",
        keys.back().public_key, options.operator_key));
  if (!options.trusted_key.empty() &&
      std::none_of(keys.begin(), keys.end(),
                   [&](const TrackerKey& k) { return k.public_key == options.trusted_key; }))
    problems->push_back(fmt::format("the trusted key {} is not one of the tracker's keys",
                                    options.trusted_key));
}

}  // namespace

namespace {

// Runs `fn` in a read snapshot of `live`: the ledger and the tables it is
// checked against are read as of one moment, whatever is written meanwhile.
template <typename F>
Result<VerifyReport> InSnapshot(Store& live, F&& fn) {
  RT_TRY(live.BeginRead());
  auto r = fn();
  live.EndRead();
  return r;
}

}  // namespace

Result<VerifyReport> Verifier::Full(Store& live, const VerifyOptions& options) {
  return InSnapshot(live, [&] { return FullInSnapshot(live, options); });
}

Result<VerifyReport> Verifier::Incremental(Store& live, const VerifyOptions& options) {
  return InSnapshot(live, [&] { return IncrementalInSnapshot(live, options); });
}

Result<VerifyReport> Verifier::FullInSnapshot(Store& live, const VerifyOptions& options) {
  ok_ = false;
  replay_ = std::make_unique<Replay>();
  auto scratch = OpenScratchStore();
  if (!scratch) return Fail(scratch.error());
  replay_->scratch = std::move(*scratch);
  Replay& r = *replay_;
  for (const auto& c : options.checkpoints) r.wanted_digests.insert(c.ledger_seq);
  VerifyReport rep;
  Status inner;
  // One transaction for the whole replay: a statement outside one is a
  // transaction of its own, and each walks SQLite's whole page cache.
  RT_TRY(r.scratch->Begin());
  Status fed = live.ForEachEvent([&](const LedgerEvent& e) {
    inner = r.Feed(e);
    return inner && !r.broken;
  });
  RT_TRY(r.scratch->Commit());
  if (!fed) return Fail(fed.error());
  if (!inner) return Fail(inner.error());
  rep.events = r.events;
  rep.head = {r.chain.head_seq(), r.chain.head_hash()};
  rep.full_from = r.full_from;
  rep.problems = r.problems;
  if (r.broken) {
    rep.ok = false;
    return rep;
  }
  auto recorded = live.GetRecordedHead();
  if (!recorded) return Fail(recorded.error());
  CheckHeadAndKeys(live, r.chain, r.keys, r.KeyAt(r.chain.head_seq()), options, &rep.problems,
                   *recorded);
  if (r.full_from == 0 && r.chain.head_seq() > 0)
    rep.problems.push_back("no event of the ledger can be replayed: it holds no key and no baseline");
  // The state at the head, and the tables against it.
  StateHasher digest;
  RT_TRY(CompareTables(live, *r.scratch, &rep, &digest));
  rep.state_digest = digest.Digest();
  r.digests[r.chain.head_seq()] = rep.state_digest;
  // Checkpoints kept outside.
  for (const auto& c : options.checkpoints) {
    std::string name = fmt::format("checkpoint at event {}", c.ledger_seq);
    bool by_tracker = std::any_of(r.keys.begin(), r.keys.end(), [&](const TrackerKey& k) {
      return k.public_key == c.public_key;
    });
    if (!VerifySignature(c.public_key,
                         CheckpointSigningMessage({c.ledger_seq, c.ledger_hash, c.state_digest, c.time}),
                         c.signature)) {
      rep.problems.push_back(fmt::format("{}: its signature does not verify (not a checkpoint of "
                                         "this tracker's)", name));
    } else if (!by_tracker) {
      rep.problems.push_back(fmt::format(
          "{}: it is signed by key {}, which is not one of this ledger's keys: the history was "
          "rewritten under another key",
          name, c.public_key));
    }
    if (c.ledger_seq > r.chain.head_seq()) {
      rep.problems.push_back(fmt::format(
          "{}: the ledger ends at event {}, before the checkpoint's event {}: it was cut short or "
          "rolled back to an older copy",
          name, r.chain.head_seq(), c.ledger_seq));
      continue;
    }
    if (r.HashAt(c.ledger_seq) != c.ledger_hash) {
      rep.problems.push_back(fmt::format(
          "{}: the ledger's event {} has hash {}, the checkpoint {}: the history was rewritten "
          "(a fork)",
          name, c.ledger_seq, r.HashAt(c.ledger_seq), c.ledger_hash));
      continue;
    }
    auto d = r.digests.find(c.ledger_seq);
    if (d != r.digests.end() && d->second != c.state_digest)
      rep.problems.push_back(fmt::format(
          "{}: the state the ledger gives there has digest {}, the checkpoint {}", name, d->second,
          c.state_digest));
  }
  if (options.check_derived) RT_TRY(live.CheckDerived(&rep.problems));
  rep.publications = r.publications;
  rep.checkpoints = r.checkpoints;
  rep.keys = static_cast<int64_t>(r.keys.size());
  r.touched.clear();
  rep.ok = rep.problems.empty();
  ok_ = rep.ok;
  checked_seq_ = r.chain.head_seq();
  checked_hash_ = r.chain.head_hash();
  return rep;
}

Result<VerifyReport> Verifier::IncrementalInSnapshot(Store& live, const VerifyOptions& options) {
  if (!ok_ || !replay_) return FullInSnapshot(live, options);
  Replay& r = *replay_;
  VerifyReport rep;
  auto head = live.Head();
  if (!head) return Fail(head.error());
  auto fail = [&](std::string p) -> Result<VerifyReport> {
    rep.problems.push_back(std::move(p));
    rep.ok = ok_ = false;
    rep.head = *head;
    return rep;
  };
  if (head->seq < checked_seq_)
    return fail(fmt::format(
        "the ledger ends at event {} but event {} was checked before: events were removed or the "
        "store was rolled back",
        head->seq, checked_seq_));
  if (checked_seq_ > 0) {
    auto e = live.GetEvent(checked_seq_);
    if (!e) return Fail(e.error());
    if (!*e || (*e)->hash != checked_hash_)
      return fail(fmt::format(
          "event {} is no longer the one checked before (hash {}, now {}): the history was "
          "rewritten",
          checked_seq_, checked_hash_, *e ? (*e)->hash : std::string("gone")));
  }
  size_t before = r.problems.size();
  Status inner;
  RT_TRY(r.scratch->Begin());
  Status fed = live.ForEachEventFrom(checked_seq_ + 1, [&](const LedgerEvent& e) {
    inner = r.Feed(e);
    return inner && !r.broken;
  });
  RT_TRY(r.scratch->Commit());
  if (!fed) return Fail(fed.error());
  if (!inner) return Fail(inner.error());
  rep.problems.assign(r.problems.begin() + static_cast<long>(before), r.problems.end());
  rep.events = r.events;
  rep.full_from = r.full_from;
  rep.head = {r.chain.head_seq(), r.chain.head_hash()};
  if (r.broken) {
    rep.ok = ok_ = false;
    return rep;
  }
  auto recorded = live.GetRecordedHead();
  if (!recorded) return Fail(recorded.error());
  CheckHeadAndKeys(live, r.chain, r.keys, r.KeyAt(r.chain.head_seq()), options, &rep.problems,
                   *recorded);
  // The rows the new events changed.
  for (const auto& [name, keys] : r.touched) {
    const TableDef* t = FindProjectedTable(name);
    int64_t n = 0;
    for (const Row& key : keys) {
      auto x = r.scratch->GetRow(*t, key);
      if (!x) return Fail(x.error());
      auto y = live.GetRow(*t, key);
      if (!y) return Fail(y.error());
      ++n;
      if (*x && *y) {
        std::string d = RowDifference(*t, key, **x, **y);
        if (!d.empty()) {
          rep.problems.push_back(d);
          break;
        }
      } else if (*x || *y) {
        rep.problems.push_back(*x ? fmt::format("{}: row missing (the ledger has it)", DescribeRowKey(*t, key))
                                  : fmt::format("{}: row not in the ledger", DescribeRowKey(*t, key)));
        break;
      }
    }
    rep.rows_checked.emplace_back(name, n);
  }
  r.touched.clear();
  rep.publications = r.publications;
  rep.checkpoints = r.checkpoints;
  rep.keys = static_cast<int64_t>(r.keys.size());
  rep.ok = ok_ = rep.problems.empty();
  checked_seq_ = r.chain.head_seq();
  checked_hash_ = r.chain.head_hash();
  return rep;
}

Status Verifier::CompareSource(Store& live, int64_t source_id, std::vector<std::string>* problems) {
  if (!replay_) return Fail(Error::Internal("CompareSource before a check"));
  Store& replay = *replay_->scratch;
  // Which rows belong to the source, on either side: a row moved to another
  // source shows as missing on one side.
  std::set<int64_t> recs, asgs;
  auto compare = [&](std::string_view table, const std::function<bool(const Row&)>& mine) -> Status {
    const TableDef& t = *FindProjectedTable(table);
    auto a = replay.ScanRows(t);
    if (!a) return Fail(a.error());
    auto b = live.ScanRows(t);
    if (!b) return Fail(b.error());
    Row x, y;
    auto hx = (*a)->Next(&x);
    if (!hx) return Fail(hx.error());
    auto hy = (*b)->Next(&y);
    if (!hy) return Fail(hy.error());
    bool has_x = *hx, has_y = *hy;
    while (has_x || has_y) {
      int c = !has_x ? 1 : !has_y ? -1 : CompareKeys(t, x, y);
      bool in_x = c <= 0 && mine(x), in_y = c >= 0 && mine(y);
      if (c == 0 && (in_x || in_y)) {
        std::string d = RowDifference(t, t.KeyOf(x), x, y);
        if (!d.empty()) {
          problems->push_back(d);
          return {};
        }
      } else if (c < 0 && in_x) {
        problems->push_back(fmt::format("{}: row missing (the ledger has it)", DescribeRowKey(t, t.KeyOf(x))));
        return {};
      } else if (c > 0 && in_y) {
        problems->push_back(fmt::format("{}: row not in the ledger", DescribeRowKey(t, t.KeyOf(y))));
        return {};
      }
      if (c <= 0) {
        auto r = (*a)->Next(&x);
        if (!r) return Fail(r.error());
        has_x = *r;
      }
      if (c >= 0) {
        auto r = (*b)->Next(&y);
        if (!r) return Fail(r.error());
        has_y = *r;
      }
    }
    return {};
  };
  auto all = [](const Row&) { return true; };
  RT_TRY(compare("owners", all));
  RT_TRY(compare("owner_aliases", all));
  RT_TRY(compare("sources", [&](const Row& r) { return r[0].i == source_id; }));
  RT_TRY(compare("recommendations", [&](const Row& r) {
    if (r[1].i != source_id) return false;
    recs.insert(r[0].i);
    return true;
  }));
  RT_TRY(compare("assignments", [&](const Row& r) {
    if (!recs.count(r[1].i)) return false;
    asgs.insert(r[0].i);
    return true;
  }));
  RT_TRY(compare("updates", [&](const Row& r) { return asgs.count(r[1].i) > 0; }));
  RT_TRY(compare("funding", [&](const Row& r) { return r[1].i == source_id; }));
  RT_TRY(compare("publications", [&](const Row& r) { return r[1].i == source_id; }));
  return {};
}

std::map<int64_t, std::string> Verifier::VerifiedPublications() const {
  if (!replay_) return {};
  return replay_->good_publications;
}

Result<std::string> Verifier::ReplayedStateDigest() {
  if (!replay_) return Fail(Error::Internal("no replayed state yet"));
  auto it = replay_->digests.find(checked_seq_);
  if (it != replay_->digests.end()) return it->second;
  auto d = StateDigest(*replay_->scratch);
  if (!d) return d;
  replay_->digests[checked_seq_] = *d;
  return d;
}

Result<VerifyReport> VerifyStore(Store& live, const VerifyOptions& options) {
  auto v = Verifier::Create();
  if (!v) return Fail(v.error());
  return (*v)->Full(live, options);
}

Result<VerifyReport> Store::Verify() { return VerifyStore(*this, VerifyOptions{}); }

// ---- one publication, alone ------------------------------------------------------

Result<std::vector<std::string>> CheckPublication(Store& store, const Publication& p) {
  std::vector<std::string> problems;
  auto bad = [&](std::string why) {
    problems.push_back(fmt::format("publication {} ('{}'): {}", p.id, p.title, why));
  };
  if (Sha256Hex(p.snapshot_json) != p.snapshot_sha256)
    bad("its snapshot no longer matches its digest");
  if (p.ledger_seq > 0) {
    auto pin = store.GetEvent(p.ledger_seq);
    if (!pin) return Fail(pin.error());
    if (!*pin || (*pin)->hash != p.ledger_hash)
      bad(fmt::format("it is pinned to ledger event {} with hash {}, which the ledger does not hold",
                      p.ledger_seq, p.ledger_hash));
  }
  // The event that made it follows its pin.
  auto made = store.GetEvent(p.ledger_seq + 1);
  if (!made) return Fail(made.error());
  const LedgerEvent* e = *made ? &**made : nullptr;
  if (!e || EventHash(*e) != e->hash) {
    bad("the ledger event that made it is missing or altered");
  } else if (e->scheme == 1) {
    // A publication of a store made before the ledger held every change.
    auto j = nlohmann::json::parse(e->payload, nullptr, false);
    if (!j.is_object() || j.value("publication_id", int64_t{-1}) != p.id ||
        j.value("snapshot_sha256", std::string()) != p.snapshot_sha256)
      bad("it is not the publication its ledger event recorded");
  } else {
    auto payload = ParsePayload(e->payload);
    const Row* row = nullptr;
    if (payload) {
      auto it = payload->changes.tables.find("publications");
      if (it != payload->changes.tables.end())
        for (const auto& r : it->second.inserts)
          if (!r.empty() && r[0].type == Value::Type::kInt && r[0].i == p.id) row = &r;
    }
    const TableDef& t = *FindProjectedTable("publications");
    Row mine{Value::Int(p.id),         Value::Int(p.source_id),       Value::Text(p.title),
             Value::Text(p.as_of.ToIso()), Value::Int(p.ledger_seq), Value::Text(p.ledger_hash),
             Value::Text(p.created_at), Value::Text(p.snapshot_json), Value::Text(p.snapshot_sha256),
             Value::Text(p.signature), Value::Text(p.signing_key)};
    if (!row || !CheckRow(t, *row)) {
      bad("the ledger event that made it does not hold it");
    } else {
      std::string d = RowDifference(t, {Value::Int(p.id)}, *row, mine);
      if (!d.empty()) problems.push_back(d);
    }
  }
  if (p.signature.empty()) {
    if (e && e->scheme != 1) bad("it is not signed");
  } else {
    auto keys = store.TrackerKeys();
    if (!keys) return Fail(keys.error());
    const TrackerKey* k = nullptr;
    for (const auto& x : *keys)
      if (x.first_seq <= p.ledger_seq + 1) k = &x;
    if (!k || k->public_key != p.signing_key)
      bad(fmt::format("it is signed by key {}, which was not the tracker's key when it was made",
                      p.signing_key));
    PublicationSigningFields f{p.id,         p.source_slug, p.title,       p.as_of.ToIso(),
                               p.created_at, p.ledger_seq,  p.ledger_hash, p.snapshot_sha256};
    if (!VerifySignature(p.signing_key, PublicationSigningMessage(f), p.signature))
      bad("its signature does not match its fields");
  }
  return problems;
}

}  // namespace rectrack
