// The SQLite implementation of Store: one file, WAL, foreign keys on,
// synchronous=FULL; every write one transaction with its ledger event.
#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>

#include "core/text.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_auth.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace rectrack {
namespace {

using json = nlohmann::json;
using sqlite::Db;
using sqlite::Stmt;

// Enum names <-> values without the normalising parsers (hot path on 1M rows).
template <typename E, size_t N>
class EnumNames {
 public:
  explicit EnumNames(const E (&all)[N]) {
    for (size_t i = 0; i < N; ++i) names_[i] = {Name(all[i]), all[i]};
  }
  // A few short names: comparing them beats hashing (twice per assignment read).
  std::optional<E> Get(std::string_view s) const {
    for (const auto& [name, e] : names_)
      if (name == s) return e;
    return std::nullopt;
  }

 private:
  std::array<std::pair<std::string_view, E>, N> names_;
};

const auto& ResponseNames() {
  static const EnumNames<ResponseKind, 7> n(kAllResponseKinds);
  return n;
}
const auto& StatusNames() {
  static const EnumNames<ResponseStatus, 4> n(kAllResponseStatuses);
  return n;
}
const auto& ImplNames() {
  static const EnumNames<Implementation, 7> n(kAllImplementations);
  return n;
}

std::string NowUtc() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

std::string JsonList(const std::vector<std::string>& v) {
  if (v.empty()) return "[]";
  return json(v).dump();
}

std::vector<std::string> ParseList(std::string_view s) {
  if (s.empty() || s == "[]") return {};
  auto j = json::parse(s, nullptr, false);
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& x : j)
      if (x.is_string()) out.push_back(x.get<std::string>());
  return out;
}

class SqliteStore;

class SqliteImportSession : public ImportSession {
 public:
  SqliteImportSession(SqliteStore* store, Actor actor, std::string origin)
      : store_(store), actor_(std::move(actor)), origin_(std::move(origin)) {}
  ~SqliteImportSession() override;
  Status Add(const ImportBatch& chunk) override;
  void SetOrigin(std::string origin) override { origin_ = std::move(origin); }
  Result<ImportSummary> Finish() override;
  Status Start();

 private:
  void RestoreForeignKeys();
  // Merges a continued recommendation into the row an earlier chunk wrote;
  // returns its id.
  Result<int64_t> Continue(int64_t source_id, const std::string& slug, const Recommendation& r);

  SqliteStore* store_;
  Actor actor_;
  std::string origin_;
  bool open_ = false;
  bool failed_ = false;
  bool fk_off_ = false;  // foreign key checks are off for this session's transaction
  ImportSummary summary_;
  std::unordered_map<std::string, int64_t> new_sources_;  // slug -> id, made in this session
  std::set<std::string> source_slugs_;
};

class SqliteStore : public Store {
 public:
  explicit SqliteStore(std::unique_ptr<Db> db) : db_(std::move(db)) {}

  Status Migrate();

  Status Begin() override {
    if (depth_ == 0) {
      RT_TRY(db_->Exec("BEGIN IMMEDIATE"));
      // Another connection may have changed owners or aliases since the cache
      // was filled; data_version moves only on other connections' commits.
      auto v = DataVersion();
      if (!v) {
        (void)db_->Exec("ROLLBACK");
        return Fail(v.error());
      }
      if (*v != data_version_) {
        owner_cache_loaded_ = false;
        data_version_ = *v;
      }
    } else {
      RT_TRY(db_->Exec(fmt::format("SAVEPOINT sp{}", depth_)));
    }
    ++depth_;
    return {};
  }
  Status Commit() override {
    if (depth_ == 0) return Fail(Error::Internal("commit without begin"));
    --depth_;
    if (depth_ == 0) {
      auto s = db_->Exec("COMMIT");
      if (!s) {
        (void)db_->Exec("ROLLBACK");
        owner_cache_loaded_ = false;
        return s;
      }
      return {};
    }
    return db_->Exec(fmt::format("RELEASE sp{}", depth_));
  }
  void Rollback() override {
    if (depth_ == 0) return;
    // Owners created in what is undone must not linger in the cache: SQLite
    // reuses their row ids, so a stale entry would name another owner.
    owner_cache_loaded_ = false;
    --depth_;
    if (depth_ == 0) {
      (void)db_->Exec("ROLLBACK");
    } else {
      (void)db_->Exec(fmt::format("ROLLBACK TO sp{}", depth_));
      (void)db_->Exec(fmt::format("RELEASE sp{}", depth_));
    }
  }

  Result<ImportSummary> Import(const ImportBatch& batch, const Actor& actor,
                               const std::string& origin) override {
    auto session = StartImport(actor, origin);
    if (!session) return Fail(session.error());
    RT_TRY((*session)->Add(batch));
    return (*session)->Finish();
  }

  Result<std::unique_ptr<ImportSession>> StartImport(const Actor& actor,
                                                     const std::string& origin) override {
    auto s = std::make_unique<SqliteImportSession>(this, actor, origin);
    RT_TRY(s->Start());
    return std::unique_ptr<ImportSession>(std::move(s));
  }

  Result<ImportBatch> ExportAll() override;
  Result<Facts> LoadFacts(const FactsFilter& filter) override;
  Result<std::vector<Source>> ListSources() override;
  Result<Source> GetSource(const std::string& slug) override;
  Result<std::vector<Owner>> ListOwners() override;
  Result<RecommendationView> GetRecommendation(const std::string& source_slug,
                                               const std::string& ref) override;
  Result<RecommendationView> GetRecommendationById(int64_t id) override;
  Result<int64_t> AddUpdate(int64_t assignment_id, const Update& update,
                            const Actor& actor) override;
  Status SetAlias(const std::string& alias, const std::string& canonical,
                  const Actor& actor) override;
  Status SetOwnerTier(const std::string& owner, const std::string& tier,
                      const Actor& actor) override;
  Result<Publication> AddPublication(const Publication& pub, const Actor& actor) override;
  Result<Publication> GetPublication(int64_t id) override;
  Result<std::vector<Publication>> ListPublications(const std::string& source_slug) override;
  Result<std::vector<SearchHit>> Search(const std::string& query, int limit) override;
  Result<LedgerHead> Head() override;
  Result<VerifyReport> Verify() override;
  Status ForEachEvent(const std::function<bool(const LedgerEvent&)>& fn) override;

  // Accounts, the workflow and signatures live in sqlite_auth.cc; these only
  // put them in a transaction with their ledger event.
  Result<User> AddUser(const NewUser& u, const Actor& a) override {
    return InTransaction([&] { return sqlite::AddUser(*db_, Hooks(a), u); });
  }
  Result<User> GetUser(const std::string& name) override { return sqlite::GetUser(*db_, name); }
  Result<User> GetUserById(int64_t id) override { return sqlite::GetUserById(*db_, id); }
  Result<std::vector<User>> ListUsers() override { return sqlite::ListUsers(*db_); }
  Status DisableUser(const std::string& name, const Actor& a) override {
    return InTransaction([&] { return sqlite::DisableUser(*db_, Hooks(a), name); });
  }
  Status SetPassword(const std::string& name, const std::string& hash,
                     const std::string& keep_session_hash, const Actor& a) override {
    return InTransaction(
        [&] { return sqlite::SetPassword(*db_, Hooks(a), name, hash, keep_session_hash); });
  }
  Status AddSession(const SessionRecord& s) override { return sqlite::AddSession(*db_, s); }
  Result<std::optional<SessionRecord>> FindSession(const std::string& h) override {
    return sqlite::FindSession(*db_, h);
  }
  Status TouchSession(const std::string& h, int64_t now) override {
    return sqlite::TouchSession(*db_, h, now);
  }
  Status DeleteSession(const std::string& h) override { return sqlite::DeleteSession(*db_, h); }
  Result<int64_t> DeleteExpiredSessions(int64_t now) override {
    return sqlite::DeleteExpiredSessions(*db_, now);
  }
  Result<int64_t> AddApiToken(const std::string& user, const std::string& label,
                              const std::string& hash, int64_t now, const Actor& a) override {
    return InTransaction(
        [&] { return sqlite::AddApiToken(*db_, Hooks(a), user, label, hash, now); });
  }
  Result<std::optional<ApiTokenRecord>> FindApiToken(const std::string& h) override {
    return sqlite::FindApiToken(*db_, h);
  }
  Status TouchApiToken(int64_t id, int64_t now) override {
    return sqlite::TouchApiToken(*db_, id, now);
  }
  Status RecordLoginFailure(const std::string& key, int64_t at, int64_t forget) override {
    return InTransaction([&] { return sqlite::RecordLoginFailure(*db_, key, at, forget); });
  }
  Result<LoginFailures> LoginFailuresSince(const std::string& key, int64_t since) override {
    return sqlite::LoginFailuresSince(*db_, key, since);
  }
  Status ClearLoginFailures(const std::string& key) override {
    return sqlite::ClearLoginFailures(*db_, key);
  }
  Result<AssignmentRef> GetAssignment(int64_t id) override {
    return sqlite::GetAssignment(*db_, id);
  }
  Result<std::vector<AssignmentRef>> AssignmentsOfOwner(int64_t owner_id, int limit) override {
    return sqlite::AssignmentsOfOwner(*db_, owner_id, limit);
  }
  Result<int64_t> SubmitUpdate(int64_t assignment_id, const Update& u, int64_t expected_version,
                               const Actor& a) override {
    return InTransaction(
        [&] { return sqlite::SubmitUpdate(*db_, Hooks(a), assignment_id, u, expected_version); });
  }
  Status ValidateUpdate(int64_t update_id, const Actor& a) override {
    return InTransaction([&] { return sqlite::ValidateUpdate(*db_, Hooks(a), update_id); });
  }
  Status ReturnUpdate(int64_t update_id, const std::string& reason, const Actor& a) override {
    return InTransaction([&] { return sqlite::ReturnUpdate(*db_, Hooks(a), update_id, reason); });
  }
  Result<UpdateWithAssignment> GetUpdate(int64_t id) override {
    return sqlite::GetUpdate(*db_, id);
  }
  Result<std::vector<UpdateWithAssignment>> SubmittedUpdates() override {
    return sqlite::SubmittedUpdates(*db_);
  }
  Result<SigningKeyPair> SigningKey() override { return sqlite::GetSigningKey(*db_); }
  Status SetPublicationSignature(int64_t id, const std::string& sig,
                                 const std::string& key) override {
    return sqlite::SetPublicationSignature(*db_, id, sig, key);
  }
  sqlite::StoreHooks Hooks(const Actor& actor) {
    sqlite::StoreHooks h;
    h.append_event = [this, &actor](std::string_view kind, const json& payload) -> Status {
      auto e = AppendEvent(actor, kind, payload);
      if (!e) return Fail(e.error());
      return {};
    };
    h.resolve_owner = [this](const std::string& name) { return ResolveOwner(name); };
    h.reindex = [this](int64_t rec_id) { return IndexRecommendationText(rec_id); };
    return h;
  }

