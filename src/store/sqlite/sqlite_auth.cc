// Accounts, sessions, API tokens, failed sign-ins, the editor -> coordinator
// workflow and publication signatures, over SQLite. Every value is bound, never
// spliced into SQL text.
#include "store/sqlite/sqlite_auth.h"

#include "core/vocab.h"
#include "fmt/format.h"

namespace rectrack::sqlite {
namespace {

using json = nlohmann::json;

// Prepares `sql` into `var` (a Stmt*), or returns the error.
#define RT_PREPARE(var, sql)                      \
  auto var##_prepared = db.Prepare(sql);          \
  if (!var##_prepared) return Fail(var##_prepared.error()); \
  Stmt* var = *var##_prepared

constexpr char kUserCols[] = "id, name, password_hash, role, disabled, created_at";

Status ReadOwnersOf(Db& db, User* u) {
  RT_PREPARE(st,
             "SELECT o.id, o.name FROM user_owners uo JOIN owners o ON o.id = uo.owner_id "
             "WHERE uo.user_id = ? ORDER BY o.name");
  st->Bind(1, u->id);
  u->owner_ids.clear();
  u->owner_names.clear();
  while (true) {
    auto r = st->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    u->owner_ids.push_back(st->Int(0));
    u->owner_names.push_back(st->Str(1));
  }
  return {};
}

User ReadUserRow(Stmt* st) {
  User u;
  u.id = st->Int(0);
  u.name = st->Str(1);
  u.password_hash = st->Str(2);
  u.role = st->Str(3);
  u.disabled = st->Int(4) != 0;
  u.created_at = st->Str(5);
  return u;
}

// One user by a WHERE clause on one bound value.
template <typename V>
Result<User> FindUser(Db& db, const char* where, const V& value, const std::string& what) {
  RT_PREPARE(st, fmt::format("SELECT {} FROM users WHERE {}", kUserCols, where));
  st->Bind(1, value);
  auto r = st->Step();
  if (!r) return Fail(r.error());
  if (!*r) return Fail(Error::NotFound(fmt::format("no user {}", what)));
  User u = ReadUserRow(st);
  st->Reset();
  RT_TRY(ReadOwnersOf(db, &u));
  return u;
}

bool IsRole(std::string_view r) {
  return r == "admin" || r == "coordinator" || r == "editor" || r == "viewer";
}

constexpr char kAssignmentRefSql[] =
    "SELECT a.id, a.recommendation_id, a.owner_id, o.name, s.slug, r.ref, a.version "
    "FROM assignments a JOIN recommendations r ON r.id = a.recommendation_id "
    "JOIN sources s ON s.id = r.source_id JOIN owners o ON o.id = a.owner_id ";

AssignmentRef ReadAssignmentRef(Stmt* st, int first) {
  AssignmentRef a;
  a.id = st->Int(first);
  a.recommendation_id = st->Int(first + 1);
  a.owner_id = st->Int(first + 2);
  a.owner = st->Str(first + 3);
  a.source_slug = st->Str(first + 4);
  a.ref = st->Str(first + 5);
  a.version = st->Int(first + 6);
  return a;
}

constexpr char kUpdateSql[] =
    "SELECT u.id, u.assignment_id, u.date, u.response, u.response_text, u.response_status, "
    "u.implementation, u.narrative, u.evidence, u.author, u.state, u.return_reason, "
    "a.id, a.recommendation_id, a.owner_id, o.name, s.slug, r.ref, a.version "
    "FROM updates u JOIN assignments a ON a.id = u.assignment_id "
    "JOIN recommendations r ON r.id = a.recommendation_id "
    "JOIN sources s ON s.id = r.source_id JOIN owners o ON o.id = a.owner_id ";

std::vector<std::string> ParseList(std::string_view s) {
  std::vector<std::string> out;
  auto j = json::parse(s, nullptr, false);
  if (j.is_array())
    for (const auto& x : j)
      if (x.is_string()) out.push_back(x.get<std::string>());
  return out;
}

UpdateWithAssignment ReadUpdateRow(Stmt* s) {
  UpdateWithAssignment out;
  Update& u = out.update;
  u.id = s->Int(0);
  u.assignment_id = s->Int(1);
  if (auto d = s->OptDate(2)) u.date = *d;
  if (!s->IsNull(3))
    if (auto v = ParseResponseKind(s->Text(3))) u.response = *v;
  u.response_text = s->Str(4);
  if (!s->IsNull(5))
    if (auto v = ParseResponseStatus(s->Text(5))) u.response_status = *v;
  if (!s->IsNull(6))
    if (auto v = ParseImplementation(s->Text(6))) u.implementation = *v;
  u.narrative = s->Str(7);
  u.evidence = ParseList(s->Text(8));
  u.author = s->Str(9);
  if (auto st = ParseUpdateState(s->Text(10))) u.state = *st;
  u.return_reason = s->Str(11);
  out.assignment = ReadAssignmentRef(s, 12);
  return out;
}

// What the ledger says of an update: enough to tell what was submitted or
// validated without the tables.
json UpdatePayload(const Update& u, const AssignmentRef& a) {
  json p = {{"update_id", u.id},       {"assignment_id", a.id},    {"source", a.source_slug},
            {"ref", a.ref},            {"owner", a.owner},         {"date", u.date.ToIso()},
            {"narrative", u.narrative}, {"evidence", u.evidence}, {"author", u.author}};
  if (u.response) p["response"] = Name(*u.response);
  if (!u.response_text.empty()) p["response_text"] = u.response_text;
  if (u.response_status) p["response_status"] = Name(*u.response_status);
  if (u.implementation) p["implementation"] = Name(*u.implementation);
  return p;
}

Status BumpVersion(Db& db, int64_t assignment_id) {
  RT_PREPARE(st, "UPDATE assignments SET version = version + 1 WHERE id = ?");
  st->Bind(1, assignment_id);
  return st->Run();
}

// The update if it is still submitted; a conflict otherwise.
Result<UpdateWithAssignment> SubmittedUpdate(Db& db, int64_t update_id, std::string_view verb) {
  auto u = GetUpdate(db, update_id);
  if (!u) return u;
  if (u->update.state != UpdateState::kSubmitted)
    return Fail(Error::Conflict(fmt::format("update {} is {}, not submitted: it cannot be {}",
                                            update_id, Name(u->update.state), verb)));
  return u;
}

}  // namespace

// ---- accounts ----------------------------------------------------------------

Result<User> AddUser(Db& db, const StoreHooks& hooks, const NewUser& nu) {
  if (nu.name.empty()) return Fail(Error::Invalid("a user needs a name"));
  if (!IsRole(nu.role))
    return Fail(Error::Invalid(fmt::format(
        "unknown role '{}' (known: admin, coordinator, editor, viewer)", nu.role)));
  if (nu.password_hash.empty()) return Fail(Error::Invalid("a user needs a password"));
  std::vector<std::pair<int64_t, std::string>> owners;
  for (const auto& name : nu.owners) {
    auto id = hooks.resolve_owner(name);
    if (!id) return Fail(id.error());
    if (*id == 0)
      return Fail(Error::NotFound(fmt::format("no owner '{}' (see `rectrack owner list`)", name)));
    owners.emplace_back(*id, name);
  }
  {
    RT_PREPARE(exists, "SELECT 1 FROM users WHERE name = ?");
    exists->Bind(1, nu.name);
    auto r = exists->Step();
    if (!r) return Fail(r.error());
    if (*r) {
      exists->Reset();
      return Fail(Error::Conflict(fmt::format("a user '{}' already exists", nu.name)));
    }
  }
  RT_PREPARE(ins,
             "INSERT INTO users(name, password_hash, role, created_at) "
             "VALUES(?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
  ins->Bind(1, nu.name).Bind(2, nu.password_hash).Bind(3, nu.role);
  RT_TRY(ins->Run());
  int64_t id = db.LastInsertId();
  RT_PREPARE(scope, "INSERT OR IGNORE INTO user_owners(user_id, owner_id) VALUES(?, ?)");
  for (const auto& [owner_id, name] : owners) {
    scope->Bind(1, id).Bind(2, owner_id);
    RT_TRY(scope->Run());
  }
  auto user = GetUserById(db, id);
  if (!user) return user;
  RT_TRY(hooks.append_event(
      "user_add", json{{"user", nu.name}, {"role", nu.role}, {"owners", user->owner_names}}));
  return user;
}

Result<User> GetUser(Db& db, const std::string& name) {
  return FindUser(db, "name = ?", name, fmt::format("'{}'", name));
}

Result<User> GetUserById(Db& db, int64_t id) {
  return FindUser(db, "id = ?", id, fmt::format("with id {}", id));
}

Result<std::vector<User>> ListUsers(Db& db) {
  RT_PREPARE(st, fmt::format("SELECT {} FROM users ORDER BY name", kUserCols));
  std::vector<User> out;
  while (true) {
    auto r = st->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    out.push_back(ReadUserRow(st));
  }
  for (auto& u : out) RT_TRY(ReadOwnersOf(db, &u));
  return out;
}

Status DisableUser(Db& db, const StoreHooks& hooks, const std::string& name) {
  auto user = GetUser(db, name);
  if (!user) return Fail(user.error());
  if (user->disabled) return {};
  for (const char* sql : {"UPDATE users SET disabled = 1 WHERE id = ?",
                          "DELETE FROM sessions WHERE user_id = ?",
                          "UPDATE api_tokens SET revoked = 1 WHERE user_id = ?"}) {
    RT_PREPARE(st, sql);
    st->Bind(1, user->id);
    RT_TRY(st->Run());
  }
  return hooks.append_event("user_disable", json{{"user", name}});
}

Status SetPassword(Db& db, const StoreHooks& hooks, const std::string& name,
                   const std::string& password_hash, const std::string& keep_session_hash) {
  if (password_hash.empty()) return Fail(Error::Invalid("a user needs a password"));
  auto user = GetUser(db, name);
  if (!user) return Fail(user.error());
  {
    RT_PREPARE(st, "UPDATE users SET password_hash = ? WHERE id = ?");
    st->Bind(1, password_hash).Bind(2, user->id);
    RT_TRY(st->Run());
  }
  RT_PREPARE(end, "DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?");
  end->Bind(1, user->id).Bind(2, keep_session_hash);
  RT_TRY(end->Run());
  return hooks.append_event("user_password", json{{"user", name}});
}

Status AddSession(Db& db, const SessionRecord& s) {
  RT_PREPARE(st,
             "INSERT INTO sessions(token_hash, user_id, csrf_token, created_at, expires_at, "
             "last_seen) VALUES(?,?,?,?,?,?)");
  st->Bind(1, s.token_hash).Bind(2, s.user_id).Bind(3, s.csrf_token).Bind(4, s.created_at)
      .Bind(5, s.expires_at).Bind(6, s.last_seen);
  return st->Run();
}

Result<std::optional<SessionRecord>> FindSession(Db& db, const std::string& token_hash) {
  RT_PREPARE(st,
             "SELECT token_hash, user_id, csrf_token, created_at, expires_at, last_seen "
             "FROM sessions WHERE token_hash = ?");
  st->Bind(1, token_hash);
  auto r = st->Step();
  if (!r) return Fail(r.error());
  if (!*r) return std::optional<SessionRecord>();
  SessionRecord s;
  s.token_hash = st->Str(0);
  s.user_id = st->Int(1);
  s.csrf_token = st->Str(2);
  s.created_at = st->Int(3);
  s.expires_at = st->Int(4);
  s.last_seen = st->Int(5);
  st->Reset();
  return std::optional<SessionRecord>(std::move(s));
}

Status TouchSession(Db& db, const std::string& token_hash, int64_t now) {
  RT_PREPARE(st, "UPDATE sessions SET last_seen = ? WHERE token_hash = ?");
  st->Bind(1, now).Bind(2, token_hash);
  return st->Run();
}

Status DeleteSession(Db& db, const std::string& token_hash) {
  RT_PREPARE(st, "DELETE FROM sessions WHERE token_hash = ?");
  st->Bind(1, token_hash);
  return st->Run();
}

Result<int64_t> DeleteExpiredSessions(Db& db, int64_t now) {
  RT_PREPARE(st, "DELETE FROM sessions WHERE expires_at <= ?");
  st->Bind(1, now);
  RT_TRY(st->Run());
  return static_cast<int64_t>(db.Changes());
}

Result<int64_t> AddApiToken(Db& db, const StoreHooks& hooks, const std::string& user_name,
                            const std::string& label, const std::string& token_hash,
                            int64_t now) {
  auto user = GetUser(db, user_name);
  if (!user) return Fail(user.error());
  if (user->disabled)
    return Fail(Error::Conflict(fmt::format("user '{}' is disabled", user_name)));
  if (label.empty()) return Fail(Error::Invalid("an API token needs a label (--name)"));
  RT_PREPARE(st,
             "INSERT INTO api_tokens(token_hash, user_id, label, created_at) VALUES(?,?,?,?)");
  st->Bind(1, token_hash).Bind(2, user->id).Bind(3, label).Bind(4, now);
  RT_TRY(st->Run());
  int64_t id = db.LastInsertId();
  RT_TRY(hooks.append_event("token_add",
                            json{{"user", user_name}, {"label", label}, {"token_id", id}}));
  return id;
}

Result<std::optional<ApiTokenRecord>> FindApiToken(Db& db, const std::string& token_hash) {
  RT_PREPARE(st,
             "SELECT id, token_hash, user_id, label, created_at, last_used, revoked "
             "FROM api_tokens WHERE token_hash = ?");
  st->Bind(1, token_hash);
  auto r = st->Step();
  if (!r) return Fail(r.error());
  if (!*r) return std::optional<ApiTokenRecord>();
  ApiTokenRecord t;
  t.id = st->Int(0);
  t.token_hash = st->Str(1);
  t.user_id = st->Int(2);
  t.label = st->Str(3);
  t.created_at = st->Int(4);
  t.last_used = st->Int(5);
  t.revoked = st->Int(6) != 0;
  st->Reset();
  return std::optional<ApiTokenRecord>(std::move(t));
}

Status TouchApiToken(Db& db, int64_t id, int64_t now) {
  RT_PREPARE(st, "UPDATE api_tokens SET last_used = ? WHERE id = ?");
  st->Bind(1, now).Bind(2, id);
  return st->Run();
}

Status RecordLoginFailure(Db& db, const std::string& key, int64_t at, int64_t forget_before) {
  {
    RT_PREPARE(prune, "DELETE FROM login_failures WHERE at < ?");
    prune->Bind(1, forget_before);
    RT_TRY(prune->Run());
  }
  RT_PREPARE(st, "INSERT INTO login_failures(key, at) VALUES(?, ?)");
  st->Bind(1, key).Bind(2, at);
  return st->Run();
}

Result<LoginFailures> LoginFailuresSince(Db& db, const std::string& key, int64_t since) {
  RT_PREPARE(st, "SELECT COUNT(*), COALESCE(MIN(at), 0) FROM login_failures WHERE key = ? AND at >= ?");
  st->Bind(1, key).Bind(2, since);
  auto r = st->Step();
  if (!r) return Fail(r.error());
  LoginFailures f;
  if (*r) {
    f.count = st->Int(0);
    f.oldest = st->Int(1);
    st->Reset();
  }
  return f;
}

Status ClearLoginFailures(Db& db, const std::string& key) {
  RT_PREPARE(st, "DELETE FROM login_failures WHERE key = ?");
  st->Bind(1, key);
  return st->Run();
}

// ---- the workflow --------------------------------------------------------------

Result<AssignmentRef> GetAssignment(Db& db, int64_t id) {
  RT_PREPARE(st, std::string(kAssignmentRefSql) + "WHERE a.id = ?");
  st->Bind(1, id);
  auto r = st->Step();
  if (!r) return Fail(r.error());
  if (!*r) return Fail(Error::NotFound(fmt::format("no assignment {}", id)));
  AssignmentRef a = ReadAssignmentRef(st, 0);
  st->Reset();
  return a;
}

Result<std::vector<AssignmentRef>> AssignmentsOfOwner(Db& db, int64_t owner_id, int limit) {
  RT_PREPARE(st, std::string(kAssignmentRefSql) +
                     "WHERE a.owner_id = ? ORDER BY s.slug, r.id LIMIT ?");
  st->Bind(1, owner_id).Bind(2, limit);
  std::vector<AssignmentRef> out;
  while (true) {
    auto r = st->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    out.push_back(ReadAssignmentRef(st, 0));
  }
  return out;
}

Result<int64_t> SubmitUpdate(Db& db, const StoreHooks& hooks, int64_t assignment_id,
                             const Update& in, int64_t expected_version) {
  auto a = GetAssignment(db, assignment_id);
  if (!a) return Fail(a.error());
  if (a->version != expected_version)
    return Fail(Error::Precondition(fmt::format(
        "assignment {} changed since it was read (version {}, now {}): reload it and try again",
        assignment_id, expected_version, a->version)));
  Update u = in;
  u.state = UpdateState::kSubmitted;
  u.return_reason.clear();
  u.assignment_id = assignment_id;
  RT_PREPARE(st,
             "INSERT INTO updates(assignment_id, date, response, response_text, response_status, "
             "implementation, narrative, evidence, author, state, return_reason) "
             "VALUES(?,?,?,?,?,?,?,?,?,'submitted','')");
  st->Bind(1, assignment_id).Bind(2, u.date.ToIso());
  if (u.response) st->Bind(3, Name(*u.response)); else st->BindNull(3);
  st->Bind(4, u.response_text);
  if (u.response_status) st->Bind(5, Name(*u.response_status)); else st->BindNull(5);
  if (u.implementation) st->Bind(6, Name(*u.implementation)); else st->BindNull(6);
  st->Bind(7, u.narrative).Bind(8, json(u.evidence).dump()).Bind(9, u.author);
  RT_TRY(st->Run());
  u.id = db.LastInsertId();
  RT_TRY(BumpVersion(db, assignment_id));
  RT_TRY(hooks.append_event("submit", UpdatePayload(u, *a)));
  return u.id;
}

Status ValidateUpdate(Db& db, const StoreHooks& hooks, int64_t update_id) {
  auto u = SubmittedUpdate(db, update_id, "validated");
  if (!u) return Fail(u.error());
  RT_PREPARE(st, "UPDATE updates SET state = 'validated' WHERE id = ? AND state = 'submitted'");
  st->Bind(1, update_id);
  RT_TRY(st->Run());
  if (db.Changes() != 1) return Fail(Error::Conflict(fmt::format("update {} changed", update_id)));
  RT_TRY(BumpVersion(db, u->assignment.id));
  RT_TRY(hooks.reindex(u->assignment.recommendation_id));
  return hooks.append_event("validate", UpdatePayload(u->update, u->assignment));
}

Status ReturnUpdate(Db& db, const StoreHooks& hooks, int64_t update_id,
                    const std::string& reason) {
  if (reason.find_first_not_of(" \t\r\n") == std::string::npos)
    return Fail(Error::Invalid("say why the update is returned (a reason is required)"));
  auto u = SubmittedUpdate(db, update_id, "returned");
  if (!u) return Fail(u.error());
  RT_PREPARE(st,
             "UPDATE updates SET state = 'returned', return_reason = ? "
             "WHERE id = ? AND state = 'submitted'");
  st->Bind(1, reason).Bind(2, update_id);
  RT_TRY(st->Run());
  if (db.Changes() != 1) return Fail(Error::Conflict(fmt::format("update {} changed", update_id)));
  RT_TRY(BumpVersion(db, u->assignment.id));
  const AssignmentRef& a = u->assignment;
  return hooks.append_event("return", json{{"update_id", update_id},
                                           {"assignment_id", a.id},
                                           {"source", a.source_slug},
                                           {"ref", a.ref},
                                           {"owner", a.owner},
                                           {"author", u->update.author},
                                           {"reason", reason}});
}

Result<UpdateWithAssignment> GetUpdate(Db& db, int64_t update_id) {
  RT_PREPARE(st, std::string(kUpdateSql) + "WHERE u.id = ?");
  st->Bind(1, update_id);
  auto r = st->Step();
  if (!r) return Fail(r.error());
  if (!*r) return Fail(Error::NotFound(fmt::format("no update {}", update_id)));
  UpdateWithAssignment out = ReadUpdateRow(st);
  st->Reset();
  return out;
}

Result<std::vector<UpdateWithAssignment>> SubmittedUpdates(Db& db) {
  RT_PREPARE(st, std::string(kUpdateSql) + "WHERE u.state = 'submitted' ORDER BY u.id");
  std::vector<UpdateWithAssignment> out;
  while (true) {
    auto r = st->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    out.push_back(ReadUpdateRow(st));
  }
  return out;
}

// ---- signing -------------------------------------------------------------------

namespace {
constexpr char kSeedKey[] = "signing_key_seed";
constexpr char kPublicKey[] = "signing_public_key";
}  // namespace

Status EnsureSigningKey(Db& db) {
  {
    RT_PREPARE(st, "SELECT 1 FROM meta WHERE key = ?");
    st->Bind(1, kSeedKey);
    auto r = st->Step();
    if (!r) return Fail(r.error());
    if (*r) {
      st->Reset();
      return {};
    }
  }
  // Two servers opening a new database at once: the first insert wins, the
  // other is ignored, and both then read the same key.
  SigningKeyPair k = GenerateSigningKey();
  RT_PREPARE(ins, "INSERT OR IGNORE INTO meta(key, value) VALUES(?, ?), (?, ?)");
  ins->Bind(1, kSeedKey).Bind(2, k.seed_hex).Bind(3, kPublicKey).Bind(4, k.public_key_hex);
  return ins->Run();
}

Result<SigningKeyPair> GetSigningKey(Db& db) {
  RT_PREPARE(st, "SELECT value FROM meta WHERE key = ?");
  st->Bind(1, kSeedKey);
  auto r = st->Step();
  if (!r) return Fail(r.error());
  if (!*r) return Fail(Error::NotFound("the store has no signing key"));
  std::string seed = st->Str(0);
  st->Reset();
  return SigningKeyFromSeed(seed);
}

Status SetPublicationSignature(Db& db, int64_t publication_id, const std::string& signature_hex,
                               const std::string& public_key_hex) {
  RT_PREPARE(st, "UPDATE publications SET signature = ?, signing_key = ? WHERE id = ?");
  st->Bind(1, signature_hex).Bind(2, public_key_hex).Bind(3, publication_id);
  RT_TRY(st->Run());
  if (db.Changes() != 1)
    return Fail(Error::NotFound(fmt::format("no publication {}", publication_id)));
  return {};
}

Status ReadPublicationExtras(Db& db, Publication* p) {
  RT_PREPARE(st,
             "SELECT p.signature, p.signing_key, s.slug FROM publications p "
             "JOIN sources s ON s.id = p.source_id WHERE p.id = ?");
  st->Bind(1, p->id);
  auto r = st->Step();
  if (!r) return Fail(r.error());
  if (*r) {
    p->signature = st->Str(0);
    p->signing_key = st->Str(1);
    p->source_slug = st->Str(2);
    st->Reset();
  }
  return {};
}

}  // namespace rectrack::sqlite
