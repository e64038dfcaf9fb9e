#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "web/http.h"

namespace rectrack::web {

// What the server knows of a request with an unsafe method (a write, a
// sign-in) when it queues it for the work threads.
struct WorkInfo {
  std::string_view method;
  std::string_view path;    // the target before any '?', as sent
  std::string_view client;  // the peer's address (the proxy's client's when trusted)
};

// Where a queued request goes: lower priorities run first, in arrival order
// among equals; at most ServerOptions::max_work_per_key requests with one
// non-empty key are queued or running at once.
struct WorkTicket {
  int priority = 0;
  std::string key;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (tests)
  int threads = 2;
  size_t max_header_bytes = 16 * 1024;      // larger: 431
  size_t max_body_bytes = 2 * 1024 * 1024;  // larger: 413
  // Paths (exact, before any '?') that take a larger body than that: an
  // upload. Any other path keeps max_body_bytes, whatever its Content-Length.
  std::vector<std::pair<std::string, size_t>> body_limits;
  std::chrono::seconds header_timeout{10};  // slow clients are cut off (slowloris)
  std::chrono::seconds body_timeout{30};
  std::chrono::seconds idle_timeout{60};    // keep-alive between requests
  std::chrono::seconds write_timeout{30};   // a client that does not read its response
  std::chrono::seconds shutdown_grace{10};  // in-flight requests finish
  // Requests other than GET and HEAD (writes, sign-ins: a store lock wait, a
  // password hash) run on these threads, at a lower CPU priority, so that
  // they never hold up the readers on the connection threads. 0: they run
  // on the connection threads too.
  int work_threads = 2;
  // More requests than this waiting for a work thread: 503 with Retry-After.
  size_t max_queued_work = 256;
  // More than this many with one ticket key (queued or running): 429.
  size_t max_work_per_key = 4;
  // The ticket of each request for the work threads; empty: priority 0, no key.
  // Called on a connection thread: it must be quick and thread-safe.
  std::function<WorkTicket(const WorkInfo&)> work_ticket;
  bool trust_forwarded_proto = false;       // honour X-Forwarded-Proto: https
  // The public reach this server over https only (its public URL is https):
  // every request counts as secure, so cookies are always marked Secure.
  bool https_only = false;
  // Behind a reverse proxy: the client's address is the last one in
  // X-Forwarded-For (the one our proxy added), for the sign-in limit and the log.
  bool trust_forwarded_for = false;
  // The host names (without port, lower case) this server answers for: a
  // request whose Host names another gets 400, so that nothing can be made to
  // name a stranger's host. Empty: any name (a server tested on its own).
  // HTTP/1.1 requests without a Host, or with two, get 400 either way.
  std::vector<std::string> allowed_hosts;
  // One JSON line per request (time, remote, method, target, status, bytes,
  // duration_ms, user agent), without the newline; empty: no access log.
  // Called on the server's threads, concurrently: it must be thread-safe.
  std::function<void(const std::string& line)> access_log;
};

// A request as read off the wire, before the server's own checks.
struct WireRequest {
  std::string method, target;
  int version = 11;  // 10 for HTTP/1.0, 11 for HTTP/1.1
  std::vector<std::pair<std::string, std::string>> headers;  // in order, repeats kept
  std::string body;
  std::string remote;  // the peer's address
};

// What the server answers a request read whole with, before it adds its own
// headers (ETag, gzip, security headers): the target, Host, path, query and
// UTF-8 checks, then the router (a handler that throws is a 500). `request`
// gets what the handler saw; `close` says the connection must end after the
// answer; `route` gets the matched pattern. Connections call it, and so does
// the HTTP fuzzer (fuzz/http_fuzz.cc).
Response AnswerRequest(const ServerOptions& options, const Router& router, WireRequest wire,
                       Request* request, bool* close, std::string* route);

// Counters for /metrics (Prometheus text format).
class ServerMetrics {
 public:
  virtual ~ServerMetrics() = default;
  virtual std::string PrometheusText() const = 0;
};

// The HTTP/1.1 server (Boost.Beast/Asio, asynchronous: an idle or slow
// connection holds no thread). Keep-alive; gzip when the client accepts it;
// strong ETags and 304 on GET/HEAD; header and body limits; timeouts; graceful
// stop. Handlers run on the server's threads and must be thread-safe.
class Server {
 public:
  static std::unique_ptr<Server> Create(ServerOptions options, const Router* router);
  virtual ~Server() = default;
  // Binds and listens; returns the bound port (useful with port 0).
  virtual Result<uint16_t> Listen() = 0;
  // Serves until Stop(); blocks the caller (which becomes one of the threads).
  virtual void Run() = 0;
  // Stops accepting, lets in-flight requests finish (up to shutdown_grace),
  // then closes idle connections. Safe from any thread and from a signal watcher.
  virtual void Stop() = 0;
  // Installs SIGTERM/SIGINT handling that calls Stop(). Call before Run().
  virtual void StopOnSignals() = 0;
  virtual const ServerMetrics& metrics() const = 0;
};

}  // namespace rectrack::web
