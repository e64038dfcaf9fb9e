#pragma once
// The SQLite store's class, shared by its files: sqlite_store.cc (opening,
// transactions, reads), sqlite_apply.cc (the projection: Apply, row reads, the
// ledger append, derived checks), sqlite_writes.cc (each write as a change set
// and its event), sqlite_auth.cc (accounts and the workflow), sqlite_baseline.cc
// (upgrading a store made by an earlier build).

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/changes.h"
#include "nlohmann/json.hpp"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace rectrack::sqlite {

using json = nlohmann::json;

std::string NowUtc();
std::string JsonList(const std::vector<std::string>& v);
std::vector<std::string> ParseList(std::string_view s);

class SqliteStore;

// Which insert of a change set failed (for an import's messages).
struct ApplyFailure {
  std::string table;
  Row row;
};

// Ids an import session gives out: max(id) + 1 when it starts, then counting.
struct NextIds {
  int64_t owner = 1, source = 1, recommendation = 1, assignment = 1, update = 1, funding = 1;
};

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
  Status AddChunk(const ImportBatch& chunk, ChangeSet* changes);
  // The changes of a continued recommendation (an earlier chunk of this import
  // wrote it); returns its id.
  Result<int64_t> Continue(int64_t source_id, const std::string& slug, const Recommendation& r,
                           ChangeSet* changes);
  // Appends what is pending as one ledger event ("import", part N).
  Status Flush(bool last);
  Status Failed(Error e);
  void RestoreForeignKeys();

  SqliteStore* store_;
  Actor actor_;
  std::string origin_;
  bool open_ = false;
  bool failed_ = false;
  bool fk_off_ = false;  // foreign key checks are off for this session's transaction
  ImportSummary summary_;
  NextIds ids_;
  std::unordered_map<std::string, int64_t> new_sources_;  // slug -> id, made in this session
  std::set<std::string> source_slugs_;
  // Applied to the tables, not yet in the ledger: appended as an event once it
  // reaches the event size bound, and at the end.
  ChangeSet pending_;
  size_t pending_bytes_ = 0;
  int parts_ = 0;
  int64_t first_seq_ = 0;
};

class SqliteStore : public Store {
 public:
  SqliteStore(std::unique_ptr<Db> db, std::string path, KeyOptions keys, bool scratch)
      : db_(std::move(db)), path_(std::move(path)), keys_(std::move(keys)), scratch_(scratch) {}
  // A new store stays empty: no key, no first event (a rebuild's target).
  void set_empty() { empty_ = true; }

  // Migrates; gives a new store its key and first event; upgrades an old one.
  Status Open();

  Status Begin() override;
  Status Commit() override;
  void Rollback() override;

  Result<ImportSummary> Import(const ImportBatch& batch, const Actor& actor,
                               const std::string& origin) override;
  Result<std::unique_ptr<ImportSession>> StartImport(const Actor& actor,
                                                     const std::string& origin) override;
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
  Status ForEachEvent(const std::function<bool(const LedgerEvent&)>& fn) override;
  Status ForEachEventFrom(int64_t first_seq,
                          const std::function<bool(const LedgerEvent&)>& fn) override;
  Result<std::optional<LedgerEvent>> GetEvent(int64_t seq) override;
  Result<RecordedHead> GetRecordedHead() override;

  Result<std::unique_ptr<RowCursor>> ScanRows(const TableDef& table) override;
  Result<std::optional<Row>> GetRow(const TableDef& table, const Row& key) override;
  Status Apply(const ChangeSet& changes, bool maintain_search) override;
  Status CopyEvent(const LedgerEvent& event) override;
  Status SignHead(const LedgerHead& head) override;
  Status CheckDerived(std::vector<std::string>* problems) override;

  Result<std::vector<TrackerKey>> TrackerKeys() override;
  Result<std::vector<Checkpoint>> Checkpoints() override;
  Result<Checkpoint> AddCheckpoint(const std::string& state_digest, const Actor& actor) override;
  Result<TrackerKey> RotateKey(const SigningKeyPair& new_key, const Actor& actor) override;
  std::vector<std::string> TakeNotices() override { return std::move(notices_); }
  Result<std::string> CurrentPublicKey() override;

