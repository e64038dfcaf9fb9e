#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/changes.h"
#include "core/ledger.h"
#include "core/metrics.h"
#include "core/model.h"
#include "core/result.h"
#include "core/signing.h"
#include "store/tables.h"

namespace rectrack {

// Who makes a change; recorded in every ledger event.
struct Actor {
  std::string name;  // "cli:root", "user:alice"
};

struct ImportSummary {
  int sources = 0;
  int recommendations = 0;
  int assignments = 0;
  int owners_created = 0;
  int updates = 0;
  int funding_lines = 0;
  int64_t ledger_seq = 0;        // the import's last ledger event
  int64_t first_ledger_seq = 0;  // and its first (a large import has several)
  std::vector<std::string> source_slugs;  // the sources it made, in the file's order
  // What the importer made of the file that its reader should know (repeated
  // rows read as one recommendation, say); one line each.
  std::vector<std::string> notes;
};

// Which part of the store to load. Empty fields select everything.
struct FactsFilter {
  std::string source_slug;
  std::string source_kind;
  bool with_text = false;          // recommendation and response texts
  bool with_publications = false;  // publication snapshots
  // Recommendations and assignments too; without them, what ScanRecommendations'
  // parts need around them (sources, owners, updates, funding).
  bool recommendations = true;
  // With with_text, the recommendation's own text only (all that a report's
  // lists print): not the responses' texts, raw statuses, made_by, url, themes.
  // (Last: callers initialise the fields above in order.)
  bool recommendation_text_only = false;
};

// A part of ScanRecommendations: recommendations in ascending id order, each
// with all of its assignments. The callee may take (move) the vectors' contents.
using RecommendationPart =
    std::function<Status(std::vector<Recommendation>&, std::vector<Assignment>&)>;

// A recommendation with everything about it, for `show` and the web.
struct RecommendationView {
  Source source;
  Recommendation recommendation;
  struct AssignmentView {
    Assignment assignment;
    Owner owner;
    std::vector<Update> updates;  // every state, oldest first
  };
  std::vector<AssignmentView> assignments;
};

struct SearchHit {
  std::string source_slug;
  std::string ref;
  int64_t recommendation_id = 0;
  std::string field;    // "text" or "response"
  std::string snippet;  // matched terms wrapped in [ and ]
  double rank = 0;      // lower is better (bm25)
};

struct LedgerHead {
  int64_t seq = 0;
  std::string hash;  // kGenesisHash when empty
};

// What `verify` found (store/verify.h does the checking).
struct VerifyReport {
  bool ok = true;
  int64_t events = 0;
  LedgerHead head;
  std::vector<std::string> problems;  // the first broken link first
  // From this event on the tables are checked against the replayed ledger; the
  // events before it (a store made before the ledger held every change) are
  // checked as a chain only. 0: nothing could be replayed.
  int64_t full_from = 0;
  // Rows compared, by table, and the other things checked (for the one line
  // `verify` prints).
  std::vector<std::pair<std::string, int64_t>> rows_checked;
  int64_t publications = 0;
  int64_t checkpoints = 0;
  int64_t keys = 0;
  std::string state_digest;  // of the replayed state at the head
};

// The tracker's public keys, oldest first: each signs from its first_seq on;
// each after the first is endorsed by the one before it.
struct TrackerKey {
  int64_t id = 0;
  std::string public_key;
  std::string created_at;
  int64_t first_seq = 0;
  std::string previous_key;
  std::string endorsement;  // signature by previous_key of KeyEndorsementMessage
};

// A signed checkpoint (core/signing.h: CheckpointFields), as kept in the store
// and served to witnesses.
struct Checkpoint {
  int64_t ledger_seq = 0;
  std::string ledger_hash;
  std::string state_digest;
  std::string time;
  std::string public_key;
  std::string signature;
};

// The head as the store recorded it beside the ledger, with its signature.
struct RecordedHead {
  bool present = false;
  std::string value;      // "SEQ HASH"
  std::string signature;  // hex, by the key current at SEQ
};

// Where the tracker's Ed25519 signing key is. The store holds public keys
// only; the key is needed to write (every write signs the new ledger head),
// never to read or verify.
struct KeyOptions {
  // A file holding the key (written 0600 when a store is created). Empty: the
  // store's path with ".key" appended, for a file store.
  std::string key_file;
  // The key's 32-byte seed in hex (RECTRACK_SIGNING_KEY, for containers): takes
  // precedence over any file.
  std::string seed_hex;
};

// ---- accounts and the workflow (issue 3) ----------------------------------

// A person who signs in. Roles: "admin", "coordinator" (the tracking office),
// "editor" (scoped to owners), "viewer".
struct User {
  int64_t id = 0;
  std::string name;
  std::string role;
  std::vector<int64_t> owner_ids;        // an editor's scope
  std::vector<std::string> owner_names;  // the same owners, by name
  bool disabled = false;
  std::string created_at;
  std::string password_hash;  // libsodium's argon2id string; never shown
};

struct NewUser {
  std::string name;
  std::string role;
  std::string password_hash;
  std::vector<std::string> owners;  // names or aliases of existing owners
};

// A signed-in browser. Only the SHA-256 of the cookie's token is stored, so a
// copy of the database does not let anyone sign in as its users.
struct SessionRecord {
  std::string token_hash;  // hex
  int64_t user_id = 0;
  std::string csrf_token;  // the session's form token (hex)
  int64_t created_at = 0;  // Unix seconds
  int64_t expires_at = 0;
  int64_t last_seen = 0;
};

// A document's draft on the web (issue 11): what `import document` read from
// an upload, kept while the office checks and edits it, gone when it is
// confirmed (imported) or dropped. Work in progress, private to the office:
// not history, so not in the ledger (docs/ledger.md); what it becomes on
// confirmation is an import event like any other.
struct DocumentDraftRecord {
  int64_t id = 0;
  int64_t user_id = 0;  // who uploaded it
  std::string file_name, file_sha256, preset;
  std::string created_at, updated_at;  // UtcTimestamp
  int64_t version = 1;                 // bumped by every change (lost-update check)
  int64_t items = 0;                   // how many recommendations it has now
  std::string draft;  // rectrack-draft/1 JSON with its page texts ("" in lists)
};

// A token for programs (Authorization: Bearer), stored as its SHA-256.
struct ApiTokenRecord {
  int64_t id = 0;
  std::string token_hash;
  int64_t user_id = 0;
  std::string label;
  int64_t created_at = 0;
  int64_t last_used = 0;  // 0: never
  bool revoked = false;
};

// Failed sign-ins under one key ("user:NAME", "addr:ADDRESS" or "pair:NAME ADDRESS")
// since a time.
struct LoginFailures {
  int64_t count = 0;
  int64_t oldest = 0;  // Unix seconds of the oldest counted failure
};

// What a write needs to know of an assignment.
struct AssignmentRef {
  int64_t id = 0;
  int64_t recommendation_id = 0;
  int64_t owner_id = 0;
  std::string owner;
  std::string source_slug;
  std::string ref;
  int64_t version = 0;  // bumped by every update, submission, validation, return
};

// An update with the assignment it belongs to (the coordinator's queue).
struct UpdateWithAssignment {
  Update update;
  AssignmentRef assignment;
};

// Rows read one at a time (Store::ScanRows).
class RowCursor {
 public:
  virtual ~RowCursor() = default;
  // The next row into `row`: true, or false at the end.
  virtual Result<bool> Next(Row* row) = 0;
};

// Writes one import in parts (a large file is parsed and written in chunks), as
// one transaction with one ledger event. Destroying it unfinished rolls back.
class ImportSession {
 public:
  virtual ~ImportSession() = default;
  // Writes a chunk. Sources created earlier in this session may get more
  // recommendations; any other existing slug is a conflict. A recommendation
  // marked `continued` adds to the one of its source and ref written by an
  // earlier chunk (see ImportBatch). On error the whole session is rolled back
  // and further calls fail.
  virtual Status Add(const ImportBatch& chunk) = 0;
  // Replaces the `origin` given to StartImport: for an input whose name in the
  // ledger (its digest) is only known once it has been read, as it was written.
  virtual void SetOrigin(std::string origin) = 0;
  // Appends the import's ledger event and commits (or releases, inside Begin()).
  virtual Result<ImportSummary> Finish() = 0;
};

// Tells a reader that the ledger moved (Store::ListenForChanges).
class ChangeListener {
 public:
  virtual ~ChangeListener() = default;
  // Waits up to `timeout_ms`: true when an event was appended since the last
  // call (by any process on the store), false on timeout. An error means the
  // listener is broken (a lost connection): make a new one.
  virtual Result<bool> Wait(int timeout_ms) = 0;
};

// The tracker's storage. Every write is one transaction that also appends its
// ledger event; a failed write changes nothing. Implementations: SQLite (the
// default, embedded) and PostgreSQL, behind this interface only.
class Store {
 public:
  virtual ~Store() = default;