  // Internals shared with the import session.
  Db* db() { return db_.get(); }
  Result<LedgerEvent> AppendEvent(const Actor& actor, std::string_view kind, const json& payload);
  Result<int64_t> ResolveOwner(const std::string& name);  // by name or alias; 0 if unknown
  Result<int64_t> EnsureOwner(const std::string& name, const std::string& tier,
                              ImportSummary* summary);
  Status IndexRecommendationText(int64_t rec_id);

  // Runs `fn` as one transaction (a savepoint when inside Begin()).
  template <typename F>
  auto InTransaction(F&& fn) -> decltype(fn()) {
    auto b = Begin();
    if (!b) return Fail(b.error());
    auto r = fn();
    if (!r) {
      Rollback();
      return r;
    }
    auto c = Commit();
    if (!c) return Fail(c.error());
    return r;
  }

 private:
  Result<Source> ReadSource(Stmt* s);
  Result<std::vector<Update>> UpdatesOf(int64_t assignment_id);
  Result<RecommendationView> ViewOf(int64_t rec_id);

  Result<int64_t> DataVersion();

  std::unique_ptr<Db> db_;
  int depth_ = 0;
  int64_t data_version_ = -1;  // PRAGMA data_version when the owner cache was last valid
  std::unordered_map<std::string, int64_t> owner_cache_;  // name/alias -> id
  bool owner_cache_loaded_ = false;

  friend class SqliteImportSession;
};

// Columns 0..9 of an updates row: id, assignment_id, date, response,
// response_text, response_status, implementation, narrative, evidence, author.
Update ReadUpdate(const Stmt* s) {
  Update u;
  u.id = s->Int(0);
  u.assignment_id = s->Int(1);
  if (auto d = s->OptDate(2)) u.date = *d;
  if (!s->IsNull(3)) u.response = ResponseNames().Get(s->Text(3));
  u.response_text = s->Str(4);
  if (!s->IsNull(5)) u.response_status = StatusNames().Get(s->Text(5));
  if (!s->IsNull(6)) u.implementation = ImplNames().Get(s->Text(6));
  u.narrative = s->Str(7);
  u.evidence = ParseList(s->Text(8));
  u.author = s->Str(9);
  return u;
}

// Columns 0..8 of a publications row: id, source_id, title, as_of, ledger_seq,
// ledger_hash, created_at, snapshot, snapshot_sha256.
Publication ReadPublication(const Stmt* s) {
  Publication p;
  p.id = s->Int(0);
  p.source_id = s->Int(1);
  p.title = s->Str(2);
  if (auto d = s->OptDate(3)) p.as_of = *d;
  p.ledger_seq = s->Int(4);
  p.ledger_hash = s->Str(5);
  p.created_at = s->Str(6);
  p.snapshot_json = s->Str(7);
  p.snapshot_sha256 = s->Str(8);
  return p;
}

constexpr char kSourceCols[] =
    "id, slug, kind, title, author, commissioned_by, date, url, response_days, recorded_on, "
    "stated_total, notes, vocabulary";

Result<Source> SqliteStore::ReadSource(Stmt* s) {
  Source src;
  src.id = s->Int(0);
  src.slug = s->Str(1);
  src.kind = s->Str(2);
  src.title = s->Str(3);
  src.author = s->Str(4);
  src.commissioned_by = s->Str(5);
  src.date = s->OptDate(6);
  src.url = s->Str(7);
  src.response_days = s->OptInt(8);
  src.recorded_on = s->OptDate(9);
  src.stated_total = s->OptInt(10);
  src.notes = s->Str(11);
  src.vocabulary = s->Str(12);
  return src;
}

Result<int64_t> SqliteStore::DataVersion() {
  auto st = db_->Prepare("PRAGMA data_version");
  if (!st) return Fail(st.error());
  auto row = (*st)->Step();
  if (!row) return Fail(row.error());
  int64_t v = *row ? (*st)->Int(0) : 0;
  (*st)->Reset();
  return v;
}

Status SqliteStore::Migrate() {
  RT_TRY(db_->Exec("PRAGMA journal_mode=WAL"));
  RT_TRY(db_->Exec("PRAGMA synchronous=FULL"));
  RT_TRY(db_->Exec("PRAGMA foreign_keys=ON"));
  RT_TRY(db_->Exec("PRAGMA cache_size=-65536"));
  auto st = db_->Prepare("PRAGMA user_version");
  if (!st) return Fail(st.error());
  auto row = (*st)->Step();
  if (!row) return Fail(row.error());
  int64_t version = (*st)->Int(0);
  (*st)->Reset();
  constexpr int64_t kLatest = static_cast<int64_t>(std::size(sqlite::kMigrations));
  if (version > kLatest)
    return Fail(Error::Corrupt(fmt::format(
        "the database has schema version {}, newer than this rectrack knows ({}); upgrade "
        "rectrack",
        version, kLatest)));
  if (version == kLatest) return {};
  RT_TRY(db_->Exec("BEGIN IMMEDIATE"));
  for (int64_t v = version; v < kLatest; ++v) {
    auto s = db_->Exec(std::string(sqlite::kMigrations[v]));
    if (!s) {
      (void)db_->Exec("ROLLBACK");
      return Fail(Error::Io(fmt::format("migration {} failed: {}", v + 1, s.error().message)));
    }
  }
  auto s = db_->Exec(fmt::format("PRAGMA user_version={}", kLatest));
  if (!s) {
    (void)db_->Exec("ROLLBACK");
    return s;
  }
  return db_->Exec("COMMIT");
}

Result<LedgerEvent> SqliteStore::AppendEvent(const Actor& actor, std::string_view kind,
                                             const json& payload) {
  auto head = Head();
  if (!head) return Fail(head.error());
  LedgerEvent e;
  e.seq = head->seq + 1;
  e.ts = NowUtc();
  e.actor = actor.name;
  e.kind = std::string(kind);
  e.payload = payload.dump();
  e.prev_hash = head->hash;
  e.hash = ComputeEventHash(e.prev_hash, e.seq, e.ts, e.actor, e.kind, e.payload);
  auto st = db_->Prepare(
      "INSERT INTO ledger(seq, ts, actor, kind, payload, prev_hash, hash) "
      "VALUES(?,?,?,?,?,?,?)");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, e.seq).Bind(2, e.ts).Bind(3, e.actor).Bind(4, e.kind).Bind(5, e.payload)
      .Bind(6, e.prev_hash).Bind(7, e.hash);
  RT_TRY((*st)->Run());
  auto meta = db_->Prepare(
      "INSERT INTO meta(key, value) VALUES('ledger_head', ?) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!meta) return Fail(meta.error());
  (*meta)->Bind(1, fmt::format("{} {}", e.seq, e.hash));
  RT_TRY((*meta)->Run());
  return e;
}

Result<LedgerHead> SqliteStore::Head() {
  auto st = db_->Prepare("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1");
  if (!st) return Fail(st.error());
  auto row = (*st)->Step();
  if (!row) return Fail(row.error());
  LedgerHead h{0, kGenesisHash};
  if (*row) {
    h.seq = (*st)->Int(0);
    h.hash = (*st)->Str(1);
    (*st)->Reset();
  }
  return h;
}

Result<int64_t> SqliteStore::ResolveOwner(const std::string& name) {
  if (!owner_cache_loaded_) {
    owner_cache_.clear();
    auto st = db_->Prepare("SELECT name, id FROM owners");
    if (!st) return Fail(st.error());
    while (true) {
      auto r = (*st)->Step();
      if (!r) return Fail(r.error());
      if (!*r) break;
      owner_cache_[(*st)->Str(0)] = (*st)->Int(1);
    }
    auto al = db_->Prepare("SELECT alias, owner_id FROM owner_aliases");
    if (!al) return Fail(al.error());
    while (true) {
      auto r = (*al)->Step();
      if (!r) return Fail(r.error());
      if (!*r) break;
      owner_cache_[(*al)->Str(0)] = (*al)->Int(1);
    }
    owner_cache_loaded_ = true;
  }
  auto it = owner_cache_.find(name);
  return it == owner_cache_.end() ? 0 : it->second;
}

