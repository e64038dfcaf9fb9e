#include "cli/backup_commands.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "cli/common.h"
#include "fmt/format.h"
#include "store/backup.h"
#include "store/keyfile.h"
#include "store/verify.h"

namespace rectrack::cli {
namespace {

namespace fs = std::filesystem;

struct BackupArgs {
  std::string out;
  bool force = false;
  bool with_key = false;
};

struct RestoreArgs {
  std::string backup;
  std::string to;
  std::string key_file;
};

// Where the key of the store at `location` is, as words for a person.
std::string KeyWhere(const std::string& location, const KeyOptions& keys) {
  if (!keys.seed_hex.empty()) return "the environment variable RECTRACK_SIGNING_KEY";
  std::string file = KeyFileFor(location, keys);
  return file.empty() ? "" : file;
}

int BackupCommand(const StoreAccess& access, const BackupArgs& args) {
  const std::string location = access.db_path();
  const KeyOptions keys = access.keys();
  const std::string key_out = args.out + ".key";
  std::error_code ec;
  if (!args.force && fs::exists(args.out, ec))
    return Report(Error::Conflict(
        fmt::format("'{}' exists: give a new name, or --force to replace it", args.out)));
  // The key first: with --with-key, no backup is written unless its key can be.
  std::optional<SigningKeyPair> key;
  if (args.with_key) {
    if (!args.force && fs::exists(key_out, ec))
      return Report(Error::Conflict(
          fmt::format("'{}' exists: give a new name, or --force to replace it", key_out)));
    auto k = LoadKey(location, keys);
    if (!k)
      return Report(Error{k.error().code,
                          fmt::format("--with-key: {}{}", k.error().message,
                                      IsPostgresUrl(location)
                                          ? " (a PostgreSQL store's key file is named with "
                                            "--key-file or RECTRACK_KEY_FILE)"
                                          : "")});
    key = *k;
  }
  auto info = BackupStore(location, args.out, args.force);
  if (!info) return Report(info.error());
  if (info->engine == "sqlite") {
    std::printf("backed up %s to %s: %lld bytes, one consistent state (SQLite online backup%s)\n",
                location.c_str(), args.out.c_str(), static_cast<long long>(info->bytes),
                info->restarts ? fmt::format(", started again {} time(s) as the store changed",
                                             info->restarts)
                                     .c_str()
                               : "");
  } else {
    std::printf("backed up schema %s of %s to %s: %lld bytes (pg_dump, custom format, one snapshot)\n",
                info->schema.c_str(), DisplayLocation(location).c_str(), args.out.c_str(),
                static_cast<long long>(info->bytes));
  }
  if (key) {
    auto w = WriteKeyFile(key_out, *key, !args.force);
    if (!w) return Report(Error{w.error().code, fmt::format("the backup is written, but its key is "
                                                            "not: {}",
                                                            w.error().message)});
    std::printf("its signing key: %s (mode 0600). Keep it apart from the backup: whoever holds "
                "both can sign as the tracker\n",
                key_out.c_str());
  } else {
    std::string where = KeyWhere(location, keys);
    std::printf("NOTE: the signing key is not in the backup: back up %s separately (or run again "
                "with --with-key); without it the restored tracker can be read and verified but "
                "not written to\n",
                where.empty() ? "the tracker's key file" : where.c_str());
  }
  return kOk;
}

int RestoreCommand(const RestoreArgs& args) {
  auto format = ReadBackupFormat(args.backup);
  if (!format) return Report(format.error());
  // The key the restored store is to use: --key-file, else the one `backup
  // --with-key` wrote beside the backup.
  std::string key_file = args.key_file;
  std::error_code ec;
  if (key_file.empty() && fs::exists(args.backup + ".key", ec)) key_file = args.backup + ".key";
  std::optional<SigningKeyPair> key;
  if (!key_file.empty()) {
    auto k = ReadKeyFile(key_file);
    if (!k) return Report(k.error());
    key = *k;
  }
  const bool to_pg = IsPostgresUrl(args.to);
  // An SQLite store keeps its key beside it: put it there unless that very
  // key is there already.
  std::string target_key;
  if (!to_pg && key) {
    target_key = DefaultKeyFile(args.to);
    if (fs::exists(target_key, ec)) {
      auto there = ReadKeyFile(target_key);
      if (!there) return Report(there.error());
      if (there->public_key_hex != key->public_key_hex)
        return Report(Error::Conflict(fmt::format(
            "'{}' holds another key than {}: remove it or restore elsewhere", target_key, key_file)));
      target_key.clear();  // already in place
    }
  }
  auto info = RestoreStore(args.backup, args.to);
  if (!info) return Report(info.error());
  auto undo = [&]() {
    if (auto r = RemoveRestoredStore(args.to); !r)
      std::fprintf(stderr, "rectrack: could not remove the restored store: %s\n",
                   r.error().message.c_str());
    if (!target_key.empty()) std::remove(target_key.c_str());
  };
  if (!target_key.empty()) {
    if (auto w = WriteKeyFile(target_key, *key, true); !w) {
      undo();
      return Report(w.error());
    }
  }
  KeyOptions keys;
  keys.key_file = to_pg ? key_file : (key ? DefaultKeyFile(args.to) : "");
  auto store = OpenStore(args.to, keys);
  if (!store) {
    undo();
    return Report(Error{store.error().code,
                        fmt::format("the restored store does not open, so it was removed: {}",
                                    store.error().message)});
  }
  VerifyOptions o;
  if (key) o.operator_key = key->public_key_hex;
  auto rep = VerifyStore(**store, o);
  store->reset();
  if (!rep || !rep->ok) {
    undo();
    if (!rep)
      return Report(Error{rep.error().code, fmt::format("verify of the restored store failed, so it "
                                                        "was removed: {}",
                                                        rep.error().message)});
    std::fprintf(stderr, "rectrack: error: the restored store FAILS verify, so it was removed (%s is "
                 "not a faithful backup of a tracker, or the key given is not its key):\n",
                 args.backup.c_str());
    for (const auto& p : rep->problems) std::fprintf(stderr, "  %s\n", p.c_str());
    return kVerifyFailed;
  }
  int64_t rows = 0;
  for (const auto& [t, n] : rep->rows_checked) rows += n;
  if (to_pg)
    std::printf("restored %s into schema %s of %s\n", args.backup.c_str(), info->schema.c_str(),
                DisplayLocation(args.to).c_str());
  else
    std::printf("restored %s to %s\n", args.backup.c_str(), args.to.c_str());
  std::printf("verify OK: %lld event(s), head %lld %s; %s rows in %zu tables match the ledger; %lld "
              "publication(s), %lld checkpoint(s) and %lld key(s) verified; search index and "
              "secrets checked%s; state %s\n",
              static_cast<long long>(rep->events), static_cast<long long>(rep->head.seq),
              rep->head.hash.c_str(), std::to_string(rows).c_str(), rep->rows_checked.size(),
              static_cast<long long>(rep->publications), static_cast<long long>(rep->checkpoints),
              static_cast<long long>(rep->keys), key ? "; signed by the key file's key" : "",
              rep->state_digest.c_str());
  if (!key)
    std::printf("NOTE: no key given (--key-file): the restored tracker can be read and verified; "
                "to write to it, give its key file%s\n",
                to_pg ? " with --key-file to every server" : fmt::format(" at {}", DefaultKeyFile(args.to)).c_str());
  else if (!target_key.empty())
    std::printf("its key: %s (a copy of %s, mode 0600)\n", target_key.c_str(), key_file.c_str());
  else if (to_pg)
    std::printf("its key: %s (give it with --key-file to every server that writes)\n",
                key_file.c_str());
  return kOk;
}

}  // namespace

void AddBackupCommands(CLI::App& app, StoreAccess access,
                       const std::function<void(CLI::App*)>& add_db, int* rc) {
  auto a = std::make_shared<StoreAccess>(std::move(access));

  auto b = std::make_shared<BackupArgs>();
  auto* backup = app.add_subcommand(
      "backup",
      "Write a consistent copy of the store to a file while servers keep running (SQLite: its "
      "online backup API; PostgreSQL: pg_dump of the store's schema). The signing key is not in "
      "it: back up the key file apart, or give --with-key");
  add_db(backup);
  backup->add_option("OUT", b->out, "The backup file to write (a new file)")->required();
  backup->add_flag("--force", b->force, "Replace OUT (and OUT.key) if it exists");
  backup->add_flag("--with-key", b->with_key,
                   "Also copy the signing key to OUT.key (mode 0600): keep it apart from OUT");
  backup->callback([=]() { *rc = BackupCommand(*a, *b); });

  auto r = std::make_shared<RestoreArgs>();
  auto* restore = app.add_subcommand(
      "restore",
      "Make a backup a new store at --to (a new file, or an empty PostgreSQL schema), then verify "
      "it in full; a restore that fails verify is removed (exit 3)");
  restore->add_option("BACKUP", r->backup, "A file written by `rectrack backup`")->required();
  restore->add_option("--to", r->to,
                      "The new store: a file that does not exist, or postgresql://... whose schema "
                      "(search_path) does not exist or is empty")
      ->required();
  restore->add_option("--key-file", r->key_file,
                      "The tracker's key file (default: BACKUP.key when there is one): checked "
                      "against the store's key; an SQLite store gets a copy beside it");
  restore->callback([=]() { *rc = RestoreCommand(*r); });
}

}  // namespace rectrack::cli