  // Groups several writes into one transaction: all of them or none.
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;
  // Reads until EndRead see one state of the store, whatever other processes
  // write meanwhile (a read-only transaction). No writes in between. Inside a
  // write transaction (or another read) it does nothing: that sees one state.
  virtual Status BeginRead() = 0;
  virtual void EndRead() = 0;
  // Push notice of new events where the engine has it (PostgreSQL's
  // LISTEN/NOTIFY); nullptr where readers must poll the head (SQLite).
  virtual Result<std::unique_ptr<ChangeListener>> ListenForChanges() { return nullptr; }
  // Where the store is, fit to print (a URL without its password).
  virtual std::string DisplayName() const = 0;

  // Writes `batch` whole, or nothing. Owners resolve through the alias list;
  // unknown owners are created as written. Fails if a source slug exists.
  virtual Result<ImportSummary> Import(const ImportBatch& batch, const Actor& actor,
                                       const std::string& origin) = 0;
  // The same, in chunks. `origin` names the input (file, digest) in the ledger.
  virtual Result<std::unique_ptr<ImportSession>> StartImport(const Actor& actor,
                                                             const std::string& origin) = 0;
  // Everything in the store as one batch, in a stable order (for export).
  virtual Result<ImportBatch> ExportAll() = 0;

  virtual Result<Facts> LoadFacts(const FactsFilter& filter) = 0;
  // The recommendations LoadFacts(filter) would give, with their assignments,
  // `part_size` recommendations at a time, so that a million need not be in
  // memory at once. Call inside BeginRead for one state of the store.
  virtual Status ScanRecommendations(const FactsFilter& filter, size_t part_size,
                                     const RecommendationPart& fn) = 0;
  virtual Result<std::vector<Source>> ListSources() = 0;
  virtual Result<Source> GetSource(const std::string& slug) = 0;
  virtual Result<std::vector<Owner>> ListOwners() = 0;
  virtual Result<RecommendationView> GetRecommendation(const std::string& source_slug,
                                                       const std::string& ref) = 0;
  virtual Result<RecommendationView> GetRecommendationById(int64_t id) = 0;

