#include "web/server.h"

#include "core/text.h"
#include "web/compress.h"
#include "core/signing.h"
#include "fmt/format.h"

#include <algorithm>
#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cinttypes>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace rectrack::web {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// After an error response we stop sending and read (discarding) for at most
// this long, so the client is not reset before it has read our answer.
constexpr std::chrono::seconds kLingerTime{2};
// Connections taken from the backlog at once after an accept completes.
constexpr int kAcceptBatch = 64;
// First read of a request. Small, and the buffer is given back between
// requests, so that thousands of idle keep-alive connections cost little.
constexpr size_t kReadChunk = 1024;

constexpr std::string_view kDefaultCsp =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
constexpr std::string_view kDefaultReferrerPolicy = "strict-origin-when-cross-origin";

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// ---------------------------------------------------------------------------
// Dates

// IMF-fixdate for the Date header, formatted once a second per thread.
std::string HttpDate() {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  thread_local std::time_t cached_second = -1;
  thread_local char cached[96];
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::snprintf(cached, sizeof cached, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                  tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    cached_second = now;
  }
  return cached;
}

// "2025-01-31T12:34:56.789Z"
std::string IsoUtc(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // room for any int the compiler can imagine in each field
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

// True when Accept-Encoding gives gzip (or x-gzip, or *) a q-value above 0.
bool AcceptsGzip(std::string_view accept_encoding) {
  double gzip_q = -1, star_q = -1;
  while (!accept_encoding.empty()) {
    size_t comma = accept_encoding.find(',');
    std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding =
        comma == std::string_view::npos ? std::string_view() : accept_encoding.substr(comma + 1);
    size_t semi = item.find(';');
    std::string coding = ToLowerAscii(TrimOws(item.substr(0, semi)));
    double q = 1;
    while (semi != std::string_view::npos) {
      item = item.substr(semi + 1);
      semi = item.find(';');
      std::string_view param = TrimOws(item.substr(0, semi));
      if (param.size() >= 2 && Lower(param[0]) == 'q' && param[1] == '=') {
        std::string value(TrimOws(param.substr(2)));
        char* end = nullptr;
        q = std::strtod(value.c_str(), &end);
        if (end == value.c_str() || *end != '\0' || q < 0 || q > 1) q = 0;  // unreadable: refuse
      }
    }
    if (coding == "gzip" || coding == "x-gzip") {
      gzip_q = std::max(gzip_q, q);
    } else if (coding == "*") {
      star_q = q;
    }
  }
  if (gzip_q >= 0) return gzip_q > 0;
  return star_q > 0;
}

// The last address in an X-Forwarded-For list: the one the trusted proxy in
// front of us added (those before it are the client's own word). Only a valid
// IPv4 or IPv6 address is taken.
std::optional<std::string> LastForwardedFor(std::string_view header) {
  size_t comma = header.rfind(',');
  std::string last(TrimOws(comma == std::string_view::npos ? header : header.substr(comma + 1)));
  if (last.empty()) return std::nullopt;
  beast::error_code ec;
  auto address = asio::ip::make_address(last, ec);
  if (ec) return std::nullopt;
  return address.to_string();
}

bool HasDotDotSegment(std::string_view path) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string_view seg =
        path.substr(start, slash == std::string_view::npos ? path.npos : slash - start);
    if (seg == "..") return true;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return false;
}

