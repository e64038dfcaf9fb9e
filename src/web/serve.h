#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <memory>

#include "app/integrity.h"
#include "core/date.h"
#include "app/document_extract.h"
#include "core/result.h"
#include "store/store.h"
#include "web/server.h"

namespace rectrack::web {

struct ServeOptions {
  std::string db;                  // store location
  KeyOptions keys;                 // the signing key, for writes
  bool create = false;             // make the store if there is none (else an error)
  // The store's check against its ledger: at start, then in the background.
  IntegrityOptions integrity;
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  int threads = 2;
  std::string access_log = "-";    // file path, "-" for standard error, "" for none
  size_t cache_bytes = 64u << 20;  // rendered documents kept in memory
  bool trust_forwarded_proto = false;
  bool trust_forwarded_for = false;
  // The site's address as readers reach it (--public-url): absolute links in
  // downloads start with it, and its host is one the server answers for.
  // Empty: http://HOST:PORT of the listen address (this machine's name when
  // listening on every address).
  std::string public_url;
  // More host names the server answers for (--allowed-host), besides the
  // public URL's, the listen address's and the loopback names.
  std::vector<std::string> allowed_hosts;
  // How often live pages re-read the ledger head (HeadWatch): writes by
  // another process show within this; writes through this server at once.
  int head_recheck_ms = 250;
  // Reading uploaded reports (web/document_pages.h): the program run as
  // `import document` in a child process, and its limits.
  std::string document_reader = "/proc/self/exe";
  ExtractLimits document_limits;
  // Called once the socket is bound, with the port (tests use port 0).
  std::function<void(uint16_t)> on_listening;
};

class Router;
class ServerMetrics;

// Everything `serve` answers, assembled: the router with the API, the pages,
// /healthz and /metrics, and what the handlers share. Tests build one and put a
// Server on port 0 in front of it.
class WebApp {
 public:
  static Result<std::unique_ptr<WebApp>> Create(const ServeOptions& options);
  virtual ~WebApp() = default;
  virtual const Router& router() const = 0;
  // Where /metrics reads the server's counters; set once the server exists.
  virtual void SetServerMetrics(const ServerMetrics* metrics) = 0;
  // "Today" for as-of defaults (Europe/London unless a test pins it).
  virtual void SetToday(std::function<Date()> today) = 0;
  // Before the server runs: the start of absolute links (AppContext::public_url).
  virtual void SetPublicUrl(std::string url) = 0;
  // The store's check against its ledger.
  virtual const IntegrityWatch& integrity() const = 0;
  // For ServerOptions::work_ticket (WebAuth::TicketFor): sign-ins that keep
  // failing wait behind everyone else.
  virtual WorkTicket TicketFor(const WorkInfo& w) const = 0;
};

// Runs `rectrack serve` until SIGTERM/SIGINT: JSON API, web pages, /healthz and
// /metrics. Returns when the server has shut down gracefully.
Status ServeForever(const ServeOptions& options);

// The host names a server with these options answers for: the loopback
// names, the listen address's (this machine's name when it listens on every
// address), the public URL's and the --allowed-host ones.
std::vector<std::string> AllowedHosts(const ServeOptions& options);
// "https://Tracker.example.org:8443/x" -> "tracker.example.org"; "" if none.
std::string PublicUrlHost(std::string_view url);
// A public URL (--public-url) is http(s), names a host and has no query,
// fragment or space; kInvalidInput saying so otherwise.
Status CheckPublicUrl(std::string_view url);

}  // namespace rectrack::web