  // Accounts and the workflow: sqlite_auth.cc.
  Result<User> AddUser(const NewUser& u, const Actor& a) override;
  Result<User> GetUser(const std::string& name) override;
  Result<User> GetUserById(int64_t id) override;
  Result<std::vector<User>> ListUsers() override;
  Status DisableUser(const std::string& name, const Actor& a) override;
  Status SetPassword(const std::string& name, const std::string& hash,
                     const std::string& keep_session_hash, const Actor& a) override;
  Status AddSession(const SessionRecord& s) override;
  Result<std::optional<SessionRecord>> FindSession(const std::string& h) override;
  Status TouchSession(const std::string& h, int64_t now) override;
  Status DeleteSession(const std::string& h) override;
  Result<int64_t> DeleteExpiredSessions(int64_t now) override;
  Result<int64_t> AddApiToken(const std::string& user, const std::string& label,
                              const std::string& hash, int64_t now, const Actor& a) override;
  Result<std::optional<ApiTokenRecord>> FindApiToken(const std::string& h) override;
  Status TouchApiToken(int64_t id, int64_t now) override;
  Status RecordLoginFailure(const std::string& key, int64_t at, int64_t forget) override;
  Result<LoginFailures> LoginFailuresSince(const std::string& key, int64_t since) override;
  Status ClearLoginFailures(const std::string& key) override;
  Result<AssignmentRef> GetAssignment(int64_t id) override;
  Result<std::vector<AssignmentRef>> AssignmentsOfOwner(int64_t owner_id, int limit) override;
  Result<int64_t> SubmitUpdate(int64_t assignment_id, const Update& u, int64_t expected_version,
                               const Actor& a) override;
  Status ValidateUpdate(int64_t update_id, const Actor& a) override;
  Status ReturnUpdate(int64_t update_id, const std::string& reason, const Actor& a) override;
  Result<UpdateWithAssignment> GetUpdate(int64_t id) override;
  Result<std::vector<UpdateWithAssignment>> SubmittedUpdates() override;

  // ---- internals shared by the files of the SQLite store ----
  Db* db() { return db_.get(); }
  // Apply, saying which insert failed.
  Status ApplyTracked(const ChangeSet& changes, bool maintain_search, ApplyFailure* failure);
  bool scratch() const { return scratch_; }
  // Applies `payload.changes` and appends the event, in the caller's
  // transaction: every write ends here.
  Result<LedgerEvent> Record(const Actor& actor, std::string_view kind, const EventPayload& payload);
  // Appends an event whose changes are applied already (an import's parts,
  // applied chunk by chunk; a baseline, which describes the tables as they are).
  // `signer` signs the new head (default: the store's key).
  Result<LedgerEvent> AppendEvent(const Actor& actor, std::string_view kind,
                                  const std::string& payload,
                                  const SigningKeyPair* signer = nullptr);
  Result<int64_t> ResolveOwner(const std::string& name);  // by name or alias; 0 if unknown
  Status IndexRecommendationText(int64_t rec_id);
  // max(column) + 1 of a table: the next id, inside the write transaction.
  Result<int64_t> NextId(std::string_view table, std::string_view column = "id");
  // The key that signs writes: loaded on first use, and refused unless it is
  // the store's current key.
  Result<const SigningKeyPair*> WriteKey();
  void ForgetOwners() { owner_cache_loaded_ = false; }
  int depth() const { return depth_; }

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
  Status Migrate(int64_t* from_version);
  Status CreateTracker();           // a new store: its key and first event
  Status UpgradeFromVersion3();     // sqlite_baseline.cc
  // After the upgrade committed: the key's copy in `meta` is gone; the file
  // is compacted so that the seed does not linger in free pages.
  void FinishUpgrade();
  Result<Source> ReadSource(Stmt* s);
  Result<std::vector<Update>> UpdatesOf(int64_t assignment_id);
  Result<RecommendationView> ViewOf(int64_t rec_id);
  Result<int64_t> DataVersion();
  Status CheckSearchIndex(std::vector<std::string>* problems);
  Status CheckSecrets(std::vector<std::string>* problems);
  // Records `head` in meta with its signature by `key`.
  Status WriteHead(const LedgerHead& head, const SigningKeyPair& key);

  std::unique_ptr<Db> db_;
  std::string path_;
  KeyOptions keys_;
  bool scratch_ = false;
  bool empty_ = false;
  std::optional<SigningKeyPair> key_;
  std::vector<std::string> notices_;
  int depth_ = 0;
  int64_t data_version_ = -1;  // PRAGMA data_version when the owner cache was last valid
  std::unordered_map<std::string, int64_t> owner_cache_;  // name/alias -> id
  bool owner_cache_loaded_ = false;

  friend class SqliteImportSession;
};

// Columns 0..9 of an updates row: id, assignment_id, date, response,
// response_text, response_status, implementation, narrative, evidence, author.
Update ReadUpdate(const Stmt* s);
// An update as a row of the updates table (store/tables.h).
Row UpdateRow(const Update& u);

// The event size bound: an import's rows go into events of about this many
// bytes (a single row larger than it, such as a huge publication, gets an
// event of its own).
inline constexpr size_t kEventBytes = 4u << 20;

}  // namespace rectrack::sqlite
