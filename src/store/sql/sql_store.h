#pragma once
// The SQL store: the Store written once over sql::Connection, for SQLite
// (store/sqlite/) and PostgreSQL (store/postgres/), which override the few
// things their engines do differently (opening and migrating, transactions,
// the search index, bulk inserts). Its files: sql_store.cc (opening,
// transactions, reads), sql_apply.cc (the projection: Apply, row reads, the
// ledger append, derived checks), sql_writes.cc (each write as a change set
// and its event), sql_auth.cc (accounts and the workflow).

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/changes.h"
#include "nlohmann/json.hpp"
#include "store/sql/connection.h"
#include "store/store.h"

namespace rectrack::sql {

using json = nlohmann::json;

std::string NowUtc();
std::string JsonList(const std::vector<std::string>& v);
std::vector<std::string> ParseList(std::string_view s);

class SqlStore;

// Which insert of a change set failed (for an import's messages).
struct ApplyFailure {
  std::string table;
  Row row;
};

// Ids an import session gives out: max(id) + 1 when it starts, then counting.
struct NextIds {
  int64_t owner = 1, source = 1, recommendation = 1, assignment = 1, update = 1, funding = 1;
};

class SqlImportSession : public ImportSession {
 public:
  SqlImportSession(SqlStore* store, Actor actor, std::string origin)
      : store_(store), actor_(std::move(actor)), origin_(std::move(origin)) {}
  ~SqlImportSession() override;
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

  SqlStore* store_;
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

// A recommendation's entry in the search index: its text and the responses
// to it (IndexRecommendationText says which, in what order).
struct SearchEntry {
  int64_t id = 0;
  std::string_view text;
  std::string responses;
};

// The names a dialect gives the search index: its table and the column that
// holds the recommendation's id ("recommendation_fts", "rowid" in SQLite).
struct SearchTable {
  std::string table;
  std::string id;
};

class SqlStore : public Store {
 public:
  SqlStore(std::unique_ptr<Connection> db, std::string location, KeyOptions keys, bool scratch)
      : db_(std::move(db)), path_(std::move(location)), keys_(std::move(keys)), scratch_(scratch) {}
  // A new store stays empty: no key, no first event (a rebuild's target).
  void set_empty() { empty_ = true; }
  // Open() refuses a database that holds no tracker instead of making one.
  void set_must_exist() { must_exist_ = true; }

  // Migrates; gives a new store its key and first event; upgrades an old one.
  Status Open();

  Status Begin() override;
  Status Commit() override;
  void Rollback() override;
  Status BeginRead() override;
  void EndRead() override;
  std::string DisplayName() const override { return path_; }

  Result<ImportSummary> Import(const ImportBatch& batch, const Actor& actor,
                               const std::string& origin) override;
  Result<std::unique_ptr<ImportSession>> StartImport(const Actor& actor,
                                                     const std::string& origin) override;
  Result<ImportBatch> ExportAll() override;
  Result<Facts> LoadFacts(const FactsFilter& filter) override;
  Status ScanRecommendations(const FactsFilter& filter, size_t part_size,
                             const RecommendationPart& fn) override;
  Result<std::vector<Source>> ListSources() override;
  Result<Source> GetSource(const std::string& slug) override;
  Result<std::vector<Owner>> ListOwners() override;
  Result<RecommendationView> GetRecommendation(const std::string& source_slug,
                                               const std::string& ref) override;
  Result<RecommendationView> GetRecommendationById(int64_t id) override;
  Result<int64_t> AddUpdate(int64_t assignment_id, const Update& update,
                            const Actor& actor) override;
  Result<int64_t> SetAssignmentTarget(int64_t assignment_id, std::optional<Date> target,
                                      std::optional<int64_t> expected_version,
                                      const Actor& actor) override;
  Status SetAlias(const std::string& alias, const std::string& canonical,
                  const Actor& actor) override;
  Status SetOwnerTier(const std::string& owner, const std::string& tier,
                      const Actor& actor) override;
  Result<Publication> AddPublication(const Publication& pub, const Actor& actor) override;
  Result<Publication> GetPublication(int64_t id) override;
  Result<std::vector<Publication>> ListPublications(const std::string& source_slug) override;
  Result<LedgerHead> Head() override;
  Status ForEachEvent(const std::function<bool(const LedgerEvent&)>& fn) override;
  Status ForEachEventFrom(int64_t first_seq,
                          const std::function<bool(const LedgerEvent&)>& fn) override;
  Result<std::optional<LedgerEvent>> GetEvent(int64_t seq) override;
  Result<RecordedHead> GetRecordedHead() override;

