// Accounts, sessions, rate limiting, CSRF tokens, roles, the editor ->
// coordinator workflow and signed publications, on real SQLite files.
#include "app/auth.h"

#include <gtest/gtest.h>

#include <set>

#include "app/auth_test_util.h"
#include "app/publication_signature.h"
#include "app/views.h"
#include "core/ledger.h"
#include "core/signing.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace rectrack::auth {
namespace {

using auth_testing::D;
using auth_testing::kOwnerA;
using auth_testing::kOwnerB;
using auth_testing::kPassword;
using auth_testing::kSource;
using auth_testing::Tracker;
using json = nlohmann::json;

// A clock the test moves.
struct FakeClock {
  int64_t now = 1'800'000'000;
  Clock fn() {
    return [this] { return now; };
  }
};

// ---- passwords ---------------------------------------------------------------------

TEST(PasswordTest, Argon2idHashVerifiesOnlyItsPassword) {
  auto h = HashPassword("s3cret-enough");
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u) << *h;
  // The interactive limits: 64 MiB, two passes.
  EXPECT_NE(h->find("m=65536,t=2"), std::string::npos) << *h;
  EXPECT_TRUE(VerifyPassword(*h, "s3cret-enough"));
  EXPECT_FALSE(VerifyPassword(*h, "s3cret-enougH"));
  EXPECT_FALSE(VerifyPassword(*h, ""));
  EXPECT_FALSE(VerifyPassword("", "s3cret-enough"));
  EXPECT_FALSE(VerifyPassword("$argon2id$garbage", "s3cret-enough"));
}

TEST(PasswordTest, EveryHashHasItsOwnSalt) {
  auto a = HashPassword("same password", PasswordCost::kMinimal);
  auto b = HashPassword("same password", PasswordCost::kMinimal);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(VerifyPassword(*a, "same password"));
  EXPECT_TRUE(VerifyPassword(*b, "same password"));
}

TEST(PasswordTest, RulesRefuseShortAndHugePasswords) {
  EXPECT_FALSE(CheckPasswordRules("short"));
  EXPECT_FALSE(CheckPasswordRules("eleven char"));
  EXPECT_TRUE(CheckPasswordRules("twelve chars"));
  // Counted in characters: eleven of them in 22 bytes is still too few.
  EXPECT_FALSE(CheckPasswordRules("\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"));
  EXPECT_TRUE(CheckPasswordRules("\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"));
  EXPECT_FALSE(CheckPasswordRules(std::string(1025, 'x')));
}

// ---- users -------------------------------------------------------------------------

TEST(UserTest, CreateUserChecksRoleScopeAndNames) {
  Tracker t;
  const Actor actor{"test"};
  auto cost = PasswordCost::kMinimal;
  EXPECT_FALSE(CreateUser(t.store(), "x", "superuser", {}, kPassword, actor, cost));
  EXPECT_FALSE(CreateUser(t.store(), "x", "editor", {}, kPassword, actor, cost))
      << "an editor needs an owner";
  EXPECT_FALSE(CreateUser(t.store(), "x", "viewer", {kOwnerA}, kPassword, actor, cost))
      << "only editors are scoped";
  auto unknown = CreateUser(t.store(), "x", "editor", {"No Such Body"}, kPassword, actor, cost);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Error::Code::kNotFound);
  EXPECT_FALSE(CreateUser(t.store(), "with space", "viewer", {}, kPassword, actor, cost));
  EXPECT_FALSE(CreateUser(t.store(), "x", "viewer", {}, "short", actor, cost));
  auto dup = CreateUser(t.store(), "eddie", "viewer", {}, kPassword, actor, cost);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Error::Code::kConflict);

  auto eddie = t.store().GetUser("eddie");
  ASSERT_TRUE(eddie);
  EXPECT_EQ(eddie->role, "editor");
  EXPECT_EQ(eddie->owner_names, std::vector<std::string>{kOwnerA});
  EXPECT_EQ(eddie->owner_ids, std::vector<int64_t>{t.OwnerId(kOwnerA)});
  auto users = t.store().ListUsers();
  ASSERT_TRUE(users);
  EXPECT_EQ(users->size(), 5u);
  // Each addition is a ledger event that names no secret.
  auto events = t.Events("user_add");
  ASSERT_EQ(events.size(), 5u);
  json eddie_event = json::parse(events[2].payload);
  EXPECT_EQ(eddie_event["about"],
            json({{"user", "eddie"}, {"role", "editor"}, {"owners", {kOwnerA}}}));
  // The row, with the password hash's digest in place of the hash: verify can
  // tell a swapped hash, and nobody can read a password hash out of the ledger.
  const json& row = eddie_event["changes"]["insert"]["users"][0];
  EXPECT_EQ(row[1], "eddie");
  EXPECT_EQ(row[5], Sha256Hex(eddie->password_hash));
  for (const auto& e : events) {
    EXPECT_EQ(e.payload.find("argon2"), std::string::npos);
    EXPECT_EQ(e.payload.find(eddie->password_hash), std::string::npos);
  }
}

TEST(UserTest, AnEditorKeepsTheirScopeWhenTheirOwnerIsMergedIntoAnother) {
  Tracker t;
  int64_t b = t.OwnerId(kOwnerB);
  // Owner A and B share R1, so merge B into a new owner instead.
  ASSERT_TRUE(t.store().Import(
      [] {
        ImportBatch x;
        ImportBatch::SourceIn s;
        s.source.slug = "other";
        s.source.kind = "review";
        s.source.title = "Other";
        ImportBatch::RecommendationIn r;
        r.recommendation.ref = "O1";
        r.recommendation.text = "t";
        ImportBatch::AssignmentIn a;
        a.owner = "Rail Authority (old name)";
        r.assignments.push_back(a);
        s.recommendations.push_back(r);
        x.sources.push_back(s);
        return x;
      }(),
      Actor{"t"}, "o"));
  // A second editor scoped to the old name, which then becomes an alias.
  t.AddUser("olga", "editor", {"Rail Authority (old name)"});
  ASSERT_TRUE(t.store().SetAlias("Rail Authority (old name)", kOwnerB, Actor{"t"}));
  auto olga = t.store().GetUser("olga");
  ASSERT_TRUE(olga);
  EXPECT_EQ(olga->owner_ids, std::vector<int64_t>{b});
}

