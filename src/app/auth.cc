#include "app/auth.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <functional>
#include <mutex>
#include <chrono>
#include <stdexcept>

#include "core/ledger.h"
#include "core/signing.h"
#include "fmt/format.h"

namespace rectrack::auth {
namespace {

constexpr size_t kTokenBytes = 32;
constexpr std::string_view kApiTokenPrefix = "rtk_";
constexpr size_t kMaxNameBytes = 64;

void InitSodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

bool IsHex(std::string_view s, size_t digits) {
  if (s.size() != digits) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

// The hash an unknown name is checked against, so that it costs what a known
// one does (no telling names apart by time).
const std::string& DummyHash() {
  static const std::string h = [] {
    auto r = HashPassword("rectrack-no-such-user-password");
    return r ? *r : std::string();
  }();
  return h;
}

Principal PrincipalOf(const User& u) {
  Principal p;
  p.user_id = u.id;
  p.name = u.name;
  p.role = ParseRole(u.role).value_or(Role::kViewer);
  p.owner_ids = u.owner_ids;
  p.owner_names = u.owner_names;
  return p;
}

bool ValidUserName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7f;  // no spaces or control characters
  });
}

}  // namespace

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "viewer") return Role::kViewer;
  if (name == "editor") return Role::kEditor;
  if (name == "coordinator") return Role::kCoordinator;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer: return "viewer";
    case Role::kEditor: return "editor";
    case Role::kCoordinator: return "coordinator";
    case Role::kAdmin: return "admin";
  }
  return "viewer";
}