// A handler's header must not be able to split the response: names are RFC 9110
// tokens, values have no CR, LF or NUL. Anything else is dropped.
bool SafeHeaderName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool SafeHeaderValue(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// ---------------------------------------------------------------------------
// Metrics

std::string PromEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string_view MethodLabel(std::string_view method) {
  static constexpr std::string_view kKnown[] = {"GET",    "HEAD",    "POST", "PUT",
                                                "DELETE", "OPTIONS", "PATCH"};
  for (std::string_view m : kKnown) {
    if (m == method) return m;
  }
  return "OTHER";  // arbitrary methods must not grow the label set
}

class Metrics final : public ServerMetrics {
 public:
  void ConnectionOpened() {
    open_.fetch_add(1, std::memory_order_relaxed);
    accepted_.fetch_add(1, std::memory_order_relaxed);
  }
  void ConnectionClosed() { open_.fetch_sub(1, std::memory_order_relaxed); }

  void Record(std::string_view method, std::string_view route, int status, double seconds,
              uint64_t bytes) {
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
    size_t b = 0;
    while (b < std::size(kBuckets) && seconds > kBuckets[b]) ++b;
    buckets_[b].fetch_add(1, std::memory_order_relaxed);
    sum_us_.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
    char status_class[4] = {static_cast<char>('0' + (status / 100) % 10), 'x', 'x', '\0'};
    std::string key;
    key.reserve(64);
    key.append(MethodLabel(method)).push_back('\x1f');
    key.append(route.empty() ? std::string_view("unmatched") : route).push_back('\x1f');
    key.append(status_class);
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_[std::move(key)];
  }

  std::string PrometheusText() const override {
    std::string out;
    out +=
        "# HELP rectrack_http_requests_total HTTP requests answered, by method, route pattern "
        "and status class.\n"
        "# TYPE rectrack_http_requests_total counter\n";
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [key, count] : requests_) {
        size_t a = key.find('\x1f'), b = key.find('\x1f', a + 1);
        out += "rectrack_http_requests_total{method=\"" + PromEscape(key.substr(0, a)) +
               "\",route=\"" + PromEscape(key.substr(a + 1, b - a - 1)) + "\",status=\"" +
               key.substr(b + 1) + "\"} " + std::to_string(count) + "\n";
      }
    }
    out +=
        "# HELP rectrack_http_request_duration_seconds Time from a request's first byte to "
        "the last byte of its response.\n"
        "# TYPE rectrack_http_request_duration_seconds histogram\n";
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= std::size(kBuckets); ++b) {
      cumulative += buckets_[b].load(std::memory_order_relaxed);
      char le[32];
      if (b < std::size(kBuckets)) {
        std::snprintf(le, sizeof le, "%g", kBuckets[b]);
      } else {
        std::snprintf(le, sizeof le, "+Inf");
      }
      out += "rectrack_http_request_duration_seconds_bucket{le=\"" + std::string(le) + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    char sum[48];
    std::snprintf(sum, sizeof sum, "%.6f",
                  static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6);
    out += "rectrack_http_request_duration_seconds_sum " + std::string(sum) + "\n";
    out += "rectrack_http_request_duration_seconds_count " + std::to_string(cumulative) + "\n";
    out +=
        "# HELP rectrack_http_open_connections Client connections open now.\n"
        "# TYPE rectrack_http_open_connections gauge\n"
        "rectrack_http_open_connections " +
        std::to_string(open_.load(std::memory_order_relaxed)) + "\n";
    out +=
        "# HELP rectrack_http_connections_accepted_total Client connections accepted.\n"
        "# TYPE rectrack_http_connections_accepted_total counter\n"
        "rectrack_http_connections_accepted_total " +
        std::to_string(accepted_.load(std::memory_order_relaxed)) + "\n";
    out +=
        "# HELP rectrack_http_response_bytes_total Bytes sent in responses, headers included.\n"
        "# TYPE rectrack_http_response_bytes_total counter\n"
        "rectrack_http_response_bytes_total " +
        std::to_string(bytes_.load(std::memory_order_relaxed)) + "\n";
    return out;
  }

 private:
  // Prometheus client libraries' default buckets, in seconds.
  static constexpr double kBuckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  std::atomic<int64_t> open_{0};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> bytes_{0};
  std::array<std::atomic<uint64_t>, std::size(kBuckets) + 1> buckets_{};  // last: +Inf
  std::atomic<uint64_t> sum_us_{0};
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> requests_;  // "method\x1froute\x1fclass"
};

// ---------------------------------------------------------------------------
// The work threads: requests with unsafe methods wait here in priority order
// (ServerOptions::work_ticket), bounded in number and per key.

// How much less CPU the work threads get than the connection threads when
// both want it (nice +5: about a third of a connection thread's weight).
constexpr int kWorkNice = 5;

class WorkQueue {
 public:
  enum class Admit { kQueued, kFull, kKeyBusy };

  WorkQueue(int threads, size_t max_queued, size_t max_per_key)
      : max_queued_(max_queued), max_per_key_(std::max<size_t>(1, max_per_key)) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
  }
  ~WorkQueue() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  Admit Submit(WorkTicket ticket, std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!ticket.key.empty()) {
        auto it = per_key_.find(ticket.key);
        if (it != per_key_.end() && it->second >= max_per_key_) return Admit::kKeyBusy;
      }
      if (queue_.size() >= max_queued_) return Admit::kFull;
      if (!ticket.key.empty()) ++per_key_[ticket.key];
      queue_.push_back(Item{ticket.priority, next_seq_++, std::move(ticket.key), std::move(job)});
      std::push_heap(queue_.begin(), queue_.end(), Later());
    }
    cv_.notify_one();
    return Admit::kQueued;
  }

 private:
  struct Item {
    int priority;
    uint64_t seq;
    std::string key;
    std::function<void()> job;
  };
  struct Later {  // the heap's top is the lowest priority, then the oldest
    bool operator()(const Item& a, const Item& b) const {
      return std::tie(a.priority, a.seq) > std::tie(b.priority, b.seq);
    }
  };

  void Work() {
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kWorkNice);
    for (;;) {
      Item item;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (stop_) return;  // what is still queued is dropped: its connections close
        std::pop_heap(queue_.begin(), queue_.end(), Later());
        item = std::move(queue_.back());
        queue_.pop_back();
      }
      item.job();  // AnswerRequest catches what a handler throws
      if (!item.key.empty()) {
        std::lock_guard<std::mutex> lock(mu_);
        if (auto it = per_key_.find(item.key); it != per_key_.end() && --it->second == 0)
          per_key_.erase(it);
      }
    }
  }

  const size_t max_queued_, max_per_key_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Item> queue_;  // a heap ordered by Later
  std::unordered_map<std::string, size_t> per_key_;
  uint64_t next_seq_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

class ServerImpl;