// ---- sessions ------------------------------------------------------------------------

TEST(SessionTest, LoginOpensASessionStoredOnlyAsAHash) {
  Tracker t;
  FakeClock clock;
  Authenticator authn({}, clock.fn());
  auto r = authn.Login(t.store(), "eddie", kPassword, "10.0.0.1");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->outcome, LoginResult::Outcome::kOk);
  EXPECT_EQ(r->session_token.size(), 64u);
  EXPECT_EQ(r->principal.name, "eddie");
  EXPECT_EQ(r->principal.role, Role::kEditor);

  testing_util::RawDb raw(t.path());
  auto rows = raw.Rows("SELECT token_hash, csrf_token FROM sessions");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], Sha256Hex(r->session_token));
  EXPECT_NE(rows[0][0], r->session_token);
  // Nowhere in an SQLite store's files (main file and write-ahead log) is
  // the token. (PostgreSQL's files are the server's; its table is read above.)
  for (const char* suffix : {"", "-wal"}) {
    if (testing_util::UsingPostgres()) break;
    std::string bytes = auth_testing::ReadAll(t.path() + suffix);
    EXPECT_EQ(bytes.find(r->session_token), std::string::npos) << "found in " << suffix;
  }

  auto p = authn.AuthenticateSession(t.store(), r->session_token);
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->has_value());
  EXPECT_EQ((*p)->name, "eddie");
  EXPECT_EQ((*p)->csrf_token, rows[0][1]);
  EXPECT_EQ((*p)->owner_ids, std::vector<int64_t>{t.OwnerId(kOwnerA)});

  // Unknown, malformed and altered tokens are nobody.
  for (std::string bad : {std::string(64, 'a'), std::string("xyz"), std::string(),
                          r->session_token.substr(0, 63) + "0"}) {
    if (bad == r->session_token) continue;
    auto q = authn.AuthenticateSession(t.store(), bad);
    ASSERT_TRUE(q);
    EXPECT_FALSE(q->has_value()) << bad;
  }
  ASSERT_TRUE(authn.Logout(t.store(), r->session_token));
  auto gone = authn.AuthenticateSession(t.store(), r->session_token);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
}

TEST(SessionTest, SessionsExpireWhenIdleAndAtTheirLifetime) {
  Tracker t;
  FakeClock clock;
  Policy policy;
  policy.session_idle = 600;
  policy.session_lifetime = 3600;
  policy.touch_interval = 60;
  Authenticator authn(policy, clock.fn());
  auto r = authn.Login(t.store(), "cora", kPassword, "10.0.0.1");
  ASSERT_TRUE(r && r->outcome == LoginResult::Outcome::kOk);
  // Used every 9 minutes it lives on, until its lifetime ends.
  for (int i = 0; i < 6; ++i) {
    clock.now += 540;
    auto p = authn.AuthenticateSession(t.store(), r->session_token);
    ASSERT_TRUE(p);
    ASSERT_TRUE(p->has_value()) << "at step " << i;
  }
  clock.now += 540;  // 3780 s after sign-in
  auto late = authn.AuthenticateSession(t.store(), r->session_token);
  ASSERT_TRUE(late);
  EXPECT_FALSE(late->has_value());

  auto r2 = authn.Login(t.store(), "cora", kPassword, "10.0.0.1");
  ASSERT_TRUE(r2 && r2->outcome == LoginResult::Outcome::kOk);
  clock.now += 601;
  auto idle = authn.AuthenticateSession(t.store(), r2->session_token);
  ASSERT_TRUE(idle);
  EXPECT_FALSE(idle->has_value());
  testing_util::RawDb raw(t.path());
  EXPECT_EQ(raw.Int("SELECT COUNT(*) FROM sessions"), 0) << "expired sessions are deleted";
}

TEST(SessionTest, SessionsAreSharedByEveryConnectionToTheStore) {
  Tracker t;
  Authenticator authn;
  auto r = authn.Login(t.store(), "vera", kPassword, "10.0.0.1");
  ASSERT_TRUE(r && r->outcome == LoginResult::Outcome::kOk);
  // Another server: another connection, another authenticator.
  auto other = testing_util::OpenTestStore(t.path());
  ASSERT_TRUE(other);
  Authenticator authn2;
  auto p = authn2.AuthenticateSession(**other, r->session_token);
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->has_value());
  EXPECT_EQ((*p)->name, "vera");
}

TEST(SessionTest, DisablingAUserEndsTheirSessionsAndTokensAndRefusesSignIn) {
  Tracker t;
  Authenticator authn;
  auto r = authn.Login(t.store(), "erin", kPassword, "10.0.0.1");
  ASSERT_TRUE(r && r->outcome == LoginResult::Outcome::kOk);
  auto token = CreateApiToken(t.store(), "erin", "script", Actor{"t"});
  ASSERT_TRUE(token);
  ASSERT_TRUE(t.store().DisableUser("erin", Actor{"t"}));
  auto p = authn.AuthenticateSession(t.store(), r->session_token);
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->has_value());
  auto q = authn.AuthenticateApiToken(t.store(), *token);
  ASSERT_TRUE(q);
  EXPECT_FALSE(q->has_value());
  auto again = authn.Login(t.store(), "erin", kPassword, "10.0.0.1");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->outcome, LoginResult::Outcome::kBadCredentials);
  EXPECT_EQ(t.Events("user_disable").size(), 1u);
}

// ---- passwords changed and reset ---------------------------------------------------------

