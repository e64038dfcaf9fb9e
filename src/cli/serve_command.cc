#include "cli/serve_command.h"

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>
#include <cstdlib>

#include "fmt/format.h"
#include "cli/chase_commands.h"
#include "web/http.h"
#include "web/serve.h"

namespace rectrack::cli {
namespace {

struct ServeArgs {
  std::string listen = "127.0.0.1:8080";
  int threads = 2;
  std::string access_log = "-";
  int cache_mb = 64;
  bool trust_forwarded_proto = false;
  bool trust_forwarded_for = false;
  int head_recheck_ms = 250;
  int verify_every_ms = 1000;
  int verify_full_every_s = 3600;
  int checkpoint_every_s = 86400;
  std::vector<std::string> allowed_hosts;
};

// "HOST:PORT", "[::1]:PORT" or ":PORT".
bool ParseListen(const std::string& s, std::string* host, uint16_t* port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  *host = s.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']')
    *host = host->substr(1, host->size() - 2);
  if (host->empty()) *host = "0.0.0.0";
  std::string p = s.substr(colon + 1);
  unsigned v = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (ec != std::errc() || end != p.data() + p.size() || v > 65535) return false;
  *port = static_cast<uint16_t>(v);
  return true;
}

}  // namespace

void AddServeCommand(CLI::App& app, std::function<std::string()> db,
                     std::function<KeyOptions()> keys, std::function<bool()> create,
                     StoreOpener open, const std::function<void(CLI::App*)>& add_db, int* rc) {
  auto args = std::make_shared<ServeArgs>();
  auto chase = std::make_shared<ChaseServeSettings>();
  auto* serve = app.add_subcommand(
      "serve", "Serve the public site, the JSON API and the editors' workflow over HTTP");
  add_db(serve);
  serve->add_option("--listen", args->listen, "HOST:PORT to listen on (default 127.0.0.1:8080; port 0: any)");
  serve->add_option("--threads", args->threads, "Server threads (default 2)");
  serve->add_option("--access-log", args->access_log,
                    "Access log file, '-' for standard error (default), '' for none");
  serve->add_option("--cache-mb", args->cache_mb, "Memory for rendered pages (default 64)");
  serve->add_option("--recheck-ms", args->head_recheck_ms,
                    "How soon live pages show writes made by another process, such as the CLI "
                    "or a second server (default 250; 0: check on every request)");
  serve->add_option("--verify-every-ms", args->verify_every_ms,
                    "How soon after a write the store is checked against its ledger, "
                    "incrementally (default 1000)");
  serve->add_option("--verify-full-every", args->verify_full_every_s,
                    "Seconds between full checks of the store against its ledger (default 3600)");
  serve->add_option("--checkpoint-every", args->checkpoint_every_s,
                    "Seconds between signed checkpoints made when the ledger moved (default 86400; "
                    "0: only with publications)");
  serve->add_flag("--trust-forwarded-for", args->trust_forwarded_for,
                  "Behind a reverse proxy: take the client's address from the last entry of "
                  "X-Forwarded-For (sign-in limits, access log)");
  serve->add_flag("--trust-forwarded-proto", args->trust_forwarded_proto,
                  "Behind a TLS proxy: honour X-Forwarded-Proto (Secure cookies)");
  serve->add_option("--allowed-host", args->allowed_hosts,
                    "Another host name the server answers for (repeatable); it answers for the "
                    "--public-url's host, the listen address's and the loopback names, and gives "
                    "400 to a request that names any other in Host");
  AddChaseServeOptions(serve, chase.get());
  serve->callback([args, chase, db, keys, create, open, rc]() {
    web::ServeOptions o;
    o.db = db();
    o.keys = keys();
    o.create = create();
    if (args->verify_every_ms < 10 || args->verify_full_every_s < 1 || args->checkpoint_every_s < 0) {
      std::fprintf(stderr,
                   "rectrack: error: --verify-every-ms must be at least 10, --verify-full-every at "
                   "least 1, --checkpoint-every at least 0\n");
      *rc = 1;
      return;
    }
    o.integrity.incremental_every = std::chrono::milliseconds(args->verify_every_ms);
    o.integrity.full_every = std::chrono::seconds(args->verify_full_every_s);
    o.integrity.checkpoint_every = std::chrono::seconds(args->checkpoint_every_s);
    if (!ParseListen(args->listen, &o.host, &o.port)) {
      std::fprintf(stderr, "rectrack: error: --listen '%s' must be HOST:PORT\n",
                   args->listen.c_str());
      *rc = 1;
      return;
    }
    if (args->threads < 1 || args->threads > 64) {
      std::fprintf(stderr, "rectrack: error: --threads must be between 1 and 64\n");
      *rc = 1;
      return;
    }
    if (args->head_recheck_ms < 0 || args->head_recheck_ms > 60000) {
      std::fprintf(stderr, "rectrack: error: --recheck-ms must be between 0 and 60000\n");
      *rc = 1;
      return;
    }
    o.head_recheck_ms = args->head_recheck_ms;
    o.threads = args->threads;
    o.access_log = args->access_log;
    o.cache_bytes = static_cast<size_t>(std::max(1, args->cache_mb)) << 20;
    o.trust_forwarded_proto = args->trust_forwarded_proto;
    o.trust_forwarded_for = args->trust_forwarded_for;
    // The site's address: links in downloads and chasers start with it, never
    // with what a request says its Host is.
    o.public_url = chase->public_url;
    if (o.public_url.empty())
      if (const char* env = std::getenv("RECTRACK_PUBLIC_URL")) o.public_url = env;
    if (auto ok = o.public_url.empty() ? Status{} : web::CheckPublicUrl(o.public_url); !ok) {
      std::fprintf(stderr, "rectrack: error: %s\n", ok.error().message.c_str());
      *rc = 1;
      return;
    }
    for (const auto& h : args->allowed_hosts) {
      if (web::HostName(h).empty()) {
        std::fprintf(stderr, "rectrack: error: --allowed-host '%s' is not a host name\n", h.c_str());
        *rc = 1;
        return;
      }
    }
    o.allowed_hosts = args->allowed_hosts;
    // Chasing runs beside the server, on a store connection of its own, from
    // when it listens (the store is there then, also with --create).
    auto chasing = MakeChaseTimer(*chase, open);
    if (!chasing) {
      std::fprintf(stderr, "rectrack: error: %s\n", chasing.error().message.c_str());
      *rc = 1;
      return;
    }
    o.on_listening = [&o, &chasing](uint16_t port) {
      chasing->Start();
      // The bound port, so scripts (and tests with port 0) know where to go.
      std::printf("rectrack: serving %s on http://%s:%u/\n", DisplayLocation(o.db).c_str(), o.host.c_str(),
                  static_cast<unsigned>(port));
      std::fflush(stdout);
    };
    auto s = web::ServeForever(o);
    chasing->Stop();
    if (!s) {
      std::fprintf(stderr, "rectrack: error: %s\n", s.error().message.c_str());
      *rc = 1;
      return;
    }
    std::printf("rectrack: stopped\n");
  });
}

}  // namespace rectrack::cli
