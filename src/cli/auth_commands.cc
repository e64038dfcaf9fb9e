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
  std::string name, role, password_file, label, format = "text";
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
  auto* user = app.add_subcommand("user", "Manage accounts: add, list, disable, password, API tokens");
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
    if (args->format == "json") {
      json out = json::array();
      for (const auto& u : *users)
        out.push_back({{"name", u.name}, {"role", u.role}, {"owners", u.owner_names},
                       {"disabled", u.disabled}, {"created_at", u.created_at}});
      std::printf("%s\n", out.dump(2).c_str());
    } else {
      for (const auto& u : *users)
        std::printf("%-20s %-12s %-9s %s\n", u.name.c_str(), u.role.c_str(),
                    u.disabled ? "disabled" : "active", Join(u.owner_names, "; ").c_str());
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
    auto s = (*store)->DisableUser(args->name, CliActor());
    if (!s) {
      *rc = Report(s.error());
      return;
    }
    std::printf("disabled %s\n", args->name.c_str());
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