  // Records a dated update on an assignment (response, status change, note,
  // evidence). Returns its id.
  virtual Result<int64_t> AddUpdate(int64_t assignment_id, const Update& update,
                                    const Actor& actor) = 0;
  // Sets (or, with nullopt, clears) the implementation target agreed with the
  // assignment's owner: an event "target" that bumps its version. With
  // `expected_version`, a Precondition error when the assignment has another.
  // Returns the assignment's new version. Checks of the date are the caller's
  // (app/updates.h CheckTarget).
  virtual Result<int64_t> SetAssignmentTarget(int64_t assignment_id, std::optional<Date> target,
                                              std::optional<int64_t> expected_version,
                                              const Actor& actor) = 0;
  // Makes `alias` another name of the owner `canonical`, merging their
  // assignments if `alias` already exists as an owner of its own. When
  // `canonical` names no owner yet but `alias` does, `canonical` is made (with
  // the tier of `alias`) and `alias` merged into it: a rename.
  virtual Status SetAlias(const std::string& alias, const std::string& canonical,
                          const Actor& actor) = 0;
  virtual Status SetOwnerTier(const std::string& owner, const std::string& tier,
                              const Actor& actor) = 0;

  // Freezes a publication (source, title, as_of, snapshot) pinned to the
  // current ledger head, which it reports, and signs it with the tracker's key
  // (docs/signatures.md): the returned publication has its id, created_at,
  // pin, digest, signature and key. Ledger: "publish", holding all of it.
  virtual Result<Publication> AddPublication(const Publication& pub, const Actor& actor) = 0;
  virtual Result<Publication> GetPublication(int64_t id) = 0;
  virtual Result<std::vector<Publication>> ListPublications(const std::string& source_slug) = 0;

  // Full-text search over recommendation texts and responses, best first
  // (ties by recommendation id, so that pages of one query do not overlap):
  // `limit` hits from the `offset`th.
  virtual Result<std::vector<SearchHit>> Search(const std::string& query, int limit,
                                                int offset) = 0;
  Result<std::vector<SearchHit>> Search(const std::string& query, int limit) {
    return Search(query, limit, 0);
  }
  // How many recommendations match `query` in all.
  virtual Result<int64_t> SearchCount(const std::string& query) = 0;