Result<std::string> HashPassword(std::string_view password, PasswordCost cost) {
  InitSodium();
  unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  if (cost == PasswordCost::kMinimal) {
    ops = crypto_pwhash_OPSLIMIT_MIN;
    mem = crypto_pwhash_MEMLIMIT_MIN;
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops, mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return Fail(Error::Internal("password hashing ran out of memory"));
  return std::string(out);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  InitSodium();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  std::string h(hash);  // NUL-terminated
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

Status CheckPasswordRules(std::string_view password) {
  // Characters, not bytes (ASVS 2.1.1: at least 12): UTF-8 continuation bytes
  // are not counted.
  const auto characters = std::count_if(password.begin(), password.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  });
  if (characters < 12) return Fail(Error::Invalid("a password needs at least 12 characters"));
  if (password.size() > 1024) return Fail(Error::Invalid("a password has at most 1024 bytes"));
  return {};
}

bool CanSubmit(const Principal& p, int64_t owner_id) {
  switch (p.role) {
    case Role::kAdmin:
    case Role::kCoordinator: return true;
    case Role::kEditor:
      return std::find(p.owner_ids.begin(), p.owner_ids.end(), owner_id) != p.owner_ids.end();
    case Role::kViewer: return false;
  }
  return false;
}

bool CanValidate(const Principal& p) {
  return p.role == Role::kCoordinator || p.role == Role::kAdmin;
}

bool MayValidateUpdate(const Principal& p, const Update& u) {
  return CanValidate(p) && u.author != p.name;
}

bool CanPublish(const Principal& p) { return CanValidate(p); }

bool CanManageUsers(const Principal& p) { return p.role == Role::kAdmin; }

bool CanSeeUnvalidated(const Principal& p, int64_t owner_id) { return CanSubmit(p, owner_id); }

int64_t SystemNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string TokenHash(std::string_view token) { return Sha256Hex(token); }

Authenticator::Authenticator(Policy policy, Clock clock)
    : policy_(policy), clock_(std::move(clock)) {}

namespace {

// The password checks of one account, and those from one address, run one at
// a time in this process. The limits are read before a check and counted
// after it, so two checks at once could both pass a limit with one try left:
// the abuse campaign saw 21 checks of an account limited to 20. Striped locks
// keyed as the limits are (the account's and the address's). Several servers
// on one database can still overlap by one check each.
class CheckLocks {
 public:
  CheckLocks(const std::string& account_key, const std::string& address_key)
      : a_(Stripe(account_key), std::defer_lock), b_(Stripe(address_key), std::defer_lock) {
    if (a_.mutex() == b_.mutex()) a_.lock();
    else std::lock(a_, b_);
  }

 private:
  static std::mutex& Stripe(const std::string& key) {
    static std::array<std::mutex, 64> stripes;
    return stripes[std::hash<std::string>{}(key) % stripes.size()];
  }
  std::unique_lock<std::mutex> a_, b_;
};

}  // namespace

std::vector<Authenticator::Limit> Authenticator::LimitsFor(const std::string& name,
                                                           const std::string& address) const {
  // Keys are bounded: a megabyte of "name" must not become a megabyte of row.
  const std::string n = name.substr(0, 2 * kMaxNameBytes);
  const std::string a = address.substr(0, 2 * kMaxNameBytes);
  return {{"pair:" + n + " " + a, policy_.max_failures},
          {"user:" + n, policy_.max_account_failures},
          {"addr:" + a, policy_.max_address_failures}};
}

Result<int64_t> Authenticator::RetryAfter(Store& store, const std::vector<Limit>& limits,
                                          int64_t now) const {
  // A failure counts for failure_window seconds: at `now - window` it is gone.
  const int64_t since = now - policy_.failure_window + 1;
  int64_t wait = 0;
  for (const Limit& limit : limits) {
    auto f = store.LoginFailuresSince(limit.key, since);
    if (!f) return Fail(f.error());
    if (f->count >= limit.max)
      wait = std::max(wait, std::max<int64_t>(1, f->oldest + policy_.failure_window - now));
  }
  return wait;
}

Status Authenticator::RecordFailure(Store& store, const std::vector<Limit>& limits,
                                    int64_t now) const {
  const int64_t since = now - policy_.failure_window + 1;
  for (const Limit& limit : limits) RT_TRY(store.RecordLoginFailure(limit.key, now, since));
  return {};
}

Result<std::vector<Authenticator::LockOut>> Authenticator::LockOuts(Store& store) const {
  const int64_t now = clock_();
  auto keys = store.LoginFailuresByKey(now - policy_.failure_window + 1);
  if (!keys) return Fail(keys.error());
  std::vector<LockOut> out;
  for (const auto& [key, f] : *keys) {
    LockOut l;
    int max = 0;
    if (key.rfind("pair:", 0) == 0) {
      size_t space = key.rfind(' ');
      if (space == std::string::npos || space < 5) continue;
      l.name = key.substr(5, space - 5);
      l.address = key.substr(space + 1);
      max = policy_.max_failures;
    } else if (key.rfind("user:", 0) == 0) {
      l.name = key.substr(5);
      max = policy_.max_account_failures;
    } else if (key.rfind("addr:", 0) == 0) {
      l.address = key.substr(5);
      max = policy_.max_address_failures;
    } else {
      continue;
    }
    if (f.count < max) continue;
    l.failures = f.count;
    l.until = f.oldest + policy_.failure_window;
    out.push_back(std::move(l));
  }
  return out;
}

Result<int64_t> Authenticator::Unlock(Store& store, const std::string& name,
                                      const std::string& address) const {
  if (name.empty() && address.empty())
    return Fail(Error::Invalid("name an account or an address to unlock"));
  int64_t forgotten = 0;
  // Exact keys: "user:NAMEx" is another account.
  auto clear = [&](const std::string& key) -> Status {
    auto f = store.LoginFailuresSince(key, 0);
    if (!f) return Fail(f.error());
    forgotten += f->count;
    return store.ClearLoginFailures(key);
  };
  if (!name.empty()) {
    RT_TRY(clear("user:" + name));
    // Names hold no spaces, so "pair:NAME " is this account's at every address.
    auto n = store.ClearLoginFailuresWithPrefix("pair:" + name + " ");
    if (!n) return Fail(n.error());
    forgotten += *n;
  }
  if (!address.empty()) RT_TRY(clear("addr:" + address));
  return forgotten;
}

Result<LoginResult> Authenticator::Login(Store& store, const std::string& name,
                                         const std::string& password,
                                         const std::string& remote_addr) const {
  const int64_t now = clock_();
  LoginResult out;
  const std::vector<Limit> limits = LimitsFor(name, remote_addr);
  CheckLocks one_at_a_time(limits[1].key, limits[2].key);
  auto wait = RetryAfter(store, limits, now);
  if (!wait) return Fail(wait.error());
  if (*wait > 0) {
    out.outcome = LoginResult::Outcome::kRateLimited;
    out.retry_after = *wait;
    return out;
  }

  std::optional<User> user;
  if (ValidUserName(name) && password.size() <= 1024) {
    auto u = store.GetUser(name);
    if (u) {
      user = std::move(*u);
    } else if (u.error().code != Error::Code::kNotFound) {
      return Fail(u.error());
    }
  }
  bool ok;
  if (user && !user->disabled) {
    ok = VerifyPassword(user->password_hash, password);
  } else {
    (void)VerifyPassword(DummyHash(), password);
    ok = false;
  }
  if (!ok) {
    RT_TRY(RecordFailure(store, limits, now));
    out.outcome = LoginResult::Outcome::kBadCredentials;
    return out;
  }
  // The right password from here: this address's mistakes on this account are
  // forgiven (the account's and the address's totals run out by themselves).
  RT_TRY(store.ClearLoginFailures(limits[0].key));
  (void)store.DeleteExpiredSessions(now);  // housekeeping; a failure here changes nothing
  SessionRecord s;
  out.session_token = RandomHex(kTokenBytes);
  s.token_hash = TokenHash(out.session_token);
  s.user_id = user->id;
  s.csrf_token = RandomHex(kTokenBytes);
  s.created_at = now;
  s.expires_at = now + policy_.session_lifetime;
  s.last_seen = now;
  RT_TRY(store.AddSession(s));
  out.outcome = LoginResult::Outcome::kOk;
  out.expires_at = s.expires_at;
  out.principal = PrincipalOf(*user);
  out.principal.csrf_token = s.csrf_token;
  out.principal.session_token_hash = s.token_hash;
  return out;
}

Result<std::optional<Principal>> Authenticator::AuthenticateSession(
    Store& store, const std::string& token) const {
  using Out = std::optional<Principal>;
  if (!IsHex(token, kTokenBytes * 2)) return Out();
  const std::string hash = TokenHash(token);
  auto s = store.FindSession(hash);
  if (!s) return Fail(s.error());
  if (!*s) return Out();
  const int64_t now = clock_();
  const SessionRecord& rec = **s;
  if (now >= rec.expires_at || now - rec.last_seen > policy_.session_idle) {
    RT_TRY(store.DeleteSession(hash));
    return Out();
  }
  auto u = store.GetUserById(rec.user_id);
  if (!u) {
    if (u.error().code == Error::Code::kNotFound) return Out();
    return Fail(u.error());
  }
  if (u->disabled) return Out();
  if (now - rec.last_seen >= policy_.touch_interval) RT_TRY(store.TouchSession(hash, now));
  Principal p = PrincipalOf(*u);
  p.csrf_token = rec.csrf_token;
  p.session_token_hash = hash;
  return Out(std::move(p));
}

Result<std::optional<Principal>> Authenticator::AuthenticateApiToken(
    Store& store, const std::string& token) const {
  using Out = std::optional<Principal>;
  if (token.rfind(kApiTokenPrefix, 0) != 0 ||
      !IsHex(std::string_view(token).substr(kApiTokenPrefix.size()), kTokenBytes * 2))
    return Out();
  auto t = store.FindApiToken(TokenHash(token));
  if (!t) return Fail(t.error());
  if (!*t || (*t)->revoked) return Out();
  auto u = store.GetUserById((*t)->user_id);
  if (!u) {
    if (u.error().code == Error::Code::kNotFound) return Out();
    return Fail(u.error());
  }
  if (u->disabled) return Out();
  const int64_t now = clock_();
  if (now - (*t)->last_used >= policy_.touch_interval) RT_TRY(store.TouchApiToken((*t)->id, now));
  Principal p = PrincipalOf(*u);
  p.via_api_token = true;
  return Out(std::move(p));
}

Status Authenticator::Logout(Store& store, const std::string& token) const {
  if (!IsHex(token, kTokenBytes * 2)) return {};
  return store.DeleteSession(TokenHash(token));
}

std::string MaskCsrf(std::string_view csrf_token) {
  InitSodium();
  std::string pad(csrf_token.size(), '\0');
  randombytes_buf(pad.data(), pad.size());
  std::string masked(csrf_token.size(), '\0');
  for (size_t i = 0; i < csrf_token.size(); ++i) masked[i] = static_cast<char>(pad[i] ^ csrf_token[i]);
  std::string both = pad + masked;
  std::string out(both.size() * 2, '0');
  sodium_bin2hex(out.data(), out.size() + 1, reinterpret_cast<const unsigned char*>(both.data()),
                 both.size());
  return out;
}

bool CsrfMatches(std::string_view csrf_token, std::string_view submitted) {
  InitSodium();
  if (csrf_token.empty() || submitted.size() != csrf_token.size() * 4) return false;
  std::string raw(csrf_token.size() * 2, '\0');
  size_t len = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), submitted.data(),
                     submitted.size(), nullptr, &len, nullptr) != 0 ||
      len != raw.size())
    return false;
  std::string unmasked(csrf_token.size(), '\0');
  for (size_t i = 0; i < csrf_token.size(); ++i)
    unmasked[i] = static_cast<char>(raw[i] ^ raw[i + csrf_token.size()]);
  return ConstantTimeEquals(unmasked, csrf_token);
}

