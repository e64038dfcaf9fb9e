#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace rectrack::auth {

// Accounts: passwords, sign-in with rate limiting, sessions kept in the store
// (several servers share them), API tokens, CSRF tokens and who may do what.
// Nothing here knows HTTP; web/auth_web.h maps it onto cookies and headers.

enum class Role { kViewer, kEditor, kCoordinator, kAdmin };
std::optional<Role> ParseRole(std::string_view name);
std::string_view RoleName(Role role);

// Argon2id (libsodium's crypto_pwhash_str). Interactive: 64 MiB and about a
// sixth of a second here; kMinimal is for tests only.
enum class PasswordCost { kInteractive, kMinimal };
Result<std::string> HashPassword(std::string_view password,
                                 PasswordCost cost = PasswordCost::kInteractive);
// True when `password` is the one `hash` was made from.
bool VerifyPassword(std::string_view hash, std::string_view password);
// 1 to 64 bytes, without spaces or control characters; says what is wrong otherwise.
Status CheckUserName(std::string_view name);
// Length 8 to 1024 bytes; says what is wrong otherwise.
Status CheckPasswordRules(std::string_view password);

// Who makes a request, once authenticated.
struct Principal {
  int64_t user_id = 0;
  std::string name;
  Role role = Role::kViewer;
  std::vector<int64_t> owner_ids;  // an editor's scope
  std::vector<std::string> owner_names;
  std::string csrf_token;          // the session's; empty for API tokens
  std::string session_token_hash;  // empty for API tokens
  bool via_api_token = false;
  Actor actor() const { return Actor{"user:" + name}; }
};

// Who may do what. Admins and coordinators may act for every owner.
bool CanSubmit(const Principal& p, int64_t owner_id);
bool CanValidate(const Principal& p);
// Four eyes: an update is validated by someone other than the person who
// submitted it (its author), whatever their role. Returning one's own is fine.
bool MayValidateUpdate(const Principal& p, const Update& u);
bool CanPublish(const Principal& p);
bool CanManageUsers(const Principal& p);
// Staff see submitted and returned updates; the public and viewers do not.
bool CanSeeUnvalidated(const Principal& p, int64_t owner_id);

// Sign-in failures lock out per account and address: one person's mistakes
// do not lock out their colleagues behind the same address, yet guessing one
// account from many addresses, or many accounts from one, is stopped too.
struct Policy {
  int max_failures = 5;                   // per account from one address...
  int max_account_failures = 20;          // per account, from all addresses together...
  int max_address_failures = 50;          // per address, whatever the account...
  int64_t failure_window = 15 * 60;       // ...within this many seconds
  int64_t session_lifetime = 12 * 3600;   // from sign-in, whatever happens
  int64_t session_idle = 2 * 3600;        // without a request
  int64_t touch_interval = 60;            // last_seen is written at most this often
};

// Unix seconds; tests give their own.
using Clock = std::function<int64_t()>;
int64_t SystemNow();

struct LoginResult {
  enum class Outcome { kOk, kBadCredentials, kRateLimited };
  Outcome outcome = Outcome::kBadCredentials;
  int64_t retry_after = 0;  // seconds, when rate-limited
  // When kOk: the token for the cookie (shown once, stored only hashed) and who.
  std::string session_token;
  int64_t expires_at = 0;
  Principal principal;
};

class Authenticator {
 public:
  explicit Authenticator(Policy policy = {}, Clock clock = SystemNow);

  // Checks a name and password and opens a session. Refuses without checking
  // the password while the name or the address has had max_failures failures
  // within failure_window. An unknown or disabled name costs the same time as
  // a wrong password and gets the same answer. Errors are store failures only.
  Result<LoginResult> Login(Store& store, const std::string& name, const std::string& password,
                            const std::string& remote_addr) const;
  // The principal of a session token, or nullopt if it is unknown, expired,
  // idle too long, or its user disabled.
  Result<std::optional<Principal>> AuthenticateSession(Store& store,
                                                       const std::string& token) const;
  // The principal of an API token ("rtk_..."), or nullopt.
  Result<std::optional<Principal>> AuthenticateApiToken(Store& store,
                                                        const std::string& token) const;
  // Ends the session of that token (if any).
  Status Logout(Store& store, const std::string& token) const;