  virtual Result<LedgerHead> Head() = 0;
  // The full check of store/verify.h with no checkpoints nor trusted key
  // beyond the key file: the chain, the replayed projection against every
  // table, publications, checkpoints, the search index.
  Result<VerifyReport> Verify();
  virtual Status ForEachEvent(const std::function<bool(const LedgerEvent&)>& fn) = 0;
  // The events from `first_seq` on, in order; stops when `fn` returns false.
  virtual Status ForEachEventFrom(int64_t first_seq,
                                  const std::function<bool(const LedgerEvent&)>& fn) = 0;
  // One event, if the ledger has it.
  virtual Result<std::optional<LedgerEvent>> GetEvent(int64_t seq) = 0;
  virtual Result<RecordedHead> GetRecordedHead() = 0;

  // ---- the projection (store/tables.h) ----
  // Every row of `table`'s projected columns, in key order (keys compared as
  // Value's operator< does: numbers by value, texts bytewise).
  virtual Result<std::unique_ptr<RowCursor>> ScanRows(const TableDef& table) = 0;
  // The same, row by row to `fn`; stops when `fn` returns false.
  Status ScanTable(const TableDef& table, const std::function<bool(Row&)>& fn);
  // The projected columns of the row with `key`, if there is one.
  virtual Result<std::optional<Row>> GetRow(const TableDef& table, const Row& key) = 0;
  // The rows of `table` whose `column` equals `value`, in key order (for the
  // tables that grow, such as the outbox, where a scan of all would be waste).
  virtual Result<std::unique_ptr<RowCursor>> ScanRowsWhere(const TableDef& table,
                                                           std::string_view column,
                                                           const Value& value) = 0;
  // max(id) + 1 of a projected table whose first column is its id: the id of
  // the next row, when read inside the transaction that inserts it.
  virtual Result<int64_t> NextRowId(const TableDef& table) = 0;
  // A write decided above the store (app/: contacts, chasers): checks that
  // `payload`'s changes fit the projection, applies them and appends them as
  // an event of `kind`, in one transaction (a savepoint inside Begin()). A
  // caller that decided the change from what it read wraps both in Begin()
  // and Commit(), so that no other writer comes between.
  virtual Result<LedgerEvent> RecordChange(const Actor& actor, std::string_view kind,
                                           const EventPayload& payload) = 0;
  // Writes `changes` to the tables, keeping the search index in step when
  // `maintain_search` (Store::Apply is what live writes, rebuild and verify
  // all use: one code path).
  virtual Status Apply(const ChangeSet& changes, bool maintain_search) = 0;
  // Appends `event` as it is (seq, hashes, payload) to a store being rebuilt
  // from another's ledger, without applying it. The caller applies it.
  virtual Status CopyEvent(const LedgerEvent& event) = 0;
  // Records `head` as the store's head, signed with the key: the last step of
  // a rebuild, whose copied events were signed elsewhere.
  virtual Status SignHead(const LedgerHead& head) = 0;
  // Checks derived data and secrets against the projected tables, appending
  // a line per problem: the search index's rows equal what the tables give,
  // and its own structure is sound; each password and token hash matches its
  // digest (or is unset, as after a rebuild).
  virtual Status CheckDerived(std::vector<std::string>* problems) = 0;

  // ---- keys and checkpoints ----
  virtual Result<std::vector<TrackerKey>> TrackerKeys() = 0;
  virtual Result<std::vector<Checkpoint>> Checkpoints() = 0;
  // Signs and records a checkpoint of the current head with `state_digest`
  // (computed by the caller from the replayed ledger: store/verify.h).
  // Ledger: "checkpoint".
  virtual Result<Checkpoint> AddCheckpoint(const std::string& state_digest, const Actor& actor) = 0;
  // Makes `new_key` the tracker's key: a ledger event endorsed by the current
  // key, after which the new key signs; the key file is replaced. Ledger:
  // "key_rotate".
  virtual Result<TrackerKey> RotateKey(const SigningKeyPair& new_key, const Actor& actor) = 0;
  // What the store did on opening that its user should hear of (its key moved
  // out to a file, a baseline written).
  virtual std::vector<std::string> TakeNotices() = 0;

