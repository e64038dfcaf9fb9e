#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/ledger.h"
#include "core/metrics.h"
#include "core/model.h"
#include "core/result.h"
#include "core/signing.h"

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
  int64_t ledger_seq = 0;
};

// Which part of the store to load. Empty fields select everything.
struct FactsFilter {
  std::string source_slug;
  std::string source_kind;
  bool with_text = false;          // recommendation and response texts
  bool with_publications = false;  // publication snapshots
};

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

struct VerifyReport {
  bool ok = true;
  int64_t events = 0;
  LedgerHead head;
  std::vector<std::string> problems;  // the first broken link first
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

// Failed sign-ins under one key ("user:NAME" or "addr:ADDRESS") since a time.
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

// The tracker's storage. Every write is one transaction that also appends its
// ledger event; a failed write changes nothing. Implementations: SQLite (the
// default, embedded) and later PostgreSQL, behind this interface only.
class Store {
 public:
  virtual ~Store() = default;

  // Groups several writes into one transaction: all of them or none.
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;

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
  // Makes `alias` another name of the owner `canonical`, merging their
  // assignments if `alias` already exists as an owner of its own. When
  // `canonical` names no owner yet but `alias` does, `canonical` is made (with
  // the tier of `alias`) and `alias` merged into it: a rename.
  virtual Status SetAlias(const std::string& alias, const std::string& canonical,
                          const Actor& actor) = 0;
  virtual Status SetOwnerTier(const std::string& owner, const std::string& tier,
                              const Actor& actor) = 0;

  // Freezes a publication pinned to the current ledger head, which it reports.
  virtual Result<Publication> AddPublication(const Publication& pub, const Actor& actor) = 0;
  virtual Result<Publication> GetPublication(int64_t id) = 0;
  virtual Result<std::vector<Publication>> ListPublications(const std::string& source_slug) = 0;

  // Full-text search over recommendation texts and responses, best first.
  virtual Result<std::vector<SearchHit>> Search(const std::string& query, int limit) = 0;

  virtual Result<LedgerHead> Head() = 0;
  // Recomputes the hash chain and checks publications' pins against it.
  virtual Result<VerifyReport> Verify() = 0;
  virtual Status ForEachEvent(const std::function<bool(const LedgerEvent&)>& fn) = 0;

  // ---- accounts (SQLite: sqlite_auth.cc) ----
  // Adds a user; the name must be new and the owners must exist. Ledger: "user_add".
  virtual Result<User> AddUser(const NewUser& user, const Actor& actor) = 0;
  virtual Result<User> GetUser(const std::string& name) = 0;
  virtual Result<User> GetUserById(int64_t id) = 0;
  virtual Result<std::vector<User>> ListUsers() = 0;
  // Disables a user, ends their sessions and revokes their API tokens. Ledger: "user_disable".
  virtual Status DisableUser(const std::string& name, const Actor& actor) = 0;
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

  // ---- publication signatures ----
  // The tracker's Ed25519 key, made when the store was created. It lives in the
  // store so that several servers over one database sign alike: whoever can
  // read the database can sign.
  virtual Result<SigningKeyPair> SigningKey() = 0;
  virtual Status SetPublicationSignature(int64_t publication_id, const std::string& signature_hex,
                                         const std::string& public_key_hex) = 0;
};

// Opens (creating if need be) the SQLite store at `path` and applies migrations.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

// Opens a store by URL-ish name: a file path, or later "postgresql://...".
Result<std::unique_ptr<Store>> OpenStore(const std::string& location);

}  // namespace rectrack
