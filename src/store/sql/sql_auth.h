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
#include "store/sql/connection.h"
#include "store/store.h"

namespace rectrack::sql {

// Accounts: the reads. (The writes are SqliteStore's, with their change sets.)
Result<User> GetUser(Connection& db, const std::string& name);
Result<User> GetUserById(Connection& db, int64_t id);
Result<std::vector<User>> ListUsers(Connection& db);

Status AddSession(Connection& db, const SessionRecord& s);
Result<std::optional<SessionRecord>> FindSession(Connection& db, const std::string& token_hash);
Status TouchSession(Connection& db, const std::string& token_hash, int64_t now);
Status DeleteSession(Connection& db, const std::string& token_hash);
Result<int64_t> DeleteExpiredSessions(Connection& db, int64_t now);

Result<std::optional<ApiTokenRecord>> FindApiToken(Connection& db, const std::string& token_hash);
Status TouchApiToken(Connection& db, int64_t id, int64_t now);

Status RecordLoginFailure(Connection& db, const std::string& key, int64_t at, int64_t forget_before);
Result<LoginFailures> LoginFailuresSince(Connection& db, const std::string& key, int64_t since);
Status ClearLoginFailures(Connection& db, const std::string& key);
Result<std::vector<std::pair<std::string, LoginFailures>>> LoginFailuresByKey(Connection& db,
                                                                              int64_t since);
Result<int64_t> ClearLoginFailuresWithPrefix(Connection& db, const std::string& prefix);

// The workflow.
Result<AssignmentRef> GetAssignment(Connection& db, int64_t id);
Result<std::vector<AssignmentRef>> AssignmentsOfOwner(Connection& db, int64_t owner_id, int limit);
Result<UpdateWithAssignment> GetUpdate(Connection& db, int64_t update_id);
Result<std::vector<UpdateWithAssignment>> SubmittedUpdates(Connection& db);
Result<std::vector<UpdateWithAssignment>> OpenUpdatesOfOwner(Connection& db, int64_t owner_id);

// Fills p->source_slug, p->signature and p->signing_key from the stored row.
Status ReadPublicationExtras(Connection& db, Publication* p);

}  // namespace rectrack::sql
