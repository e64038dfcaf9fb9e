#include "web/serve.h"

#include <cstdio>
#include <memory>
#include <mutex>

#include "app/service.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "web/api.h"
#include "web/context.h"
#include "web/pages.h"
#include "web/server.h"
#include "web/workflow_pages.h"
#include "web/write_api.h"

namespace rectrack::web {
namespace {

// Serialises access-log lines from the server's threads into one file.
class AccessLog {
 public:
  static Result<std::unique_ptr<AccessLog>> Open(const std::string& path) {
    FILE* f = nullptr;
    if (path == "-") {
      f = stderr;
    } else {
      f = std::fopen(path.c_str(), "a");
      if (!f) return Fail(Error::Io(fmt::format("cannot open access log '{}'", path)));
    }
    return std::unique_ptr<AccessLog>(new AccessLog(f, path != "-"));
  }
  ~AccessLog() {
    if (owned_) std::fclose(f_);
  }
  void Write(const std::string& line) {
    std::lock_guard<std::mutex> lock(mu_);
    std::fwrite(line.data(), 1, line.size(), f_);
    std::fputc('\n', f_);
    std::fflush(f_);
  }

 private:
  AccessLog(FILE* f, bool owned) : f_(f), owned_(owned) {}
  std::mutex mu_;
  FILE* f_;
  bool owned_;
};

class WebAppImpl : public WebApp {
 public:
  explicit WebAppImpl(const ServeOptions& o)
      : stores_(o.db), cache_(o.cache_bytes), heads_(std::chrono::milliseconds(o.head_recheck_ms)) {
    ctx_.stores = &stores_;
    ctx_.cache = &cache_;
    ctx_.heads = &heads_;
    router_.SetAfterWrite([this] { heads_.Invalidate(); });
    ctx_.today = [] { return TodayInLondon(); };
    router_.Add("GET", "/healthz", [this](Request&) {
      auto store = ctx_.stores->Get();
      if (!store) return Response::Problem(503, "Unavailable", "the store cannot be opened");
      auto head = (*store)->Head();
      if (!head) return Response::Problem(503, "Unavailable", "the store cannot be read");
      Response r = Response::Json(
          nlohmann::json{{"status", "ok"}, {"ledger_seq", head->seq}}.dump() + "\n");
      r.Set("Cache-Control", "no-store");
      return r;
    });
    router_.Add("GET", "/metrics", [this](Request&) {
      std::string text = metrics_ ? metrics_->PrometheusText() : "";
      text +=
          "# HELP rectrack_document_cache_bytes Bytes of rendered documents held in memory.\n"
          "# TYPE rectrack_document_cache_bytes gauge\n";
      text += fmt::format("rectrack_document_cache_bytes {}\n", cache_.bytes());
      Response r = Response::Text(200, text, "text/plain; version=0.0.4; charset=utf-8");
      r.Set("Cache-Control", "no-store");
      return r;
    });
    RegisterReadApi(router_, ctx_);
    // Accounts and the workflow: sign-in, the write API, the staff pages; the
    // public pages learn who is signed in through `viewer`.
    auth_.Register(router_);
    RegisterWriteApi(router_, auth_);
    RegisterWorkflowPages(router_, auth_);
    PagesOptions pages;
    pages.viewer = [this](const Request& r) { return auth_.ViewerFor(r); };
    pages.sign_in_path = "/login";
    RegisterPages(router_, ctx_, pages);
    // Anything else: an HTML page for people, a problem for API clients. Every
    // real route has an exact first segment, which wins over this one.
    router_.Add("GET", "/{rest...}", [pages](Request& req) {
      if (req.path.rfind("/api/", 0) == 0)
        return Response::Problem(404, "Not Found", "Nothing is published at this address.");
      return NotFoundPage(pages);
    });
  }
  const Router& router() const override { return router_; }
  void SetServerMetrics(const ServerMetrics* m) override { metrics_ = m; }
  void SetToday(std::function<Date()> today) override { ctx_.today = std::move(today); }

 private:
  StoreProvider stores_;
  DocumentCache cache_;
  HeadWatch heads_;
  AppContext ctx_;
  WebAuth auth_{ctx_, auth::Authenticator()};
  Router router_;
  const ServerMetrics* metrics_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<WebApp>> WebApp::Create(const ServeOptions& o) {
  // Open once up front: a missing or broken store is an error now, not per request.
  auto store = OpenStore(o.db);
  if (!store) return Fail(store.error());
  return std::unique_ptr<WebApp>(new WebAppImpl(o));
}

Status ServeForever(const ServeOptions& o) {
  auto app = WebApp::Create(o);
  if (!app) return Fail(app.error());
  std::unique_ptr<AccessLog> log;
  if (!o.access_log.empty()) {
    auto l = AccessLog::Open(o.access_log);
    if (!l) return Fail(l.error());
    log = std::move(*l);
  }
  ServerOptions so;
  so.host = o.host;
  so.port = o.port;
  so.threads = o.threads;
  so.trust_forwarded_proto = o.trust_forwarded_proto;
  so.trust_forwarded_for = o.trust_forwarded_for;
  if (log) so.access_log = [l = log.get()](const std::string& line) { l->Write(line); };
  auto server = Server::Create(so, &(*app)->router());
  (*app)->SetServerMetrics(&server->metrics());
  auto port = server->Listen();
  if (!port) return Fail(port.error());
  if (o.on_listening) o.on_listening(*port);
  server->StopOnSignals();
  server->Run();
  return {};
}

}  // namespace rectrack::web