namespace {

// A role, and owners only for an editor (who needs one or more).
Result<Role> RoleWithOwners(const std::string& role, const std::vector<std::string>& owners) {
  auto r = ParseRole(role);
  if (!r)
    return Fail(Error::Invalid(
        fmt::format("unknown role '{}' (known: admin, coordinator, editor, viewer)", role)));
  if (*r == Role::kEditor && owners.empty())
    return Fail(Error::Invalid("an editor acts for one or more owners: give --owner NAME"));
  if (*r != Role::kEditor && !owners.empty())
    return Fail(Error::Invalid("only editors are scoped to owners (--owner)"));
  return *r;
}

}  // namespace

Status CheckUserName(std::string_view name) {
  if (ValidUserName(name)) return {};
  return Fail(Error::Invalid(fmt::format(
      "a user name has 1 to {} characters, without spaces or control characters", kMaxNameBytes)));
}

Result<User> CreateUser(Store& store, const std::string& name, const std::string& role,
                        const std::vector<std::string>& owners, const std::string& password,
                        const Actor& actor, PasswordCost cost) {
  RT_TRY(CheckUserName(name));
  auto r = RoleWithOwners(role, owners);
  if (!r) return Fail(r.error());
  RT_TRY(CheckPasswordRules(password));
  auto hash = HashPassword(password, cost);
  if (!hash) return Fail(hash.error());
  NewUser nu{name, role, *hash, owners};
  return store.AddUser(nu, actor);
}

