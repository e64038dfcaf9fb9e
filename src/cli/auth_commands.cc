#include "cli/auth_commands.h"

#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/auth.h"
#include "app/publication_signature.h"
#include "cli/common.h"
#include "core/text.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace rectrack::cli {
namespace {

using json = nlohmann::json;


void StripNewline(std::string* s) {
  while (!s->empty() && (s->back() == '\n' || s->back() == '\r')) s->pop_back();
}

// Reads a line from the terminal without echoing it.
Result<std::string> ReadHidden(const char* prompt) {
  std::fprintf(stderr, "%s", prompt);
  std::fflush(stderr);
  termios old{};
  bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::fprintf(stderr, "\n");
  }
  if (!got) return Fail(Error::Invalid("no password given on standard input"));
  StripNewline(&line);
  return line;
}

// The password from --password-file (its first line), else standard input:
// asked twice on a terminal, one line otherwise.
Result<std::string> ReadPassword(const std::string& file) {
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Fail(Error::Io(fmt::format("{}: cannot be read", file)));
    std::string line;
    std::getline(in, line);
    StripNewline(&line);
    return line;
  }
  if (isatty(STDIN_FILENO)) {
    auto a = ReadHidden("Password: ");
    if (!a) return a;
    auto b = ReadHidden("Password again: ");
    if (!b) return b;
    if (*a != *b) return Fail(Error::Invalid("the two passwords differ"));
    return a;
  }
  std::string line;
  if (!std::getline(std::cin, line))
    return Fail(Error::Invalid("no password given on standard input (or use --password-file)"));
  StripNewline(&line);
  return line;
}

struct UserArgs {
  std::string name, role, password_file, label, address, format = "text";
  std::vector<std::string> owners;
};

int VerifyPublicationCommand(const std::string& file, const std::string& key) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Report(Error::Io(fmt::format("{}: cannot be read", file)));
  std::stringstream ss;
  ss << in.rdbuf();
  PublicationCheck c = CheckPublicationDocument(ss.str(), key);
  if (c.ok) {
    std::printf("publication OK: %lld \"%s\" of %s as of %s\n", static_cast<long long>(c.id),
                c.title.c_str(), c.source.c_str(), c.as_of.c_str());
    std::printf("snapshot sha256 %s matches its digest\n", c.snapshot_sha256.c_str());
    std::printf("ed25519 signature valid, key %s\n", c.public_key.c_str());
    if (!c.key_checked)
      std::printf(
          "note: the key was not compared with one you trust; get the tracker's key from "
          "GET /api/v1/signing-key and pass it with --key\n");
    return kOk;
  }
  std::fprintf(stderr, "publication BROKEN: %s\n", file.c_str());
  for (const auto& p : c.problems) std::fprintf(stderr, "  %s\n", p.c_str());
  return kVerifyFailed;
}

}  // namespace

