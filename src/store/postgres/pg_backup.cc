#include "store/postgres/pg_backup.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

#include "fmt/format.h"
#include "store/postgres/pg_db.h"
#include "store/postgres/pg_store.h"

extern char** environ;

namespace rectrack::pg {
namespace {

namespace fs = std::filesystem;

// The URL as a libpq connection string for pg_dump and pg_restore, without the
// password (which goes in PGPASSWORD): keyword='value' pairs, libpq's quoting.
struct ToolConnection {
  std::string conninfo;
  std::string password;
};

Result<ToolConnection> ForTools(const std::string& url) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (!opts) {
    std::string m = err ? err : "out of memory";
    PQfreemem(err);
    while (!m.empty() && m.back() == '\n') m.pop_back();
    return Fail(Error::Invalid(fmt::format("{}: {}", RedactUrl(url), m)));
  }
  ToolConnection out;
  for (PQconninfoOption* o = opts; o->keyword; ++o) {
    if (!o->val || !*o->val) continue;
    if (std::strcmp(o->keyword, "password") == 0) {
      out.password = o->val;
      continue;
    }
    std::string v;
    for (const char* c = o->val; *c; ++c) {
      if (*c == '\'' || *c == '\\') v += '\\';
      v += *c;
    }
    if (!out.conninfo.empty()) out.conninfo += ' ';
    out.conninfo += fmt::format("{}='{}'", o->keyword, v);
  }
  PQconninfoFree(opts);
  return out;
}

std::vector<std::string> ToolEnv(const ToolConnection& c) {
  std::vector<std::string> env;
  if (!c.password.empty()) env.push_back("PGPASSWORD=" + c.password);
  return env;
}

std::string Quoted(PgConnection& conn, const std::string& ident) {
  char* q = PQescapeIdentifier(conn.raw(), ident.data(), ident.size());
  std::string out = q ? q : "";
  PQfreemem(q);
  return out;
}

Result<std::optional<std::string>> QueryOne(PgConnection& conn, const std::string& sql,
                                            const std::vector<std::string>& params) {
  auto st = conn.Prepare(sql);
  if (!st) return Fail(st.error());
  for (size_t i = 0; i < params.size(); ++i) (*st)->Bind(static_cast<int>(i + 1), params[i]);
  auto row = (*st)->Step();
  if (!row) {
    (*st)->Reset();
    return Fail(row.error());
  }
  std::optional<std::string> v;
  if (*row && !(*st)->IsNull(0)) v = (*st)->Str(0);
  (*st)->Reset();
  return v;
}

Result<int64_t> CountOf(PgConnection& conn, const std::string& sql,
                        const std::vector<std::string>& params) {
  auto v = QueryOne(conn, sql, params);
  if (!v) return Fail(v.error());
  return *v ? std::strtoll((*v)->c_str(), nullptr, 10) : 0;
}

// The schema the connection's search_path names first (whether it exists or
// not): current_schema() when it exists.
Result<std::string> NamedSchema(PgConnection& conn) {
  auto cur = QueryOne(conn, "SELECT current_schema()", {});
  if (!cur) return Fail(cur.error());
  if (*cur) return **cur;
  auto path = QueryOne(conn, "SELECT current_setting('search_path')", {});
  if (!path) return Fail(path.error());
  std::string first = (*path).value_or("");
  first = first.substr(0, first.find(','));
  while (!first.empty() && first.front() == ' ') first.erase(0, 1);
  while (!first.empty() && first.back() == ' ') first.pop_back();
  if (first.size() >= 2 && first.front() == '"' && first.back() == '"')
    first = first.substr(1, first.size() - 2);
  if (first.empty() || first == "$user")
    return Fail(Error::Invalid(
        "the URL names no schema: add ?options=-csearch_path%3DNAME (docs/deploy.md)"));
  return first;
}

Result<bool> SchemaExists(PgConnection& conn, const std::string& schema) {
  auto n = CountOf(conn, "SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = ?", {schema});
  if (!n) return Fail(n.error());
  return *n > 0;
}

// How many objects the schema holds: relations, functions, types, text search
// configurations and dictionaries.
Result<int64_t> ObjectsIn(PgConnection& conn, const std::string& schema) {
  return CountOf(conn,
                 "SELECT (SELECT count(*) FROM pg_catalog.pg_class c WHERE c.relnamespace = n.oid)"
                 " + (SELECT count(*) FROM pg_catalog.pg_proc p WHERE p.pronamespace = n.oid)"
                 " + (SELECT count(*) FROM pg_catalog.pg_type t WHERE t.typnamespace = n.oid)"
                 " + (SELECT count(*) FROM pg_catalog.pg_ts_config f WHERE f.cfgnamespace = n.oid)"
                 " + (SELECT count(*) FROM pg_catalog.pg_ts_dict d WHERE d.dictnamespace = n.oid)"
                 " FROM pg_catalog.pg_namespace n WHERE n.nspname = ?",
                 {schema});
}

Error ToolFailed(const std::string& tool, const ProgramRun& run) {
  std::string err = run.err;
  while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
  if (err.size() > 4000) err = err.substr(0, 4000) + "…";
  return Error::Io(fmt::format("{} failed ({}){}{}", tool,
                               run.exit_code < 0 ? std::string("killed by a signal")
                                                 : fmt::format("exit {}", run.exit_code),
                               err.empty() ? "" : ": ", err));
}

Result<std::string> Tool(const char* name) {
  auto path = FindProgram(name);
  if (!path)
    return Fail(Error::NotFound(fmt::format(
        "{} was not found on PATH: a PostgreSQL store is backed up and restored with PostgreSQL's "
        "own tools; install the client of the server's version (Debian: apt-get install "
        "postgresql-client-15)",
        name)));
  return path;
}

Result<std::unique_ptr<PgConnection>> Connect(const std::string& url) {
  auto conn = PgConnection::Open(url);
  if (!conn)
    return Fail(Error{conn.error().code,
                      fmt::format("PostgreSQL store {}: {}", RedactUrl(url), conn.error().message)});
  return conn;
}

}  // namespace

