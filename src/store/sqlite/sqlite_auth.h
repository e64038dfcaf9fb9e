#pragma once
// The SQLite side of accounts, the editor -> coordinator workflow and
// publication signatures: free functions over one connection, which SqliteStore
// forwards to inside its transactions. The store hands in what only it has: the
// ledger append, the owner resolver and the full-text reindex.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace rectrack::sqlite {

struct StoreHooks {
  // Appends a ledger event in the caller's transaction.
  std::function<Status(std::string_view kind, const nlohmann::json& payload)> append_event;
  // Owner id by name or alias; 0 if unknown.
  std::function<Result<int64_t>(const std::string& name)> resolve_owner;
  // Rebuilds a recommendation's full-text entry (validated texts only).
  std::function<Status(int64_t recommendation_id)> reindex;
};

// Accounts. Writes with a ledger event expect to run inside a transaction.
Result<User> AddUser(Db& db, const StoreHooks& hooks, const NewUser& user);
Result<User> GetUser(Db& db, const std::string& name);
Result<User> GetUserById(Db& db, int64_t id);
Result<std::vector<User>> ListUsers(Db& db);
Status DisableUser(Db& db, const StoreHooks& hooks, const std::string& name);
Status SetPassword(Db& db, const StoreHooks& hooks, const std::string& name,
                   const std::string& password_hash, const std::string& keep_session_hash);

Status AddSession(Db& db, const SessionRecord& s);
Result<std::optional<SessionRecord>> FindSession(Db& db, const std::string& token_hash);
Status TouchSession(Db& db, const std::string& token_hash, int64_t now);
Status DeleteSession(Db& db, const std::string& token_hash);
Result<int64_t> DeleteExpiredSessions(Db& db, int64_t now);

Result<int64_t> AddApiToken(Db& db, const StoreHooks& hooks, const std::string& user_name,
                            const std::string& label, const std::string& token_hash,
                            int64_t now);
Result<std::optional<ApiTokenRecord>> FindApiToken(Db& db, const std::string& token_hash);
Status TouchApiToken(Db& db, int64_t id, int64_t now);

Status RecordLoginFailure(Db& db, const std::string& key, int64_t at, int64_t forget_before);
Result<LoginFailures> LoginFailuresSince(Db& db, const std::string& key, int64_t since);
Status ClearLoginFailures(Db& db, const std::string& key);

// The workflow.
Result<AssignmentRef> GetAssignment(Db& db, int64_t id);
Result<std::vector<AssignmentRef>> AssignmentsOfOwner(Db& db, int64_t owner_id, int limit);
Result<int64_t> SubmitUpdate(Db& db, const StoreHooks& hooks, int64_t assignment_id,
                             const Update& update, int64_t expected_version);
Status ValidateUpdate(Db& db, const StoreHooks& hooks, int64_t update_id);
Status ReturnUpdate(Db& db, const StoreHooks& hooks, int64_t update_id,
                    const std::string& reason);
Result<UpdateWithAssignment> GetUpdate(Db& db, int64_t update_id);
Result<std::vector<UpdateWithAssignment>> SubmittedUpdates(Db& db);

// Signing. The key is made once, when a store is first opened, and kept in
// `meta`: every server over the database must sign with the same key.
Status EnsureSigningKey(Db& db);
Result<SigningKeyPair> GetSigningKey(Db& db);
Status SetPublicationSignature(Db& db, int64_t publication_id, const std::string& signature_hex,
                               const std::string& public_key_hex);
// Fills p->source_slug, p->signature and p->signing_key from the stored row.
Status ReadPublicationExtras(Db& db, Publication* p);

}  // namespace rectrack::sqlite