// ---------------------------------------------------------------------------
// One client connection. Every member function runs on the thread of the
// connection's io_context.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerImpl* server);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Start();
  // The server is stopping: close now if no request is under way.
  void Shutdown();
  asio::any_io_executor executor() { return stream_.get_executor(); }

 private:
  enum class State { kWaiting, kReading, kHandling, kWriting, kClosing };

  void WaitForRequest();
  void OnFirstBytes(beast::error_code ec, size_t n);
  void ReadHeader();
  void OnHeader(beast::error_code ec, size_t n);
  void ReadBody();
  void OnBody(beast::error_code ec, size_t n);
  void OnReadError(beast::error_code ec);
  void Handle();
  // Sends what a work thread answered (on the connection's thread).
  void Finish(Request request, Response response, bool close, bool keep_alive, std::string route);
  // Answers with a problem and closes the connection.
  void Reject(int status, std::string_view title, std::string_view detail);
  void Send(const Request& request, Response response, bool keep_alive);
  void OnWrite(beast::error_code ec, size_t n);
  void Linger();
  void OnLinger(beast::error_code ec, size_t n);
  void Close();

  ServerImpl* server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  // The response being written: its head, and its body, which is owned_body_
  // or a string shared with the document cache that body_owner_ keeps alive
  // until the write completes.
  std::string head_;
  std::string owned_body_;
  std::shared_ptr<const std::string> body_owner_;
  State state_ = State::kWaiting;
  bool first_request_ = true;
  bool close_after_write_ = false;
  bool request_unread_ = false;  // we answered before reading all of the request
  Clock::time_point accepted_at_;
  std::string remote_;

  // The request being answered, for the access log and metrics.
  Clock::time_point started_;
  std::chrono::system_clock::time_point started_wall_;
  std::string log_method_, log_target_, log_user_agent_, log_remote_, route_;
  int status_ = 0;
};

class ServerImpl final : public Server {
 public:
  ServerImpl(ServerOptions options, const Router* router)
      : options_(std::move(options)),
        router_(router),
        iocs_(MakeContexts(std::max(1, options_.threads))),
        acceptor_(control()),
        accept_timer_(control()),
        drain_timer_(control()),
        id_prefix_(RandomHex(4)) {
    if (options_.work_threads > 0)
      work_queue_ = std::make_unique<WorkQueue>(options_.work_threads, options_.max_queued_work,
                                                options_.max_work_per_key);
    // Each context keeps running until the server has drained, even while it
    // has no connection of its own yet.
    for (auto& ioc : iocs_) work_.push_back(asio::make_work_guard(*ioc));
  }

  Result<uint16_t> Listen() override;
  void Run() override;
  void Stop() override;
  void StopOnSignals() override;
  const ServerMetrics& metrics() const override { return metrics_; }

  const ServerOptions& options() const { return options_; }
  const Router& router() const { return *router_; }
  // Request ids: this process's random prefix and a count ("3f9a1c0e-1042").
  const std::string& id_prefix() const { return id_prefix_; }
  uint64_t NextRequestNumber() { return request_number_.fetch_add(1, std::memory_order_relaxed) + 1; }
  Metrics& counters() { return metrics_; }
  WorkQueue* work_queue() { return work_queue_.get(); }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  void Track(const std::shared_ptr<Session>& s) {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    sessions_.emplace(s.get(), s);
  }
  void Untrack(Session* s) {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    sessions_.erase(s);
  }

 private:
  void Accept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void StartSession(tcp::socket socket);
  void DoStop();
  void PollDrain();
  void WaitForSignal(bool second);

  // One io_context per thread, each run by that thread alone: a connection
  // lives on one of them, so its handlers never run concurrently and need no
  // strand (strands and the shared scheduler's lock cost about a tenth of the
  // CPU with thousands of connections). The first one also holds the
  // acceptor, the timers and the signals.
  static std::vector<std::unique_ptr<asio::io_context>> MakeContexts(int n) {
    std::vector<std::unique_ptr<asio::io_context>> v;
    for (int i = 0; i < n; ++i) v.push_back(std::make_unique<asio::io_context>(1));
    return v;
  }
  asio::io_context& control() { return *iocs_.front(); }
  void StopAll() {
    for (auto& ioc : iocs_) ioc->stop();
  }

  ServerOptions options_;
  const Router* router_;
  // Declared before iocs_: sessions still queued in them when they are
  // destroyed reach back into these.
  Metrics metrics_;
  std::mutex sessions_mu_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
  std::atomic<bool> stopping_{false};

  std::vector<std::unique_ptr<asio::io_context>> iocs_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  size_t next_context_ = 0;  // where the next connection goes (control thread only)
  tcp::acceptor acceptor_;
  asio::steady_timer accept_timer_;
  asio::steady_timer drain_timer_;
  std::string id_prefix_;
  std::atomic<uint64_t> request_number_{0};
  std::optional<asio::signal_set> signals_;
  Clock::time_point drain_deadline_;
  // After iocs_: destroyed (its threads joined) before them, since a job
  // answers through its connection's io_context; what it still holds then
  // are sessions, whose destruction reaches back into sessions_ and metrics_.
  std::unique_ptr<WorkQueue> work_queue_;
};

}  // namespace