TEST(PasswordChangeTest, TheRightCurrentPasswordChangesItAndEndsEveryOtherSession) {
  Tracker t;
  FakeClock clock;
  Authenticator authn({}, clock.fn());
  auto here = authn.Login(t.store(), "eddie", kPassword, "10.0.0.1");
  auto elsewhere = authn.Login(t.store(), "eddie", kPassword, "10.0.0.2");
  auto cora = authn.Login(t.store(), "cora", kPassword, "10.0.0.3");
  ASSERT_TRUE(here && elsewhere && cora);
  const Principal& who = here->principal;
  const std::string next = "a much longer passphrase";

  using Outcome = Authenticator::PasswordChange::Outcome;
  auto wrong = authn.ChangePassword(t.store(), who, "not it", next, "10.0.0.1", PasswordCost::kMinimal);
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->outcome, Outcome::kWrongCurrent);
  auto shortp = authn.ChangePassword(t.store(), who, kPassword, "short", "10.0.0.1", PasswordCost::kMinimal);
  ASSERT_TRUE(shortp);
  EXPECT_EQ(shortp->outcome, Outcome::kRejected);
  EXPECT_EQ(shortp->message, "a password needs at least 12 characters");
  auto same = authn.ChangePassword(t.store(), who, kPassword, kPassword, "10.0.0.1", PasswordCost::kMinimal);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->outcome, Outcome::kRejected);
  EXPECT_TRUE(t.Events("user_password").empty()) << "refusals change nothing";

  auto ok = authn.ChangePassword(t.store(), who, kPassword, next, "10.0.0.1", PasswordCost::kMinimal);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->outcome, Outcome::kOk);
  // This session stays; eddie's other one ends; cora's is not touched.
  EXPECT_TRUE(authn.AuthenticateSession(t.store(), here->session_token).value().has_value());
  EXPECT_FALSE(authn.AuthenticateSession(t.store(), elsewhere->session_token).value().has_value());
  EXPECT_TRUE(authn.AuthenticateSession(t.store(), cora->session_token).value().has_value());
  EXPECT_EQ(authn.Login(t.store(), "eddie", kPassword, "10.0.0.4")->outcome,
            LoginResult::Outcome::kBadCredentials);
  EXPECT_EQ(authn.Login(t.store(), "eddie", next, "10.0.0.4")->outcome, LoginResult::Outcome::kOk);
  // In the ledger, by whom, naming the user and nothing of the password.
  auto events = t.Events("user_password");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].actor, "user:eddie");
  EXPECT_EQ(json::parse(events[0].payload)["about"], (json{{"user", "eddie"}}));
  EXPECT_EQ(events[0].payload.find("argon2"), std::string::npos);
}

TEST(PasswordChangeTest, WrongCurrentPasswordsCountAsFailedSignIns) {
  Tracker t;
  FakeClock clock;
  Authenticator authn({}, clock.fn());
  auto s = authn.Login(t.store(), "eddie", kPassword, "10.0.0.1");
  ASSERT_TRUE(s);
  using Outcome = Authenticator::PasswordChange::Outcome;
  for (int i = 0; i < 5; ++i) {
    auto r = authn.ChangePassword(t.store(), s->principal, "guess " + std::to_string(i),
                                  "a new passphrase", "10.0.9.1", PasswordCost::kMinimal);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->outcome, Outcome::kWrongCurrent);
  }
  auto locked = authn.ChangePassword(t.store(), s->principal, kPassword, "a new passphrase",
                                     "10.0.9.1", PasswordCost::kMinimal);
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->outcome, Outcome::kRateLimited);
  EXPECT_GT(locked->retry_after, 0);
  EXPECT_EQ(authn.Login(t.store(), "eddie", kPassword, "10.0.9.1")->outcome,
            LoginResult::Outcome::kRateLimited)
      << "the same limit as signing in";
}

// ---- an admin's changes to accounts ------------------------------------------------

TEST(AccountAdminTest, ARoleChangeTakesEffectOnTheNextRequestAndIsALedgerEvent) {
  Tracker t;
  Authenticator authn;
  auto s = authn.Login(t.store(), "eddie", kPassword, "10.0.0.1");
  ASSERT_TRUE(s);
  ASSERT_EQ(s->principal.role, Role::kEditor);
  auto u = ChangeRole(t.store(), "eddie", "editor", {kOwnerA, kOwnerB}, Actor{"user:ada"});
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->owner_names.size(), 2u);
  auto p = authn.AuthenticateSession(t.store(), s->session_token);
  ASSERT_TRUE(p && p->has_value());
  EXPECT_EQ((*p)->owner_ids.size(), 2u) << "the same session, now for both owners";

  ASSERT_TRUE(ChangeRole(t.store(), "eddie", "viewer", {}, Actor{"user:ada"}));
  p = authn.AuthenticateSession(t.store(), s->session_token);
  ASSERT_TRUE(p && p->has_value());
  EXPECT_EQ((*p)->role, Role::kViewer);
  EXPECT_TRUE((*p)->owner_ids.empty());
  EXPECT_FALSE(CanSubmit(**p, u->owner_ids[0])) << "a viewer submits for no one";

  auto events = t.Events("user_role");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].actor, "user:ada");
  json about = json::parse(events[1].payload)["about"];
  EXPECT_EQ(about["role"], "viewer");
  EXPECT_EQ(about["was"]["role"], "editor");
  EXPECT_EQ(about["was"]["owners"].size(), 2u);
  // Nothing changed, nothing recorded.
  ASSERT_TRUE(ChangeRole(t.store(), "eddie", "viewer", {}, Actor{"user:ada"}));
  EXPECT_EQ(t.Events("user_role").size(), 2u);
  EXPECT_FALSE(ChangeRole(t.store(), "eddie", "editor", {}, Actor{"user:ada"}));
  EXPECT_FALSE(ChangeRole(t.store(), "eddie", "editor", {"No Such Body"}, Actor{"user:ada"}));
  EXPECT_FALSE(ChangeRole(t.store(), "nobody", "viewer", {}, Actor{"user:ada"}));
}