Result<int64_t> SqliteStore::EnsureOwner(const std::string& name, const std::string& tier,
                                         ImportSummary* summary) {
  auto id = ResolveOwner(name);
  if (!id) return id;
  if (*id) return id;
  if (name.empty()) return Fail(Error::Invalid("an owner name is empty"));
  auto st = db_->Prepare("INSERT INTO owners(name, tier) VALUES(?, ?)");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, name).Bind(2, tier.empty() ? std::string("unclassified") : tier);
  RT_TRY((*st)->Run());
  int64_t new_id = db_->LastInsertId();
  owner_cache_[name] = new_id;
  if (summary) ++summary->owners_created;
  return new_id;
}

Status SqliteStore::IndexRecommendationText(int64_t rec_id) {
  // Responses: the assignments' own and every update's response text and narrative.
  std::string responses;
  auto a = db_->Prepare(
      "SELECT response_text FROM assignments WHERE recommendation_id = ? AND response_text <> '' "
      "ORDER BY id");
  if (!a) return Fail(a.error());
  (*a)->Bind(1, rec_id);
  while (true) {
    auto r = (*a)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    if (!responses.empty()) responses += "\n";
    responses += (*a)->Text(0);
  }
  auto u = db_->Prepare(
      "SELECT u.response_text, u.narrative FROM updates u JOIN assignments a "
      "ON a.id = u.assignment_id WHERE a.recommendation_id = ? AND u.state = 'validated' "
      "ORDER BY u.id");
  if (!u) return Fail(u.error());
  (*u)->Bind(1, rec_id);
  while (true) {
    auto r = (*u)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    for (int c = 0; c < 2; ++c) {
      if ((*u)->Text(c).empty()) continue;
      if (!responses.empty()) responses += "\n";
      responses += (*u)->Text(c);
    }
  }
  auto del = db_->Prepare("DELETE FROM recommendation_fts WHERE rowid = ?");
  if (!del) return Fail(del.error());
  (*del)->Bind(1, rec_id);
  RT_TRY((*del)->Run());
  auto ins = db_->Prepare(
      "INSERT INTO recommendation_fts(rowid, text, responses) "
      "SELECT id, text, ? FROM recommendations WHERE id = ?");
  if (!ins) return Fail(ins.error());
  (*ins)->Bind(1, responses).Bind(2, rec_id);
  return (*ins)->Run();
}

// ---- import ----------------------------------------------------------------

SqliteImportSession::~SqliteImportSession() {
  if (open_) store_->Rollback();
  RestoreForeignKeys();
  // Owners created in a rolled-back transaction must not linger in the cache.
  if (open_ || failed_) store_->owner_cache_loaded_ = false;
}

Status SqliteImportSession::Start() {
  // Every reference the session writes is one it has just made or looked up
  // (in a cache loaded inside its transaction, below), so SQLite's foreign key
  // checks, two index lookups per assignment, only cost time: off for a
  // session that is a transaction of its own (the pragma cannot change inside
  // one), and on again as soon as it ends.
  if (store_->depth_ == 0) {
    RT_TRY(store_->db()->Exec("PRAGMA foreign_keys=OFF"));
    fk_off_ = true;
  }
  if (auto b = store_->Begin(); !b) {
    RestoreForeignKeys();
    return b;
  }
  open_ = true;
  // Owners may have changed since this connection last looked (merged by
  // another); within the transaction the cache is exact.
  store_->owner_cache_loaded_ = false;
  return {};
}

void SqliteImportSession::RestoreForeignKeys() {
  if (!fk_off_) return;
  (void)store_->db()->Exec("PRAGMA foreign_keys=ON");
  fk_off_ = false;
}