  // A signed-in user changes their own password: `current` must be right (a
  // wrong one counts as a failed sign-in, under the same limit), `next` must
  // meet the rules and differ from it. Every other session of theirs ends;
  // the one making the change (principal.session_token_hash) stays.
  struct PasswordChange {
    enum class Outcome { kOk, kWrongCurrent, kRejected, kRateLimited };
    Outcome outcome = Outcome::kRejected;
    std::string message;      // why, for kRejected
    int64_t retry_after = 0;  // seconds, for kRateLimited
  };
  Result<PasswordChange> ChangePassword(Store& store, const Principal& who,
                                        const std::string& current, const std::string& next,
                                        const std::string& remote_addr,
                                        PasswordCost cost = PasswordCost::kInteractive) const;

  // A sign-in lock-out in force: of an account at one address, of an account
  // everywhere (`address` empty), or of an address for every account (`name`
  // empty).
  struct LockOut {
    std::string name;
    std::string address;
    int64_t failures = 0;
    int64_t until = 0;  // Unix seconds
  };
  Result<std::vector<LockOut>> LockOuts(Store& store) const;
  // Lifts the lock-outs of account `name` (everywhere and at each address)
  // and, when `address` is given, of that address. Returns how many failed
  // sign-ins were forgotten. Either may be empty, not both.
  Result<int64_t> Unlock(Store& store, const std::string& name, const std::string& address) const;

  const Policy& policy() const { return policy_; }
  int64_t Now() const { return clock_(); }

 private:
  struct Limit {
    std::string key;
    int max = 0;
  };
  // The keys a failure of `name` from `address` counts under, with their limits.
  std::vector<Limit> LimitsFor(const std::string& name, const std::string& address) const;
  // Seconds until every limit allows a try; 0 now.
  Result<int64_t> RetryAfter(Store& store, const std::vector<Limit>& limits, int64_t now) const;
  Status RecordFailure(Store& store, const std::vector<Limit>& limits, int64_t now) const;
  Policy policy_;
  Clock clock_;
};

// Hex SHA-256 of a token: what the store keeps.
std::string TokenHash(std::string_view token);

// A CSRF token as a page carries it: masked with a fresh random pad, so that
// compressed pages (BREACH) do not repeat it. Hex, twice the token's length.
std::string MaskCsrf(std::string_view csrf_token);
// True when `submitted` is a masked copy of `csrf_token`; constant time.
bool CsrfMatches(std::string_view csrf_token, std::string_view submitted);

// User management (the command line: whoever can write the database file).
Result<User> CreateUser(Store& store, const std::string& name, const std::string& role,
                        const std::vector<std::string>& owners, const std::string& password,
                        const Actor& actor, PasswordCost cost = PasswordCost::kInteractive);
// Sets a new password for `name` (the command line: an admin's reset) and
// ends all of their sessions.
Status ResetPassword(Store& store, const std::string& name, const std::string& password,
                     const Actor& actor, PasswordCost cost = PasswordCost::kInteractive);
// An admin's changes to an account (the command line and the accounts page).
// Each refuses to leave the tracker without an active admin.
Status DisableAccount(Store& store, const std::string& name, const Actor& actor);
Status EnableAccount(Store& store, const std::string& name, const Actor& actor);
// A new role and, for an editor, the owners they act for (editors need one or
// more; other roles none).
Result<User> ChangeRole(Store& store, const std::string& name, const std::string& role,
                        const std::vector<std::string>& owners, const Actor& actor);
// Makes an API token for `user_name` labelled `label`; returns the token,
// which is stored only hashed and cannot be shown again.
Result<std::string> CreateApiToken(Store& store, const std::string& user_name,
                                   const std::string& label, const Actor& actor,
                                   int64_t now = SystemNow());

}  // namespace rectrack::auth