TEST(AccountAdminTest, TheLastActiveAdminStaysAndADisabledUserIsEnabledAgain) {
  Tracker t;
  auto refused = ChangeRole(t.store(), "ada", "coordinator", {}, Actor{"user:ada"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Error::Code::kConflict);
  EXPECT_FALSE(DisableAccount(t.store(), "ada", Actor{"user:ada"}));
  ASSERT_TRUE(ChangeRole(t.store(), "cora", "admin", {}, Actor{"user:ada"}));
  ASSERT_TRUE(DisableAccount(t.store(), "ada", Actor{"user:cora"}));
  EXPECT_FALSE(DisableAccount(t.store(), "cora", Actor{"user:cora"}))
      << "a disabled admin does not count";

  Authenticator authn;
  EXPECT_EQ(authn.Login(t.store(), "ada", kPassword, "10.0.0.1")->outcome,
            LoginResult::Outcome::kBadCredentials);
  ASSERT_TRUE(EnableAccount(t.store(), "ada", Actor{"user:cora"}));
  EXPECT_EQ(authn.Login(t.store(), "ada", kPassword, "10.0.0.1")->outcome,
            LoginResult::Outcome::kOk);
  ASSERT_TRUE(EnableAccount(t.store(), "ada", Actor{"user:cora"}));
  EXPECT_EQ(t.Events("user_enable").size(), 1u) << "enabling an active user records nothing";
  EXPECT_FALSE(EnableAccount(t.store(), "nobody", Actor{"user:cora"}));
}

TEST(PasswordChangeTest, AResetFromTheCommandLineEndsEverySession) {
  Tracker t;
  Authenticator authn;
  auto s = authn.Login(t.store(), "eddie", kPassword, "10.0.0.1");
  ASSERT_TRUE(s);
  EXPECT_FALSE(ResetPassword(t.store(), "eddie", "short", Actor{"cli:root"}, PasswordCost::kMinimal));
  EXPECT_FALSE(ResetPassword(t.store(), "nobody-here", "long enough now", Actor{"cli:root"},
                             PasswordCost::kMinimal));
  ASSERT_TRUE(ResetPassword(t.store(), "eddie", "long enough now", Actor{"cli:root"},
                            PasswordCost::kMinimal));
  EXPECT_FALSE(authn.AuthenticateSession(t.store(), s->session_token).value().has_value());
  EXPECT_EQ(authn.Login(t.store(), "eddie", "long enough now", "10.0.0.1")->outcome,
            LoginResult::Outcome::kOk);
  ASSERT_EQ(t.Events("user_password").size(), 1u);
  EXPECT_EQ(t.Events("user_password")[0].actor, "cli:root");
}

// ---- API tokens ------------------------------------------------------------------------

TEST(ApiTokenTest, TokensAreStoredHashedAndIdentifyTheirUser) {
  Tracker t;
  auto token = CreateApiToken(t.store(), "cora", "nightly import", Actor{"t"});
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(token->rfind("rtk_", 0), 0u);
  EXPECT_EQ(token->size(), 68u);
  testing_util::RawDb raw(t.path());
  EXPECT_EQ(raw.Text("SELECT token_hash FROM api_tokens"), Sha256Hex(*token));
  for (const char* suffix : {"", "-wal"}) {  // an SQLite store's files
    if (testing_util::UsingPostgres()) break;
    EXPECT_EQ(auth_testing::ReadAll(t.path() + suffix).find(token->substr(4)), std::string::npos);
  }
  auto events = t.Events("token_add");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload.find(token->substr(4)), std::string::npos);

  Authenticator authn;
  auto p = authn.AuthenticateApiToken(t.store(), *token);
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->has_value());
  EXPECT_EQ((*p)->name, "cora");
  EXPECT_TRUE((*p)->via_api_token);
  EXPECT_TRUE((*p)->csrf_token.empty());
  for (std::string bad : {std::string("rtk_") + std::string(64, '0'), token->substr(4),
                          std::string("Bearer ") + *token, std::string()}) {
    auto q = authn.AuthenticateApiToken(t.store(), bad);
    ASSERT_TRUE(q);
    EXPECT_FALSE(q->has_value()) << bad;
  }
  EXPECT_FALSE(CreateApiToken(t.store(), "nobody", "x", Actor{"t"}));
  EXPECT_FALSE(CreateApiToken(t.store(), "cora", "", Actor{"t"}));
}

// ---- rate limiting ---------------------------------------------------------------------

TEST(RateLimitTest, FiveFailuresOfAnAccountAtAnAddressRefuseEvenTheRightPasswordThere) {
  Tracker t;
  FakeClock clock;
  Authenticator authn({}, clock.fn());
  for (int i = 0; i < 5; ++i) {
    auto r = authn.Login(t.store(), "eddie", "wrong password", "10.0.1.1");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->outcome, LoginResult::Outcome::kBadCredentials);
    clock.now += 10;
  }
  auto locked = authn.Login(t.store(), "eddie", kPassword, "10.0.1.1");
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->outcome, LoginResult::Outcome::kRateLimited);
  // The first failure leaves the window 15 minutes after it was made.
  EXPECT_EQ(locked->retry_after, 15 * 60 - 50);
  // A colleague behind the same address is not locked out with them...
  auto colleague = authn.Login(t.store(), "cora", kPassword, "10.0.1.1");
  ASSERT_TRUE(colleague);
  EXPECT_EQ(colleague->outcome, LoginResult::Outcome::kOk);
  // ...and the same account from elsewhere still gets in.
  auto elsewhere = authn.Login(t.store(), "eddie", kPassword, "10.0.2.1");
  ASSERT_TRUE(elsewhere);
  EXPECT_EQ(elsewhere->outcome, LoginResult::Outcome::kOk);

  clock.now += locked->retry_after;
  auto later = authn.Login(t.store(), "eddie", kPassword, "10.0.1.1");
  ASSERT_TRUE(later);
  EXPECT_EQ(later->outcome, LoginResult::Outcome::kOk);
}