Status SqliteImportSession::Add(const ImportBatch& chunk) {
  if (!open_) return Fail(Error::Internal("import session is closed"));
  auto fail = [&](Error e) -> Status {
    store_->Rollback();
    RestoreForeignKeys();
    open_ = false;
    failed_ = true;
    return Fail(std::move(e));
  };
  Db* db = store_->db();
  // Declared owners first, so their tier is set when they are created.
  for (const auto& o : chunk.owners) {
    auto id = store_->ResolveOwner(o.name);
    if (!id) return fail(id.error());
    if (*id == 0) {
      auto made = store_->EnsureOwner(o.name, o.tier, &summary_);
      if (!made) return fail(made.error());
      id = made;
    } else if (o.tier != "unclassified") {
      // A declared tier fills in an unclassified owner but never overrides a choice.
      auto st = db->Prepare("UPDATE owners SET tier = ? WHERE id = ? AND tier = 'unclassified'");
      if (!st) return fail(st.error());
      (*st)->Bind(1, o.tier).Bind(2, *id);
      if (auto r = (*st)->Run(); !r) return fail(r.error());
    }
    for (const auto& alias : o.aliases) {
      auto existing = store_->ResolveOwner(alias);
      if (!existing) return fail(existing.error());
      if (*existing == *id) continue;
      if (*existing != 0)
        return fail(Error::Conflict(fmt::format(
            "alias '{}' of owner '{}' already names another owner; if they are one body, "
            "merge them with `rectrack owner alias '{}' '{}'` and import again",
            alias, o.name, alias, o.name)));
      auto st = db->Prepare("INSERT INTO owner_aliases(alias, owner_id) VALUES(?, ?)");
      if (!st) return fail(st.error());
      (*st)->Bind(1, alias).Bind(2, *id);
      if (auto r = (*st)->Run(); !r) return fail(r.error());
      store_->owner_cache_[alias] = *id;
    }
  }
  for (const auto& [alias, canonical] : chunk.aliases) {
    auto id = store_->EnsureOwner(canonical, "unclassified", &summary_);
    if (!id) return fail(id.error());
    auto existing = store_->ResolveOwner(alias);
    if (!existing) return fail(existing.error());
    if (*existing == *id) continue;
    if (*existing != 0)
      return fail(Error::Conflict(fmt::format(
          "alias '{}' -> '{}': '{}' already names another owner; if they are one body, "
          "merge them with `rectrack owner alias '{}' '{}'` and import again",
          alias, canonical, alias, alias, canonical)));
    auto st = db->Prepare("INSERT INTO owner_aliases(alias, owner_id) VALUES(?, ?)");
    if (!st) return fail(st.error());
    (*st)->Bind(1, alias).Bind(2, *id);
    if (auto r = (*st)->Run(); !r) return fail(r.error());
    store_->owner_cache_[alias] = *id;
  }

  auto ins_src = db->Prepare(
      "INSERT INTO sources(slug, kind, title, author, commissioned_by, date, url, response_days, "
      "recorded_on, stated_total, notes, vocabulary) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
  auto find_src = db->Prepare("SELECT id FROM sources WHERE slug = ?");
  auto ins_rec = db->Prepare(
      "INSERT INTO recommendations(source_id, ref, text, themes, made, target, made_by, url) "
      "VALUES(?,?,?,?,?,?,?,?)");
  auto ins_fts = db->Prepare(
      "INSERT INTO recommendation_fts(rowid, text, responses) VALUES(?,?,?)");
  auto ins_asg = db->Prepare(
      "INSERT INTO assignments(recommendation_id, owner_id, due, response, response_text, "
      "response_date, status, implementation, raw_status, raw_response) "
      "VALUES(?,?,?,?,?,?,?,?,?,?)");
  auto ins_upd = db->Prepare(
      "INSERT INTO updates(assignment_id, date, response, response_text, response_status, "
      "implementation, narrative, evidence, author, state, return_reason) "
      "VALUES(?,?,?,?,?,?,?,?,?,?,?)");
  auto ins_fund = db->Prepare(
      "INSERT INTO funding(source_id, owner_id, item, period, cost, funded, currency, note) "
      "VALUES(?,?,?,?,?,?,?,?)");
  for (auto* p : {&ins_src, &find_src, &ins_rec, &ins_fts, &ins_asg, &ins_upd, &ins_fund})
    if (!*p) return fail(p->error());

  for (const auto& sin : chunk.sources) {
    const Source& s = sin.source;
    if (s.slug.empty()) return fail(Error::Invalid("a source has no slug"));
    if (s.title.empty()) return fail(Error::Invalid(fmt::format("source '{}' has no title", s.slug)));
    int64_t source_id;
    auto known = new_sources_.find(s.slug);
    if (known != new_sources_.end()) {
      source_id = known->second;
    } else {
      (*find_src)->Bind(1, s.slug);
      auto row = (*find_src)->Step();
      if (!row) return fail(row.error());
      if (*row) {
        (*find_src)->Reset();
        return fail(Error::Conflict(fmt::format(
            "source '{}' is already in the store; nothing was imported (a source is imported "
            "once; record changes with `rectrack update`)",
            s.slug)));
      }
      Stmt* st = *ins_src;
      st->Bind(1, s.slug).Bind(2, s.kind.empty() ? std::string("review") : s.kind)
          .Bind(3, s.title).Bind(4, s.author).Bind(5, s.commissioned_by).Bind(6, s.date)
          .Bind(7, s.url).Bind(8, s.response_days).Bind(9, s.recorded_on)
          .Bind(10, s.stated_total).Bind(11, s.notes)
          .Bind(12, s.vocabulary.empty() ? std::string("canonical") : s.vocabulary);
      if (auto r = st->Run(); !r) return fail(r.error());
      source_id = db->LastInsertId();
      new_sources_[s.slug] = source_id;
      ++summary_.sources;
    }
    for (const auto& rin : sin.recommendations) {
      const Recommendation& r = rin.recommendation;
      int64_t rec_id;
      if (rin.continued) {
        auto id = Continue(source_id, s.slug, r);
        if (!id) return fail(id.error());
        rec_id = *id;
      } else {
        Stmt* st = *ins_rec;
        // BindRef: the chunk outlives the statement's run (the hot path of big imports).
        st->Bind(1, source_id).BindRef(2, r.ref).BindRef(3, r.text).Bind(4, JsonList(r.themes))
            .Bind(5, r.made).Bind(6, r.target).BindRef(7, r.made_by).BindRef(8, r.url);
        if (auto res = st->Run(); !res) {
          Error e = res.error();
          if (e.code == Error::Code::kConflict)
            e.message = fmt::format("source '{}' has recommendation '{}' twice", s.slug, r.ref);
          return fail(e);
        }
        rec_id = db->LastInsertId();
        ++summary_.recommendations;
      }
      std::string responses;
      for (const auto& ain : rin.assignments) {
        auto owner_id = store_->EnsureOwner(ain.owner, "unclassified", &summary_);
        if (!owner_id) return fail(owner_id.error());
        const Assignment& a = ain.assignment;
        Stmt* as = *ins_asg;
        as->Bind(1, rec_id).Bind(2, *owner_id).Bind(3, a.due)
            .BindRef(4, Name(a.initial.response)).BindRef(5, a.initial.response_text)
            .Bind(6, a.initial.response_date).BindRef(7, Name(a.initial.recorded_status))
            .BindRef(8, Name(a.initial.implementation)).BindRef(9, a.raw_status)
            .BindRef(10, a.raw_response);
        if (auto res = as->Run(); !res) {
          Error e = res.error();
          if (e.code == Error::Code::kConflict)
            e.message = fmt::format(
                "recommendation '{}' of source '{}' is assigned to owner '{}' twice (names or "
                "aliases of one owner)",
                r.ref, s.slug, ain.owner);
          return fail(e);
        }
        int64_t asg_id = db->LastInsertId();
        ++summary_.assignments;
        if (!a.initial.response_text.empty()) {
          if (!responses.empty()) responses += "\n";
          responses += a.initial.response_text;
        }
        for (const auto& u : ain.updates) {
          Stmt* us = *ins_upd;
          us->Bind(1, asg_id).Bind(2, u.date.ToIso());
          if (u.response) us->Bind(3, Name(*u.response)); else us->BindNull(3);
          us->Bind(4, u.response_text);
          if (u.response_status) us->Bind(5, Name(*u.response_status)); else us->BindNull(5);
          if (u.implementation) us->Bind(6, Name(*u.implementation)); else us->BindNull(6);
          us->Bind(7, u.narrative).Bind(8, JsonList(u.evidence)).Bind(9, u.author)
              .Bind(10, Name(u.state)).Bind(11, u.return_reason);
          if (auto res = us->Run(); !res) return fail(res.error());
          ++summary_.updates;
          if (u.state == UpdateState::kValidated) {
            for (const std::string* t : {&u.response_text, &u.narrative}) {
              if (t->empty()) continue;
              if (!responses.empty()) responses += "\n";
              responses += *t;
            }
          }
        }
      }
      if (rin.continued) {
        // The responses of the rows before, then these: as if all came at once.
        if (!responses.empty()) {
          auto old = db->Prepare("SELECT responses FROM recommendation_fts WHERE rowid = ?");
          if (!old) return fail(old.error());
          (*old)->Bind(1, rec_id);
          auto row = (*old)->Step();
          if (!row) return fail(row.error());
          std::string all = *row ? (*old)->Str(0) : std::string();
          if (*row) (*old)->Reset();
          if (!all.empty()) all += "\n";
          all += responses;
          auto upd = db->Prepare("UPDATE recommendation_fts SET responses = ? WHERE rowid = ?");
          if (!upd) return fail(upd.error());
          (*upd)->Bind(1, all).Bind(2, rec_id);
          if (auto res = (*upd)->Run(); !res) return fail(res.error());
        }
        continue;
      }
      Stmt* fts = *ins_fts;
      fts->Bind(1, rec_id).BindRef(2, r.text).BindRef(3, responses);
      if (auto res = fts->Run(); !res) return fail(res.error());
    }
    for (const auto& fin : sin.funding) {
      auto owner_id = store_->EnsureOwner(fin.owner, "unclassified", &summary_);
      if (!owner_id) return fail(owner_id.error());
      const FundingLine& f = fin.line;
      Stmt* fs = *ins_fund;
      fs->Bind(1, source_id).Bind(2, *owner_id).Bind(3, f.item).Bind(4, f.period)
          .Bind(5, f.cost).Bind(6, f.funded).Bind(7, f.currency).Bind(8, f.note);
      if (auto res = fs->Run(); !res) return fail(res.error());
      ++summary_.funding_lines;
    }
    source_slugs_.insert(s.slug);
  }
  return {};
}

Result<int64_t> SqliteImportSession::Continue(int64_t source_id, const std::string& slug,
                                              const Recommendation& r) {
  Db* db = store_->db();
  auto find = db->Prepare(
      "SELECT id, text, themes, made, url FROM recommendations WHERE source_id = ? AND ref = ?");
  if (!find) return Fail(find.error());
  Stmt* st = *find;
  st->Bind(1, source_id).Bind(2, r.ref);
  auto row = st->Step();
  if (!row) return Fail(row.error());
  if (!*row)
    return Fail(Error::Internal(fmt::format(
        "recommendation '{}' of source '{}' is continued, but no earlier chunk of this import "
        "wrote it",
        r.ref, slug)));
  const int64_t id = st->Int(0);
  const bool same_text = st->Text(1) == r.text;
  std::vector<std::string> themes = ParseList(st->Text(2));
  std::optional<Date> made = st->OptDate(3);
  std::string url = st->Str(4);
  st->Reset();
  if (!same_text)
    return Fail(Error::Conflict(fmt::format(
        "recommendation '{}' of source '{}' appears again with different text", r.ref, slug)));
  bool changed = false;
  for (const auto& t : r.themes) {
    if (std::find(themes.begin(), themes.end(), t) != themes.end()) continue;
    themes.push_back(t);
    changed = true;
  }
  if (!made && r.made) {
    made = r.made;
    changed = true;
  }
  if (url.empty() && !r.url.empty()) {
    url = r.url;
    changed = true;
  }
  if (changed) {
    auto upd = db->Prepare("UPDATE recommendations SET themes = ?, made = ?, url = ? WHERE id = ?");
    if (!upd) return Fail(upd.error());
    (*upd)->Bind(1, JsonList(themes)).Bind(2, made).Bind(3, url).Bind(4, id);
    RT_TRY((*upd)->Run());
  }
  return id;
}

Result<ImportSummary> SqliteImportSession::Finish() {
  if (!open_) return Fail(Error::Internal("import session is closed"));
  json payload = {
      {"origin", origin_},
      {"sources", summary_.sources},
      {"recommendations", summary_.recommendations},
      {"assignments", summary_.assignments},
      {"owners_created", summary_.owners_created},
      {"updates", summary_.updates},
      {"funding_lines", summary_.funding_lines},
  };
  // Name the sources (all of them up to a point, then a count) so the ledger says what arrived.
  std::vector<std::string> slugs(source_slugs_.begin(), source_slugs_.end());
  if (slugs.size() > 50) slugs.resize(50);
  payload["source_slugs"] = slugs;
  auto e = store_->AppendEvent(actor_, "import", payload);
  if (!e) {
    store_->Rollback();
    RestoreForeignKeys();
    open_ = false;
    failed_ = true;
    return Fail(e.error());
  }
  open_ = false;
  auto c = store_->Commit();
  RestoreForeignKeys();
  if (!c) {
    failed_ = true;
    return Fail(c.error());
  }
  summary_.ledger_seq = e->seq;
  return summary_;
}

// ---- reads -----------------------------------------------------------------

Result<std::vector<Source>> SqliteStore::ListSources() {
  auto st = db_->Prepare(fmt::format("SELECT {} FROM sources ORDER BY slug", kSourceCols));
  if (!st) return Fail(st.error());
  std::vector<Source> out;
  while (true) {
    auto r = (*st)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    auto s = ReadSource(*st);
    if (!s) return Fail(s.error());
    out.push_back(std::move(*s));
  }
  return out;
}

Result<Source> SqliteStore::GetSource(const std::string& slug) {
  auto st = db_->Prepare(fmt::format("SELECT {} FROM sources WHERE slug = ?", kSourceCols));
  if (!st) return Fail(st.error());
  (*st)->Bind(1, slug);
  auto r = (*st)->Step();
  if (!r) return Fail(r.error());
  if (!*r) return Fail(Error::NotFound(fmt::format("no source '{}'", slug)));
  auto s = ReadSource(*st);
  (*st)->Reset();
  return s;
}

Result<std::vector<Owner>> SqliteStore::ListOwners() {
  auto st = db_->Prepare("SELECT id, name, tier FROM owners ORDER BY name");
  if (!st) return Fail(st.error());
  std::vector<Owner> out;
  std::unordered_map<int64_t, size_t> index;
  while (true) {
    auto r = (*st)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    Owner o;
    o.id = (*st)->Int(0);
    o.name = (*st)->Str(1);
    o.tier = (*st)->Str(2);
    index[o.id] = out.size();
    out.push_back(std::move(o));
  }
  auto al = db_->Prepare("SELECT alias, owner_id FROM owner_aliases ORDER BY alias");
  if (!al) return Fail(al.error());
  while (true) {
    auto r = (*al)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    auto it = index.find((*al)->Int(1));
    if (it != index.end()) out[it->second].aliases.push_back((*al)->Str(0));
  }
  return out;
}

// LoadFacts' assignment columns: the texts last, and only when asked for.
std::string AssignmentColumns(bool with_text) {
  return fmt::format(
      "a.id, a.recommendation_id, a.owner_id, a.due, a.response, a.response_date, a.status, "
      "a.implementation{}",
      with_text ? ", a.response_text, a.raw_status, a.raw_response" : "");
}

void ReadAssignment(Stmt* s, bool with_text, Assignment* a) {
  a->id = s->Int(0);
  a->recommendation_id = s->Int(1);
  a->owner_id = s->Int(2);
  a->due = s->OptDate(3);
  a->initial.response = ResponseNames().Get(s->Text(4)).value_or(ResponseKind::kNone);
  a->initial.response_date = s->OptDate(5);
  a->initial.recorded_status = StatusNames().Get(s->Text(6)).value_or(ResponseStatus::kPending);
  a->initial.implementation = ImplNames().Get(s->Text(7)).value_or(Implementation::kNotStarted);
  if (with_text) {
    a->initial.response_text = s->Text(8);
    a->raw_status = s->Text(9);
    a->raw_response = s->Text(10);
  }
}

Result<Facts> SqliteStore::LoadFacts(const FactsFilter& filter) {
  Facts f;
  std::string where = "1 = 1";
  if (!filter.source_slug.empty()) where = "s.slug = ?1";
  else if (!filter.source_kind.empty()) where = "s.kind = ?1";
  const std::string key = !filter.source_slug.empty() ? filter.source_slug : filter.source_kind;
  bool bind = !filter.source_slug.empty() || !filter.source_kind.empty();

  auto src = db_->Prepare(fmt::format("SELECT {} FROM sources s WHERE {} ORDER BY s.id",
                                      "s.id, s.slug, s.kind, s.title, s.author, "
                                      "s.commissioned_by, s.date, s.url, s.response_days, "
                                      "s.recorded_on, s.stated_total, s.notes, s.vocabulary",
                                      where));
  if (!src) return Fail(src.error());
  if (bind) (*src)->Bind(1, key);
  while (true) {
    auto r = (*src)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    auto s = ReadSource(*src);
    if (!s) return Fail(s.error());
    f.sources.push_back(std::move(*s));
  }
  if (bind && f.sources.empty()) {
    if (!filter.source_slug.empty())
      return Fail(Error::NotFound(fmt::format("no source '{}'", filter.source_slug)));
    return f;
  }

  // Recommendations and assignments. The indexes find a small part of a big
  // store quickly, but read most or all of it in index order (with a sort, and
  // a lookup per row); then the tables are read in their own order instead,
  // keeping the rows of the selected sources: the same rows, in the same order.
  std::vector<int64_t> source_ids;
  for (const auto& s : f.sources) source_ids.push_back(s.id);
  std::sort(source_ids.begin(), source_ids.end());
  auto scalar = [&](const std::string& sql, int64_t arg, bool bind_arg) -> Result<int64_t> {
    auto st = db_->Prepare(sql);
    if (!st) return Fail(st.error());
    if (bind_arg) (*st)->Bind(1, arg);
    auto row = (*st)->Step();
    if (!row) return Fail(row.error());
    int64_t v = *row ? (*st)->Int(0) : 0;
    if (*row) (*st)->Reset();
    return v;
  };
  int64_t selected = 0;  // recommendations of the selected sources
  int64_t largest_rec = 0;
  bool scan = true;
  if (bind) {
    for (int64_t id : source_ids) {
      auto n = scalar("SELECT count(*) FROM recommendations WHERE source_id = ?", id, true);
      if (!n) return Fail(n.error());
      selected += *n;
    }
    auto largest = scalar("SELECT max(id) FROM recommendations", 0, false);
    if (!largest) return Fail(largest.error());
    largest_rec = *largest;
    scan = selected * 4 >= largest_rec;
  } else {
    auto n = scalar("SELECT count(*) FROM recommendations", 0, false);
    if (!n) return Fail(n.error());
    selected = *n;
  }
  f.recommendations.reserve(static_cast<size_t>(selected));
  const bool with_text = filter.with_text;
  const std::string asg_cols = AssignmentColumns(with_text);

  // A big read of (nearly) the whole store outside any transaction of this
  // connection: all assignments are read on a second connection, on a second
  // thread, while this one reads the recommendations (the two take about as
  // long); those of recommendations not kept are dropped after. Inside a
  // transaction only this connection sees its own writes, so it reads alone.
  // (Either way, as before, each table is read in a snapshot of its own.)
  constexpr int64_t kParallelFrom = 50000;
  const char* file = sqlite3_db_filename(db_->raw(), "main");
  const bool parallel = scan && depth_ == 0 && selected >= kParallelFrom &&
                        (!bind || selected * 10 >= largest_rec * 9) && file && *file;
  std::vector<Assignment> assignments_elsewhere;
  Status read_elsewhere;
  std::thread reader;
  if (parallel) {
    reader = std::thread([&, path = std::string(file)] {
      read_elsewhere = [&]() -> Status {
        auto db = Db::Open(path);
        if (!db) return Fail(db.error());
        auto st = (*db)->Prepare(fmt::format("SELECT {} FROM assignments a ORDER BY a.id",
                                             asg_cols));
        if (!st) return Fail(st.error());
        assignments_elsewhere.reserve(static_cast<size_t>(selected));
        while (true) {
          auto r = (*st)->Step();
          if (!r) return Fail(r.error());
          if (!*r) break;
          ReadAssignment(*st, with_text, &assignments_elsewhere.emplace_back());
        }
        return {};
      }();
    });
  } else {
    f.assignments.reserve(static_cast<size_t>(selected));  // usually one owner or few
  }

  // Columns the caller does not want are not even read.
  const std::string rec_cols = fmt::format("r.id, r.source_id, r.ref, r.made, r.target{}",
                                            with_text ? ", r.text, r.made_by, r.url, r.themes" : "");
  // The second reader must be done before this returns, whatever happens.
  struct Joiner {
    std::thread& t;
    ~Joiner() {
      if (t.joinable()) t.join();
    }
  } joiner{reader};
  auto rec = db_->Prepare(
      scan ? fmt::format("SELECT {} FROM recommendations r ORDER BY r.id", rec_cols)
           : fmt::format("SELECT {} FROM recommendations r JOIN sources s ON s.id = r.source_id "
                         "WHERE {} ORDER BY r.id",
                         rec_cols, where));
  if (!rec) return Fail(rec.error());
  if (bind && !scan) (*rec)->Bind(1, key);
  while (true) {
    auto r = (*rec)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    Stmt* s = *rec;
    const int64_t source_id = s->Int(1);
    if (scan && !std::binary_search(source_ids.begin(), source_ids.end(), source_id)) continue;
    Recommendation& x = f.recommendations.emplace_back();
    x.id = s->Int(0);
    x.source_id = source_id;
    x.ref = s->Text(2);
    x.made = s->OptDate(3);
    x.target = s->OptDate(4);
    if (with_text) {
      x.text = s->Text(5);
      x.made_by = s->Text(6);
      x.url = s->Text(7);
      x.themes = ParseList(s->Text(8));
    }
  }

  // Which recommendations were kept: a bitmap over their (ascending) ids.
  const int64_t first_rec = f.recommendations.empty() ? 0 : f.recommendations.front().id;
  std::vector<bool> kept;
  if (scan && !f.recommendations.empty()) {
    kept.assign(static_cast<size_t>(f.recommendations.back().id - first_rec + 1), false);
    for (const auto& r : f.recommendations) kept[static_cast<size_t>(r.id - first_rec)] = true;
  }
  auto is_kept = [&](int64_t rec_id) {
    return rec_id >= first_rec && rec_id - first_rec < static_cast<int64_t>(kept.size()) &&
           kept[static_cast<size_t>(rec_id - first_rec)];
  };
  if (parallel) {
    reader.join();
    if (!read_elsewhere) return Fail(read_elsewhere.error());
    f.assignments = std::move(assignments_elsewhere);
    std::erase_if(f.assignments, [&](const Assignment& a) { return !is_kept(a.recommendation_id); });
  } else {
    auto asg = db_->Prepare(
        scan ? fmt::format("SELECT {} FROM assignments a ORDER BY a.id", asg_cols)
             : fmt::format("SELECT {} FROM assignments a "
                           "JOIN recommendations r ON r.id = a.recommendation_id "
                           "JOIN sources s ON s.id = r.source_id WHERE {} ORDER BY a.id",
                           asg_cols, where));
    if (!asg) return Fail(asg.error());
    if (bind && !scan) (*asg)->Bind(1, key);
    while (true) {
      auto r = (*asg)->Step();
      if (!r) return Fail(r.error());
      if (!*r) break;
      if (scan && !is_kept((*asg)->Int(1))) continue;
      ReadAssignment(*asg, with_text, &f.assignments.emplace_back());
    }
  }

  auto upd = db_->Prepare(fmt::format(
      "SELECT u.id, u.assignment_id, u.date, u.response, u.response_text, u.response_status, "
      "u.implementation, u.narrative, u.evidence, u.author FROM updates u "
      "JOIN assignments a ON a.id = u.assignment_id "
      "JOIN recommendations r ON r.id = a.recommendation_id JOIN sources s ON s.id = r.source_id "
      "WHERE {} AND u.state = 'validated' ORDER BY u.assignment_id, u.date, u.id",
      where));
  if (!upd) return Fail(upd.error());
  if (bind) (*upd)->Bind(1, key);
  while (true) {
    auto r = (*upd)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    Update u = ReadUpdate(*upd);
    u.state = UpdateState::kValidated;
    f.updates.push_back(std::move(u));
  }

  auto owners = ListOwners();
  if (!owners) return Fail(owners.error());
  f.owners = std::move(*owners);

  auto fund = db_->Prepare(fmt::format(
      "SELECT f.id, f.source_id, f.owner_id, f.item, f.period, f.cost, f.funded, f.currency, "
      "f.note FROM funding f JOIN sources s ON s.id = f.source_id WHERE {} ORDER BY f.id",
      where));
  if (!fund) return Fail(fund.error());
  if (bind) (*fund)->Bind(1, key);
  while (true) {
    auto r = (*fund)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    Stmt* s = *fund;
    FundingLine l;
    l.id = s->Int(0);
    l.source_id = s->Int(1);
    l.owner_id = s->Int(2);
    l.item = s->Str(3);
    l.period = s->Str(4);
    l.cost = s->Int(5);
    l.funded = s->Int(6);
    l.currency = s->Str(7);
    l.note = s->Str(8);
    f.funding.push_back(std::move(l));
  }

  if (filter.with_publications) {
    auto pub = db_->Prepare(fmt::format(
        "SELECT p.id, p.source_id, p.title, p.as_of, p.ledger_seq, p.ledger_hash, p.created_at, "
        "p.snapshot, p.snapshot_sha256 FROM publications p JOIN sources s ON s.id = p.source_id "
        "WHERE {} ORDER BY p.id",
        where));
    if (!pub) return Fail(pub.error());
    if (bind) (*pub)->Bind(1, key);
    while (true) {
      auto r = (*pub)->Step();
      if (!r) return Fail(r.error());
      if (!*r) break;
      f.publications.push_back(ReadPublication(*pub));
    }
  }
  return f;
}

Result<std::vector<Update>> SqliteStore::UpdatesOf(int64_t assignment_id) {
  auto st = db_->Prepare(
      "SELECT id, assignment_id, date, response, response_text, response_status, implementation, "
      "narrative, evidence, author, state, return_reason FROM updates WHERE assignment_id = ? "
      "ORDER BY date, id");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, assignment_id);
  std::vector<Update> out;
  while (true) {
    auto r = (*st)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    Stmt* s = *st;
    Update u = ReadUpdate(s);
    if (auto us = ParseUpdateState(s->Text(10))) u.state = *us;
    u.return_reason = s->Str(11);
    out.push_back(std::move(u));
  }
  return out;
}