  Result<std::unique_ptr<RowCursor>> ScanRows(const TableDef& table) override;
  Result<std::optional<Row>> GetRow(const TableDef& table, const Row& key) override;
  Result<std::unique_ptr<RowCursor>> ScanRowsWhere(const TableDef& table, std::string_view column,
                                                   const Value& value) override;
  Result<int64_t> NextRowId(const TableDef& table) override;
  Result<LedgerEvent> RecordChange(const Actor& actor, std::string_view kind,
                                   const EventPayload& payload) override;
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
  Status EnableUser(const std::string& name, const Actor& a) override;
  Result<User> SetUserRole(const std::string& name, const std::string& role,
                           const std::vector<std::string>& owners, const Actor& a) override;
  Status SetPassword(const std::string& name, const std::string& hash,
                     const std::string& keep_session_hash, const Actor& a) override;
  Result<int64_t> AddDocumentDraft(const DocumentDraftRecord& d) override;
  Result<std::optional<DocumentDraftRecord>> GetDocumentDraft(int64_t id) override;
  Result<std::vector<DocumentDraftRecord>> ListDocumentDrafts() override;
  Status UpdateDocumentDraft(int64_t id, int64_t expected_version, const std::string& draft,
                             int64_t items, const std::string& updated_at) override;
  Status DeleteDocumentDraft(int64_t id, int64_t expected_version) override;
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
  Result<std::vector<std::pair<std::string, LoginFailures>>> LoginFailuresByKey(
      int64_t since) override;
  Result<int64_t> ClearLoginFailuresWithPrefix(const std::string& prefix) override;
  Result<AssignmentRef> GetAssignment(int64_t id) override;
  Result<std::vector<AssignmentRef>> AssignmentsOfOwner(int64_t owner_id, int limit) override;
  Result<int64_t> SubmitUpdate(int64_t assignment_id, const Update& u, int64_t expected_version,
                               const Actor& a) override;
  Status ValidateUpdate(int64_t update_id, const Actor& a) override;
  Status ReturnUpdate(int64_t update_id, const std::string& reason, const Actor& a) override;
  Result<UpdateWithAssignment> GetUpdate(int64_t id) override;
  Result<std::vector<UpdateWithAssignment>> SubmittedUpdates() override;
  Result<std::vector<UpdateWithAssignment>> OpenUpdatesOfOwner(int64_t owner_id) override;
  Result<std::vector<Secret>> ReadSecrets() override;
  Status WriteSecrets(const std::vector<Secret>& secrets) override;

  // ---- internals shared by the files of the SQL store ----
  Connection* db() { return db_.get(); }
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
  // A second connection to read beside this one, outside write transactions:
  // inside a read transaction, in its snapshot (the same ledger head), else
  // none. nullptr when there is none to have.
  std::unique_ptr<Connection> SiblingReader();
  // The ledger's head as `c` sees it.
  static Result<LedgerHead> HeadOn(Connection& c);
  Result<int64_t> ResolveOwner(const std::string& name);  // by name or alias; 0 if unknown
  Status IndexRecommendationText(int64_t rec_id);
  // max(column) + 1 of a table: the next id, inside the write transaction.
  Result<int64_t> NextId(std::string_view table, std::string_view column = "id");
  // The key that signs writes: loaded on first use, and refused unless it is
  // the store's current key.
  Result<const SigningKeyPair*> WriteKey();
  void ForgetOwners() { owner_cache_loaded_ = false; }
  int depth() const { return depth_; }
  // Scans of at least this many recommendations in a read transaction are
  // shared with a second connection (tests lower it); how many were.
  void set_parallel_scan_from(int64_t rows) { parallel_scan_from_ = rows; }
  // How far LoadFacts counts a source's recommendations and the validated
  // updates to choose which side to read the updates from (tests lower it).
  void set_side_count_cap(int64_t n) { side_count_cap_ = n; }
  int parallel_scans() const { return parallel_scans_; }
  // How many scans found a selection's recommendations by the index (a small
  // part of the store) rather than reading the table.
  int index_scans() const { return index_scans_; }