// ---------------------------------------------------------------------------
// Answering a request that was read whole

namespace {

// The client's address: the peer's or, behind a trusted proxy, the last entry
// of X-Forwarded-For (repeated headers joined), the one our proxy added. For
// the sign-in limits, the access log and the work queue's tickets.
std::string ClientAddress(const ServerOptions& options, const WireRequest& wire) {
  if (!options.trust_forwarded_for) return wire.remote;
  std::string joined;
  for (const auto& [name, value] : wire.headers)
    if (beast::iequals(name, "X-Forwarded-For")) joined += (joined.empty() ? "" : ", ") + value;
  auto forwarded = LastForwardedFor(joined);
  return forwarded ? *forwarded : wire.remote;
}

}  // namespace

Response AnswerRequest(const ServerOptions& options, const Router& router, WireRequest wire,
                       Request* out, bool* close, std::string* route) {
  Request& request = *out;
  request = Request();
  *close = false;
  request.method = std::move(wire.method);
  request.target = std::move(wire.target);
  request.remote_addr = ClientAddress(options, wire);  // the access log names the client

  const std::string& target = request.target;
  if (target.empty() || target.front() != '/' || target.find('\0') != std::string::npos) {
    *close = true;
    return Response::Problem(400, "Bad Request", "The request target must be a path (origin-form).");
  }
  size_t question = target.find('?');
  std::string_view raw_path = std::string_view(target).substr(0, question);
  if (!PercentDecode(raw_path, &request.path, /*plus_is_space=*/false)) {
    *close = true;
    return Response::Problem(400, "Bad Request", "The path has a malformed percent-escape or a NUL.");
  }
  size_t hosts = 0;
  std::string host;
  for (auto& [name, value] : wire.headers) {
    if (beast::iequals(name, "Host")) {
      ++hosts;
      host = value;
    }
    auto [it, inserted] = request.headers.emplace(name, value);
    if (!inserted) {
      it->second += beast::iequals(name, "Cookie") ? "; " : ", ";
      it->second.append(value);
    }
  }
  request.secure = options.https_only || (options.trust_forwarded_proto &&
                   beast::iequals(request.Header("X-Forwarded-Proto"), "https"));

  // The host this request is for: one, named, and one this server answers for.
  const std::string host_name = hosts == 1 ? HostName(host) : "";
  const auto& allowed = options.allowed_hosts;
  if (hosts > 1 || (hosts == 1 && host_name.empty()) || (hosts == 0 && wire.version >= 11)) {
    *close = true;
    return Response::Problem(400, "Bad Request",
                             hosts == 0 ? "An HTTP/1.1 request must name its Host."
                                        : "The request must name one valid Host.");
  }
  if (!allowed.empty() && hosts == 1 &&
      std::find(allowed.begin(), allowed.end(), host_name) == allowed.end()) {
    *close = true;
    return Response::Problem(
        400, "Bad Request",
        fmt::format("This server does not answer for that host. It answers for {}.",
                    fmt::join(allowed, ", ")));
  }
  if (HasDotDotSegment(request.path) || request.path.find('\\') != std::string::npos) {
    // Nothing we serve has such a name: refuse before any handler sees it.
    return Response::Problem(404, "Not Found", "Nothing is published at this address.");
  }
  if (question != std::string::npos &&
      !ParseQuery(std::string_view(target).substr(question + 1), &request.query)) {
    return Response::Problem(400, "Bad Request", "The query string is malformed.");
  }
  request.body = std::move(wire.body);
  // Text that is not UTF-8 is refused here, once, for every handler.
  if (auto field = InvalidUtf8Field(request)) {
    return Response::Problem(400, "Bad Request",
                             fmt::format("{} is not valid UTF-8.", SentenceCase(*field)));
  }
  try {
    return router.Dispatch(request, route);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rectrack serve: request %s: the handler for %s %s threw: %s\n",
                 CurrentRequestId().c_str(), LogSafe(request.method).c_str(),
                 LogSafe(request.path).c_str(), LogSafe(e.what()).c_str());
    return Response::Problem(500, "Internal Server Error",
                             "The server failed to answer this request.");
  }
}