  // ---- accounts (SQLite: sqlite_auth.cc) ----
  // Adds a user; the name must be new and the owners must exist. Ledger: "user_add".
  virtual Result<User> AddUser(const NewUser& user, const Actor& actor) = 0;
  virtual Result<User> GetUser(const std::string& name) = 0;
  virtual Result<User> GetUserById(int64_t id) = 0;
  virtual Result<std::vector<User>> ListUsers() = 0;
  // Disables a user, ends their sessions and revokes their API tokens. Ledger: "user_disable".
  virtual Status DisableUser(const std::string& name, const Actor& actor) = 0;
  // Lets a disabled user sign in again (their revoked API tokens stay
  // revoked). Nothing to do for an active one. Ledger: "user_enable".
  virtual Status EnableUser(const std::string& name, const Actor& actor) = 0;
  // Gives a user another role and, for an editor, the owners (names or
  // aliases) they act for: the user_owners rows added and removed. Nothing to
  // do when both are as they were. Ledger: "user_role" (the new and the old).
  virtual Result<User> SetUserRole(const std::string& name, const std::string& role,
                                   const std::vector<std::string>& owners,
                                   const Actor& actor) = 0;
  // Replaces a user's password hash and ends every session of theirs except
  // `keep_session_hash` (empty: all of them); API tokens stay. Ledger:
  // "user_password" (the name only).
  virtual Status SetPassword(const std::string& name, const std::string& password_hash,
                             const std::string& keep_session_hash, const Actor& actor) = 0;
  virtual Status AddSession(const SessionRecord& session) = 0;
  // The session of that token hash, or nullopt.
  virtual Result<std::optional<SessionRecord>> FindSession(const std::string& token_hash) = 0;
  virtual Status TouchSession(const std::string& token_hash, int64_t now) = 0;
  virtual Status DeleteSession(const std::string& token_hash) = 0;
  // Removes sessions that expired before `now`; returns how many.
  virtual Result<int64_t> DeleteExpiredSessions(int64_t now) = 0;
  // Records a new API token of `user_name`; returns its id. Ledger: "token_add"
  // (the label, never the token).
  virtual Result<int64_t> AddApiToken(const std::string& user_name, const std::string& label,
                                      const std::string& token_hash, int64_t now,
                                      const Actor& actor) = 0;
  virtual Result<std::optional<ApiTokenRecord>> FindApiToken(const std::string& token_hash) = 0;
  virtual Status TouchApiToken(int64_t id, int64_t now) = 0;
  // Failed sign-ins, kept in the store so that every server sees them; rows
  // older than `forget_before` are dropped as new ones come.
  virtual Status RecordLoginFailure(const std::string& key, int64_t at,
                                    int64_t forget_before) = 0;
  virtual Result<LoginFailures> LoginFailuresSince(const std::string& key, int64_t since) = 0;
  virtual Status ClearLoginFailures(const std::string& key) = 0;
  // Every key whose failures since `since` are counted, with its count.
  virtual Result<std::vector<std::pair<std::string, LoginFailures>>> LoginFailuresByKey(
      int64_t since) = 0;
  // Forgets the failures of every key that starts with `prefix`; returns how many.
  virtual Result<int64_t> ClearLoginFailuresWithPrefix(const std::string& prefix) = 0;

  // ---- documents' drafts (not history: outside the ledger) ----
  // Keeps a new draft; returns its id (d.id and d.version are ignored).
  virtual Result<int64_t> AddDocumentDraft(const DocumentDraftRecord& d) = 0;
  virtual Result<std::optional<DocumentDraftRecord>> GetDocumentDraft(int64_t id) = 0;
  // Every draft, newest first, without its JSON.
  virtual Result<std::vector<DocumentDraftRecord>> ListDocumentDrafts() = 0;
  // Replaces a draft's JSON if its version is still `expected_version`, and
  // bumps the version; kPrecondition if someone changed it meanwhile, kNotFound
  // if it is gone.
  virtual Status UpdateDocumentDraft(int64_t id, int64_t expected_version,
                                     const std::string& draft, int64_t items,
                                     const std::string& updated_at) = 0;
  // The same check, then the draft is gone.
  virtual Status DeleteDocumentDraft(int64_t id, int64_t expected_version) = 0;

