#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "store/backup.h"

namespace rectrack::pg {

// `rectrack backup` and `restore` of a PostgreSQL store, with PostgreSQL's own
// tools: pg_dump (custom format) of the store's schema, pg_restore of it. They
// run as child processes from an argument vector (no shell); the URL's
// password, if it has one, goes to them in PGPASSWORD, never on their command
// line, where other users of the machine could read it.

// pg_dump of the schema the URL's connection uses (current_schema(): its
// search_path, e.g. ?options=-csearch_path%3Dtracker) into the file `tmp`.
// kNotFound when that schema holds no rectrack store, or pg_dump is missing.
Result<BackupInfo> BackupSchema(const std::string& url, const std::string& tmp);

// pg_restore of the archive `backup` into the URL's schema, which must not
// exist or be empty. pg_restore recreates the schema the archive names, in one
// transaction; when the URL names another schema, the restored one is then
// renamed to it (the archive's schema must not exist in that database then).
// The database gets the unaccent extension in schema rectrack_ext if it lacks
// it, as a new store does.
Result<BackupInfo> RestoreSchema(const std::string& backup, const std::string& url);

// Drops the URL's schema and all in it (a restore whose check failed).
Status DropRestoredSchema(const std::string& url);

// What a child process said and how it ended.
struct ProgramRun {
  int exit_code = -1;  // -1: killed by a signal
  std::string out, err;
};
// The full path of `name` on $PATH; kNotFound when it is not there.
Result<std::string> FindProgram(const std::string& name);
// Runs `argv` (argv[0] a full path) with `env` added to the environment, and
// collects its output.
Result<ProgramRun> RunProgram(const std::vector<std::string>& argv,
                              const std::vector<std::string>& env);

}  // namespace rectrack::pg