Result<RecommendationView> SqliteStore::ViewOf(int64_t rec_id) {
  auto st = db_->Prepare(
      "SELECT id, source_id, ref, text, themes, made, target, made_by, url FROM recommendations "
      "WHERE id = ?");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, rec_id);
  auto r = (*st)->Step();
  if (!r) return Fail(r.error());
  if (!*r) return Fail(Error::NotFound(fmt::format("no recommendation {}", rec_id)));
  RecommendationView v;
  Stmt* s = *st;
  v.recommendation.id = s->Int(0);
  v.recommendation.source_id = s->Int(1);
  v.recommendation.ref = s->Str(2);
  v.recommendation.text = s->Str(3);
  v.recommendation.themes = ParseList(s->Text(4));
  v.recommendation.made = s->OptDate(5);
  v.recommendation.target = s->OptDate(6);
  v.recommendation.made_by = s->Str(7);
  v.recommendation.url = s->Str(8);
  s->Reset();

  auto src = db_->Prepare(fmt::format("SELECT {} FROM sources WHERE id = ?", kSourceCols));
  if (!src) return Fail(src.error());
  (*src)->Bind(1, v.recommendation.source_id);
  auto sr = (*src)->Step();
  if (!sr) return Fail(sr.error());
  if (!*sr) return Fail(Error::Corrupt("recommendation without source"));
  auto source = ReadSource(*src);
  (*src)->Reset();
  if (!source) return Fail(source.error());
  v.source = std::move(*source);

  auto as = db_->Prepare(
      "SELECT a.id, a.owner_id, a.due, a.response, a.response_text, a.response_date, a.status, "
      "a.implementation, a.raw_status, a.raw_response, o.name, o.tier FROM assignments a "
      "JOIN owners o ON o.id = a.owner_id WHERE a.recommendation_id = ? ORDER BY a.id");
  if (!as) return Fail(as.error());
  (*as)->Bind(1, rec_id);
  while (true) {
    auto row = (*as)->Step();
    if (!row) return Fail(row.error());
    if (!*row) break;
    Stmt* a = *as;
    RecommendationView::AssignmentView av;
    av.assignment.id = a->Int(0);
    av.assignment.recommendation_id = rec_id;
    av.assignment.owner_id = a->Int(1);
    av.assignment.due = a->OptDate(2);
    av.assignment.initial.response = ResponseNames().Get(a->Text(3)).value_or(ResponseKind::kNone);
    av.assignment.initial.response_text = a->Str(4);
    av.assignment.initial.response_date = a->OptDate(5);
    av.assignment.initial.recorded_status =
        StatusNames().Get(a->Text(6)).value_or(ResponseStatus::kPending);
    av.assignment.initial.implementation =
        ImplNames().Get(a->Text(7)).value_or(Implementation::kNotStarted);
    av.assignment.raw_status = a->Str(8);
    av.assignment.raw_response = a->Str(9);
    av.owner.id = av.assignment.owner_id;
    av.owner.name = a->Str(10);
    av.owner.tier = a->Str(11);
    v.assignments.push_back(std::move(av));
  }
  for (auto& av : v.assignments) {
    auto u = UpdatesOf(av.assignment.id);
    if (!u) return Fail(u.error());
    av.updates = std::move(*u);
  }
  return v;
}