Status ResetPassword(Store& store, const std::string& name, const std::string& password,
                     const Actor& actor, PasswordCost cost) {
  RT_TRY(CheckPasswordRules(password));
  auto hash = HashPassword(password, cost);
  if (!hash) return Fail(hash.error());
  return store.SetPassword(name, *hash, "", actor);
}

Result<Authenticator::PasswordChange> Authenticator::ChangePassword(
    Store& store, const Principal& who, const std::string& current, const std::string& next,
    const std::string& remote_addr, PasswordCost cost) const {
  using Outcome = PasswordChange::Outcome;
  PasswordChange out;
  const int64_t now = clock_();
  const std::vector<Limit> limits = LimitsFor(who.name, remote_addr);
  CheckLocks one_at_a_time(limits[1].key, limits[2].key);
  auto wait = RetryAfter(store, limits, now);
  if (!wait) return Fail(wait.error());
  if (*wait > 0) {
    out.outcome = Outcome::kRateLimited;
    out.retry_after = *wait;
    return out;
  }
  auto user = store.GetUser(who.name);
  if (!user) return Fail(user.error());
  if (user->disabled || current.size() > 1024 || !VerifyPassword(user->password_hash, current)) {
    RT_TRY(RecordFailure(store, limits, now));
    out.outcome = Outcome::kWrongCurrent;
    return out;
  }
  if (auto rules = CheckPasswordRules(next); !rules) {
    out.message = rules.error().message;
    return out;
  }
  if (next == current) {
    out.message = "the new password must differ from the current one";
    return out;
  }
  auto hash = HashPassword(next, cost);
  if (!hash) return Fail(hash.error());
  RT_TRY(store.SetPassword(who.name, *hash, who.session_token_hash, who.actor()));
  RT_TRY(store.ClearLoginFailures(limits[0].key));
  out.outcome = Outcome::kOk;
  return out;
}

namespace {

// Refuses a change that would leave no active admin.
Status KeepsAnAdmin(Store& store, const std::string& name, bool stays_admin) {
  if (stays_admin) return {};
  auto users = store.ListUsers();
  if (!users) return Fail(users.error());
  for (const User& u : *users)
    if (u.role == "admin" && !u.disabled && u.name != name) return {};
  auto me = store.GetUser(name);
  if (!me) return Fail(me.error());
  if (me->role != "admin" || me->disabled) return {};
  return Fail(Error::Conflict(fmt::format(
      "{} is the only active admin: make another admin first, so that someone can still "
      "manage accounts",
      name)));
}

}  // namespace

Status DisableAccount(Store& store, const std::string& name, const Actor& actor) {
  RT_TRY(KeepsAnAdmin(store, name, false));
  return store.DisableUser(name, actor);
}

Status EnableAccount(Store& store, const std::string& name, const Actor& actor) {
  return store.EnableUser(name, actor);
}

Result<User> ChangeRole(Store& store, const std::string& name, const std::string& role,
                        const std::vector<std::string>& owners, const Actor& actor) {
  auto r = RoleWithOwners(role, owners);
  if (!r) return Fail(r.error());
  RT_TRY(KeepsAnAdmin(store, name, *r == Role::kAdmin));
  return store.SetUserRole(name, role, owners, actor);
}

Result<std::string> CreateApiToken(Store& store, const std::string& user_name,
                                   const std::string& label, const Actor& actor, int64_t now) {
  std::string token = std::string(kApiTokenPrefix) + RandomHex(kTokenBytes);
  auto id = store.AddApiToken(user_name, label, TokenHash(token), now, actor);
  if (!id) return Fail(id.error());
  return token;
}

}  // namespace rectrack::auth