namespace {

// ---------------------------------------------------------------------------
// Session

Session::Session(tcp::socket socket, ServerImpl* server)
    : server_(server), stream_(std::move(socket)), accepted_at_(Clock::now()) {
  beast::error_code ec;
  auto endpoint = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_ = endpoint.address().to_string();
  server_->counters().ConnectionOpened();
}

Session::~Session() {
  server_->counters().ConnectionClosed();
  server_->Untrack(this);
}

void Session::Start() {
  asio::dispatch(stream_.get_executor(),
                 beast::bind_front_handler(&Session::WaitForRequest, shared_from_this()));
}

void Session::Shutdown() {
  if (state_ == State::kWaiting) Close();
}

// Waits for the first byte of a request: idle_timeout between requests, the
// header deadline on a new connection (a client that connects and says nothing
// is as slow as one that trickles).
void Session::WaitForRequest() {
  state_ = State::kWaiting;
  if (server_->stopping()) return Close();
  if (buffer_.size() > 0) return ReadHeader();  // pipelined
  buffer_.shrink_to_fit();
  if (first_request_) {
    stream_.expires_at(accepted_at_ + server_->options().header_timeout);
  } else {
    stream_.expires_after(server_->options().idle_timeout);
  }
  stream_.async_read_some(buffer_.prepare(kReadChunk),
                          beast::bind_front_handler(&Session::OnFirstBytes, shared_from_this()));
}

void Session::OnFirstBytes(beast::error_code ec, size_t n) {
  if (ec) return Close();  // closed by the client, idle timeout, or shutdown
  buffer_.commit(n);
  ReadHeader();
}

void Session::ReadHeader() {
  state_ = State::kReading;
  request_unread_ = false;
  started_ = Clock::now();
  started_wall_ = std::chrono::system_clock::now();
  log_method_.clear();
  log_target_.clear();
  log_user_agent_.clear();
  route_.clear();
  parser_.emplace();
  parser_->header_limit(
      static_cast<uint32_t>(std::min<size_t>(server_->options().max_header_bytes, UINT32_MAX)));
  // The largest any path takes: a Content-Length above it fails while the
  // header is read. The path's own limit is set once the header names it.
  size_t most = server_->options().max_body_bytes;
  for (const auto& [path, limit] : server_->options().body_limits) most = std::max(most, limit);
  parser_->body_limit(static_cast<uint64_t>(most));
  // The whole header within header_timeout of its first byte, however slowly it trickles.
  if (first_request_) {
    stream_.expires_at(accepted_at_ + server_->options().header_timeout);
  } else {
    stream_.expires_after(server_->options().header_timeout);
  }
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
}

void Session::OnHeader(beast::error_code ec, size_t) {
  if (ec) return OnReadError(ec);
  if (parser_->is_done()) return Handle();
  stream_.expires_after(server_->options().body_timeout);
  auto& msg = parser_->get();
  size_t limit = server_->options().max_body_bytes;
  const std::string_view target = msg.target();
  const std::string_view path = target.substr(0, target.find('?'));
  for (const auto& [p, l] : server_->options().body_limits)
    if (p == path) limit = l;
  if (auto length = parser_->content_length(); length && *length > limit)
    return OnReadError(http::error::body_limit);
  parser_->body_limit(static_cast<uint64_t>(limit));
  if (msg.version() >= 11 && beast::iequals(msg[http::field::expect], "100-continue")) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        self->ReadBody();
                      });
    return;
  }
  ReadBody();
}

void Session::ReadBody() {
  stream_.expires_after(server_->options().body_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&Session::OnBody, shared_from_this()));
}

void Session::OnBody(beast::error_code ec, size_t) {
  if (ec) return OnReadError(ec);
  Handle();
}

void Session::OnReadError(beast::error_code ec) {
  if (ec == http::error::header_limit) {
    return Reject(431, "Request Header Fields Too Large",
                  "The request's header is larger than this server accepts.");
  }
  if (ec == http::error::body_limit) {
    return Reject(413, "Content Too Large",
                  "The request's body is larger than this server accepts.");
  }
  if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
      ec.category() != beast::http::make_error_code(http::error::bad_target).category()) {
    return Close();  // the client went away, timed out (the stream is closed), or we stopped
  }
  Reject(400, "Bad Request", "The request is not valid HTTP/1.1.");
}

void Session::Reject(int status, std::string_view title, std::string_view detail) {
  Request request;
  if (parser_) {
    const auto& msg = parser_->get();
    request.method = std::string(msg.method_string());
    request.target = std::string(msg.target());
    log_user_agent_ = std::string(msg[http::field::user_agent]);
  }
  log_method_ = request.method;
  log_target_ = request.target;
  log_remote_ = remote_;
  request_unread_ = true;
  Send(request, Response::Problem(status, title, detail), /*keep_alive=*/false);
}

