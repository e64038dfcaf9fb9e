#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <memory>

#include "app/integrity.h"
#include "core/date.h"
#include "core/result.h"
#include "store/store.h"

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
  // How often live pages re-read the ledger head (HeadWatch): writes by
  // another process show within this; writes through this server at once.
  int head_recheck_ms = 250;
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
  // The store's check against its ledger.
  virtual const IntegrityWatch& integrity() const = 0;
};

// Runs `rectrack serve` until SIGTERM/SIGINT: JSON API, web pages, /healthz and
// /metrics. Returns when the server has shut down gracefully.
Status ServeForever(const ServeOptions& options);

}  // namespace rectrack::web
