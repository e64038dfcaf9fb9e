// Upgrading a store made before the ledger held every change (schema 3): its
// key leaves the store for a key file, the digests of its secrets are filled
// in, and its whole current state goes into the ledger as "baseline" events,
// so that everything from there on is checked against the ledger.
#include "core/ledger.h"
#include "core/signing.h"
#include "fmt/format.h"
#include "store/keyfile.h"
#include "store/sqlite/sqlite_store.h"

namespace rectrack::sqlite {

using sql::json;
using sql::kEventBytes;
using sql::NowUtc;

Status SqliteStore::Upgrade(int64_t from) {
  (void)from;  // 1 to 3: the schema migrations brought it to the latest already
  // The key: the one the store held (its publications are signed with it).
  std::string seed;
  {
    auto st = db_->Prepare("SELECT value FROM meta WHERE key = 'signing_key_seed'");
    if (!st) return Fail(st.error());
    auto r = (*st)->Step();
    if (!r) return Fail(r.error());
    if (*r) {
      seed = (*st)->Str(0);
      (*st)->Reset();
    }
  }
  SigningKeyPair key;
  std::string file = KeyFileFor(path_, keys_);
  if (seed.empty()) {
    // No key in the store: as for a new store.
    auto given = LoadKey(path_, keys_);
    if (given) {
      key = *given;
    } else if (given.error().code == Error::Code::kNotFound && keys_.seed_hex.empty()) {
      key = GenerateSigningKey();
      if (!file.empty()) RT_TRY(WriteKeyFile(file, key, true));
    } else {
      return Fail(given.error());
    }
  } else {
    auto k = SigningKeyFromSeed(seed);
    if (!k) return Fail(k.error());
    key = *k;
    auto given = LoadKey(path_, keys_);
    if (given && given->public_key_hex != key.public_key_hex)
      return Fail(Error::Conflict(fmt::format(
          "upgrading the store would move its signing key (public key {}) out to '{}', but the "
          "key given there is another one ({}); move it away or name another --key-file",
          key.public_key_hex, file.empty() ? std::string("RECTRACK_SIGNING_KEY") : file,
          given->public_key_hex)));
    if (!given && given.error().code != Error::Code::kNotFound) return Fail(given.error());
    if (!given && !file.empty()) {
      RT_TRY(WriteKeyFile(file, key, true));
      notices_.push_back(fmt::format(
          "moved the tracker's signing key out of the store into '{}' (mode 0600; the store "
          "keeps only its public half). Back it up apart from the store. Copies of the store "
          "made before today still hold the key: if any exist, run `rectrack key rotate`.",
          file));
    }
  }
  key_ = key;

  // The digests of secrets that the ledger will hold.
  for (const auto& [table, secret, digest] :
       {std::tuple{"users", "password_hash", "password_sha256"},
        std::tuple{"api_tokens", "token_hash", "token_sha256"}}) {
    auto rows = db_->Prepare(fmt::format("SELECT id, {} FROM {} ORDER BY id", secret, table));
    if (!rows) return Fail(rows.error());
    std::vector<std::pair<int64_t, std::string>> all;
    while (true) {
      auto r = (*rows)->Step();
      if (!r) return Fail(r.error());
      if (!*r) break;
      all.emplace_back((*rows)->Int(0), Sha256Hex((*rows)->Text(1)));
    }
    auto set = db_->Prepare(fmt::format("UPDATE {} SET {} = ? WHERE id = ?", table, digest));
    if (!set) return Fail(set.error());
    for (const auto& [id, d] : all) {
      (*set)->Bind(1, d).Bind(2, id);
      RT_TRY((*set)->Run());
    }
  }
  {
    auto st = db_->Prepare(
        "INSERT INTO tracker_keys(id, public_key, created_at, first_seq, previous_key, "
        "endorsement) VALUES(1, ?, ?, 1, '', '')");
    if (!st) return Fail(st.error());
    (*st)->Bind(1, key.public_key_hex).Bind(2, NowUtc());
    RT_TRY((*st)->Run());
  }

  // The baseline: every row of the projection, as it stands.
  auto head = Head();
  if (!head) return Fail(head.error());
  ChangeSet all;
  for (const auto& t : ProjectedTables()) {
    auto& inserts = all.tables[std::string(t.name)].inserts;
    RT_TRY(ScanTable(t, [&](Row& row) {
      inserts.push_back(std::move(row));
      return true;
    }));
  }
  std::vector<std::string_view> order;
  for (const auto& t : ProjectedTables()) order.push_back(t.name);
  std::vector<ChangeSet> parts = SplitChangeSet(std::move(all), kEventBytes, order);
  int64_t first = 0, last = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    EventPayload p;
    p.about = json{{"part", i + 1}, {"parts", parts.size()}, {"after_event", head->seq}};
    p.changes = std::move(parts[i]);
    auto text = SerializePayload(p);
    if (!text) return Fail(text.error());
    auto e = AppendEvent(Actor{"rectrack"}, "baseline", *text, &key);
    if (!e) return Fail(e.error());
    if (!first) first = e->seq;
    last = e->seq;
  }
  {
    auto st = db_->Prepare("DELETE FROM meta WHERE key IN ('signing_key_seed', 'signing_public_key')");
    if (!st) return Fail(st.error());
    RT_TRY((*st)->Run());
  }
  notices_.push_back(fmt::format(
      "upgraded the store: its state is now in the ledger as a baseline (event{} {}); `rectrack "
      "verify` checks everything from event {} against the ledger, and the {} event(s) before "
      "it as a chain",
      first == last ? "" : "s", first == last ? std::to_string(first) : fmt::format("{}-{}", first, last),
      first, head->seq));
  return {};
}

void SqliteStore::AfterUpgrade() {
  // The seed's old page must not linger: in free pages (without secure_delete)
  // or in the write-ahead log.
  auto st = db_->Prepare("PRAGMA secure_delete");
  bool secure = false;
  if (st) {
    auto r = (*st)->Step();
    if (r && *r) {
      secure = (*st)->Int(0) != 0;
      (*st)->Reset();
    }
  }
  if (!secure) (void)db_->Exec("VACUUM");
  (void)db_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

}  // namespace rectrack::sqlite