void Session::Handle() {
  state_ = State::kHandling;
  stream_.expires_never();
  auto& msg = parser_->get();
  WireRequest wire;
  wire.method = std::string(msg.method_string());
  wire.target = std::string(msg.target());
  wire.version = static_cast<int>(msg.version());
  for (const auto& field : msg) wire.headers.emplace_back(field.name_string(), field.value());
  wire.body = std::move(msg.body());
  wire.remote = remote_;
  log_user_agent_ = std::string(msg[http::field::user_agent]);
  SetCurrentRequestId(fmt::format("{}-{}", server_->id_prefix(), server_->NextRequestNumber()));

  const bool keep_alive = msg.keep_alive();
  WorkQueue* work = server_->work_queue();
  if (wire.method == "GET" || wire.method == "HEAD" || !work) {
    Request request;
    bool close = false;
    std::string route;
    Response response = AnswerRequest(server_->options(), server_->router(), std::move(wire),
                                      &request, &close, &route);
    Finish(std::move(request), std::move(response), close, keep_alive, std::move(route));
    SetCurrentRequestId("");
    return;
  }

  // A write or a sign-in: on a work thread, so that neither a wait for the
  // store's lock nor a password hash holds up the readers of this thread.
  const ServerOptions& options = server_->options();
  std::string client = ClientAddress(options, wire);
  std::string_view target = wire.target;
  WorkTicket ticket;
  if (options.work_ticket)
    ticket = options.work_ticket(WorkInfo{wire.method, target.substr(0, target.find('?')), client});
  Request refused;  // what the log and Send need when the queue says no
  refused.method = wire.method;
  refused.target = wire.target;
  refused.remote_addr = client;
  std::string id = CurrentRequestId();
  auto self = shared_from_this();
  auto admit = work->Submit(std::move(ticket), [self, wire = std::move(wire), keep_alive, id]() mutable {
    SetCurrentRequestId(id);
    auto answer = std::make_shared<std::tuple<Request, Response, bool, std::string>>();
    auto& [request, response, close, route] = *answer;
    response = AnswerRequest(self->server_->options(), self->server_->router(), std::move(wire),
                             &request, &close, &route);
    SetCurrentRequestId("");
    asio::post(self->executor(), [self, answer, keep_alive, id] {
      SetCurrentRequestId(id);
      auto& [request, response, close, route] = *answer;
      self->Finish(std::move(request), std::move(response), close, keep_alive, std::move(route));
      SetCurrentRequestId("");
    });
  });
  if (admit != WorkQueue::Admit::kQueued) {
    const bool busy_key = admit == WorkQueue::Admit::kKeyBusy;
    Response r = busy_key
        ? Response::Problem(429, "Too Many Requests",
                            "A request of yours like this one is still being answered. Wait for "
                            "its answer, then try again.")
        : Response::Problem(503, "Service Unavailable",
                            "The server has too many changes waiting. Try again in a moment.");
    r.Set("Retry-After", busy_key ? "1" : "2");
    r.Set("Cache-Control", "no-store");
    Finish(std::move(refused), std::move(r), /*close=*/false, keep_alive, "");
  }
  SetCurrentRequestId("");
}

void Session::Finish(Request request, Response response, bool close, bool keep_alive,
                     std::string route) {
  route_ = std::move(route);
  log_remote_ = request.remote_addr;  // the client, not the proxy, when trusted
  log_method_ = request.method;
  log_target_ = request.target;
  if (close) request_unread_ = true;
  Send(request, std::move(response), keep_alive && !close);
}