TEST(RateLimitTest, GuessingOneAccountFromManyAddressesLocksItEverywhere) {
  Tracker t;
  FakeClock clock;
  Policy policy;
  Authenticator authn(policy, clock.fn());
  for (int i = 0; i < policy.max_account_failures; ++i) {
    auto r = authn.Login(t.store(), "eddie", "guess", fmt::format("198.51.100.{}", i));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->outcome, LoginResult::Outcome::kBadCredentials) << i;
  }
  auto r = authn.Login(t.store(), "eddie", kPassword, "10.0.0.1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, LoginResult::Outcome::kRateLimited);
  EXPECT_EQ(authn.Login(t.store(), "cora", kPassword, "198.51.100.3")->outcome,
            LoginResult::Outcome::kOk)
      << "other accounts, even at those addresses, are not affected";
}

TEST(RateLimitTest, SprayingManyAccountsFromOneAddressLocksTheAddress) {
  Tracker t;
  FakeClock clock;
  Policy policy;
  // Unknown names cost a full argon2id check each: a smaller limit, same rule.
  policy.max_address_failures = 8;
  Authenticator authn(policy, clock.fn());
  for (int i = 0; i < policy.max_address_failures; ++i) {
    auto r = authn.Login(t.store(), fmt::format("user{}", i), "guess", "192.0.2.7");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->outcome, LoginResult::Outcome::kBadCredentials) << i;
  }
  auto r = authn.Login(t.store(), "erin", kPassword, "192.0.2.7");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, LoginResult::Outcome::kRateLimited);
  EXPECT_GT(r->retry_after, 0);
  auto elsewhere = authn.Login(t.store(), "erin", kPassword, "192.0.2.8");
  ASSERT_TRUE(elsewhere);
  EXPECT_EQ(elsewhere->outcome, LoginResult::Outcome::kOk);
}

TEST(RateLimitTest, AnAdminSeesLockOutsAndLiftsThem) {
  Tracker t;
  FakeClock clock;
  Policy policy;
  Authenticator authn(policy, clock.fn());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(authn.Login(t.store(), "eddie", "x", "10.0.0.5"));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(authn.Login(t.store(), "ed", "x", "10.0.0.5"));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(authn.Login(t.store(), "cora", "x", "10.0.0.5"));
  auto locks = authn.LockOuts(t.store());
  ASSERT_TRUE(locks);
  ASSERT_EQ(locks->size(), 2u) << "eddie and ed at 10.0.0.5; cora has one try left";
  EXPECT_EQ((*locks)[0].name, "ed");
  EXPECT_EQ((*locks)[1].name, "eddie");
  EXPECT_EQ((*locks)[1].address, "10.0.0.5");
  EXPECT_EQ((*locks)[1].failures, 5);
  EXPECT_EQ((*locks)[1].until, clock.now + policy.failure_window);

  // Unlocking "ed" leaves "eddie" (a name that starts the same) locked.
  auto n = authn.Unlock(t.store(), "ed", "");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 10) << "five at the address and five on the account";
  EXPECT_EQ(authn.Login(t.store(), "ed", kPassword, "10.0.0.5")->outcome,
            LoginResult::Outcome::kBadCredentials)
      << "no longer refused unchecked (ed has no account here: a wrong answer, not a lock)";
  EXPECT_EQ(authn.Login(t.store(), "eddie", kPassword, "10.0.0.5")->outcome,
            LoginResult::Outcome::kRateLimited);
  ASSERT_TRUE(authn.Unlock(t.store(), "eddie", ""));
  EXPECT_EQ(authn.Login(t.store(), "eddie", kPassword, "10.0.0.5")->outcome,
            LoginResult::Outcome::kOk);
  EXPECT_FALSE(authn.Unlock(t.store(), "", ""));
}

TEST(RateLimitTest, AnAddressLockOutIsListedAndLiftedByItself) {
  Tracker t;
  FakeClock clock;
  Policy policy;
  policy.max_address_failures = 3;
  Authenticator authn(policy, clock.fn());
  for (const char* name : {"a1", "a2", "a3"}) ASSERT_TRUE(authn.Login(t.store(), name, "x", "192.0.2.9"));
  auto locks = authn.LockOuts(t.store());
  ASSERT_TRUE(locks);
  ASSERT_EQ(locks->size(), 1u);
  EXPECT_EQ((*locks)[0].name, "");
  EXPECT_EQ((*locks)[0].address, "192.0.2.9");
  EXPECT_EQ(authn.Login(t.store(), "cora", kPassword, "192.0.2.9")->outcome,
            LoginResult::Outcome::kRateLimited);
  auto n = authn.Unlock(t.store(), "", "192.0.2.9");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 3);
  EXPECT_EQ(authn.Login(t.store(), "cora", kPassword, "192.0.2.9")->outcome,
            LoginResult::Outcome::kOk);
}