  // ---- the editor -> coordinator workflow ----
  virtual Result<AssignmentRef> GetAssignment(int64_t id) = 0;
  // An owner's assignments, by source and ref, at most `limit`.
  virtual Result<std::vector<AssignmentRef>> AssignmentsOfOwner(int64_t owner_id, int limit) = 0;
  // Records `update` as submitted (whatever its state says) if the assignment's
  // version is still `expected_version`, else fails with kPrecondition. Bumps
  // the version. Ledger: "submit". Returns the update's id.
  virtual Result<int64_t> SubmitUpdate(int64_t assignment_id, const Update& update,
                                       int64_t expected_version, const Actor& actor) = 0;
  // A submitted update becomes validated: it counts from now on (metrics,
  // search). Anything but a submitted update is a conflict. Ledger: "validate".
  virtual Status ValidateUpdate(int64_t update_id, const Actor& actor) = 0;
  // A submitted update goes back to its editor with a reason. Ledger: "return".
  virtual Status ReturnUpdate(int64_t update_id, const std::string& reason,
                              const Actor& actor) = 0;
  virtual Result<UpdateWithAssignment> GetUpdate(int64_t update_id) = 0;
  // Every submitted update, oldest first: the coordinator's queue.
  virtual Result<std::vector<UpdateWithAssignment>> SubmittedUpdates() = 0;
  // An owner's updates still open: submitted (awaiting review) and returned
  // ones with nothing newer on their assignment (to be fixed), oldest first.
  virtual Result<std::vector<UpdateWithAssignment>> OpenUpdatesOfOwner(int64_t owner_id) = 0;

  // ---- secrets: password and API token hashes, which the ledger holds only
  // as digests (a rebuilt store has none; a copied one keeps them) ----
  struct Secret {
    std::string table;  // "users" (password_hash) or "api_tokens" (token_hash)
    int64_t id = 0;
    std::string hash;
  };
  // Every secret that is set, by table and id.
  virtual Result<std::vector<Secret>> ReadSecrets() = 0;
  // Sets them, in the caller's transaction; `verify` checks each against the
  // digest in the ledger.
  virtual Status WriteSecrets(const std::vector<Secret>& secrets) = 0;

  // ---- signatures ----
  // The tracker's current public key (hex): the last of TrackerKeys().
  virtual Result<std::string> CurrentPublicKey() = 0;
};

// Opens (creating if need be) the SQLite store at `path` and applies
// migrations. A new store gets a key (made and written to the key file unless
// one is given) and its first ledger event, the key's public half. A store
// made by an earlier build has its key moved out to the key file and its state
// written to the ledger as a baseline (TakeNotices says so).
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const KeyOptions& keys = {});

// A new SQLite store at `path` with the schema and nothing else, not even a
// key: the target of `rebuild`, which copies a ledger into it. Refuses a path
// that holds a database already.
Result<std::unique_ptr<Store>> CreateEmptySqliteStore(const std::string& path,
                                                      const KeyOptions& keys = {});

// A private, temporary SQLite store for replaying a ledger into (`verify`): no
// key, no ledger of its own, no search index; removed when closed.
Result<std::unique_ptr<Store>> OpenScratchStore();

// A time as the ledger writes times, in UTC to the millisecond
// ("2026-12-06T13:30:50.947Z"): such texts sort as the times do.
std::string UtcTimestamp(int64_t unix_ms);
int64_t UnixMillisNow();

// True for a PostgreSQL location ("postgresql://..." or "postgres://...").
bool IsPostgresUrl(const std::string& location);
// A location fit to print: a URL's password replaced by "***".
std::string DisplayLocation(const std::string& location);

// Opens a store by location: a PostgreSQL URL, else an SQLite file path. A new
// PostgreSQL store needs its key file named (--key-file): it has no file of
// its own to put one beside.
Result<std::unique_ptr<Store>> OpenStore(const std::string& location, const KeyOptions& keys = {});

// The same, for a store that must be there already: a missing file, or a
// database that holds no tracker, is NotFound and nothing is made (a mistyped
// --db must not become a new, empty store).
Result<std::unique_ptr<Store>> OpenExistingStore(const std::string& location,
                                                 const KeyOptions& keys = {});
Result<std::unique_ptr<Store>> OpenExistingSqliteStore(const std::string& path,
                                                       const KeyOptions& keys = {});
Result<std::unique_ptr<Store>> OpenExistingPostgresStore(const std::string& url,
                                                         const KeyOptions& keys);

// A new store with the schema and nothing else (a rebuild's or a copy's
// target): CreateEmptySqliteStore, or a PostgreSQL database that holds no
// tracker yet.
Result<std::unique_ptr<Store>> CreateEmptyStore(const std::string& location,
                                                const KeyOptions& keys = {});

// The PostgreSQL store (store/postgres/pg_store.cc).
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url, const KeyOptions& keys);
Result<std::unique_ptr<Store>> CreateEmptyPostgresStore(const std::string& url,
                                                        const KeyOptions& keys);

}  // namespace rectrack