Result<std::string> FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (access(name.c_str(), X_OK) == 0) return name;
    return Fail(Error::NotFound(fmt::format("{} is not an executable", name)));
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t at = 0;
  while (at <= dirs.size()) {
    size_t end = dirs.find(':', at);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(at, end - at);
    if (dir.empty()) dir = ".";
    std::string full = dir + "/" + name;
    struct stat st;
    if (stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(full.c_str(), X_OK) == 0)
      return full;
    at = end + 1;
  }
  return Fail(Error::NotFound(fmt::format("{} was not found on PATH", name)));
}

Result<ProgramRun> RunProgram(const std::vector<std::string>& argv,
                              const std::vector<std::string>& env) {
  // The environment: ours, with `env`'s names replaced.
  std::vector<std::string> envs;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    bool replaced = false;
    for (const auto& add : env)
      if (kv.substr(0, kv.find('=') + 1) == std::string_view(add).substr(0, add.find('=') + 1))
        replaced = true;
    if (!replaced) envs.emplace_back(kv);
  }
  for (const auto& add : env) envs.push_back(add);
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : envs) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return Fail(Error::Io(fmt::format("pipe: {}", std::strerror(errno))));
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return Fail(Error::Io(fmt::format("pipe: {}", std::strerror(errno))));
  }
  pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    return Fail(Error::Io(fmt::format("fork: {}", std::strerror(errno))));
  }
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    execve(cargv[0], cargv.data(), cenv.data());
    const char msg[] = "exec failed\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  ProgramRun run;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? run.out : run.err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

Result<BackupInfo> BackupSchema(const std::string& url, const std::string& tmp) {
  auto conn = Connect(url);
  if (!conn) return Fail(conn.error());
  auto schema = QueryOne(**conn, "SELECT current_schema()", {});
  if (!schema) return Fail(schema.error());
  if (!*schema)
    return Fail(Error::NotFound(fmt::format(
        "no store at {}: its search_path names no schema that exists", RedactUrl(url))));
  auto ledger = CountOf(**conn,
                        "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = ? AND "
                        "tablename = ?",
                        {**schema, "ledger"});
  if (!ledger) return Fail(ledger.error());
  if (*ledger == 0)
    return Fail(Error::NotFound(fmt::format("no store at {}: schema {} holds no rectrack ledger",
                                            RedactUrl(url), **schema)));
  auto pg_dump = Tool("pg_dump");
  if (!pg_dump) return Fail(pg_dump.error());
  auto tc = ForTools(url);
  if (!tc) return Fail(tc.error());
  // --schema takes a pattern: in double quotes, the name is matched as it is.
  std::string pattern = "\"";
  for (char c : **schema) pattern += c == '"' ? std::string("\"\"") : std::string(1, c);
  pattern += "\"";
  auto run = RunProgram({*pg_dump, "--format=custom", "--schema=" + pattern, "--no-owner",
                         "--no-privileges", "--file=" + tmp, "--dbname=" + tc->conninfo},
                        ToolEnv(*tc));
  if (!run) return Fail(run.error());
  if (run->exit_code != 0) return Fail(ToolFailed("pg_dump", *run));
  BackupInfo info;
  info.engine = "postgresql";
  info.schema = **schema;
  return info;
}