void AddAuthCommands(CLI::App& app, std::function<Result<std::unique_ptr<Store>>()> open,
                     const std::function<void(CLI::App*)>& add_db, int* rc) {
  auto args = std::make_shared<UserArgs>();
  auto* user = app.add_subcommand(
      "user", "Manage accounts: add, list, role, disable, enable, unlock, password, API tokens");
  user->require_subcommand(1);

  auto* add = user->add_subcommand("add", "Add a user (the password is read from stdin)");
  add_db(add);
  add->add_option("NAME", args->name, "User name")->required();
  add->add_option("--role", args->role, "admin, coordinator, editor or viewer")->required();
  add->add_option("--owner", args->owners, "An owner an editor acts for (repeat for several)");
  add->add_option("--password-file", args->password_file,
                  "Read the password from the first line of this file");
  add->callback([=]() {
    auto password = ReadPassword(args->password_file);
    if (!password) {
      *rc = Report(password.error());
      return;
    }
    auto store = open();
    if (!store) {
      *rc = Report(store.error());
      return;
    }
    auto u = auth::CreateUser(**store, args->name, args->role, args->owners, *password,
                              CliActor());
    if (!u) {
      *rc = Report(u.error());
      return;
    }
    std::printf("added %s (%s%s%s)\n", u->name.c_str(), u->role.c_str(),
                u->owner_names.empty() ? "" : " for ",
                Join(u->owner_names, ", ").c_str());
    *rc = kOk;
  });

  auto* list = user->add_subcommand("list", "List users with their roles and owners");
  add_db(list);
  list->add_option("--format", args->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  list->callback([=]() {
    auto store = open();
    if (!store) {
      *rc = Report(store.error());
      return;
    }
    auto users = (*store)->ListUsers();
    if (!users) {
      *rc = Report(users.error());
      return;
    }
    auto locks = auth::Authenticator().LockOuts(**store);
    if (!locks) {
      *rc = Report(locks.error());
      return;
    }
    // The lock-outs of one account: everywhere ("" address) or at an address.
    auto locks_of = [&](const std::string& name) {
      json out = json::array();
      for (const auto& l : *locks)
        if (l.name == name)
          out.push_back({{"address", l.address.empty() ? json(nullptr) : json(l.address)},
                         {"failures", l.failures},
                         {"until", UtcTimestamp(l.until * 1000)}});
      return out;
    };
    if (args->format == "json") {
      json out = json::array();
      for (const auto& u : *users)
        out.push_back({{"name", u.name}, {"role", u.role}, {"owners", u.owner_names},
                       {"disabled", u.disabled}, {"created_at", u.created_at},
                       {"locked_out", locks_of(u.name)}});
      std::printf("%s\n", out.dump(2).c_str());
    } else {
      for (const auto& u : *users) {
        std::string line = fmt::format("{:<20} {:<12} {:<9} {}", u.name, u.role,
                                       u.disabled ? "disabled" : "active",
                                       Join(u.owner_names, "; "));
        while (!line.empty() && line.back() == ' ') line.pop_back();
        std::printf("%s\n", line.c_str());
        for (const auto& l : locks_of(u.name))
          std::printf("  locked out %s%s until %s (%lld failed sign-ins; `rectrack user unlock %s`)\n",
                      l["address"].is_null() ? "from every address" : "at ",
                      l["address"].is_null() ? "" : l["address"].get<std::string>().c_str(),
                      l["until"].get<std::string>().c_str(),
                      static_cast<long long>(l["failures"].get<int64_t>()), u.name.c_str());
      }
      for (const auto& l : *locks)
        if (l.name.empty())
          std::printf("address %s is locked out for every account until %s (%lld failed "
                      "sign-ins; `rectrack user unlock --address %s`)\n",
                      l.address.c_str(), UtcTimestamp(l.until * 1000).c_str(),
                      static_cast<long long>(l.failures), l.address.c_str());
    }
    *rc = kOk;
  });

  auto* disable = user->add_subcommand(
      "disable", "Disable a user: ends their sessions and revokes their API tokens");
  add_db(disable);
  disable->add_option("NAME", args->name, "User name")->required();
  disable->callback([=]() {
    auto store = open();
    if (!store) {
      *rc = Report(store.error());
      return;
    }
    auto s = auth::DisableAccount(**store, args->name, CliActor());
    if (!s) {
      *rc = Report(s.error());
      return;
    }
    std::printf("disabled %s: their sessions have ended and their API tokens are revoked\n",
                args->name.c_str());
    *rc = kOk;
  });

  auto* enable = user->add_subcommand(
      "enable", "Let a disabled user sign in again (their old API tokens stay revoked)");
  add_db(enable);
  enable->add_option("NAME", args->name, "User name")->required();
  enable->callback([=]() {
    auto store = open();
    if (!store) {
      *rc = Report(store.error());
      return;
    }
    auto before = (*store)->GetUser(args->name);
    if (!before) {
      *rc = Report(before.error());
      return;
    }
    auto s = auth::EnableAccount(**store, args->name, CliActor());
    if (!s) {
      *rc = Report(s.error());
      return;
    }
    std::printf(before->disabled ? "enabled %s\n" : "%s was not disabled: nothing changed\n",
                args->name.c_str());
    *rc = kOk;
  });

  auto* role = user->add_subcommand(
      "role", "Give a user another role, or an editor other owners (--owner, repeated)");
  add_db(role);
  role->add_option("NAME", args->name, "User name")->required();
  role->add_option("--role", args->role, "admin, coordinator, editor or viewer")->required();
  role->add_option("--owner", args->owners, "An owner an editor acts for (repeat for several)");
  role->callback([=]() {
    auto store = open();
    if (!store) {
      *rc = Report(store.error());
      return;
    }
    auto before = (*store)->GetUser(args->name);
    if (!before) {
      *rc = Report(before.error());
      return;
    }
    auto u = auth::ChangeRole(**store, args->name, args->role, args->owners, CliActor());
    if (!u) {
      *rc = Report(u.error());
      return;
    }
    auto describe = [](const User& x) {
      return x.role + (x.owner_names.empty() ? "" : " for " + Join(x.owner_names, ", "));
    };
    if (describe(*before) == describe(*u))
      std::printf("%s is already %s: nothing changed\n", u->name.c_str(), describe(*u).c_str());
    else
      std::printf("%s: %s -> %s\n", u->name.c_str(), describe(*before).c_str(),
                  describe(*u).c_str());
    *rc = kOk;
  });

  auto* unlock = user->add_subcommand(
      "unlock",
      "Lift a sign-in lock-out: an account's (everywhere) and/or an address's (--address)");
  add_db(unlock);
  unlock->add_option("NAME", args->name, "User name");
  unlock->add_option("--address", args->address, "An address locked out for every account");
  unlock->callback([=]() {
    if (args->name.empty() && args->address.empty()) {
      *rc = Report(Error::Invalid("give a user NAME, --address ADDRESS, or both"));
      return;
    }
    auto store = open();
    if (!store) {
      *rc = Report(store.error());
      return;
    }
    if (!args->name.empty()) {
      auto u = (*store)->GetUser(args->name);
      if (!u) {
        *rc = Report(u.error());
        return;
      }
    }
    auto n = auth::Authenticator().Unlock(**store, args->name, args->address);
    if (!n) {
      *rc = Report(n.error());
      return;
    }
    std::string what = args->name.empty()  ? "address " + args->address
                       : args->address.empty() ? args->name
                                               : args->name + " and address " + args->address;
    std::printf("unlocked %s: %lld failed sign-in%s forgotten\n", what.c_str(),
                static_cast<long long>(*n), *n == 1 ? "" : "s");
    *rc = kOk;
  });

  auto* password = user->add_subcommand(
      "password",
      "Set a new password for a user (read from stdin) and end all of their sessions");
  add_db(password);
  password->add_option("NAME", args->name, "User name")->required();
  password->add_option("--password-file", args->password_file,
                       "Read the password from the first line of this file");
  password->callback([=]() {
    auto pw = ReadPassword(args->password_file);
    if (!pw) {
      *rc = Report(pw.error());
      return;
    }
    auto store = open();
    if (!store) {
      *rc = Report(store.error());
      return;
    }
    auto s = auth::ResetPassword(**store, args->name, *pw, CliActor());
    if (!s) {
      *rc = Report(s.error());
      return;
    }
    std::printf("set a new password for %s; their sessions have ended\n", args->name.c_str());
    *rc = kOk;
  });

  auto* token = user->add_subcommand(
      "token", "Make an API token for a user (Authorization: Bearer); shown once");
  add_db(token);
  token->add_option("NAME", args->name, "User name")->required();
  token->add_option("--name", args->label, "What the token is for (a label)")->required();
  token->callback([=]() {
    auto store = open();
    if (!store) {
      *rc = Report(store.error());
      return;
    }
    auto t = auth::CreateApiToken(**store, args->name, args->label, CliActor());
    if (!t) {
      *rc = Report(t.error());
      return;
    }
    std::printf("%s\n", t->c_str());
    std::fprintf(stderr,
                 "This token is shown once and stored only as its SHA-256. Send it as "
                 "\"Authorization: Bearer <token>\".\n");
    *rc = kOk;
  });

  auto vp_file = std::make_shared<std::string>();
  auto vp_key = std::make_shared<std::string>();
  auto* verify = app.add_subcommand(
      "verify-publication",
      "Check a downloaded publication (GET /api/v1/publications/ID) offline: digest and "
      "signature");
  verify->add_option("FILE", *vp_file, "The publication's JSON")->required();
  verify->add_option("--key", *vp_key, "The tracker's public key (hex) to require");
  verify->callback([=]() { *rc = VerifyPublicationCommand(*vp_file, *vp_key); });
}

}  // namespace rectrack::cli
