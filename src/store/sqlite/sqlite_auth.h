#pragma once
// The SQLite side of accounts and the editor -> coordinator workflow: the reads,
// as free functions over one connection. SqliteStore's write methods (in
// sqlite_auth.cc too) state each change as a change set with its event.

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

// Accounts: the reads. (The writes are SqliteStore's, with their change sets.)
Result<User> GetUser(Db& db, const std::string& name);
Result<User> GetUserById(Db& db, int64_t id);
Result<std::vector<User>> ListUsers(Db& db);

Status AddSession(Db& db, const SessionRecord& s);
Result<std::optional<SessionRecord>> FindSession(Db& db, const std::string& token_hash);
Status TouchSession(Db& db, const std::string& token_hash, int64_t now);
Status DeleteSession(Db& db, const std::string& token_hash);
Result<int64_t> DeleteExpiredSessions(Db& db, int64_t now);

Result<std::optional<ApiTokenRecord>> FindApiToken(Db& db, const std::string& token_hash);
Status TouchApiToken(Db& db, int64_t id, int64_t now);

Status RecordLoginFailure(Db& db, const std::string& key, int64_t at, int64_t forget_before);
Result<LoginFailures> LoginFailuresSince(Db& db, const std::string& key, int64_t since);
Status ClearLoginFailures(Db& db, const std::string& key);

// The workflow.
Result<AssignmentRef> GetAssignment(Db& db, int64_t id);
Result<std::vector<AssignmentRef>> AssignmentsOfOwner(Db& db, int64_t owner_id, int limit);
Result<UpdateWithAssignment> GetUpdate(Db& db, int64_t update_id);
Result<std::vector<UpdateWithAssignment>> SubmittedUpdates(Db& db);

// Fills p->source_slug, p->signature and p->signing_key from the stored row.
Status ReadPublicationExtras(Db& db, Publication* p);

}  // namespace rectrack::sqlite