Result<RecommendationView> SqliteStore::GetRecommendation(const std::string& source_slug,
                                                          const std::string& ref) {
  auto st = db_->Prepare(
      "SELECT r.id FROM recommendations r JOIN sources s ON s.id = r.source_id "
      "WHERE s.slug = ? AND r.ref = ?");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, source_slug).Bind(2, ref);
  auto r = (*st)->Step();
  if (!r) return Fail(r.error());
  if (!*r)
    return Fail(Error::NotFound(
        fmt::format("no recommendation '{}' in source '{}'", ref, source_slug)));
  int64_t id = (*st)->Int(0);
  (*st)->Reset();
  return ViewOf(id);
}

Result<RecommendationView> SqliteStore::GetRecommendationById(int64_t id) { return ViewOf(id); }

// ---- writes ----------------------------------------------------------------

Result<int64_t> SqliteStore::AddUpdate(int64_t assignment_id, const Update& u,
                                       const Actor& actor) {
  return InTransaction([&]() -> Result<int64_t> {
    auto find = db_->Prepare(
        "SELECT a.recommendation_id, r.ref, s.slug, o.name FROM assignments a "
        "JOIN recommendations r ON r.id = a.recommendation_id "
        "JOIN sources s ON s.id = r.source_id JOIN owners o ON o.id = a.owner_id "
        "WHERE a.id = ?");
    if (!find) return Fail(find.error());
    (*find)->Bind(1, assignment_id);
    auto row = (*find)->Step();
    if (!row) return Fail(row.error());
    if (!*row) return Fail(Error::NotFound(fmt::format("no assignment {}", assignment_id)));
    int64_t rec_id = (*find)->Int(0);
    std::string ref = (*find)->Str(1), slug = (*find)->Str(2), owner = (*find)->Str(3);
    (*find)->Reset();

    auto st = db_->Prepare(
        "INSERT INTO updates(assignment_id, date, response, response_text, response_status, "
        "implementation, narrative, evidence, author, state, return_reason) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?)");
    if (!st) return Fail(st.error());
    Stmt* s = *st;
    s->Bind(1, assignment_id).Bind(2, u.date.ToIso());
    if (u.response) s->Bind(3, Name(*u.response)); else s->BindNull(3);
    s->Bind(4, u.response_text);
    if (u.response_status) s->Bind(5, Name(*u.response_status)); else s->BindNull(5);
    if (u.implementation) s->Bind(6, Name(*u.implementation)); else s->BindNull(6);
    s->Bind(7, u.narrative).Bind(8, JsonList(u.evidence)).Bind(9, u.author)
        .Bind(10, Name(u.state)).Bind(11, u.return_reason);
    RT_TRY(s->Run());
    int64_t id = db_->LastInsertId();
    auto ver = db_->Prepare("UPDATE assignments SET version = version + 1 WHERE id = ?");
    if (!ver) return Fail(ver.error());
    (*ver)->Bind(1, assignment_id);
    RT_TRY((*ver)->Run());
    RT_TRY(IndexRecommendationText(rec_id));

    json payload = {{"update_id", id},         {"assignment_id", assignment_id},
                    {"source", slug},          {"ref", ref},
                    {"owner", owner},          {"date", u.date.ToIso()},
                    {"state", Name(u.state)},  {"narrative", u.narrative},
                    {"evidence", u.evidence}, {"author", u.author}};
    if (u.response) payload["response"] = Name(*u.response);
    if (!u.response_text.empty()) payload["response_text"] = u.response_text;
    if (u.response_status) payload["response_status"] = Name(*u.response_status);
    if (u.implementation) payload["implementation"] = Name(*u.implementation);
    auto e = AppendEvent(actor, "update", payload);
    if (!e) return Fail(e.error());
    return id;
  });
}

