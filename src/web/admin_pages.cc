#include "web/admin_pages.h"

#include <algorithm>

#include "app/auth.h"
#include "core/text.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "web/staff_gate.h"

namespace rectrack::web {
namespace {

using json = nlohmann::json;

constexpr const char* kRoles[] = {"viewer", "editor", "coordinator", "admin"};

std::string RoleLabel(const std::string& role) {
  if (role == "admin") return "Admin";
  if (role == "coordinator") return "Coordinator (the tracking office)";
  if (role == "editor") return "Editor (for the bodies named)";
  if (role == "viewer") return "Viewer";
  return role;
}

std::string RoleHint(const std::string& role) {
  if (role == "admin") return "Everything a coordinator does, and manages accounts.";
  if (role == "coordinator") return "Validates or returns updates, publishes, chases.";
  if (role == "editor") return "Submits updates for the bodies it acts for.";
  return "Reads what staff read; changes nothing.";
}

json RoleOptions(const std::string& selected) {
  json out = json::array();
  for (const char* r : kRoles)
    out.push_back({{"value", r},
                   {"label", RoleLabel(r)},
                   {"hint", RoleHint(r)},
                   {"id", fmt::format("role-{}", r)},
                   {"checked", selected == r}});
  return out;
}

// The owners typed into the form, one per line, without repeats.
std::vector<std::string> OwnerLines(const std::string& text) {
  std::vector<std::string> out;
  for (auto& line : FormLines(text))
    if (std::find(out.begin(), out.end(), line) == out.end()) out.push_back(std::move(line));
  return out;
}

// The role and owners of a form, checked: problems go to `errors`.
void CheckRoleAndOwners(Store& store, const std::string& role, const std::vector<std::string>& owners,
                        FormErrors* errors) {
  auto r = auth::ParseRole(role);
  if (!r) {
    errors->Add("role", "Choose a role");
    return;
  }
  if (*r == auth::Role::kEditor && owners.empty())
    errors->Add("owners", "Name the bodies this editor acts for, one per line");
  if (*r != auth::Role::kEditor && !owners.empty())
    errors->Add("owners", "Only editors act for bodies: clear this box, or choose Editor");
  if (owners.empty()) return;
  auto all = store.ListOwners();
  if (!all) return;  // the write reports it
  std::vector<std::string> unknown;
  for (const auto& o : owners) {
    bool found = std::any_of(all->begin(), all->end(), [&](const Owner& x) {
      return x.name == o || std::find(x.aliases.begin(), x.aliases.end(), o) != x.aliases.end();
    });
    if (!found) unknown.push_back(o);
  }
  if (!unknown.empty())
    errors->Add("owners", fmt::format("No body is called {}: use a name from the owners page",
                                      fmt::format("'{}'", fmt::join(unknown, "', '"))));
}

void CheckNewPassword(const std::string& password, const std::string& confirm, FormErrors* errors) {
  if (auto rules = auth::CheckPasswordRules(password); !rules) {
    errors->Add("password", SentenceCase(rules.error().message));
  } else if (password != confirm) {
    errors->Add("confirm", "The two passwords are not the same");
  }
}

Response NotAdmin(const std::optional<auth::Principal>& who) {
  return Message(403, "Only admins manage accounts",
                 "Ask an admin to add, change or disable an account.", who);
}

json LockOutsOf(const std::vector<auth::Authenticator::LockOut>& locks, const std::string& name) {
  json out = json::array();
  for (const auto& l : locks)
    if (l.name == name)
      out.push_back(
          {{"text", fmt::format("Locked out {} until {} ({} failed sign-ins)",
                                l.address.empty() ? std::string("from every address")
                                                  : "at " + l.address,
                                LongTimestamp(UtcTimestamp(l.until * 1000)), l.failures)}});
  return out;
}

}  // namespace

void RegisterAdminPages(Router& router, WebAuth& auth) {
  AppContext& ctx = auth.ctx();

  // The list, with the form to add an account (shown again with its errors).
  auto accounts = [&auth, &ctx](Request& req) {
    PageGate g = Gate(auth, req);
    if (g.refusal) return *g.refusal;
    if (!auth::CanManageUsers(*g.who)) return NotAdmin(g.who);
    auto store = ctx.stores->Get();
    if (!store) return ErrorPage(store.error(), g.who);
    FormErrors errors;
    const std::string name = FormValue(g.form, "name"), role = FormValue(g.form, "role");
    const std::string owners_text = FormValue(g.form, "owners");
    if (req.method == "POST") {
      const std::vector<std::string> owners = OwnerLines(owners_text);
      if (name.empty()) {
        errors.Add("name", "Enter a user name");
      } else if (auto ok = auth::CheckUserName(name); !ok) {
        errors.Add("name", "Enter a user name of 1 to 64 characters, without spaces");
      } else if (auto existing = (*store)->GetUser(name); existing) {
        errors.Add("name", fmt::format("An account called '{}' already exists", name));
      }
      CheckRoleAndOwners(**store, role, owners, &errors);
      CheckNewPassword(FormValue(g.form, "password"), FormValue(g.form, "confirm"), &errors);
      if (errors.empty()) {
        auto u = auth::CreateUser(**store, name, role, owners, FormValue(g.form, "password"),
                                  g.who->actor());
        if (u) return Done(fmt::format("/accounts/{}?done=added", u->id));
        if (u.error().code != Error::Code::kInvalidInput &&
            u.error().code != Error::Code::kNotFound && u.error().code != Error::Code::kConflict)
          return ErrorPage(u.error(), g.who);
        errors.Add("name", u.error().message);
      }
    }
    auto users = (*store)->ListUsers();
    if (!users) return ErrorPage(users.error(), g.who);
    auto locks = auth.authenticator().LockOuts(**store);
    if (!locks) return ErrorPage(locks.error(), g.who);
    const std::string csrf = auth::MaskCsrf(g.who->csrf_token);
    json rows = json::array();
    for (const User& u : *users) {
      json lockouts = LockOutsOf(*locks, u.name);
      rows.push_back({{"name", u.name},
                      {"href", fmt::format("/accounts/{}", u.id)},
                      {"role", RoleLabel(u.role)},
                      {"owners", fmt::format("{}", fmt::join(u.owner_names, "; "))},
                      {"disabled", u.disabled},
                      {"locked", !lockouts.empty()},
                      {"lockouts", lockouts},
                      {"you", u.name == g.who->name}});
    }
    json addresses = json::array();
    for (const auto& l : *locks)
      if (l.name.empty())
        addresses.push_back({{"address", l.address},
                             {"until", LongTimestamp(UtcTimestamp(l.until * 1000))},
                             {"failures", l.failures},
                             {"csrf", csrf}});
    json view = {{"title", "Accounts"},
                 {"users", rows},
                 {"count_text", rows.size() == 1 ? std::string("1 account")
                                                 : fmt::format("{} accounts", rows.size())},
                 {"addresses", addresses},
                 {"has_addresses", !addresses.empty()},
                 {"csrf", csrf},
                 {"name", name},
                 {"roles", RoleOptions(role)},
                 {"owners", owners_text},
                 {"unlocked", req.method == "GET" ? json(req.Query("unlocked")) : json("")}};
    errors.Into(view);
    return StaffPage(errors.empty() ? 200 : 400, "Accounts", "accounts", view, g.who);
  };
  router.Add("GET", "/accounts", accounts);
  router.Add("POST", "/accounts", accounts);

  router.Add("POST", "/accounts/unlock-address", [&auth, &ctx](Request& req) {
    PageGate g = Gate(auth, req);
    if (g.refusal) return *g.refusal;
    if (!auth::CanManageUsers(*g.who)) return NotAdmin(g.who);
    auto store = ctx.stores->Get();
    if (!store) return ErrorPage(store.error(), g.who);
    const std::string address = FormValue(g.form, "address");
    if (address.empty())
      return Message(400, "There is a problem", "Say which address to unlock.", g.who,
                     "/accounts", "Back to accounts");
    auto n = auth.authenticator().Unlock(**store, "", address);
    if (!n) return ErrorPage(n.error(), g.who);
    return Done("/accounts?unlocked=" + PercentEncode(address));
  });

  // One account: what it is, and a form for each change.
  auto account = [&auth, &ctx](Request& req) {
    PageGate g = Gate(auth, req);
    if (g.refusal) return *g.refusal;
    if (!auth::CanManageUsers(*g.who)) return NotAdmin(g.who);
    auto id = PositiveId(req.Param("id"));
    if (!id) return Message(404, "Page not found", "No such account.", g.who);
    auto store = ctx.stores->Get();
    if (!store) return ErrorPage(store.error(), g.who);
    auto user = (*store)->GetUserById(*id);
    if (!user) return ErrorPage(user.error(), g.who);
    const std::string action = req.Param("action");
    const bool self = user->name == g.who->name;
    const std::string back = fmt::format("/accounts/{}", user->id);
    FormErrors errors;
    std::string role = user->role;
    std::string owners_text = fmt::format("{}", fmt::join(user->owner_names, "\n"));
    if (req.method == "POST") {
      Status s;
      if (action == "role") {
        role = FormValue(g.form, "role");
        owners_text = FormValue(g.form, "owners");
        const std::vector<std::string> owners = OwnerLines(owners_text);
        if (self && role != user->role)
          errors.Add("role", "Another admin changes your own role");
        CheckRoleAndOwners(**store, role, owners, &errors);
        if (errors.empty()) {
          auto u = auth::ChangeRole(**store, user->name, role, owners, g.who->actor());
          if (u) return Done(back + "?done=role");
          if (u.error().code == Error::Code::kConflict ||
              u.error().code == Error::Code::kInvalidInput ||
              u.error().code == Error::Code::kNotFound)
            errors.Add("role", u.error().message);
          else
            return ErrorPage(u.error(), g.who);
        }
      } else if (action == "disable" || action == "enable") {
        if (self)
          return Message(409, "You cannot disable your own account",
                         "Another admin does that.", g.who, back, "Back to your account");
        s = action == "disable" ? auth::DisableAccount(**store, user->name, g.who->actor())
                                : auth::EnableAccount(**store, user->name, g.who->actor());
        if (!s && s.error().code == Error::Code::kConflict)
          return Message(409, "This account stays", s.error().message, g.who, back,
                         "Back to the account");
        if (!s) return ErrorPage(s.error(), g.who);
        return Done(back + "?done=" + (action == "disable" ? "disabled" : "enabled"));
      } else if (action == "unlock") {
        auto n = auth.authenticator().Unlock(**store, user->name, "");
        if (!n) return ErrorPage(n.error(), g.who);
        return Done(back + "?done=unlocked");
      } else if (action == "password") {
        CheckNewPassword(FormValue(g.form, "password"), FormValue(g.form, "confirm"), &errors);
        if (errors.empty()) {
          s = auth::ResetPassword(**store, user->name, FormValue(g.form, "password"),
                                  g.who->actor());
          if (!s) return ErrorPage(s.error(), g.who);
          return Done(back + "?done=password");
        }
      } else {
        return Message(404, "Page not found", "No such change.", g.who);
      }
    }
    auto locks = auth.authenticator().LockOuts(**store);
    if (!locks) return ErrorPage(locks.error(), g.who);
    json lockouts = LockOutsOf(*locks, user->name);
    static const std::map<std::string, std::string> kDone = {
        {"added", "The account was added. Give its user the password by a safe route; they "
                  "can change it once signed in."},
        {"role", "The role was changed. It applies from the user's next page."},
        {"disabled", "The account was disabled: its sessions ended and its API tokens were revoked."},
        {"enabled", "The account was enabled. Its old API tokens stay revoked."},
        {"unlocked", "Its sign-in lock-outs were lifted."},
        {"password", "The password was set. Every session of this account has ended."}};
    json done = nullptr;
    if (auto it = kDone.find(req.Query("done")); req.method == "GET" && it != kDone.end())
      done = it->second;
    json view = {{"title", "Account: " + user->name},
                 {"name", user->name},
                 {"role_label", RoleLabel(user->role)},
                 {"owner_names", user->owner_names},
                 {"has_owners", !user->owner_names.empty()},
                 {"disabled", user->disabled},
                 {"created_at", user->created_at.substr(0, 10)},
                 {"lockouts", lockouts},
                 {"locked", !lockouts.empty()},
                 {"self", self},
                 {"csrf", auth::MaskCsrf(g.who->csrf_token)},
                 {"action_base", back},
                 {"roles", RoleOptions(role)},
                 {"owners", owners_text},
                 {"done", done},
                 {"error_form", action}};
    errors.Into(view);
    return StaffPage(errors.empty() ? 200 : 400, "Account: " + user->name, "account", view, g.who);
  };
  router.Add("GET", "/accounts/{id}", account);
  router.Add("POST", "/accounts/{id}/{action}", account);
}

}  // namespace rectrack::web
