// Accounts, sessions, API tokens, failed sign-ins, the editor -> coordinator
// workflow and publication signatures, over SQLite. Every value is bound, never
// spliced into SQL text.
#include "store/sql/sql_auth.h"

#include "core/ledger.h"
#include "core/vocab.h"
#include "fmt/format.h"
#include "store/sql/sql_store.h"

namespace rectrack::sql {
namespace {

using json = nlohmann::json;

// Prepares `sql` into `var` (a Statement*), or returns the error.
#define RT_PREPARE(var, sql)                      \
  auto var##_prepared = db.Prepare(sql);          \
  if (!var##_prepared) return Fail(var##_prepared.error()); \
  Statement* var = *var##_prepared

constexpr char kUserCols[] = "id, name, password_hash, role, disabled, created_at";

Status ReadOwnersOf(Connection& db, User* u) {
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

// The names of owners by id, sorted, as a user's record lists them.
Result<std::vector<std::string>> OwnerNamesOf(Connection& db, const std::vector<int64_t>& ids) {
  std::vector<std::string> names;
  for (int64_t id : ids) {
    RT_PREPARE(on, "SELECT name FROM owners WHERE id = ?");
    on->Bind(1, id);
    auto r = on->Step();
    if (!r) return Fail(r.error());
    if (*r) {
      names.push_back(on->Str(0));
      on->Reset();
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

User ReadUserRow(Statement* st) {
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
Result<User> FindUser(Connection& db, const char* where, const V& value, const std::string& what) {
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

AssignmentRef ReadAssignmentRef(Statement* st, int first) {
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

UpdateWithAssignment ReadUpdateRow(Statement* s) {
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

// The update if it is still submitted; a conflict otherwise.
Result<UpdateWithAssignment> SubmittedUpdate(Connection& db, int64_t update_id, std::string_view verb) {
  auto u = GetUpdate(db, update_id);
  if (!u) return u;
  if (u->update.state != UpdateState::kSubmitted)
    return Fail(Error::Conflict(fmt::format("update {} is {}, not submitted: it cannot be {}",
                                            update_id, Name(u->update.state), verb)));
  return u;
}

}  // namespace

// ---- accounts ----------------------------------------------------------------

Result<User> GetUser(Connection& db, const std::string& name) {
  return FindUser(db, "name = ?", name, fmt::format("'{}'", name));
}

Result<User> GetUserById(Connection& db, int64_t id) {
  return FindUser(db, "id = ?", id, fmt::format("with id {}", id));
}

Result<std::vector<User>> ListUsers(Connection& db) {
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

Status AddSession(Connection& db, const SessionRecord& s) {
  RT_PREPARE(st,
             "INSERT INTO sessions(token_hash, user_id, csrf_token, created_at, expires_at, "
             "last_seen) VALUES(?,?,?,?,?,?)");
  st->Bind(1, s.token_hash).Bind(2, s.user_id).Bind(3, s.csrf_token).Bind(4, s.created_at)
      .Bind(5, s.expires_at).Bind(6, s.last_seen);
  return st->Run();
}

Result<std::optional<SessionRecord>> FindSession(Connection& db, const std::string& token_hash) {
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

Status TouchSession(Connection& db, const std::string& token_hash, int64_t now) {
  RT_PREPARE(st, "UPDATE sessions SET last_seen = ? WHERE token_hash = ?");
  st->Bind(1, now).Bind(2, token_hash);
  return st->Run();
}

Status DeleteSession(Connection& db, const std::string& token_hash) {
  RT_PREPARE(st, "DELETE FROM sessions WHERE token_hash = ?");
  st->Bind(1, token_hash);
  return st->Run();
}

Result<int64_t> DeleteExpiredSessions(Connection& db, int64_t now) {
  RT_PREPARE(st, "DELETE FROM sessions WHERE expires_at <= ?");
  st->Bind(1, now);
  RT_TRY(st->Run());
  return static_cast<int64_t>(db.Changes());
}

Result<std::optional<ApiTokenRecord>> FindApiToken(Connection& db, const std::string& token_hash) {
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

Status TouchApiToken(Connection& db, int64_t id, int64_t now) {
  RT_PREPARE(st, "UPDATE api_tokens SET last_used = ? WHERE id = ?");
  st->Bind(1, now).Bind(2, id);
  return st->Run();
}

Status RecordLoginFailure(Connection& db, const std::string& key, int64_t at, int64_t forget_before) {
  {
    RT_PREPARE(prune, "DELETE FROM login_failures WHERE at < ?");
    prune->Bind(1, forget_before);
    RT_TRY(prune->Run());
  }
  RT_PREPARE(st, "INSERT INTO login_failures(key, at) VALUES(?, ?)");
  st->Bind(1, key).Bind(2, at);
  return st->Run();
}

Result<LoginFailures> LoginFailuresSince(Connection& db, const std::string& key, int64_t since) {
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

Status ClearLoginFailures(Connection& db, const std::string& key) {
  RT_PREPARE(st, "DELETE FROM login_failures WHERE key = ?");
  st->Bind(1, key);
  return st->Run();
}

Result<std::vector<std::pair<std::string, LoginFailures>>> LoginFailuresByKey(Connection& db,
                                                                              int64_t since) {
  RT_PREPARE(st,
             "SELECT key, COUNT(*), MIN(at) FROM login_failures WHERE at >= ? "
             "GROUP BY key ORDER BY key");
  st->Bind(1, since);
  std::vector<std::pair<std::string, LoginFailures>> out;
  while (true) {
    auto r = st->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    out.emplace_back(st->Str(0), LoginFailures{st->Int(1), st->Int(2)});
  }
  return out;
}

Result<int64_t> ClearLoginFailuresWithPrefix(Connection& db, const std::string& prefix) {
  // A range on the key (byte order on both stores), so that no character of
  // the prefix is read as a pattern: [prefix, prefix with its last byte + 1).
  std::string upper = prefix;
  while (!upper.empty() && static_cast<unsigned char>(upper.back()) == 0xff) upper.pop_back();
  if (upper.empty()) {
    RT_PREPARE(st, "DELETE FROM login_failures WHERE key >= ?");
    st->Bind(1, prefix);
    RT_TRY(st->Run());
    return db.Changes();
  }
  upper.back() = static_cast<char>(static_cast<unsigned char>(upper.back()) + 1);
  RT_PREPARE(st, "DELETE FROM login_failures WHERE key >= ? AND key < ?");
  st->Bind(1, prefix).Bind(2, upper);
  RT_TRY(st->Run());
  return db.Changes();
}

// ---- the workflow --------------------------------------------------------------

Result<AssignmentRef> GetAssignment(Connection& db, int64_t id) {
  RT_PREPARE(st, std::string(kAssignmentRefSql) + "WHERE a.id = ?");
  st->Bind(1, id);
  auto r = st->Step();
  if (!r) return Fail(r.error());
  if (!*r) return Fail(Error::NotFound(fmt::format("no assignment {}", id)));
  AssignmentRef a = ReadAssignmentRef(st, 0);
  st->Reset();
  return a;
}

Result<std::vector<AssignmentRef>> AssignmentsOfOwner(Connection& db, int64_t owner_id, int limit) {
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

Result<UpdateWithAssignment> GetUpdate(Connection& db, int64_t update_id) {
  RT_PREPARE(st, std::string(kUpdateSql) + "WHERE u.id = ?");
  st->Bind(1, update_id);
  auto r = st->Step();
  if (!r) return Fail(r.error());
  if (!*r) return Fail(Error::NotFound(fmt::format("no update {}", update_id)));
  UpdateWithAssignment out = ReadUpdateRow(st);
  st->Reset();
  return out;
}

// Every row of a prepared update query.
Result<std::vector<UpdateWithAssignment>> ReadUpdates(Statement* st) {
  std::vector<UpdateWithAssignment> out;
  while (true) {
    auto r = st->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    out.push_back(ReadUpdateRow(st));
  }
  return out;
}

Result<std::vector<UpdateWithAssignment>> SubmittedUpdates(Connection& db) {
  RT_PREPARE(st, std::string(kUpdateSql) + "WHERE u.state = 'submitted' ORDER BY u.id");
  return ReadUpdates(st);
}

Result<std::vector<UpdateWithAssignment>> OpenUpdatesOfOwner(Connection& db, int64_t owner_id) {
  RT_PREPARE(st, std::string(kUpdateSql) +
                     "WHERE a.owner_id = ? AND (u.state = 'submitted' OR (u.state = 'returned' "
                     "AND NOT EXISTS (SELECT 1 FROM updates v WHERE v.assignment_id = "
                     "u.assignment_id AND v.id > u.id))) ORDER BY u.id");
  st->Bind(1, owner_id);
  return ReadUpdates(st);
}

Status ReadPublicationExtras(Connection& db, Publication* p) {
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

// ---- the store's methods: writes as change sets with their events -------------

Result<User> SqlStore::AddUser(const NewUser& nu, const Actor& actor) {
  Connection& db = *db_;
  if (nu.name.empty()) return Fail(Error::Invalid("a user needs a name"));
  if (!IsRole(nu.role))
    return Fail(Error::Invalid(fmt::format(
        "unknown role '{}' (known: admin, coordinator, editor, viewer)", nu.role)));
  if (nu.password_hash.empty()) return Fail(Error::Invalid("a user needs a password"));
  return InTransaction([&]() -> Result<User> {
    std::vector<std::pair<int64_t, std::string>> owners;
    for (const auto& name : nu.owners) {
      auto id = ResolveOwner(name);
      if (!id) return Fail(id.error());
      if (*id == 0)
        return Fail(Error::NotFound(fmt::format("no owner '{}' (see `rectrack owner list`)", name)));
      if (std::find_if(owners.begin(), owners.end(), [&](const auto& o) { return o.first == *id; }) ==
          owners.end())
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
    auto id = NextId("users");
    if (!id) return Fail(id.error());
    EventPayload p;
    p.changes.Insert("users", {Value::Int(*id), Value::Text(nu.name), Value::Text(nu.role),
                               Value::Int(0), Value::Text(NowUtc()),
                               Value::Text(Sha256Hex(nu.password_hash))});
    std::sort(owners.begin(), owners.end());
    std::vector<int64_t> owner_ids;
    for (const auto& [owner_id, name] : owners) {
      p.changes.Insert("user_owners", {Value::Int(*id), Value::Int(owner_id)});
      owner_ids.push_back(owner_id);
    }
    // The owners by their own names, as the user's record lists them.
    auto owner_names = OwnerNamesOf(db, owner_ids);
    if (!owner_names) return Fail(owner_names.error());
    p.about = json{{"user", nu.name}, {"role", nu.role}, {"owners", *owner_names}};
    auto e = Record(actor, "user_add", p);
    if (!e) return Fail(e.error());
    // The secret itself, beside the projection: the ledger holds its digest.
    RT_PREPARE(secret, "UPDATE users SET password_hash = ? WHERE id = ?");
    secret->Bind(1, nu.password_hash).Bind(2, *id);
    RT_TRY(secret->Run());
    return sql::GetUserById(*db_, *id);
  });
}

Result<User> SqlStore::GetUser(const std::string& name) { return sql::GetUser(*db_, name); }
Result<User> SqlStore::GetUserById(int64_t id) { return sql::GetUserById(*db_, id); }
Result<std::vector<User>> SqlStore::ListUsers() { return sql::ListUsers(*db_); }

Status SqlStore::DisableUser(const std::string& name, const Actor& actor) {
  Connection& db = *db_;
  return InTransaction([&]() -> Status {
    auto user = sql::GetUser(*db_, name);
    if (!user) return Fail(user.error());
    if (user->disabled) return {};
    EventPayload p;
    p.about = json{{"user", name}};
    p.changes.Set("users", {Value::Int(user->id)}, "disabled", Value::Int(1));
    RT_PREPARE(tokens, "SELECT id FROM api_tokens WHERE user_id = ? AND revoked = 0 ORDER BY id");
    tokens->Bind(1, user->id);
    while (true) {
      auto r = tokens->Step();
      if (!r) return Fail(r.error());
      if (!*r) break;
      p.changes.Set("api_tokens", {Value::Int(tokens->Int(0))}, "revoked", Value::Int(1));
    }
    auto e = Record(actor, "user_disable", p);
    if (!e) return Fail(e.error());
    // Sessions are not history: they simply end.
    RT_PREPARE(end, "DELETE FROM sessions WHERE user_id = ?");
    end->Bind(1, user->id);
    return end->Run();
  });
}

Status SqlStore::EnableUser(const std::string& name, const Actor& actor) {
  return InTransaction([&]() -> Status {
    auto user = sql::GetUser(*db_, name);
    if (!user) return Fail(user.error());
    if (!user->disabled) return {};
    EventPayload p;
    p.about = json{{"user", name}};
    p.changes.Set("users", {Value::Int(user->id)}, "disabled", Value::Int(0));
    auto e = Record(actor, "user_enable", p);
    if (!e) return Fail(e.error());
    return {};
  });
}

Result<User> SqlStore::SetUserRole(const std::string& name, const std::string& role,
                                   const std::vector<std::string>& owners, const Actor& actor) {
  Connection& db = *db_;
  if (!IsRole(role))
    return Fail(Error::Invalid(
        fmt::format("unknown role '{}' (known: admin, coordinator, editor, viewer)", role)));
  return InTransaction([&]() -> Result<User> {
    auto user = sql::GetUser(*db_, name);
    if (!user) return Fail(user.error());
    std::vector<int64_t> ids;
    for (const auto& o : owners) {
      auto id = ResolveOwner(o);
      if (!id) return Fail(id.error());
      if (*id == 0)
        return Fail(Error::NotFound(fmt::format("no owner '{}' (see `rectrack owner list`)", o)));
      if (std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
    }
    std::sort(ids.begin(), ids.end());
    std::vector<int64_t> had = user->owner_ids;
    std::sort(had.begin(), had.end());
    if (user->role == role && had == ids) return *user;
    EventPayload p;
    if (user->role != role) p.changes.Set("users", {Value::Int(user->id)}, "role", Value::Text(role));
    for (int64_t id : ids)
      if (!std::binary_search(had.begin(), had.end(), id))
        p.changes.Insert("user_owners", {Value::Int(user->id), Value::Int(id)});
    for (int64_t id : had)
      if (!std::binary_search(ids.begin(), ids.end(), id))
        p.changes.Delete("user_owners", {Value::Int(user->id), Value::Int(id)});
    auto names = OwnerNamesOf(db, ids);
    if (!names) return Fail(names.error());
    p.about = json{{"user", name},
                   {"role", role},
                   {"owners", *names},
                   {"was", {{"role", user->role}, {"owners", user->owner_names}}}};
    auto e = Record(actor, "user_role", p);
    if (!e) return Fail(e.error());
    return sql::GetUserById(*db_, user->id);
  });
}

Status SqlStore::SetPassword(const std::string& name, const std::string& password_hash,
                                const std::string& keep_session_hash, const Actor& actor) {
  Connection& db = *db_;
  if (password_hash.empty()) return Fail(Error::Invalid("a user needs a password"));
  return InTransaction([&]() -> Status {
    auto user = sql::GetUser(*db_, name);
    if (!user) return Fail(user.error());
    EventPayload p;
    p.about = json{{"user", name}};
    p.changes.Set("users", {Value::Int(user->id)}, "password_sha256",
                  Value::Text(Sha256Hex(password_hash)));
    auto e = Record(actor, "user_password", p);
    if (!e) return Fail(e.error());
    {
      RT_PREPARE(st, "UPDATE users SET password_hash = ? WHERE id = ?");
      st->Bind(1, password_hash).Bind(2, user->id);
      RT_TRY(st->Run());
    }
    RT_PREPARE(end, "DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?");
    end->Bind(1, user->id).Bind(2, keep_session_hash);
    return end->Run();
  });
}

// ---- documents' drafts --------------------------------------------------------

Result<int64_t> SqlStore::AddDocumentDraft(const DocumentDraftRecord& d) {
  Connection& db = *db_;
  RT_PREPARE(st,
             "INSERT INTO document_drafts(user_id, file_name, file_sha256, preset, created_at, "
             "updated_at, version, items, draft) VALUES(?,?,?,?,?,?,1,?,?) RETURNING id");
  st->Bind(1, d.user_id).Bind(2, d.file_name).Bind(3, d.file_sha256).Bind(4, d.preset)
      .Bind(5, d.created_at).Bind(6, d.created_at).Bind(7, d.items).BindRef(8, d.draft);
  auto r = st->Step();
  if (!r) return Fail(r.error());
  if (!*r) return Fail(Error::Internal("the new draft has no id"));
  const int64_t id = st->Int(0);
  st->Reset();
  return id;
}

namespace {
constexpr const char* kDraftColumns =
    "id, user_id, file_name, file_sha256, preset, created_at, updated_at, version, items";
DocumentDraftRecord ReadDraftRow(const Statement& st) {
  DocumentDraftRecord d;
  d.id = st.Int(0);
  d.user_id = st.Int(1);
  d.file_name = st.Str(2);
  d.file_sha256 = st.Str(3);
  d.preset = st.Str(4);
  d.created_at = st.Str(5);
  d.updated_at = st.Str(6);
  d.version = st.Int(7);
  d.items = st.Int(8);
  return d;
}
}  // namespace

Result<std::optional<DocumentDraftRecord>> SqlStore::GetDocumentDraft(int64_t id) {
  Connection& db = *db_;
  RT_PREPARE(st, fmt::format("SELECT {}, draft FROM document_drafts WHERE id = ?", kDraftColumns));
  st->Bind(1, id);
  auto r = st->Step();
  if (!r) return Fail(r.error());
  if (!*r) return std::optional<DocumentDraftRecord>();
  DocumentDraftRecord d = ReadDraftRow(*st);
  d.draft = st->Str(9);
  st->Reset();
  return std::optional<DocumentDraftRecord>(std::move(d));
}

Result<std::vector<DocumentDraftRecord>> SqlStore::ListDocumentDrafts() {
  Connection& db = *db_;
  RT_PREPARE(st, fmt::format("SELECT {} FROM document_drafts ORDER BY id DESC", kDraftColumns));
  std::vector<DocumentDraftRecord> out;
  while (true) {
    auto r = st->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    out.push_back(ReadDraftRow(*st));
  }
  return out;
}

namespace {
// kNotFound for a draft that is not there, kPrecondition for one at another version.
Status DraftVersionProblem(Connection& db, int64_t id, int64_t expected_version) {
  RT_PREPARE(st, "SELECT version FROM document_drafts WHERE id = ?");
  st->Bind(1, id);
  auto r = st->Step();
  if (!r) return Fail(r.error());
  if (!*r) return Fail(Error::NotFound(fmt::format("there is no draft {}", id)));
  const int64_t now = st->Int(0);
  st->Reset();
  return Fail(Error::Precondition(fmt::format(
      "draft {} was changed by someone else meanwhile (version {}, not {})", id, now,
      expected_version)));
}
}  // namespace

Status SqlStore::UpdateDocumentDraft(int64_t id, int64_t expected_version, const std::string& draft,
                                     int64_t items, const std::string& updated_at) {
  Connection& db = *db_;
  RT_PREPARE(st,
             "UPDATE document_drafts SET draft = ?, items = ?, updated_at = ?, version = version + 1 "
             "WHERE id = ? AND version = ? RETURNING id");
  st->BindRef(1, draft).Bind(2, items).Bind(3, updated_at).Bind(4, id).Bind(5, expected_version);
  auto r = st->Step();
  if (!r) return Fail(r.error());
  if (!*r) return DraftVersionProblem(db, id, expected_version);
  st->Reset();
  return {};
}

Status SqlStore::DeleteDocumentDraft(int64_t id, int64_t expected_version) {
  Connection& db = *db_;
  RT_PREPARE(st, "DELETE FROM document_drafts WHERE id = ? AND version = ? RETURNING id");
  st->Bind(1, id).Bind(2, expected_version);
  auto r = st->Step();
  if (!r) return Fail(r.error());
  if (!*r) return DraftVersionProblem(db, id, expected_version);
  st->Reset();
  return {};
}

Status SqlStore::AddSession(const SessionRecord& s) { return sql::AddSession(*db_, s); }
Result<std::optional<SessionRecord>> SqlStore::FindSession(const std::string& h) {
  return sql::FindSession(*db_, h);
}
Status SqlStore::TouchSession(const std::string& h, int64_t now) {
  return sql::TouchSession(*db_, h, now);
}
Status SqlStore::DeleteSession(const std::string& h) { return sql::DeleteSession(*db_, h); }
Result<int64_t> SqlStore::DeleteExpiredSessions(int64_t now) {
  return sql::DeleteExpiredSessions(*db_, now);
}

Result<int64_t> SqlStore::AddApiToken(const std::string& user_name, const std::string& label,
                                         const std::string& token_hash, int64_t now,
                                         const Actor& actor) {
  Connection& db = *db_;
  return InTransaction([&]() -> Result<int64_t> {
    auto user = sql::GetUser(*db_, user_name);
    if (!user) return Fail(user.error());
    if (user->disabled)
      return Fail(Error::Conflict(fmt::format("user '{}' is disabled", user_name)));
    if (label.empty()) return Fail(Error::Invalid("an API token needs a label (--name)"));
    auto id = NextId("api_tokens");
    if (!id) return Fail(id.error());
    EventPayload p;
    p.about = json{{"user", user_name}, {"label", label}, {"token_id", *id}};
    p.changes.Insert("api_tokens", {Value::Int(*id), Value::Int(user->id), Value::Text(label),
                                    Value::Int(now), Value::Int(0),
                                    Value::Text(Sha256Hex(token_hash))});
    auto e = Record(actor, "token_add", p);
    if (!e) return Fail(e.error());
    RT_PREPARE(secret, "UPDATE api_tokens SET token_hash = ? WHERE id = ?");
    secret->Bind(1, token_hash).Bind(2, *id);
    RT_TRY(secret->Run());
    return *id;
  });
}

Result<std::optional<ApiTokenRecord>> SqlStore::FindApiToken(const std::string& h) {
  return sql::FindApiToken(*db_, h);
}
Status SqlStore::TouchApiToken(int64_t id, int64_t now) {
  return sql::TouchApiToken(*db_, id, now);
}
Status SqlStore::RecordLoginFailure(const std::string& key, int64_t at, int64_t forget) {
  return InTransaction([&] { return sql::RecordLoginFailure(*db_, key, at, forget); });
}
Result<LoginFailures> SqlStore::LoginFailuresSince(const std::string& key, int64_t since) {
  return sql::LoginFailuresSince(*db_, key, since);
}
Status SqlStore::ClearLoginFailures(const std::string& key) {
  return sql::ClearLoginFailures(*db_, key);
}
Result<std::vector<std::pair<std::string, LoginFailures>>> SqlStore::LoginFailuresByKey(
    int64_t since) {
  return sql::LoginFailuresByKey(*db_, since);
}
Result<int64_t> SqlStore::ClearLoginFailuresWithPrefix(const std::string& prefix) {
  return sql::ClearLoginFailuresWithPrefix(*db_, prefix);
}
Result<AssignmentRef> SqlStore::GetAssignment(int64_t id) {
  return sql::GetAssignment(*db_, id);
}
Result<std::vector<AssignmentRef>> SqlStore::AssignmentsOfOwner(int64_t owner_id, int limit) {
  return sql::AssignmentsOfOwner(*db_, owner_id, limit);
}
Result<UpdateWithAssignment> SqlStore::GetUpdate(int64_t id) {
  return sql::GetUpdate(*db_, id);
}
Result<std::vector<UpdateWithAssignment>> SqlStore::SubmittedUpdates() {
  return sql::SubmittedUpdates(*db_);
}
Result<std::vector<UpdateWithAssignment>> SqlStore::OpenUpdatesOfOwner(int64_t owner_id) {
  return sql::OpenUpdatesOfOwner(*db_, owner_id);
}

Result<int64_t> SqlStore::SubmitUpdate(int64_t assignment_id, const Update& in,
                                          int64_t expected_version, const Actor& actor) {
  return InTransaction([&]() -> Result<int64_t> {
    auto a = sql::GetAssignment(*db_, assignment_id);
    if (!a) return Fail(a.error());
    if (a->version != expected_version)
      return Fail(Error::Precondition(fmt::format(
          "assignment {} changed since it was read (version {}, now {}): reload it and try again",
          assignment_id, expected_version, a->version)));
    auto id = NextId("updates");
    if (!id) return Fail(id.error());
    Update u = in;
    u.id = *id;
    u.state = UpdateState::kSubmitted;
    u.return_reason.clear();
    u.assignment_id = assignment_id;
    EventPayload p;
    p.about = json{{"update_id", u.id}, {"assignment_id", a->id}, {"source", a->source_slug},
                   {"ref", a->ref}, {"owner", a->owner}, {"author", u.author}};
    p.changes.Insert("updates", UpdateRow(u));
    p.changes.Set("assignments", {Value::Int(assignment_id)}, "version", Value::Int(a->version + 1));
    auto e = Record(actor, "submit", p);
    if (!e) return Fail(e.error());
    return u.id;
  });
}

Status SqlStore::ValidateUpdate(int64_t update_id, const Actor& actor) {
  return InTransaction([&]() -> Status {
    auto u = SubmittedUpdate(*db_, update_id, "validated");
    if (!u) return Fail(u.error());
    const AssignmentRef& a = u->assignment;
    EventPayload p;
    p.about = json{{"update_id", update_id}, {"assignment_id", a.id}, {"source", a.source_slug},
                   {"ref", a.ref}, {"owner", a.owner}, {"author", u->update.author}};
    p.changes.Set("updates", {Value::Int(update_id)}, "state", Value::Text("validated"));
    p.changes.Set("assignments", {Value::Int(a.id)}, "version", Value::Int(a.version + 1));
    auto e = Record(actor, "validate", p);
    if (!e) return Fail(e.error());
    return {};
  });
}

Status SqlStore::ReturnUpdate(int64_t update_id, const std::string& reason, const Actor& actor) {
  if (reason.find_first_not_of(" \t\r\n") == std::string::npos)
    return Fail(Error::Invalid("say why the update is returned (a reason is required)"));
  return InTransaction([&]() -> Status {
    auto u = SubmittedUpdate(*db_, update_id, "returned");
    if (!u) return Fail(u.error());
    const AssignmentRef& a = u->assignment;
    EventPayload p;
    p.about = json{{"update_id", update_id}, {"assignment_id", a.id}, {"source", a.source_slug},
                   {"ref", a.ref}, {"owner", a.owner}, {"author", u->update.author},
                   {"reason", reason}};
    p.changes.Set("updates", {Value::Int(update_id)}, "state", Value::Text("returned"));
    p.changes.Set("updates", {Value::Int(update_id)}, "return_reason", Value::Text(reason));
    p.changes.Set("assignments", {Value::Int(a.id)}, "version", Value::Int(a.version + 1));
    auto e = Record(actor, "return", p);
    if (!e) return Fail(e.error());
    return {};
  });
}

// ---- secrets --------------------------------------------------------------------

Result<std::vector<Store::Secret>> SqlStore::ReadSecrets() {
  Connection& db = *db_;
  std::vector<Secret> out;
  RT_PREPARE(users, "SELECT id, password_hash FROM users WHERE password_hash <> '' ORDER BY id");
  while (true) {
    auto r = users->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    out.push_back({"users", users->Int(0), users->Str(1)});
  }
  RT_PREPARE(tokens, "SELECT id, token_hash FROM api_tokens ORDER BY id");
  while (true) {
    auto r = tokens->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    if (tokens->Text(1) == fmt::format("none:{}", tokens->Int(0))) continue;
    out.push_back({"api_tokens", tokens->Int(0), tokens->Str(1)});
  }
  return out;
}

Status SqlStore::WriteSecrets(const std::vector<Secret>& secrets) {
  Connection& db = *db_;
  for (const Secret& s : secrets) {
    if (s.table != "users" && s.table != "api_tokens")
      return Fail(Error::Invalid(fmt::format("'{}' holds no secrets", s.table)));
    const bool user = s.table == "users";
    RT_PREPARE(st, user ? "UPDATE users SET password_hash = ? WHERE id = ?"
                        : "UPDATE api_tokens SET token_hash = ? WHERE id = ?");
    st->Bind(1, s.hash).Bind(2, s.id);
    RT_TRY(st->Run());
    if (db_->Changes() != 1)
      return Fail(Error::NotFound(fmt::format("there is no {} {} to give its secret to",
                                              user ? "user" : "API token", s.id)));
  }
  return {};
}

}  // namespace rectrack::sql