TEST(RateLimitTest, FailuresArePersistedSoEveryServerSeesThem) {
  Tracker t;
  FakeClock clock;
  Authenticator first({}, clock.fn());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(first.Login(t.store(), "ada", "wrong", "10.9.0.1"));
  auto other = testing_util::OpenTestStore(t.path());
  ASSERT_TRUE(other);
  Authenticator second({}, clock.fn());
  auto r = second.Login(**other, "ada", kPassword, "10.9.0.1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, LoginResult::Outcome::kRateLimited);
}

TEST(RateLimitTest, UnknownNamesAnswerLikeWrongPasswords) {
  Tracker t;
  Authenticator authn;
  auto unknown = authn.Login(t.store(), "mallory", kPassword, "10.0.0.9");
  auto wrong = authn.Login(t.store(), "ada", "not the password", "10.0.0.9");
  ASSERT_TRUE(unknown && wrong);
  EXPECT_EQ(unknown->outcome, LoginResult::Outcome::kBadCredentials);
  EXPECT_EQ(wrong->outcome, LoginResult::Outcome::kBadCredentials);
  EXPECT_TRUE(unknown->session_token.empty());
}

// ---- CSRF ------------------------------------------------------------------------------

TEST(CsrfTest, MaskedCopiesDifferEveryTimeAndOnlyTheRightTokenMatches) {
  std::string token = RandomHex(32);
  std::string a = MaskCsrf(token), b = MaskCsrf(token);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 256u);
  EXPECT_EQ(a.find(token), std::string::npos);
  EXPECT_TRUE(CsrfMatches(token, a));
  EXPECT_TRUE(CsrfMatches(token, b));
  EXPECT_FALSE(CsrfMatches(token, ""));
  EXPECT_FALSE(CsrfMatches(token, token)) << "only masked copies are accepted";
  EXPECT_FALSE(CsrfMatches(token, MaskCsrf(RandomHex(32))));
  std::string flipped = a;
  flipped[100] = flipped[100] == '0' ? '1' : '0';
  EXPECT_FALSE(CsrfMatches(token, flipped));
  EXPECT_FALSE(CsrfMatches(token, std::string(128, 'z')));
  EXPECT_FALSE(CsrfMatches("", MaskCsrf("")));
}

TEST(CsrfTest, ConstantTimeEqualsComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

// ---- roles -----------------------------------------------------------------------------

TEST(RoleTest, WhoMayDoWhat) {
  auto p = [](Role r, std::vector<int64_t> owners = {}) {
    Principal x;
    x.role = r;
    x.owner_ids = std::move(owners);
    return x;
  };
  EXPECT_TRUE(CanSubmit(p(Role::kEditor, {3, 4}), 4));
  EXPECT_FALSE(CanSubmit(p(Role::kEditor, {3}), 4));
  EXPECT_FALSE(CanSubmit(p(Role::kViewer), 4));
  EXPECT_TRUE(CanSubmit(p(Role::kCoordinator), 4));
  EXPECT_TRUE(CanSubmit(p(Role::kAdmin), 4));
  for (Role r : {Role::kViewer, Role::kEditor}) {
    EXPECT_FALSE(CanValidate(p(r, {4})));
    EXPECT_FALSE(CanPublish(p(r, {4})));
    EXPECT_FALSE(CanManageUsers(p(r, {4})));
  }
  EXPECT_TRUE(CanValidate(p(Role::kCoordinator)));
  EXPECT_TRUE(CanPublish(p(Role::kCoordinator)));
  EXPECT_FALSE(CanManageUsers(p(Role::kCoordinator)));
  EXPECT_TRUE(CanManageUsers(p(Role::kAdmin)));
  EXPECT_EQ(ParseRole("coordinator"), Role::kCoordinator);
  EXPECT_FALSE(ParseRole("root"));
}

// ---- the workflow ------------------------------------------------------------------------

TEST(WorkflowTest, SubmitValidateAndReturnAreLedgerEventsAndMoveTheVersion) {
  Tracker t;
  int64_t asg = t.Assignment("R1", kOwnerA);
  auto a0 = t.store().GetAssignment(asg);
  ASSERT_TRUE(a0);
  EXPECT_EQ(a0->owner, kOwnerA);

  Update u;
  u.date = D("2023-07-01");
  u.implementation = Implementation::kImplemented;
  u.narrative = "zebra crossings painted outside every school";
  u.evidence = {"https://example.org/crossings"};
  u.author = "eddie";
  u.state = UpdateState::kValidated;  // ignored: a submission is submitted
  auto id = t.store().SubmitUpdate(asg, u, a0->version, Actor{"user:eddie"});
  ASSERT_TRUE(id) << id.error().message;
  auto sub = t.store().GetUpdate(*id);
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->update.state, UpdateState::kSubmitted);
  EXPECT_EQ(sub->assignment.version, a0->version + 1);

  // A second editor who read the old version is refused: no lost update.
  auto stale = t.store().SubmitUpdate(asg, u, a0->version, Actor{"user:eddie"});
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Error::Code::kPrecondition);

  // Submitted: in the queue, not public, not searchable, not counted.
  auto queue = t.store().SubmittedUpdates();
  ASSERT_TRUE(queue);
  ASSERT_EQ(queue->size(), 1u);
  EXPECT_EQ((*queue)[0].update.id, *id);
  EXPECT_EQ((*queue)[0].assignment.source_slug, kSource);
  auto hits = t.store().Search("zebra", 10);
  ASSERT_TRUE(hits);
  EXPECT_TRUE(hits->empty());
  auto pub_doc = RecommendationDoc(t.store(), t.Recommendation("R1"), D("2023-09-01"), false);
  ASSERT_TRUE(pub_doc);
  EXPECT_EQ(pub_doc->dump().find("zebra"), std::string::npos);

  ASSERT_TRUE(t.store().ValidateUpdate(*id, Actor{"user:cora"}));
  auto val = t.store().GetUpdate(*id);
  ASSERT_TRUE(val);
  EXPECT_EQ(val->update.state, UpdateState::kValidated);
  EXPECT_EQ(val->assignment.version, a0->version + 2);
  hits = t.store().Search("zebra", 10);
  ASSERT_TRUE(hits);
  ASSERT_EQ(hits->size(), 1u);
  pub_doc = RecommendationDoc(t.store(), t.Recommendation("R1"), D("2023-09-01"), false);
  ASSERT_TRUE(pub_doc);
  EXPECT_NE(pub_doc->dump().find("zebra"), std::string::npos);
  EXPECT_TRUE(t.store().SubmittedUpdates()->empty());

  // Validated is final.
  auto again = t.store().ValidateUpdate(*id, Actor{"user:cora"});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Error::Code::kConflict);
  EXPECT_FALSE(t.store().ReturnUpdate(*id, "too late", Actor{"user:cora"}));

  // A second submission, returned with a reason.
  int64_t id2 = t.Submit(asg, "we will think about it");
  auto no_reason = t.store().ReturnUpdate(id2, "  ", Actor{"user:cora"});
  ASSERT_FALSE(no_reason);
  EXPECT_EQ(no_reason.error().code, Error::Code::kInvalidInput);
  ASSERT_TRUE(t.store().ReturnUpdate(id2, "Say what was done, with dates.", Actor{"user:cora"}));
  auto ret = t.store().GetUpdate(id2);
  ASSERT_TRUE(ret);
  EXPECT_EQ(ret->update.state, UpdateState::kReturned);
  EXPECT_EQ(ret->update.return_reason, "Say what was done, with dates.");
  EXPECT_FALSE(t.store().ValidateUpdate(id2, Actor{"user:cora"}));
  EXPECT_EQ(t.store().GetUpdate(999999).error().code, Error::Code::kNotFound);

  // Each step is a ledger event by its actor, and the chain holds.
  auto submits = t.Events("submit");
  auto validates = t.Events("validate");
  auto returns = t.Events("return");
  ASSERT_EQ(submits.size(), 2u);
  ASSERT_EQ(validates.size(), 1u);
  ASSERT_EQ(returns.size(), 1u);
  EXPECT_EQ(submits[0].actor, "user:eddie");
  EXPECT_EQ(validates[0].actor, "user:cora");
  json s0 = json::parse(submits[0].payload);
  EXPECT_EQ(s0["about"]["update_id"], *id);
  EXPECT_EQ(s0["about"]["owner"], kOwnerA);
  EXPECT_EQ(s0["about"]["ref"], "R1");
  const json& row = s0["changes"]["insert"]["updates"][0];
  EXPECT_EQ(row[0], *id);
  EXPECT_EQ(row[6], "implemented");
  EXPECT_EQ(row[7], u.narrative);
  EXPECT_EQ(row[10], "submitted");
  json v0 = json::parse(validates[0].payload);
  EXPECT_EQ(v0["about"]["update_id"], *id);
  EXPECT_EQ(v0["changes"]["update"]["updates"][0][1], (json{{"state", "validated"}}));
  json r0 = json::parse(returns[0].payload);
  EXPECT_EQ(r0["about"]["update_id"], id2);
  EXPECT_EQ(r0["about"]["reason"], "Say what was done, with dates.");
  EXPECT_EQ(r0["changes"]["update"]["updates"][0][1],
            (json{{"return_reason", "Say what was done, with dates."}, {"state", "returned"}}));
  EXPECT_LT(submits[0].seq, validates[0].seq);
  auto verify = t.store().Verify();
  ASSERT_TRUE(verify);
  EXPECT_TRUE(verify->ok) << (verify->problems.empty() ? "" : verify->problems[0]);
}

