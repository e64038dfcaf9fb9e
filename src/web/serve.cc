#include "web/serve.h"

#include <sys/resource.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "app/service.h"
#include "core/text.h"
#include "store/keyfile.h"
#include "store/verify.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "web/api.h"
#include "web/context.h"
#include "web/pages.h"
#include "web/server.h"
#include "web/admin_pages.h"
#include "web/chase_pages.h"
#include "web/document_pages.h"
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

// Routes that are served while the store fails its check: the server's own
// health and the files that hold no data of the store.
bool ServedWhileFailed(const std::string& pattern) {
  static const std::set<std::string> kExempt = {"/healthz", "/metrics", "/static/{file...}",
                                                "/api/openapi.json"};
  return kExempt.count(pattern) > 0;
}

bool IsPublication(const std::string& pattern) {
  return pattern == "/publications/{id}" || pattern == "/api/v1/publications/{id}";
}

std::string Iso(int64_t unix_ms) {
  if (unix_ms <= 0) return "";
  time_t secs = static_cast<time_t>(unix_ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// Writes by other processes (another server on the same PostgreSQL database)
// pushed as they commit: each NOTIFY invalidates the cached head and wakes
// the integrity watch, so that a write through one server shows on the
// others at once. While the push is up the head is re-read only every 30 s
// (a safety net); while it is down (a store without push, as SQLite, or a
// lost connection) the server polls as configured.
class ChangeFeed {
 public:
  ChangeFeed(std::string location, KeyOptions keys, HeadWatch* heads, IntegrityWatch* integrity,
             std::chrono::milliseconds poll)
      : location_(std::move(location)),
        keys_(std::move(keys)),
        heads_(heads),
        integrity_(integrity),
        poll_(poll) {}
  ~ChangeFeed() { Stop(); }

  void Start() {
    if (!IsPostgresUrl(location_)) return;  // SQLite: nothing to listen to; polling
    thread_ = std::thread([this] { Run(); });
  }
  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Run() {
    std::unique_ptr<Store> store;
    std::unique_ptr<ChangeListener> listener;
    while (!stop_.load()) {
      if (!listener) {
        auto s = store ? Result<std::unique_ptr<Store>>(std::move(store))
                       : OpenExistingStore(location_, keys_);
        if (s) store = std::move(*s);
        auto l = store ? store->ListenForChanges() : Result<std::unique_ptr<ChangeListener>>(nullptr);
        if (!l || !*l) {
          heads_->SetRecheck(poll_);
          SleepUnlessStopped(std::chrono::seconds(1));
          continue;
        }
        listener = std::move(*l);
        heads_->SetRecheck(std::chrono::seconds(30));
        // Whatever happened while nobody listened.
        heads_->Invalidate();
        integrity_->Poke();
      }
      auto moved = listener->Wait(200);
      if (!moved) {
        listener.reset();
        heads_->SetRecheck(poll_);
        heads_->Invalidate();
        continue;
      }
      if (*moved) {
        heads_->Invalidate();
        integrity_->Poke();
      }
    }
  }
  void SleepUnlessStopped(std::chrono::milliseconds d) {
    for (auto waited = std::chrono::milliseconds(0); waited < d && !stop_.load();
         waited += std::chrono::milliseconds(50))
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  std::string location_;
  KeyOptions keys_;
  HeadWatch* heads_;
  IntegrityWatch* integrity_;
  std::chrono::milliseconds poll_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class WebAppImpl : public WebApp {
 public:
  explicit WebAppImpl(const ServeOptions& o)
      : stores_(o.db, o.keys),
        cache_(o.cache_bytes),
        heads_(std::chrono::milliseconds(o.head_recheck_ms)),
        integrity_(o.db, o.keys, o.integrity),
        feed_(o.db, o.keys, &heads_, &integrity_, std::chrono::milliseconds(o.head_recheck_ms)) {
    ctx_.stores = &stores_;
    ctx_.cache = &cache_;
    ctx_.heads = &heads_;
    ctx_.integrity = &integrity_;
    router_.SetAfterWrite([this] {
      heads_.Invalidate();
      integrity_.Poke();
    });
    ctx_.today = [] { return TodayInLondon(); };
    router_.SetGuard([this](const Request& req, const std::string& pattern) -> std::optional<Response> {
      if (integrity_.ok() || ServedWhileFailed(pattern)) return std::nullopt;
      std::string problem = integrity_.status().problem;
      // A publication that the last good check verified, unchanged since and
      // passing its own check, is still served: it is not what failed.
      if (IsPublication(pattern)) {
        std::string param = req.Param("id");
        auto id = PositiveId(param.substr(0, param.find('.')));
        auto store = ctx_.stores->Get();
        if (id && store) {
          auto pub = (*store)->GetPublication(*id);
          if (pub && integrity_.PublicationVerified(pub->id, pub->snapshot_sha256, pub->signature)) {
            auto own = CheckPublication(**store, *pub);
            if (own && own->empty()) return std::nullopt;
          }
        }
      }
      if (req.path.rfind("/api/", 0) == 0) {
        Response r = Response::Problem(503, "Failed its integrity check", IntegrityRefusal(problem));
        r.Set("Cache-Control", "no-store");
        return r;
      }
      return IntegrityFailedPage(problem, pages_);
    });
    router_.Add("GET", "/healthz", [this](Request&) {
      auto store = ctx_.stores->Get();
      if (!store) return Response::Problem(503, "Unavailable", "the store cannot be opened");
      auto head = (*store)->Head();
      if (!head) return Response::Problem(503, "Unavailable", "the store cannot be read");
      IntegrityStatus st = integrity_.status();
      nlohmann::json integrity = {{"ok", st.ok},
                                  {"checked_seq", st.checked_seq},
                                  {"full_check_from", st.full_from},
                                  {"last_check", Iso(st.last_check_ms)},
                                  {"last_full_check", Iso(st.last_full_ms)}};
      if (!st.ok) {
        Response r = Response::Problem(503, "Failed its integrity check", IntegrityRefusal(st.problem));
        r.Set("Cache-Control", "no-store");
        return r;
      }
      Response r = Response::Json(
          nlohmann::json{{"status", "ok"}, {"ledger_seq", head->seq}, {"integrity", integrity}}.dump() +
          "\n");
      r.Set("Cache-Control", "no-store");
      return r;
    });
    router_.Add("GET", "/metrics", [this](Request&) {
      std::string text = metrics_ ? metrics_->PrometheusText() : "";
      text +=
          "# HELP rectrack_document_cache_bytes Bytes of rendered documents held in memory.\n"
          "# TYPE rectrack_document_cache_bytes gauge\n";
      text += fmt::format("rectrack_document_cache_bytes {}\n", cache_.bytes());
      IntegrityStatus st = integrity_.status();
      text += fmt::format(
          "# HELP rectrack_integrity_ok 1 while the last check of the store against its ledger "
          "passed.\n"
          "# TYPE rectrack_integrity_ok gauge\n"
          "rectrack_integrity_ok {}\n"
          "# HELP rectrack_integrity_problems Problems the last check found.\n"
          "# TYPE rectrack_integrity_problems gauge\n"
          "rectrack_integrity_problems {}\n"
          "# HELP rectrack_integrity_checked_seq The ledger event the last check reached.\n"
          "# TYPE rectrack_integrity_checked_seq gauge\n"
          "rectrack_integrity_checked_seq {}\n"
          "# HELP rectrack_integrity_checks_total Checks of the store against its ledger.\n"
          "# TYPE rectrack_integrity_checks_total counter\n"
          "rectrack_integrity_checks_total{{kind=\"full\"}} {}\n"
          "rectrack_integrity_checks_total{{kind=\"incremental\"}} {}\n"
          "# HELP rectrack_integrity_failed_checks_total Checks that found a problem.\n"
          "# TYPE rectrack_integrity_failed_checks_total counter\n"
          "rectrack_integrity_failed_checks_total {}\n"
          "# HELP rectrack_integrity_last_check_timestamp_seconds When the last check ended.\n"
          "# TYPE rectrack_integrity_last_check_timestamp_seconds gauge\n"
          "rectrack_integrity_last_check_timestamp_seconds {:.3f}\n"
          "# HELP rectrack_integrity_last_full_check_seconds How long the last full check took.\n"
          "# TYPE rectrack_integrity_last_full_check_seconds gauge\n"
          "rectrack_integrity_last_full_check_seconds {:.3f}\n"
          "# HELP rectrack_checkpoints_made_total Checkpoints this server made by itself.\n"
          "# TYPE rectrack_checkpoints_made_total counter\n"
          "rectrack_checkpoints_made_total {}\n",
          st.ok ? 1 : 0, st.problems, st.checked_seq, st.full_checks, st.incremental_checks,
          st.failed_checks, st.last_check_ms / 1000.0, st.last_full_seconds, st.checkpoints_made);
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
    RegisterAdminPages(router_, auth_);
    RegisterChasePages(router_, auth_);
    DocumentPagesOptions documents;
    documents.reader = o.document_reader;
    documents.limits = o.document_limits;
    RegisterDocumentPages(router_, auth_, documents);
    PagesOptions pages;
    pages.viewer = [this](const Request& r) { return auth_.ViewerFor(r); };
    pages.sign_in_path = "/login";
    RegisterPages(router_, ctx_, pages);
    pages_ = pages;
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
  void SetPublicUrl(std::string url) override { ctx_.public_url = std::move(url); }
  Status StartChecks() {
    RT_TRY(integrity_.Start());
    feed_.Start();
    return {};
  }
  const IntegrityWatch& integrity() const override { return integrity_; }
  WorkTicket TicketFor(const WorkInfo& w) const override { return auth_.TicketFor(w); }

 private:
  StoreProvider stores_;
  DocumentCache cache_;
  HeadWatch heads_;
  IntegrityWatch integrity_;
  ChangeFeed feed_;  // after what it tells: stopped before they go
  PagesOptions pages_;
  AppContext ctx_;
  WebAuth auth_{ctx_, auth::Authenticator()};
  Router router_;
  const ServerMetrics* metrics_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<WebApp>> WebApp::Create(const ServeOptions& o) {
  // Open once up front: a missing or broken store is an error now, not per
  // request. Then the first full check, before anything is served: a store
  // that fails it is served as failed (503s, /healthz naming the problem),
  // not as true.
  auto store = o.create ? OpenStore(o.db, o.keys) : OpenExistingStore(o.db, o.keys);
  if (!store) return Fail(store.error());
  for (const auto& notice : (*store)->TakeNotices())
    std::fprintf(stderr, "rectrack: %s\n", notice.c_str());
  if (auto key = LoadKey(o.db, o.keys); !key)
    std::fprintf(stderr,
                 "rectrack: note: no signing key (%s): this server serves and checks the store "
                 "but cannot write to it\n",
                 key.error().message.c_str());
  auto app = std::make_unique<WebAppImpl>(o);
  RT_TRY(app->StartChecks());
  return std::unique_ptr<WebApp>(std::move(app));
}

namespace {

bool ListensEverywhere(const std::string& host) {
  return host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]";
}

std::string MachineName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || !name[0]) return "localhost";
  return HostName(name).empty() ? "localhost" : HostName(name);
}

// "[::1]" for an IPv6 address, else the host as it is.
std::string UrlHost(const std::string& host) {
  return host.find(':') != std::string::npos && host.front() != '[' ? "[" + host + "]" : host;
}

}  // namespace

std::string PublicUrlHost(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return "";
  std::string_view rest = url.substr(scheme + 3);
  return HostName(rest.substr(0, rest.find_first_of("/?#")));
}

Status CheckPublicUrl(std::string_view url) {
  if ((url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) || PublicUrlHost(url).empty() ||
      url.find_first_of("?# ") != std::string_view::npos)
    return Fail(Error::Invalid(fmt::format(
        "--public-url '{}' must be an address such as https://tracker.example.org (http or https, "
        "a host, no query)",
        url)));
  return {};
}

std::vector<std::string> AllowedHosts(const ServeOptions& o) {
  std::vector<std::string> out = {"localhost", "127.0.0.1", "[::1]"};
  auto add = [&out](const std::string& name) {
    if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  add(ListensEverywhere(o.host) ? MachineName() : HostName(UrlHost(o.host)));
  add(PublicUrlHost(o.public_url));
  for (const auto& h : o.allowed_hosts) add(HostName(h));
  return out;
}

namespace {

// Every connection is a file descriptor: take the hard limit rather than the
// soft one a shell usually leaves (1,024), so that thousands of readers can
// connect however the server was started; say so when even that is low.
void RaiseDescriptorLimit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return;
  if (r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &r);
    (void)getrlimit(RLIMIT_NOFILE, &r);
  }
  if (r.rlim_cur < 4096)
    std::fprintf(stderr,
                 "rectrack: note: at most %llu open files (ulimit -n): fewer than that many "
                 "readers can connect at once\n",
                 static_cast<unsigned long long>(r.rlim_cur));
}

}  // namespace

Status ServeForever(const ServeOptions& o) {
  RaiseDescriptorLimit();
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
  so.https_only = ToLowerAscii(o.public_url).starts_with("https://");
  so.allowed_hosts = AllowedHosts(o);
  so.body_limits = {{kDocumentUploadPath, kMaxDocumentUploadBytes}};
  so.work_threads = o.threads;
  so.work_ticket = [app = app->get()](const WorkInfo& w) { return app->TicketFor(w); };
  if (log) so.access_log = [l = log.get()](const std::string& line) { l->Write(line); };
  auto server = Server::Create(so, &(*app)->router());
  (*app)->SetServerMetrics(&server->metrics());
  auto port = server->Listen();
  if (!port) return Fail(port.error());
  std::string public_url = o.public_url;
  if (public_url.empty())
    public_url = fmt::format("http://{}:{}",
                             ListensEverywhere(o.host) ? MachineName() : UrlHost(o.host), *port);
  while (!public_url.empty() && public_url.back() == '/') public_url.pop_back();
  (*app)->SetPublicUrl(public_url);
  if (o.on_listening) o.on_listening(*port);
  server->StopOnSignals();
  server->Run();
  return {};
}

}  // namespace rectrack::web