// Everything the server adds to a handler's response: ETag and 304, gzip,
// Content-Length, Date and the security headers; HEAD drops the body.
void Session::Send(const Request& request, Response response, bool keep_alive) {
  int status = response.status;
  if (status < 200 || status > 599) {
    response = Response::Problem(500, "Internal Server Error", "The handler gave no valid status.");
    status = 500;
  }
  // Every 5xx is logged with the request's id, which the response carries (a
  // header, and a member of a problem document) for a report to quote.
  if (status >= 500) {
    std::string id = CurrentRequestId();
    if (id.empty()) id = fmt::format("{}-{}", server_->id_prefix(), server_->NextRequestNumber());
    std::fprintf(stderr, "rectrack serve: request %s: %d %s %s\n", id.c_str(), status,
                 LogSafe(request.method).c_str(), LogSafe(request.target.substr(0, 200)).c_str());
    response.Set("X-Request-Id", id);
    if (!response.shared_body && response.Get("Content-Type") == "application/problem+json" &&
        !response.body.empty() && response.body.back() == '}')
      response.body.insert(response.body.size() - 1, ",\"request_id\":" + JsonQuote(id));
  }
  const bool head = request.method == "HEAD";
  const bool get_or_head = head || request.method == "GET";
  if (get_or_head && status == 200 && !response.Has("ETag")) {
    response.Set("ETag", StrongEtag(response.Body()));
  }
  bool compressible = status != 204 && response.Body().size() >= kMinGzipBytes &&
                      !response.Has("Content-Encoding") &&
                      IsCompressibleType(response.Get("Content-Type"));
  if (compressible) {
    std::string vary = response.Get("Vary");
    if (vary.empty()) {
      response.Set("Vary", "Accept-Encoding");
    } else if (ToLowerAscii(vary).find("accept-encoding") == std::string::npos) {
      response.Set("Vary", vary + ", Accept-Encoding");
    }
  }
  if (get_or_head && status == 200) {
    std::string if_none_match = request.Header("If-None-Match");
    std::string etag = response.Get("ETag");
    if (!if_none_match.empty() && !etag.empty() && EtagMatchesWeak(if_none_match, etag)) {
      status = 304;
      response.body.clear();
      response.shared_body.reset();
      response.shared_gzip.reset();
      response.Remove("Content-Type");
      compressible = false;
    }
  }
  // What to send: the handler's own bytes (moved here), or bytes shared with
  // the cache, which are never copied; gzipped once by the cache when it can.
  owned_body_.clear();
  body_owner_.reset();
  if (response.shared_body) {
    body_owner_ = std::move(response.shared_body);
  } else {
    owned_body_ = std::move(response.body);
  }
  bool gzipped = false;
  if (compressible && AcceptsGzip(request.Header("Accept-Encoding"))) {
    if (response.shared_gzip) {
      body_owner_ = std::move(response.shared_gzip);
      gzipped = true;
    } else {
      std::string compressed;
      std::string_view plain = body_owner_ ? std::string_view(*body_owner_) : owned_body_;
      if (Gzip(plain, &compressed) && compressed.size() < plain.size()) {
        owned_body_.swap(compressed);
        body_owner_.reset();
        gzipped = true;
      }
    }
  }
  const std::string_view body = body_owner_ ? std::string_view(*body_owner_) : owned_body_;

  // The head, serialized here in one string: with the body that makes two
  // buffers for one gathered write (Beast's serializer walks every header
  // field as a buffer of its own, a cost that showed in profiles).
  const bool http10 = parser_ && parser_->get().version() == 10;
  // Decided now, not before the handler ran: a Stop() meanwhile means this is
  // the connection's last response.
  keep_alive = keep_alive && !server_->stopping();
  std::string& h = head_;
  h.clear();
  h.reserve(512);
  h.append(http10 ? "HTTP/1.0 " : "HTTP/1.1 ").append(std::to_string(status)).append(" ");
  h.append(StatusText(status)).append("\r\n");
  auto field = [&h](std::string_view name, std::string_view value) {
    h.append(name).append(": ").append(value).append("\r\n");
  };
  for (const auto& [name, value] : response.headers) {
    if (!SafeHeaderName(name) || !SafeHeaderValue(value)) continue;
    if (beast::iequals(name, "Content-Length") || beast::iequals(name, "Transfer-Encoding") ||
        beast::iequals(name, "Connection") || beast::iequals(name, "Date") ||
        beast::iequals(name, "Server") ||
        (gzipped && beast::iequals(name, "Content-Encoding"))) {
      continue;  // ours to set
    }
    field(name, value);
  }
  field("Server", "rectrack");
  field("Date", HttpDate());
  if (!response.Has("X-Content-Type-Options")) field("X-Content-Type-Options", "nosniff");
  if (!response.Has("Referrer-Policy")) field("Referrer-Policy", kDefaultReferrerPolicy);
  if (!response.Has("Content-Security-Policy")) field("Content-Security-Policy", kDefaultCsp);
  // What frame-ancestors says, for browsers too old to read it.
  if (!response.Has("X-Frame-Options")) field("X-Frame-Options", "DENY");
  if (gzipped) field("Content-Encoding", "gzip");
  if (status != 204 && status != 304) {
    field("Content-Length", std::to_string(body.size()));  // for HEAD too: what GET would send
  }
  // HTTP/1.1 keeps the connection unless told; HTTP/1.0 closes unless told.
  if (!keep_alive) {
    field("Connection", "close");
  } else if (http10) {
    field("Connection", "keep-alive");
  }
  h.append("\r\n");
  const bool send_body = !head && status != 204 && status != 304;
  close_after_write_ = !keep_alive;
  status_ = status;

  state_ = State::kWriting;
  stream_.expires_after(server_->options().write_timeout);
  std::array<asio::const_buffer, 2> buffers = {
      asio::buffer(head_), send_body ? asio::buffer(body.data(), body.size()) : asio::const_buffer()};
  asio::async_write(stream_, buffers,
                    beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
}

void Session::OnWrite(beast::error_code ec, size_t n) {
  double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  server_->counters().Record(log_method_, route_, status_, seconds, n);
  if (const auto& log = server_->options().access_log) {
    char duration[32];
    std::snprintf(duration, sizeof duration, "%.3f", seconds * 1000);
    std::string line;
    line.reserve(256);
    line += "{\"time\":\"" + IsoUtc(started_wall_) + "\",\"remote\":" + JsonQuote(log_remote_) +
            ",\"method\":" + JsonQuote(log_method_) + ",\"target\":" + JsonQuote(log_target_) +
            ",\"status\":" + std::to_string(status_) + ",\"bytes\":" + std::to_string(n) +
            ",\"duration_ms\":" + duration + ",\"user_agent\":" + JsonQuote(log_user_agent_);
    if (ec) line += ",\"error\":" + JsonQuote(ec.message());
    line += "}";
    log(line);
  }
  head_.clear();
  owned_body_ = {};
  body_owner_.reset();
  parser_.reset();
  if (ec) return Close();
  if (close_after_write_) {
    // Unread input (a refused body, pipelined requests) would make our close a
    // reset that can destroy the answer in flight; otherwise close at once.
    if (request_unread_ || buffer_.size() > 0) return Linger();
    return Close();
  }
  first_request_ = false;
  WaitForRequest();
}

// Half-close, then read and discard what the client still sends (a body we
// refused, say) until it closes or kLingerTime passes. Closing with unread
// data would send a reset, and the client could lose our answer.
void Session::Linger() {
  state_ = State::kClosing;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) return Close();
  buffer_.clear();
  stream_.expires_after(kLingerTime);
  stream_.async_read_some(buffer_.prepare(kReadChunk),
                          beast::bind_front_handler(&Session::OnLinger, shared_from_this()));
}