Status SqliteStore::SetAlias(const std::string& alias, const std::string& canonical,
                             const Actor& actor) {
  if (alias == canonical) return Fail(Error::Invalid("an owner cannot be an alias of itself"));
  owner_cache_loaded_ = false;
  auto r = InTransaction([&]() -> Result<int64_t> {
    auto target = ResolveOwner(canonical);
    if (!target) return Fail(target.error());
    if (*target == 0) {
      // A new canonical name for an existing owner: made here, with its tier,
      // and the old owner merged into it below (a rename, kept as an alias).
      auto old = db_->Prepare("SELECT tier FROM owners WHERE name = ?");
      if (!old) return Fail(old.error());
      (*old)->Bind(1, alias);
      auto row = (*old)->Step();
      if (!row) return Fail(row.error());
      if (!*row)
        return Fail(Error::NotFound(
            fmt::format("no owner '{}' nor '{}' (see `rectrack owners`)", canonical, alias)));
      std::string tier = (*old)->Str(0);
      (*old)->Reset();
      target = EnsureOwner(canonical, tier, nullptr);
      if (!target) return Fail(target.error());
    }
    auto find = db_->Prepare("SELECT id FROM owners WHERE name = ?");
    if (!find) return Fail(find.error());
    (*find)->Bind(1, alias);
    auto row = (*find)->Step();
    if (!row) return Fail(row.error());
    int64_t merged = 0, moved = 0;
    if (*row) {
      int64_t old_id = (*find)->Int(0);
      (*find)->Reset();
      if (old_id == *target)
        return Fail(Error::Invalid(fmt::format("'{}' is already that owner", alias)));
      // The alias was an owner of its own: its assignments and funding move over.
      auto clash = db_->Prepare(
          "SELECT COUNT(*) FROM assignments a JOIN assignments b "
          "ON a.recommendation_id = b.recommendation_id WHERE a.owner_id = ? AND b.owner_id = ?");
      if (!clash) return Fail(clash.error());
      (*clash)->Bind(1, old_id).Bind(2, *target);
      auto c = (*clash)->Step();
      if (!c) return Fail(c.error());
      int64_t both = (*clash)->Int(0);
      (*clash)->Reset();
      if (both > 0)
        return Fail(Error::Conflict(fmt::format(
            "'{}' and '{}' are both assigned {} of the same recommendations; merging them would "
            "lose one answer. Nothing changed.",
            alias, canonical, both)));
      for (const char* sql : {"UPDATE assignments SET owner_id = ?1 WHERE owner_id = ?2",
                              "UPDATE funding SET owner_id = ?1 WHERE owner_id = ?2",
                              "UPDATE owner_aliases SET owner_id = ?1 WHERE owner_id = ?2",
                              // editors scoped to the merged owner keep their scope
                              "UPDATE OR IGNORE user_owners SET owner_id = ?1 WHERE owner_id = ?2",
                              "DELETE FROM user_owners WHERE owner_id = ?2"}) {
        auto st = db_->Prepare(sql);
        if (!st) return Fail(st.error());
        (*st)->Bind(1, *target).Bind(2, old_id);
        RT_TRY((*st)->Run());
        moved += db_->Changes();
      }
      auto del = db_->Prepare("DELETE FROM owners WHERE id = ?");
      if (!del) return Fail(del.error());
      (*del)->Bind(1, old_id);
      RT_TRY((*del)->Run());
      merged = old_id;
    } else {
      auto existing = ResolveOwner(alias);
      if (!existing) return Fail(existing.error());
      if (*existing != 0 && *existing != *target)
        return Fail(Error::Conflict(fmt::format("'{}' is already an alias of another owner", alias)));
      if (*existing == *target) return int64_t{0};
    }
    auto ins = db_->Prepare(
        "INSERT INTO owner_aliases(alias, owner_id) VALUES(?, ?) "
        "ON CONFLICT(alias) DO UPDATE SET owner_id = excluded.owner_id");
    if (!ins) return Fail(ins.error());
    (*ins)->Bind(1, alias).Bind(2, *target);
    RT_TRY((*ins)->Run());
    json payload = {{"alias", alias}, {"owner", canonical}, {"merged_owner_id", merged},
                    {"rows_moved", moved}};
    auto e = AppendEvent(actor, "alias", payload);
    if (!e) return Fail(e.error());
    return int64_t{1};
  });
  owner_cache_loaded_ = false;
  if (!r) return Fail(r.error());
  return {};
}

Status SqliteStore::SetOwnerTier(const std::string& owner, const std::string& tier,
                                 const Actor& actor) {
  if (!IsTier(tier)) return Fail(Error::Invalid(fmt::format("unknown tier '{}'", tier)));
  auto r = InTransaction([&]() -> Result<int64_t> {
    auto id = ResolveOwner(owner);
    if (!id) return Fail(id.error());
    if (*id == 0) return Fail(Error::NotFound(fmt::format("no owner '{}'", owner)));
    auto st = db_->Prepare("UPDATE owners SET tier = ? WHERE id = ?");
    if (!st) return Fail(st.error());
    (*st)->Bind(1, tier).Bind(2, *id);
    RT_TRY((*st)->Run());
    auto e = AppendEvent(actor, "owner_tier", json{{"owner", owner}, {"tier", tier}});
    if (!e) return Fail(e.error());
    return *id;
  });
  if (!r) return Fail(r.error());
  return {};
}

Result<Publication> SqliteStore::AddPublication(const Publication& pub, const Actor& actor) {
  return InTransaction([&]() -> Result<Publication> {
    Publication p = pub;
    p.created_at = NowUtc();
    p.snapshot_sha256 = Sha256Hex(p.snapshot_json);
    // Pinned to the head as it stands before this publication's own event.
    auto head = Head();
    if (!head) return Fail(head.error());
    p.ledger_seq = head->seq;
    p.ledger_hash = head->hash;
    auto st = db_->Prepare(
        "INSERT INTO publications(source_id, title, as_of, ledger_seq, ledger_hash, created_at, "
        "snapshot, snapshot_sha256) VALUES(?,?,?,?,?,?,?,?)");
    if (!st) return Fail(st.error());
    (*st)->Bind(1, p.source_id).Bind(2, p.title).Bind(3, p.as_of.ToIso()).Bind(4, p.ledger_seq)
        .Bind(5, p.ledger_hash).Bind(6, p.created_at).Bind(7, p.snapshot_json)
        .Bind(8, p.snapshot_sha256);
    RT_TRY((*st)->Run());
    p.id = db_->LastInsertId();
    auto slug = db_->Prepare("SELECT slug FROM sources WHERE id = ?");
    if (!slug) return Fail(slug.error());
    (*slug)->Bind(1, p.source_id);
    auto row = (*slug)->Step();
    if (!row) return Fail(row.error());
    std::string source_slug = *row ? (*slug)->Str(0) : "";
    (*slug)->Reset();
    json payload = {{"publication_id", p.id},       {"source", source_slug},
                    {"title", p.title},             {"as_of", p.as_of.ToIso()},
                    {"ledger_seq", p.ledger_seq},   {"ledger_hash", p.ledger_hash},
                    {"snapshot_sha256", p.snapshot_sha256}};
    auto e = AppendEvent(actor, "publish", payload);
    if (!e) return Fail(e.error());
    return p;
  });
}

Result<Publication> SqliteStore::GetPublication(int64_t id) {
  auto st = db_->Prepare(
      "SELECT id, source_id, title, as_of, ledger_seq, ledger_hash, created_at, snapshot, "
      "snapshot_sha256 FROM publications WHERE id = ?");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, id);
  auto r = (*st)->Step();
  if (!r) return Fail(r.error());
  if (!*r) return Fail(Error::NotFound(fmt::format("no publication {}", id)));
  Publication p = ReadPublication(*st);
  (*st)->Reset();
  RT_TRY(sqlite::ReadPublicationExtras(*db_, &p));
  return p;
}

Result<std::vector<Publication>> SqliteStore::ListPublications(const std::string& source_slug) {
  auto st = db_->Prepare(
      "SELECT p.id FROM publications p JOIN sources s ON s.id = p.source_id "
      "WHERE s.slug = ? ORDER BY p.as_of, p.id");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, source_slug);
  std::vector<int64_t> ids;
  while (true) {
    auto r = (*st)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    ids.push_back((*st)->Int(0));
  }
  std::vector<Publication> out;
  for (int64_t id : ids) {
    auto p = GetPublication(id);
    if (!p) return Fail(p.error());
    out.push_back(std::move(*p));
  }
  return out;
}

// Turns free text into an FTS5 query of quoted terms, so that user input is
// never parsed as FTS5 syntax (no column filters, NEAR, or syntax errors).
std::string FtsQuery(const std::string& q) {
  std::string out, term;
  auto flush = [&]() {
    if (term.empty()) return;
    if (!out.empty()) out += " ";
    out += "\"" + term + "\"";
    term.clear();
  };
  for (unsigned char c : q) {
    // Control characters separate terms too: a NUL inside a quoted FTS5 string
    // is a syntax error ("unterminated string").
    if (c == '"' || c == ' ' || c < 0x20 || c == 0x7f) {
      flush();
    } else {
      term.push_back(static_cast<char>(c));
    }
  }
  flush();
  return out;
}