Result<BackupInfo> RestoreSchema(const std::string& backup, const std::string& url) {
  auto pg_restore = Tool("pg_restore");
  if (!pg_restore) return Fail(pg_restore.error());
  // The archive's schema, from its table of contents.
  auto list = RunProgram({*pg_restore, "--list", backup}, {});
  if (!list) return Fail(list.error());
  if (list->exit_code != 0) return Fail(ToolFailed("pg_restore --list", *list));
  std::string archived;
  bool has_ledger = false;
  size_t at = 0;
  while (at < list->out.size()) {
    size_t end = list->out.find('\n', at);
    if (end == std::string::npos) end = list->out.size();
    std::string line = list->out.substr(at, end - at);
    at = end + 1;
    if (line.empty() || line[0] == ';') continue;
    if (size_t p = line.find(" SCHEMA - "); p != std::string::npos && archived.empty()) {
      std::string rest = line.substr(p + 10);
      archived = rest.substr(0, rest.rfind(' '));
    }
    if (!archived.empty() && line.find(" TABLE " + archived + " ledger ") != std::string::npos)
      has_ledger = true;
  }
  if (archived.empty() || !has_ledger)
    return Fail(Error::Invalid(fmt::format(
        "'{}' is a pg_dump archive but not of a rectrack store (no schema with a ledger in it)",
        backup)));

  auto conn = Connect(url);
  if (!conn) return Fail(conn.error());
  auto target = NamedSchema(**conn);
  if (!target) return Fail(target.error());
  auto target_exists = SchemaExists(**conn, *target);
  if (!target_exists) return Fail(target_exists.error());
  if (*target_exists) {
    auto n = ObjectsIn(**conn, *target);
    if (!n) return Fail(n.error());
    if (*n > 0)
      return Fail(Error::Conflict(fmt::format(
          "schema {} of {} is not empty ({} objects): restore into a new or empty schema (a "
          "restore never overwrites a store)",
          *target, RedactUrl(url), *n)));
  }
  if (archived != *target) {
    auto clash = SchemaExists(**conn, archived);
    if (!clash) return Fail(clash.error());
    if (*clash)
      return Fail(Error::Conflict(fmt::format(
          "the backup holds schema {}, which exists in this database already: pg_restore cannot "
          "restore it under another name beside it; restore into another database (or a schema "
          "named {} where there is none)",
          archived, archived)));
  }
  // What the store's schema uses from outside it (pg_schema.h, migration 1).
  RT_TRY((*conn)->Exec("BEGIN"));
  for (const char* sql : {"SELECT pg_advisory_xact_lock(1919247220, 0)",
                          "CREATE SCHEMA IF NOT EXISTS rectrack_ext",
                          "CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA rectrack_ext"}) {
    if (auto s = (*conn)->Exec(sql); !s) {
      (void)(*conn)->Exec("ROLLBACK");
      return Fail(s.error());
    }
  }
  RT_TRY((*conn)->Exec("COMMIT"));
  // pg_restore makes the archive's schema itself: an empty target goes first.
  if (*target_exists) RT_TRY((*conn)->Exec("DROP SCHEMA " + Quoted(**conn, *target) + " RESTRICT"));
  auto put_back = [&]() {
    if (*target_exists)
      (void)(*conn)->Exec("CREATE SCHEMA IF NOT EXISTS " + Quoted(**conn, *target));
  };
  auto tc = ForTools(url);
  if (!tc) return Fail(tc.error());
  auto run = RunProgram({*pg_restore, "--single-transaction", "--exit-on-error", "--no-owner",
                         "--no-privileges", "--dbname=" + tc->conninfo, backup},
                        ToolEnv(*tc));
  if (!run || run->exit_code != 0) {
    put_back();
    return Fail(run ? ToolFailed("pg_restore", *run) : run.error());
  }
  if (archived != *target) {
    auto renamed = (*conn)->Exec("ALTER SCHEMA " + Quoted(**conn, archived) + " RENAME TO " +
                                 Quoted(**conn, *target));
    if (!renamed) {
      (void)(*conn)->Exec("DROP SCHEMA " + Quoted(**conn, archived) + " CASCADE");
      put_back();
      return Fail(renamed.error());
    }
  }
  BackupInfo info;
  info.engine = "postgresql";
  info.schema = *target;
  std::error_code ec;
  info.bytes = static_cast<int64_t>(fs::file_size(backup, ec));
  return info;
}

Status DropRestoredSchema(const std::string& url) {
  auto conn = Connect(url);
  if (!conn) return Fail(conn.error());
  auto schema = NamedSchema(**conn);
  if (!schema) return Fail(schema.error());
  return (*conn)->Exec("DROP SCHEMA IF EXISTS " + Quoted(**conn, *schema) + " CASCADE");
}

}  // namespace rectrack::pg