TEST(WorkflowTest, AFailedStepChangesNothing) {
  Tracker t;
  auto head = t.store().Head();
  ASSERT_TRUE(head);
  auto a = t.store().GetAssignment(t.Assignment("R2", kOwnerA));
  Update u;
  u.date = D("2023-07-01");
  u.narrative = "x";
  ASSERT_FALSE(t.store().SubmitUpdate(a->id, u, a->version + 5, Actor{"u"}));
  ASSERT_FALSE(t.store().SubmitUpdate(424242, u, 1, Actor{"u"}));
  ASSERT_FALSE(t.store().ValidateUpdate(424242, Actor{"u"}));
  EXPECT_EQ(t.store().Head()->seq, head->seq);
  EXPECT_EQ(t.store().GetAssignment(a->id)->version, a->version);
}

// ---- signatures -------------------------------------------------------------------------

TEST(SigningTest, TheKeyIsMadeOnceAndSharedByEveryConnection) {
  Tracker t;
  auto k1 = t.store().CurrentPublicKey();
  ASSERT_TRUE(k1) << k1.error().message;
  EXPECT_EQ(k1->size(), 64u);
  auto other = testing_util::OpenTestStore(t.path());
  ASSERT_TRUE(other);
  auto k2 = (*other)->CurrentPublicKey();
  ASSERT_TRUE(k2);
  EXPECT_EQ(*k1, *k2);
  testing_util::TempDir d2;
  auto fresh = testing_util::OpenTestStore(d2.File("x.db"));
  ASSERT_TRUE(fresh);
  EXPECT_NE(*(*fresh)->CurrentPublicKey(), *k1);
}

TEST(SigningTest, MessagesQuoteTheirFieldsSoNoFieldCanForgeAnother) {
  PublicationSigningFields f;
  f.id = 7;
  f.source = "s";
  f.title = "A \"title\"\nledger_seq=99 \\";
  f.as_of = "2024-01-01";
  f.created_at = "2024-01-02T00:00:00.000Z";
  f.ledger_seq = 3;
  f.ledger_hash = std::string(64, 'a');
  f.snapshot_sha256 = std::string(64, 'b');
  EXPECT_EQ(PublicationSigningMessage(f),
            "rectrack-publication-v1\n"
            "id=7\n"
            "source=\"s\"\n"
            "title=\"A \\\"title\\\"\\u000aledger_seq=99 \\\\\"\n"
            "as_of=\"2024-01-01\"\n"
            "created_at=\"2024-01-02T00:00:00.000Z\"\n"
            "ledger_seq=3\n"
            "ledger_hash=\"" + std::string(64, 'a') + "\"\n"
            "snapshot_sha256=\"" + std::string(64, 'b') + "\"\n");
  auto key = GenerateSigningKey();
  auto sig = SignMessage(key.seed_hex, PublicationSigningMessage(f));
  ASSERT_TRUE(sig);
  EXPECT_TRUE(VerifySignature(key.public_key_hex, PublicationSigningMessage(f), *sig));
  f.ledger_seq = 4;
  EXPECT_FALSE(VerifySignature(key.public_key_hex, PublicationSigningMessage(f), *sig));
  EXPECT_FALSE(VerifySignature("zz", "m", *sig));
}

class PublicationCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pub = PublishSource(t_.store(), kSource, D("2023-12-31"), "Progress at year end",
                             Actor{"user:cora"});
    ASSERT_TRUE(pub) << pub.error().message;
    pub_ = *pub;
    auto doc = PublicationDoc(t_.store(), pub_.id);
    ASSERT_TRUE(doc) << doc.error().message;
    doc_ = *doc;
    text_ = doc_.dump(2);
    key_ = *t_.store().CurrentPublicKey();
  }
  Tracker t_;
  Publication pub_;
  json doc_;
  std::string text_;
  std::string key_;
};

TEST_F(PublicationCheckTest, ARealPublicationIsSignedAndChecksOut) {
  EXPECT_EQ(pub_.signing_key, key_);
  EXPECT_EQ(pub_.signature.size(), 128u);
  auto stored = t_.store().GetPublication(pub_.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->signature, pub_.signature);
  EXPECT_EQ(stored->source_slug, kSource);
  EXPECT_EQ(doc_["source"], kSource);
  EXPECT_EQ(doc_["signature"]["alg"], "ed25519");
  EXPECT_EQ(doc_["signature"]["public_key"], key_);
  EXPECT_EQ(doc_["snapshot_json"], stored->snapshot_json);

  auto c = CheckPublicationDocument(text_, key_);
  EXPECT_TRUE(c.ok) << (c.problems.empty() ? "" : c.problems[0]);
  EXPECT_TRUE(c.key_checked);
  EXPECT_EQ(c.id, pub_.id);
  auto unkeyed = CheckPublicationDocument(text_, "");
  EXPECT_TRUE(unkeyed.ok);
  EXPECT_FALSE(unkeyed.key_checked);
  EXPECT_EQ(unkeyed.public_key, key_);
  // The key may be given in capitals.
  std::string upper = key_;
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_TRUE(CheckPublicationDocument(text_, upper).ok);
  // The ledger agrees, too.
  auto v = t_.store().Verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok);
}

TEST_F(PublicationCheckTest, OneFlippedByteAnywhereThatMattersIsBroken) {
  auto broken = [&](json d, const std::string& why) {
    auto c = CheckPublicationDocument(d.dump(), key_);
    EXPECT_FALSE(c.ok) << why;
    EXPECT_FALSE(c.problems.empty()) << why;
  };
  auto flip = [](std::string s, size_t at) {
    s[at] = s[at] == '1' ? '2' : '1';
    return s;
  };
  {
    json d = doc_;
    std::string snap = d["snapshot_json"];
    size_t at = snap.find("\"ref\"");
    ASSERT_NE(at, std::string::npos);
    snap[at + 1] = 'R';  // "Ref"
    d["snapshot_json"] = snap;
    broken(d, "snapshot text changed");
  }
  {
    json d = doc_;
    d["snapshot"]["publication_title"] = "Something else";
    broken(d, "readable snapshot changed");
  }
  {
    json d = doc_;
    d["signature"]["signature"] = flip(d["signature"]["signature"], 10);
    broken(d, "signature changed");
  }
  {
    json d = doc_;
    d["title"] = "Progress at year end (revised)";
    broken(d, "title changed");
  }
  {
    json d = doc_;
    d["as_of"] = "2023-12-30";
    broken(d, "as_of changed");
  }
  {
    json d = doc_;
    d["ledger_seq"] = d["ledger_seq"].get<int64_t>() + 1;
    broken(d, "pin changed");
  }
  {
    json d = doc_;
    d["signature"] = nullptr;
    broken(d, "unsigned");
  }
  {
    // Re-signed by someone else's key: valid on its face, refused against ours.
    json d = doc_;
    auto other = GenerateSigningKey();
    PublicationSigningFields f;
    f.id = d["id"];
    f.source = d["source"];
    f.title = d["title"];
    f.as_of = d["as_of"];
    f.created_at = d["created_at"];
    f.ledger_seq = d["ledger_seq"];
    f.ledger_hash = d["ledger_hash"];
    f.snapshot_sha256 = d["snapshot_sha256"];
    d["signature"]["public_key"] = other.public_key_hex;
    d["signature"]["signature"] = *SignMessage(other.seed_hex, PublicationSigningMessage(f));
    EXPECT_TRUE(CheckPublicationDocument(d.dump(), "").ok);
    broken(d, "another key");
  }
  EXPECT_FALSE(CheckPublicationDocument("not json", key_).ok);
  EXPECT_FALSE(CheckPublicationDocument("{}", key_).ok);
}

TEST_F(PublicationCheckTest, ImportedPublicationsAreSignedToo) {
  // ImportWithPublications goes through PublishSource.
  auto b = auth_testing::RoadsBatch();
  b.sources[0].source.slug = "roads-2024";
  b.sources[0].publications.push_back({"Baseline", D("2024-01-01")});
  ASSERT_TRUE(ImportWithPublications(t_.store(), b, Actor{"t"}, "x"));
  auto pubs = t_.store().ListPublications("roads-2024");
  ASSERT_TRUE(pubs);
  ASSERT_EQ(pubs->size(), 1u);
  EXPECT_FALSE((*pubs)[0].signature.empty());
  auto doc = PublicationDoc(t_.store(), (*pubs)[0].id);
  ASSERT_TRUE(doc);
  EXPECT_TRUE(CheckPublicationDocument(doc->dump(), key_).ok);
}

}  // namespace
}  // namespace rectrack::auth