Result<std::vector<SearchHit>> SqliteStore::Search(const std::string& query, int limit) {
  std::string fts = FtsQuery(query);
  if (fts.empty()) return Fail(Error::Invalid("empty search"));
  auto st = db_->Prepare(
      "SELECT f.rowid, s.slug, r.ref, bm25(recommendation_fts) AS rank, "
      "snippet(recommendation_fts, 0, char(1), char(2), '…', 16), "
      "snippet(recommendation_fts, 1, char(1), char(2), '…', 16) "
      "FROM recommendation_fts f JOIN recommendations r ON r.id = f.rowid "
      "JOIN sources s ON s.id = r.source_id "
      "WHERE recommendation_fts MATCH ? ORDER BY rank, f.rowid LIMIT ?");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, fts).Bind(2, limit);
  std::vector<SearchHit> out;
  while (true) {
    auto r = (*st)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    Stmt* s = *st;
    SearchHit h;
    h.recommendation_id = s->Int(0);
    h.source_slug = s->Str(1);
    h.ref = s->Str(2);
    h.rank = s->Double(3);
    // Private markers, so that brackets in the text itself do not look like a match.
    std::string text = s->Str(4), resp = s->Str(5);
    bool in_text = text.find('\x01') != std::string::npos;
    h.field = in_text || resp.find('\x01') == std::string::npos ? "text" : "response";
    h.snippet = h.field == "text" ? text : resp;
    for (char& c : h.snippet) {
      if (c == '\x01') c = '[';
      else if (c == '\x02') c = ']';
    }
    out.push_back(std::move(h));
  }
  return out;
}

Status SqliteStore::ForEachEvent(const std::function<bool(const LedgerEvent&)>& fn) {
  // Its own statement: the callback may call back into the store.
  sqlite3_stmt* raw = nullptr;
  const char* sql = "SELECT seq, ts, actor, kind, payload, prev_hash, hash FROM ledger ORDER BY seq";
  int rc = sqlite3_prepare_v2(db_->raw(), sql, -1, &raw, nullptr);
  if (rc != SQLITE_OK) return Fail(sqlite::SqliteError(db_->raw(), rc, "reading the ledger"));
  Stmt st(db_->raw(), raw);
  while (true) {
    auto r = st.Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    LedgerEvent e{st.Int(0), st.Str(1), st.Str(2), st.Str(3), st.Str(4), st.Str(5), st.Str(6)};
    if (!fn(e)) break;
  }
  return {};
}

Result<VerifyReport> SqliteStore::Verify() {
  VerifyReport rep;
  ChainVerifier v;
  std::map<int64_t, std::string> hashes;  // only those publications pin
  std::set<int64_t> pinned;
  std::vector<Publication> pubs;
  auto ids = db_->Prepare("SELECT id FROM publications ORDER BY id");
  if (!ids) return Fail(ids.error());
  std::vector<int64_t> pub_ids;
  while (true) {
    auto r = (*ids)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    pub_ids.push_back((*ids)->Int(0));
  }
  for (int64_t id : pub_ids) {
    auto p = GetPublication(id);
    if (!p) return Fail(p.error());
    pinned.insert(p->ledger_seq);
    pubs.push_back(std::move(*p));
  }
  std::map<int64_t, std::string> publish_events;  // publication id -> snapshot digest in ledger
  RT_TRY(ForEachEvent([&](const LedgerEvent& e) {
    ++rep.events;
    if (!v.Add(e)) return false;
    if (pinned.count(e.seq)) hashes[e.seq] = e.hash;
    if (e.kind == "publish") {
      auto j = json::parse(e.payload, nullptr, false);
      // A chain rewritten by someone who knows the scheme can hold anything here.
      if (j.is_object() && j.contains("publication_id") && j.contains("snapshot_sha256") &&
          j["publication_id"].is_number_integer() && j["snapshot_sha256"].is_string())
        publish_events[j["publication_id"].get<int64_t>()] =
            j["snapshot_sha256"].get<std::string>();
    }
    return true;
  }));
  rep.head = {v.head_seq(), v.head_hash()};
  if (!v.ok()) rep.problems.push_back(v.problem());
  if (v.ok()) {
    // The chain is whole; check nothing was cut off its end.
    auto meta = db_->Prepare("SELECT value FROM meta WHERE key = 'ledger_head'");
    if (!meta) return Fail(meta.error());
    auto r = (*meta)->Step();
    if (!r) return Fail(r.error());
    if (*r) {
      std::string recorded = (*meta)->Str(0);
      (*meta)->Reset();
      std::string actual = fmt::format("{} {}", v.head_seq(), v.head_hash());
      if (recorded != actual) {
        std::string recorded_seq = recorded.substr(0, recorded.find(' '));
        int64_t seq = 0;
        try {
          seq = std::stoll(recorded_seq);
        } catch (const std::exception&) {
          seq = -1;
        }
        std::string what = seq < 0                ? "the recorded head is unreadable"
                           : seq > v.head_seq()   ? "events were removed from the end"
                           : seq < v.head_seq()   ? "events were added after the recorded head"
                                                  : "the last event was replaced";
        rep.problems.push_back(fmt::format(
            "the ledger ends at event {} but the store recorded its head as event {}: {}",
            v.head_seq(), recorded_seq, what));
      }
    } else if (v.head_seq() > 0) {
      rep.problems.push_back("the store has no record of its ledger head");
    }
  }
  for (const auto& p : pubs) {
    if (p.ledger_seq == 0) continue;
    auto it = hashes.find(p.ledger_seq);
    if (v.ok() && (it == hashes.end() || it->second != p.ledger_hash))
      rep.problems.push_back(fmt::format(
          "publication {} ('{}') is pinned to ledger event {} with hash {}, which the ledger "
          "no longer holds",
          p.id, p.title, p.ledger_seq, p.ledger_hash));
    if (Sha256Hex(p.snapshot_json) != p.snapshot_sha256)
      rep.problems.push_back(
          fmt::format("publication {} ('{}') was altered: its snapshot no longer matches its "
                      "digest",
                      p.id, p.title));
    auto ev = publish_events.find(p.id);
    if (v.ok() && (ev == publish_events.end() || ev->second != p.snapshot_sha256))
      rep.problems.push_back(fmt::format(
          "publication {} ('{}') does not match the digest its ledger event recorded", p.id,
          p.title));
  }
  rep.ok = rep.problems.empty();
  return rep;
}

// ---- export ----------------------------------------------------------------

Result<ImportBatch> SqliteStore::ExportAll() {
  ImportBatch b;
  auto owners = ListOwners();
  if (!owners) return Fail(owners.error());
  std::unordered_map<int64_t, std::string> owner_names;
  for (auto& o : *owners) {
    owner_names[o.id] = o.name;
    b.owners.push_back(o);
  }
  for (auto& o : b.owners) o.id = 0;
  auto facts = LoadFacts(FactsFilter{"", "", true, true});
  if (!facts) return Fail(facts.error());
  // All updates, not only validated ones: export loses nothing.
  std::unordered_map<int64_t, std::vector<Update>> updates;
  auto all = db_->Prepare("SELECT DISTINCT assignment_id FROM updates ORDER BY assignment_id");
  if (!all) return Fail(all.error());
  std::vector<int64_t> with_updates;
  while (true) {
    auto r = (*all)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    with_updates.push_back((*all)->Int(0));
  }
  for (int64_t id : with_updates) {
    auto u = UpdatesOf(id);
    if (!u) return Fail(u.error());
    updates[id] = std::move(*u);
  }
  std::unordered_map<int64_t, std::vector<const Assignment*>> by_rec;
  for (const auto& a : facts->assignments) by_rec[a.recommendation_id].push_back(&a);
  std::unordered_map<int64_t, std::vector<const Recommendation*>> by_source;
  for (const auto& r : facts->recommendations) by_source[r.source_id].push_back(&r);

  std::vector<const Source*> sources;
  for (const auto& s : facts->sources) sources.push_back(&s);
  std::sort(sources.begin(), sources.end(),
            [](const Source* x, const Source* y) { return x->slug < y->slug; });
  for (const Source* s : sources) {
    ImportBatch::SourceIn sin;
    sin.source = *s;
    sin.source.id = 0;
    for (const Recommendation* r : by_source[s->id]) {
      ImportBatch::RecommendationIn rin;
      rin.recommendation = *r;
      rin.recommendation.id = 0;
      rin.recommendation.source_id = 0;
      for (const Assignment* a : by_rec[r->id]) {
        ImportBatch::AssignmentIn ain;
        ain.owner = owner_names[a->owner_id];
        ain.assignment = *a;
        ain.assignment.id = 0;
        ain.assignment.recommendation_id = 0;
        ain.assignment.owner_id = 0;
        for (auto u : updates[a->id]) {
          u.id = 0;
          u.assignment_id = 0;
          ain.updates.push_back(std::move(u));
        }
        rin.assignments.push_back(std::move(ain));
      }
      sin.recommendations.push_back(std::move(rin));
    }
    for (const auto& f : facts->funding) {
      if (f.source_id != s->id) continue;
      ImportBatch::FundingIn fin{owner_names[f.owner_id], f};
      fin.line.id = fin.line.source_id = fin.line.owner_id = 0;
      sin.funding.push_back(std::move(fin));
    }
    std::vector<const Publication*> pubs;
    for (const auto& p : facts->publications)
      if (p.source_id == s->id) pubs.push_back(&p);
    std::stable_sort(pubs.begin(), pubs.end(), [](const Publication* x, const Publication* y) {
      return x->id < y->id;
    });
    for (const Publication* p : pubs) sin.publications.push_back({p->title, p->as_of});
    b.sources.push_back(std::move(sin));
  }
  return b;
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  auto db = Db::Open(path);
  if (!db) return Fail(db.error());
  auto store = std::make_unique<SqliteStore>(std::move(*db));
  auto m = store->Migrate();
  if (!m) {
    Error e = m.error();
    if (e.message.find("not a database") != std::string::npos ||
        e.code == Error::Code::kCorrupt)
      e = Error::Corrupt(fmt::format("'{}' is not a rectrack database: {}", path, e.message));
    return Fail(e);
  }
  // Made once per database (sqlite_auth.cc says why it lives there).
  RT_TRY(sqlite::EnsureSigningKey(*store->db()));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace rectrack