void Session::OnLinger(beast::error_code ec, size_t) {
  if (ec) return Close();
  buffer_.clear();
  stream_.async_read_some(buffer_.prepare(kReadChunk),
                          beast::bind_front_handler(&Session::OnLinger, shared_from_this()));
}

void Session::Close() {
  state_ = State::kClosing;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
}

// ---------------------------------------------------------------------------
// ServerImpl

Result<uint16_t> ServerImpl::Listen() {
  beast::error_code ec;
  tcp::endpoint endpoint;
  auto address = asio::ip::make_address(options_.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, options_.port);
  } else {
    tcp::resolver resolver(control());
    auto results = resolver.resolve(options_.host, std::to_string(options_.port), ec);
    if (ec || results.empty()) {
      return Fail(Error::Io("cannot resolve " + options_.host + ": " + ec.message()));
    }
    endpoint = results.begin()->endpoint();
  }
  auto fail = [&](const char* what) {
    return Fail(Error::Io(std::string(what) + " " + options_.host + ":" +
                          std::to_string(options_.port) + ": " + ec.message()));
  };
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail("cannot open a socket for");
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("cannot set SO_REUSEADDR on");
  acceptor_.bind(endpoint, ec);
  if (ec) return fail("cannot bind");
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("cannot listen on");
  acceptor_.non_blocking(true, ec);  // OnAccept drains the backlog without waiting
  if (ec) return fail("cannot make non-blocking the socket of");
  uint16_t port = acceptor_.local_endpoint(ec).port();
  if (ec) return fail("cannot read the port of");
  asio::post(control(), [this] { Accept(); });
  return port;
}

void ServerImpl::Accept() {
  asio::io_context& ioc = *iocs_[next_context_++ % iocs_.size()];
  acceptor_.async_accept(ioc, beast::bind_front_handler(&ServerImpl::OnAccept, this));
}

void ServerImpl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (ec) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open() || stopping()) return;
    // Out of descriptors or memory: back off briefly instead of spinning.
    accept_timer_.expires_after(std::chrono::milliseconds(50));
    accept_timer_.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && !stopping()) Accept();
    });
    return;
  }
  if (stopping()) return;
  StartSession(std::move(socket));
  // Take what else is waiting in the backlog now: one accept per trip through
  // the handler queue would leave new connections waiting behind every busy
  // one (seconds, with thousands of clients arriving together).
  for (int i = 0; i < kAcceptBatch && !stopping(); ++i) {
    tcp::socket more(*iocs_[next_context_++ % iocs_.size()]);
    acceptor_.accept(more, ec);  // the acceptor is non-blocking: would_block ends this
    if (ec) break;
    StartSession(std::move(more));
  }
  Accept();
}

void ServerImpl::StartSession(tcp::socket socket) {
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  auto session = std::make_shared<Session>(std::move(socket), this);
  Track(session);
  session->Start();
}

void ServerImpl::Run() {
  std::vector<std::thread> threads;
  threads.reserve(iocs_.size() - 1);
  for (size_t i = 1; i < iocs_.size(); ++i) threads.emplace_back([this, i] { iocs_[i]->run(); });
  control().run();
  for (auto& t : threads) t.join();
}

void ServerImpl::Stop() {
  if (stopping_.exchange(true, std::memory_order_acq_rel)) return;
  asio::post(control(), [this] { DoStop(); });
}

void ServerImpl::DoStop() {
  beast::error_code ec;
  acceptor_.close(ec);
  accept_timer_.cancel();
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    for (auto& [raw, weak] : sessions_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) {
    asio::post(s->executor(), [s] { s->Shutdown(); });
  }
  live.clear();
  drain_deadline_ = Clock::now() + options_.shutdown_grace;
  PollDrain();
}

// Once no connection is left the io_context runs out of work and Run()
// returns; past the grace period it is stopped outright.
void ServerImpl::PollDrain() {
  bool empty;
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    empty = sessions_.empty();
  }
  if (empty) {
    if (signals_) {
      beast::error_code ec;
      signals_->cancel(ec);
    }
    for (auto& w : work_) w.reset();  // each context ends when its last handler has run
    return;
  }
  if (Clock::now() >= drain_deadline_) {
    StopAll();
    return;
  }
  drain_timer_.expires_after(std::chrono::milliseconds(20));
  drain_timer_.async_wait([this](beast::error_code ec) {
    if (!ec) PollDrain();
  });
}

void ServerImpl::StopOnSignals() {
  if (signals_) return;
  signals_.emplace(control(), SIGINT, SIGTERM);
  WaitForSignal(/*second=*/false);
}

// The first signal drains gracefully; a second one stops at once.
void ServerImpl::WaitForSignal(bool second) {
  signals_->async_wait([this, second](beast::error_code ec, int) {
    if (ec) return;
    if (second) {
      StopAll();
      return;
    }
    Stop();
    WaitForSignal(/*second=*/true);
  });
}

}  // namespace

std::unique_ptr<Server> Server::Create(ServerOptions options, const Router* router) {
  return std::make_unique<ServerImpl>(std::move(options), router);
}

}  // namespace rectrack::web