  // Runs `fn` as one transaction (a savepoint when inside Begin()).
  // ---- what the engines do differently ----
  // The connection's settings (SQLite's pragmas, PostgreSQL's session).
  virtual Status Configure() = 0;
  // The number of migrations the store has had (0: a new database).
  virtual Result<int64_t> ReadSchemaVersion() = 0;
  virtual Status WriteSchemaVersion(int64_t version) = 0;
  // Versioned migrations, applied in order; never edit a released one.
  virtual std::vector<std::string_view> Migrations() const = 0;
  // Starts the outermost transaction so that no other writer can interleave
  // (BEGIN IMMEDIATE; BEGIN and an advisory lock).
  virtual Status BeginOuter() = 0;
  // The store of a schema older than the ledger that holds every change:
  // upgraded with a baseline (SQLite only: PostgreSQL came after).
  virtual Status Upgrade(int64_t from);
  virtual void AfterUpgrade() {}
  // The first schema version whose tables are the ledger's projection: a
  // store migrated from an older one needs Upgrade (SQLite: 4; PostgreSQL
  // came after, 1). Later migrations only add tables and need nothing more.
  virtual int64_t FirstLedgerSchema() const { return 1; }
  virtual SearchTable search_table() const = 0;
  // Checks the search index's own structure (its rows are checked generically).
  virtual Status CheckSearchStructure(std::vector<std::string>* problems) = 0;
  // Starts a read-only transaction that sees one state throughout.
  virtual std::string BeginReadSql() const { return "BEGIN"; }
  // Starts a read transaction on `sibling` (another connection to this
  // database) in this one's read snapshot where the engine can share it
  // (PostgreSQL), else a new one: callers compare the ledger heads.
  virtual Status JoinReadSnapshot(Connection& sibling);
  // The page cache for a scan that reads a big part of the store once (on),
  // and back to the usual one after (off).
  virtual Status ScanCache(bool on) {
    (void)on;
    return {};
  }
  // Adds entries to the search index (of recommendations that have none).
  virtual Status InsertSearchEntries(const std::vector<SearchEntry>& entries);
  // Inserts rows of `t` (a change set's inserts): one prepared insert per row
  // unless the engine has a faster way (PostgreSQL's COPY).
  virtual Status InsertRows(const TableDef& t, const std::vector<Row>& rows, ApplyFailure* failure);
  // Foreign key checks off for a bulk import that is a transaction of its own
  // (every reference it writes is one it made or looked up), on again after.
  virtual Status ForeignKeysForImport(bool on) {
    (void)on;
    return {};
  }
  // Called with every event appended, in its transaction (PostgreSQL: NOTIFY).
  virtual Status AfterAppend(const LedgerEvent& e) {
    (void)e;
    return {};
  }
  // Applies the migrations not yet applied, under the write lock; `from` gets
  // the version the store had. In the same transaction a new store gets its
  // key and first event, an old one its upgrade.
  Status Migrate(int64_t* from);
  Status AfterMigration(int64_t from);

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
 protected:
  Status CreateTracker();  // a new store: its key and first event
  Result<Source> ReadSource(Statement* s);
  Result<std::vector<Update>> UpdatesOf(int64_t assignment_id);
  Result<RecommendationView> ViewOf(int64_t rec_id);
  Status CheckSearchIndex(std::vector<std::string>* problems);
  Status CheckSecrets(std::vector<std::string>* problems);
  // Records `head` in meta with its signature by `key`.
  Status WriteHead(const LedgerHead& head, const SigningKeyPair& key);

  std::unique_ptr<Connection> db_;
  std::string path_;
  KeyOptions keys_;
  bool scratch_ = false;
  bool empty_ = false;
  bool must_exist_ = false;
  std::optional<SigningKeyPair> key_;
  std::vector<std::string> notices_;
  int depth_ = 0;
  bool reading_ = false;  // inside BeginRead
  int nested_reads_ = 0;  // BeginRead calls inside a transaction or another read
  int64_t parallel_scan_from_ = 50000;
  int64_t side_count_cap_ = 10000;
  int parallel_scans_ = 0;
  int index_scans_ = 0;
  int64_t cache_seq_ = -1;  // the ledger head when the owner cache was last valid
  std::unordered_map<std::string, int64_t> owner_cache_;  // name/alias -> id
  bool owner_cache_loaded_ = false;

  friend class SqlImportSession;
};

// A new write's texts may not hold a control character other than tab, LF
// and CR (core/text.h's FindControlCharacter: NUL, which PostgreSQL's text
// cannot hold, BEL, ESC, DEL, C1...): kInvalidInput naming the row, the column
// and the character. Not applied to replays: what a ledger holds is replayed
// as it is.
Status RefuseControls(const ChangeSet& changes);

// Columns 0..9 of an updates row: id, assignment_id, date, response,
// response_text, response_status, implementation, narrative, evidence, author.
Update ReadUpdate(const Statement* s);

// Search snippets carry private marks (\x01 ... \x02) around matches, so that
// brackets in the text itself do not look like one. Which field matched:
// "text" unless only the responses' snippet has a mark.
std::string_view MatchedField(const std::string& text_snippet, const std::string& responses_snippet);
// The marks as the brackets a hit shows.
void BracketMarks(std::string* snippet);
// An update as a row of the updates table (store/tables.h).
Row UpdateRow(const Update& u);

// The event size bound: an import's rows go into events of about this many
// bytes (a single row larger than it, such as a huge publication, gets an
// event of its own).
inline constexpr size_t kEventBytes = 4u << 20;

}  // namespace rectrack::sql
