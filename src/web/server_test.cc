// Tests of the router, the HTTP helpers and the real server on a loopback
// socket (port 0), driven by a small raw-socket client so that every byte on
// the wire is ours to check.
#include "web/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <stdexcept>
#include <thread>

#include "web/http.h"
#include "web/static_files.h"
#include "web/test_client.h"

namespace rectrack::web {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// ---------------------------------------------------------------------------
// Router and helpers, without a socket.

Handler Reply(std::string body) {
  return [body](Request&) { return Response::Text(200, body, "text/plain"); };
}

Request Req(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

TEST(RouterTest, AfterWriteRunsAfterEveryUnsafeMethodEvenWhenTheHandlerThrows) {
  Router router;
  std::vector<std::string> calls;
  router.Add("GET", "/a", [&calls](Request&) {
    calls.push_back("get");
    return Response::Text(200, "a", "text/plain");
  });
  router.Add("POST", "/a", [&calls](Request&) {
    calls.push_back("post");
    return Response::Text(201, "a", "text/plain");
  });
  router.Add("DELETE", "/a", [](Request&) -> Response { throw std::runtime_error("boom"); });
  router.SetAfterWrite([&calls] { calls.push_back("after"); });
  Request get = Req("GET", "/a");
  Request head = Req("HEAD", "/a");
  Request post = Req("POST", "/a");
  Request del = Req("DELETE", "/a");
  router.Dispatch(get);
  router.Dispatch(head);
  EXPECT_EQ(calls, (std::vector<std::string>{"get", "get"}));
  router.Dispatch(post);
  EXPECT_EQ(calls, (std::vector<std::string>{"get", "get", "post", "after"}));
  EXPECT_THROW(router.Dispatch(del), std::runtime_error);
  EXPECT_EQ(calls.back(), "after");
  EXPECT_EQ(calls.size(), 5u);
}

// What a client sends reaches the server's error log with its control
// characters escaped: a "%0A" in a path cannot forge a log line.
TEST(LogSafeTest, ControlCharactersAreEscaped) {
  EXPECT_EQ(LogSafe("/a\nrectrack serve: request x: forged\r\x1b[2J\x7f"),
            "/a\\x0arectrack serve: request x: forged\\x0d\\x1b[2J\\x7f");
  EXPECT_EQ(LogSafe("tab\there, caf\xc3\xa9 stays"), "tab\\x09here, caf\xc3\xa9 stays");
}

TEST(RouterTest, ExactSegmentsWinOverParametersWhateverTheOrder) {
  Router router;
  router.Add("GET", "/sources/{slug}", Reply("param"));
  router.Add("GET", "/sources/new", Reply("exact"));
  router.Add("GET", "/sources/{slug}/recommendations", Reply("recs"));
  Request a = Req("GET", "/sources/new");
  EXPECT_EQ(router.Dispatch(a).body, "exact");
  Request b = Req("GET", "/sources/pfd-2024");
  std::string pattern;
  EXPECT_EQ(router.Dispatch(b, &pattern).body, "param");
  EXPECT_EQ(b.Param("slug"), "pfd-2024");
  EXPECT_EQ(pattern, "/sources/{slug}");
  Request c = Req("GET", "/sources/x/recommendations");
  EXPECT_EQ(router.Dispatch(c).body, "recs");
  EXPECT_EQ(router.PatternFor(c), "/sources/{slug}/recommendations");
}

TEST(RouterTest, ParametersNeverMatchEmptySegments) {
  Router router;
  router.Add("GET", "/sources/{slug}", Reply("param"));
  Request r = Req("GET", "/sources/");
  EXPECT_EQ(router.Dispatch(r).status, 404);
  Request r2 = Req("GET", "/sources");
  EXPECT_EQ(router.Dispatch(r2).status, 404);
}

TEST(RouterTest, RestParameterTakesTheRemainingSegments) {
  Router router;
  router.Add("GET", "/static/{path...}",
             [](Request& r) { return Response::Text(200, r.Param("path"), "text/plain"); });
  router.Add("GET", "/static/{one}", Reply("one"));
  Request a = Req("GET", "/static/css/site.css");
  EXPECT_EQ(router.Dispatch(a).body, "css/site.css");
  Request b = Req("GET", "/static/x.css");
  EXPECT_EQ(router.Dispatch(b).body, "one");  // {param} outranks {rest...}
  Request c = Req("GET", "/static/");
  EXPECT_EQ(router.Dispatch(c).status, 404);
}

TEST(RouterTest, NoPathIs404ProblemAndWrongMethodIs405WithAllow) {
  Router router;
  router.Add("GET", "/items/{id}", Reply("get"));
  router.Add("POST", "/items/{id}", Reply("post"));
  Request missing = Req("GET", "/nothing");
  Response r404 = router.Dispatch(missing);
  EXPECT_EQ(r404.status, 404);
  EXPECT_EQ(r404.Get("content-type"), "application/problem+json");
  auto problem = nlohmann::json::parse(r404.body);
  EXPECT_EQ(problem["status"], 404);
  EXPECT_EQ(problem["title"], "Not Found");
  EXPECT_EQ(problem["type"], "about:blank");
  EXPECT_TRUE(problem["detail"].is_string());
  EXPECT_EQ(router.PatternFor(missing), "");

  Request del = Req("DELETE", "/items/3");
  Response r405 = router.Dispatch(del);
  EXPECT_EQ(r405.status, 405);
  EXPECT_EQ(r405.Get("Allow"), "GET, HEAD, POST");
  EXPECT_EQ(nlohmann::json::parse(r405.body)["status"], 405);
  EXPECT_EQ(router.PatternFor(del), "");
}

TEST(RouterTest, HeadFallsBackToGetButPrefersItsOwnRoute) {
  Router router;
  router.Add("GET", "/a", Reply("get-a"));
  router.Add("GET", "/b", Reply("get-b"));
  router.Add("HEAD", "/b", Reply("head-b"));
  Request a = Req("HEAD", "/a");
  EXPECT_EQ(router.Dispatch(a).body, "get-a");
  Request b = Req("HEAD", "/b");
  EXPECT_EQ(router.Dispatch(b).body, "head-b");
}

TEST(HttpTest, PercentDecodeRejectsBadEscapesAndNul) {
  std::string out;
  EXPECT_TRUE(PercentDecode("a%20b%2Fc%C3%A9", &out, false));
  EXPECT_EQ(out, "a b/c\xC3\xA9");
  EXPECT_TRUE(PercentDecode("a+b", &out, false));
  EXPECT_EQ(out, "a+b");
  EXPECT_TRUE(PercentDecode("a+b", &out, true));
  EXPECT_EQ(out, "a b");
  EXPECT_FALSE(PercentDecode("%zz", &out, false));
  EXPECT_FALSE(PercentDecode("abc%2", &out, false));
  EXPECT_FALSE(PercentDecode("abc%", &out, false));
  EXPECT_FALSE(PercentDecode("a%00b", &out, false));
  EXPECT_FALSE(PercentDecode(std::string_view("a\0b", 3), &out, false));
}

TEST(HttpTest, PercentEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(PercentEncode("Home Office/R12~a-b_c.d"), "Home%20Office%2FR12~a-b_c.d");
  EXPECT_EQ(PercentEncode("\xC3\xA9&="), "%C3%A9%26%3D");
  std::string back;
  ASSERT_TRUE(PercentDecode(PercentEncode("x y/z?\xff"), &back, false));
  EXPECT_EQ(back, "x y/z?\xff");
}

TEST(HttpTest, ParseQueryDecodesAndKeepsRepeatsInOrder) {
  std::multimap<std::string, std::string> q;
  ASSERT_TRUE(ParseQuery("owner=Home%20Office&status=open&status=overdue&flag&&x=a+b", &q));
  EXPECT_EQ(q.count("status"), 2u);
  auto range = q.equal_range("status");
  EXPECT_EQ(range.first->second, "open");
  EXPECT_EQ(std::next(range.first)->second, "overdue");
  EXPECT_EQ(q.find("owner")->second, "Home Office");
  EXPECT_EQ(q.find("flag")->second, "");
  EXPECT_EQ(q.find("x")->second, "a b");
  std::multimap<std::string, std::string> bad;
  EXPECT_FALSE(ParseQuery("a=%G1", &bad));
}

TEST(HttpTest, MultipartFormGivesTextFieldsAndFilesAsSent) {
  const std::string type = "multipart/form-data; boundary=----x1";
  const std::string pdf = std::string("%PDF-1.4\r\n\0\xff", 12) + "\r\n------x";  // binary, CRLFs, a near-delimiter
  const std::string body =
      "------x1\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n"
      "------x1\r\nContent-Disposition: form-data; name=\"document\"; "
      "filename=\"C:\\\\reports\\\\A \\\"final\\\" report.pdf\"\r\n"
      "Content-Type: application/pdf\r\n\r\n" + pdf + "\r\n"
      "------x1\r\ncontent-disposition: FORM-DATA; NAME=preset\r\n\r\nupr\r\n"
      "------x1--\r\n";
  std::vector<FormPart> parts;
  ASSERT_TRUE(ParseMultipart(type, body, &parts));
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].name, "csrf");
  EXPECT_FALSE(parts[0].is_file);
  EXPECT_EQ(parts[0].value, "tok");
  EXPECT_EQ(parts[1].name, "document");
  EXPECT_TRUE(parts[1].is_file);
  EXPECT_EQ(parts[1].filename, "A \"final\" report.pdf");  // no folder, quotes unescaped
  EXPECT_EQ(parts[1].content_type, "application/pdf");
  EXPECT_EQ(parts[1].value, pdf);
  EXPECT_EQ(parts[2].name, "preset");
  EXPECT_EQ(parts[2].value, "upr");
  EXPECT_TRUE(IsMultipartForm("Multipart/Form-Data; boundary=a"));
  EXPECT_FALSE(IsMultipartForm("multipart/mixed; boundary=a"));

  // Malformed: each refused, nothing half-parsed.
  const std::string ok_part = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"multipart/form-data", ok_part + "--b--"},                        // no boundary
      {"multipart/form-data; boundary=\"b", ok_part + "--b--"},          // unclosed quote
      {"multipart/form-data; boundary=" + std::string(71, 'b'), ""},    // boundary too long
      {"multipart/form-data; boundary=b", ok_part},                     // no closing delimiter
      {"multipart/form-data; boundary=b", "--b\r\n\r\n1\r\n--b--"},      // no name
      {"multipart/form-data; boundary=b",
       "--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\n1\r\n--b--"},
      {"multipart/form-data; boundary=b",
       "--b\r\nContent-Disposition: form-data; name=\"a\"\r\nNo colon\r\n\r\n1\r\n--b--"},
      {"multipart/form-data; boundary=b",
       "--b\r\nContent-Disposition: form-data; name=\"a\"\r\nX: " + std::string(9000, 'x') +
           "\r\n\r\n1\r\n--b--"},
      {"multipart/form-data; boundary=b", "--bjunk"},
      {"multipart/form-data; boundary=b", ""},
      {"application/x-www-form-urlencoded; boundary=b", ok_part + "--b--"},
  };
  for (const auto& [t, b] : bad) {
    std::vector<FormPart> p;
    EXPECT_FALSE(ParseMultipart(t, b, &p)) << t << " | " << b.substr(0, 80);
    EXPECT_TRUE(p.empty());
  }
  std::string many;
  for (int i = 0; i < 5; ++i) many += ok_part;
  std::vector<FormPart> p;
  EXPECT_TRUE(ParseMultipart("multipart/form-data; boundary=b", many + "--b--", &p, 5));
  EXPECT_FALSE(ParseMultipart("multipart/form-data; boundary=b", many + ok_part + "--b--", &p, 5));
}

TEST(HttpTest, RequestHelpers) {
  Request r;
  r.headers.emplace("content-TYPE", "text/plain");
  r.headers.emplace("Cookie", "theme=dark; session=\"abc=def\"; x=1");
  r.query.emplace("q", "first");
  r.query.emplace("q", "second");
  r.params["slug"] = "pfd";
  EXPECT_EQ(r.Header("Content-Type"), "text/plain");
  EXPECT_EQ(r.Header("absent"), "");
  EXPECT_EQ(r.Query("q"), "first");
  EXPECT_EQ(r.Query("nope"), "");
  EXPECT_EQ(r.Param("slug"), "pfd");
  EXPECT_EQ(r.Cookie("session"), "abc=def");
  EXPECT_EQ(r.Cookie("theme"), "dark");
  EXPECT_EQ(r.Cookie("the"), "");

  HeaderLess less;
  EXPECT_FALSE(less("ETag", "etag"));
  EXPECT_FALSE(less("etag", "ETag"));
  EXPECT_TRUE(less("a", "B"));
}

TEST(HttpTest, ResponseHeadersAreCaseInsensitive) {
  Response r = Response::Html("<p>x</p>");
  EXPECT_EQ(r.Get("content-type"), "text/html; charset=utf-8");
  r.Set("CONTENT-TYPE", "text/plain");
  EXPECT_EQ(r.headers.size(), 1u);
  r.Add("Set-Cookie", "a=1").Add("Set-Cookie", "b=2");
  EXPECT_EQ(r.headers.size(), 3u);
  EXPECT_EQ(Response::Redirect("/x").Get("Location"), "/x");
  EXPECT_EQ(Response::Redirect("/x").status, 303);
  EXPECT_EQ(Response::Json("{}").Get("Content-Type"), "application/json");
}

TEST(HttpTest, ProblemIsValidJsonEvenWithHostileText) {
  Response r = Response::Problem(422, "Bad \"input\"", "line\nbreak \x01 and \xff bytes",
                                 "https://rectrack.example/problems/invalid");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.Get("Content-Type"), "application/problem+json");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["type"], "https://rectrack.example/problems/invalid");
  EXPECT_EQ(j["title"], "Bad \"input\"");
  EXPECT_EQ(j["status"], 422);
  EXPECT_EQ(j["detail"], "line\nbreak \x01 and \xEF\xBF\xBD bytes");
}

TEST(HttpTest, StrongEtagIsATruncatedSha256) {
  // SHA-256("") = e3b0c442 98fc1c14 9afbf4c8 996fb924 27ae41e4 ...
  EXPECT_EQ(StrongEtag(""), "\"e3b0c44298fc1c149afbf4c8996fb924\"");
  EXPECT_NE(StrongEtag("a"), StrongEtag("b"));
}

TEST(HttpTest, EtagMatching) {
  const std::string etag = "\"abc\"";
  EXPECT_TRUE(EtagMatches("\"abc\"", etag));
  EXPECT_TRUE(EtagMatches("\"x\", \"abc\"", etag));
  EXPECT_TRUE(EtagMatches(" * ", etag));
  EXPECT_FALSE(EtagMatches("\"abcd\"", etag));
  EXPECT_FALSE(EtagMatches("W/\"abc\"", etag));  // strong comparison: weak never matches
  EXPECT_FALSE(EtagMatches("\"abc\"", "W/\"abc\""));
  EXPECT_FALSE(EtagMatches("", etag));
  EXPECT_FALSE(EtagMatches("abc", etag));              // unquoted: garbage
  EXPECT_TRUE(EtagMatches("\"a,b\", \"abc\"", etag));  // commas inside tags
  EXPECT_TRUE(EtagMatchesWeak("W/\"abc\"", etag));
  EXPECT_TRUE(EtagMatchesWeak("\"q\",W/\"abc\"", etag));
  EXPECT_FALSE(EtagMatchesWeak("W/\"abd\"", etag));
}

TEST(HttpTest, JsonQuoteEscapesAndRepairs) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n\t\x01"), "\"a\\\"b\\\\c\\n\\t\\u0001\"");
  EXPECT_EQ(JsonQuote("caf\xC3\xA9"), "\"caf\xC3\xA9\"");
  EXPECT_EQ(JsonQuote("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");                  // overlong '/'
  EXPECT_EQ(JsonQuote("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
  EXPECT_NO_THROW(nlohmann::json::parse(JsonQuote("\xff\xfe\x80 ok")));
}

// ---------------------------------------------------------------------------
// Static files, called directly.

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() /
            ("rectrack_web_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    root_ = base_ / "static";
    fs::create_directories(root_ / "css");
    Write(root_ / "ok.txt", "hello static\n");
    Write(root_ / "css" / "site.css", "body{color:#0b0c0c}\n");
    Write(base_ / "secret.txt", "top secret\n");
    Write(base_ / "static2" / "x.txt", "sibling\n");
    fs::create_symlink(base_ / "secret.txt", root_ / "link-out.txt");
    fs::create_symlink(base_, root_ / "dir-out");
    fs::create_symlink(root_ / "ok.txt", root_ / "link-in.txt");
  }
  void TearDown() override { fs::remove_all(base_); }
  static void Write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
  }
  fs::path base_, root_;
};

TEST_F(StaticFilesTest, ServesFilesWithTypeEtagAndCacheControl) {
  Response r = ServeStatic(root_.string(), "ok.txt");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello static\n");
  EXPECT_EQ(r.Get("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.Get("ETag"), StrongEtag("hello static\n"));
  EXPECT_EQ(r.Get("Cache-Control"), "public, max-age=3600");
  Response css = ServeStatic(root_.string(), "/css/site.css", "no-cache");
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.Get("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(css.Get("Cache-Control"), "no-cache");
  EXPECT_EQ(ServeStatic(root_.string(), "link-in.txt").status, 200);  // symlink inside root
}

TEST_F(StaticFilesTest, SeesChangesToAFile) {
  EXPECT_EQ(ServeStatic(root_.string(), "ok.txt").body, "hello static\n");
  Write(root_ / "ok.txt", "changed, and longer\n");
  Response r = ServeStatic(root_.string(), "ok.txt");
  EXPECT_EQ(r.body, "changed, and longer\n");
  EXPECT_EQ(r.Get("ETag"), StrongEtag("changed, and longer\n"));
}

TEST_F(StaticFilesTest, RefusesAnythingOutsideRoot) {
  const std::string root = root_.string();
  for (const char* path :
       {"../secret.txt", "css/../../secret.txt", "./ok.txt", "css//site.css", "..\\secret.txt",
        "link-out.txt", "dir-out/secret.txt", "../static2/x.txt", "missing.txt", "css", "", "/"}) {
    EXPECT_EQ(ServeStatic(root, path).status, 404) << path;
  }
  EXPECT_EQ(ServeStatic(root, std::string_view("ok.txt\0.png", 11)).status, 404);
  EXPECT_EQ(ServeStatic((base_ / "nope").string(), "ok.txt").status, 404);
}

TEST(StaticContentTypeTest, ByExtension) {
  EXPECT_EQ(ContentTypeFor("a.SVG"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("f.woff2"), "font/woff2");
  EXPECT_EQ(ContentTypeFor("README"), "application/octet-stream");
}

std::string BigPage() {
  std::string s = "<!doctype html><title>big</title>\n";
  for (int i = 0; s.size() < 8192; ++i) {
    s += "<p>Recommendation " + std::to_string(i) + " is " + (i % 3 ? "open" : "closed") + "</p>\n";
  }
  return s;
}

// ---------------------------------------------------------------------------
// The real server on 127.0.0.1, port 0.

class ServerTest : public StaticFilesTest {
 protected:
  ServerTest() {
    router_.Add("GET", "/hello", Reply("hello"));
    router_.Add("GET", "/whoami",
                [](Request& r) { return Response::Text(200, r.remote_addr, "text/plain"); });
    router_.Add("GET", "/items/special", Reply("special"));
    router_.Add("GET", "/secure",
                [](Request& r) { return Response::Text(200, r.secure ? "yes" : "no", "text/plain"); });
    router_.Add("GET", "/items/{id}", [](Request& r) {
      nlohmann::json j = {{"id", r.Param("id")}, {"q", r.Query("q")}, {"path", r.path}};
      return Response::Json(j.dump());
    });
    router_.Add("POST", "/items/{id}", [](Request& r) {
      return Response::Text(201, "got " + std::to_string(r.body.size()), "text/plain");
    });
    // A write that holds its work thread until the test opens the gate
    // (names starting "hold"); each records when it ran.
    router_.Add("POST", "/work/{name}", [this](Request& r) {
      std::string name = r.Param("name");
      std::unique_lock<std::mutex> lock(mu_);
      ran_.push_back(name);
      cv_.notify_all();
      if (name.starts_with("hold")) cv_.wait(lock, [this] { return gate_open_; });
      return Response::Text(200, name, "text/plain");
    });
    router_.Add("GET", "/big", [](Request&) { return Response::Html(BigPage()); });
    // A body shared with a cache, with its gzip made beforehand (at level 9,
    // so that it differs from what the server's own level 5 would make).
    router_.Add("GET", "/shared", [](Request&) {
      Response r;
      r.Set("Content-Type", "text/html; charset=utf-8");
      r.shared_body = std::make_shared<const std::string>(BigPage());
      r.shared_gzip = std::make_shared<const std::string>(GzipAtLevel(BigPage(), 9));
      return r;
    });
    router_.Add("GET", "/versioned", [](Request&) {
      return Response::Json(std::string(2000, ' ') + "{}").Set("ETag", "\"v1\"");
    });
    router_.Add("GET", "/csp", [](Request&) {
      return Response::Html("x").Set("Content-Security-Policy", "default-src 'none'");
    });
    router_.Add("GET", "/inject", [](Request& r) {
      return Response::Html("x")
          .Set("X-Echo", r.Query("v"))
          .Set("Bad Name", "y")
          .Add("Set-Cookie", "a=1")
          .Add("Set-Cookie", "b=2");
    });
    router_.Add("GET", "/throw", [](Request&) -> Response { throw std::runtime_error("boom"); });
    router_.Add("GET", "/slow", [this](Request&) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        slow_started_ = true;
      }
      cv_.notify_all();
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
      return Response::Text(200, std::string(300000, 's'), "application/octet-stream");
    });
    router_.Add("GET", "/static/{path...}",
                [this](Request& r) { return ServeStatic(root_.string(), r.Param("path")); });
  }

  void Start(ServerOptions options = {}, int threads = 2) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = threads;
    options.access_log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(mu_);
      log_.push_back(line);
    };
    server_ = Server::Create(std::move(options), &router_);
    auto port = server_->Listen();
    ASSERT_TRUE(port.has_value()) << port.error().message;
    port_ = *port;
    thread_ = std::thread([this] { server_->Run(); });
  }

  static ServerOptions Small() {
    ServerOptions o;
    o.max_header_bytes = 4096;
    o.max_body_bytes = 1024;
    o.header_timeout = std::chrono::seconds(1);
    o.idle_timeout = std::chrono::seconds(1);
    return o;
  }

  void TearDown() override {
    if (server_) {
      server_->Stop();
      if (thread_.joinable()) thread_.join();
    }
    StaticFilesTest::TearDown();
  }

  // The access log is written after the last byte is sent, so a client can
  // read its response before the line exists: wait for it.
  std::vector<std::string> WaitForLog(size_t n) {
    auto deadline = Clock::now() + std::chrono::seconds(2);
    std::unique_lock<std::mutex> lock(mu_);
    while (log_.size() < n && Clock::now() < deadline) {
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      lock.lock();
    }
    return log_;
  }

  Router router_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool slow_started_ = false;
  std::vector<std::string> log_;
  std::vector<std::string> ran_;  // the /work/{name} requests, in the order they ran
  bool gate_open_ = false;

  void OpenGate() {
    std::lock_guard<std::mutex> lock(mu_);
    gate_open_ = true;
    cv_.notify_all();
  }
  // Until /work/{name} has started (or 5 s).
  bool WaitUntilRan(const std::string& name) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] {
      return std::find(ran_.begin(), ran_.end(), name) != ran_.end();
    });
  }
  std::vector<std::string> Ran() {
    std::lock_guard<std::mutex> lock(mu_);
    return ran_;
  }
};

std::string PostWork(const std::string& name) {
  return "POST /work/" + name + " HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n";
}

// A request counts as secure (its cookies get Secure) when a trusted proxy
// says it came over TLS, or always when the public reach the server by https.
TEST_F(ServerTest, RequestsAreSecureBehindATrustedTlsProxyOrWhenThePublicUrlIsHttps) {
  Start(Small());
  Client plain(port_);
  EXPECT_EQ(plain.Get("/secure")->body, "no");
  EXPECT_EQ(plain.Get("/secure", "X-Forwarded-Proto: https\r\n")->body, "no");  // not trusted
  server_->Stop();
  thread_.join();
  ServerOptions proxied = Small();
  proxied.trust_forwarded_proto = true;
  Start(proxied);
  Client behind(port_);
  EXPECT_EQ(behind.Get("/secure")->body, "no");
  EXPECT_EQ(behind.Get("/secure", "X-Forwarded-Proto: https\r\n")->body, "yes");
  server_->Stop();
  thread_.join();
  ServerOptions https = Small();
  https.https_only = true;
  Start(https);
  Client any(port_);
  EXPECT_EQ(any.Get("/secure")->body, "yes");
}

// A write (or a sign-in's password hash) that takes its time runs on a work
// thread: with one connection thread, readers are answered meanwhile. Before
// the work threads, the GET waited for the write.
TEST_F(ServerTest, AWriteThatTakesItsTimeDoesNotHoldUpReaders) {
  ServerOptions o = Small();
  o.idle_timeout = std::chrono::seconds(10);
  o.work_threads = 1;
  Start(o, /*threads=*/1);
  Client writer(port_);
  ASSERT_TRUE(writer.Send(PostWork("hold-1")));
  ASSERT_TRUE(WaitUntilRan("hold-1"));
  // Were the GET held up, it would be answered only once the watchdog opens
  // the gate (after 5 s), which the test sees.
  std::thread watchdog([this] {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(5), [this] { return gate_open_; })) {
      gate_open_ = true;
      cv_.notify_all();
    }
  });
  Client reader(port_);
  auto r = reader.Get("/hello");
  bool answered_while_held;
  {
    std::lock_guard<std::mutex> lock(mu_);
    answered_while_held = r && r->status == 200 && !gate_open_;
  }
  EXPECT_TRUE(answered_while_held);
  OpenGate();
  watchdog.join();
  auto w = writer.Read();
  ASSERT_TRUE(w);
  EXPECT_EQ(w->status, 200);
  EXPECT_EQ(w->body, "hold-1");
}

// Queued writes run by their ticket's priority, oldest first among equals;
// one key gets at most max_work_per_key at once (429 beyond), and the queue
// holds at most max_queued_work (503 beyond), both with Retry-After.
TEST_F(ServerTest, QueuedWorkRunsByPriorityAndIsBoundedPerKeyAndInAll) {
  ServerOptions o = Small();
  o.idle_timeout = std::chrono::seconds(10);
  o.work_threads = 1;
  o.max_queued_work = 3;
  o.max_work_per_key = 1;
  o.work_ticket = [](const WorkInfo& w) {
    // "/work/hold-k1", "/work/p2-a": priority from "p<digit>", key from "k<digit>".
    WorkTicket t;
    std::string_view name = w.path.substr(w.path.rfind('/') + 1);
    if (auto p = name.find('p'); p != name.npos && p + 1 < name.size()) t.priority = name[p + 1] - '0';
    if (auto k = name.find("-k"); k != name.npos) t.key = std::string(name.substr(k + 1));
    return t;
  };
  Start(o, /*threads=*/1);
  Client holder(port_);
  ASSERT_TRUE(holder.Send(PostWork("hold-k1")));
  ASSERT_TRUE(WaitUntilRan("hold-k1"));
  Client a(port_), b(port_), c(port_);
  // One after the other (connections are read in whatever order they are
  // ready: the pauses make the order of arrival the order of sending).
  const auto pause = std::chrono::milliseconds(150);
  ASSERT_TRUE(a.Send(PostWork("p2-a")));
  std::this_thread::sleep_for(pause);
  ASSERT_TRUE(b.Send(PostWork("p1-b")));
  std::this_thread::sleep_for(pause);
  ASSERT_TRUE(c.Send(PostWork("p2-c")));
  std::this_thread::sleep_for(pause * 3);  // all three queued
  // The key k1 is running: another with it is refused at once.
  Client same_key(port_);
  ASSERT_TRUE(same_key.Send(PostWork("p0-k1")));
  auto busy = same_key.Read();
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 429);
  EXPECT_EQ(busy->Header("Retry-After"), "1");
  // Three waiting: a fourth is refused, whatever its priority.
  Client full(port_);
  ASSERT_TRUE(full.Send(PostWork("p0-d")));
  auto refused = full.Read();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->Header("Retry-After"), "2");
  EXPECT_EQ(nlohmann::json::parse(refused->body)["status"], 503);
  OpenGate();
  for (Client* cl : {&holder, &a, &b, &c}) {
    auto r = cl->Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(Ran(), (std::vector<std::string>{"hold-k1", "p1-b", "p2-a", "p2-c"}));
  // The key is free again once its request is answered.
  ASSERT_TRUE(same_key.Send(PostWork("p0-k1")));
  auto again = same_key.Read();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  Start(Small());
  Client c(port_);
  auto a = c.Get("/hello");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(a->body, "hello");
  EXPECT_NE(a->Header("Connection"), "close");
  auto b = c.Get("/items/7");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 200);
  EXPECT_EQ(nlohmann::json::parse(b->body)["id"], "7");
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  Start(Small());
  Client c(port_);
  ASSERT_TRUE(
      c.Send("GET /items/1 HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto a = c.Read();
  auto b = c.Read();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(nlohmann::json::parse(a->body)["id"], "1");
  EXPECT_EQ(b->body, "hello");
}

TEST_F(ServerTest, RoutesDecodeParamsAndQueries) {
  Start(Small());
  Client c(port_);
  auto r = c.Get("/items/caf%C3%A9?q=a+b%26c&q=second");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["id"], "caf\xC3\xA9");
  EXPECT_EQ(j["q"], "a b&c");
  EXPECT_EQ(j["path"], "/items/caf\xC3\xA9");
  auto special = c.Get("/items/special");
  ASSERT_TRUE(special);
  EXPECT_EQ(special->body, "special");
}

TEST_F(ServerTest, NotFoundAndMethodNotAllowedAreProblems) {
  Start(Small());
  Client c(port_);
  auto r404 = c.Get("/nowhere");
  ASSERT_TRUE(r404);
  EXPECT_EQ(r404->status, 404);
  EXPECT_EQ(r404->Header("Content-Type"), "application/problem+json");
  EXPECT_EQ(nlohmann::json::parse(r404->body)["status"], 404);
  ASSERT_TRUE(c.Send("DELETE /items/3 HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto r405 = c.Read();
  ASSERT_TRUE(r405);
  EXPECT_EQ(r405->status, 405);
  EXPECT_EQ(r405->Header("Allow"), "GET, HEAD, POST");
  EXPECT_EQ(nlohmann::json::parse(r405->body)["title"], "Method Not Allowed");
  auto after = c.Get("/hello");  // errors that are not the client's fault keep the connection
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

TEST_F(ServerTest, PostBodyWithinTheLimitReachesTheHandler) {
  Start(Small());
  Client c(port_);
  std::string body(1000, 'b');
  ASSERT_TRUE(c.Send("POST /items/1 HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + body));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "got 1000");
}

TEST_F(ServerTest, ExpectContinueGetsAnInterimResponse) {
  Start(Small());
  Client c(port_);
  ASSERT_TRUE(c.Send(
      "POST /items/1 HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n"));
  auto cont = c.Read(/*head=*/true);
  ASSERT_TRUE(cont);
  EXPECT_EQ(cont->status, 100);
  ASSERT_TRUE(c.Send("0123456789"));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "got 10");
}

TEST_F(ServerTest, AnUploadPathTakesItsOwnLargerBodyLimitAndNoOtherPathDoes) {
  ServerOptions o = Small();
  o.body_limits = {{"/items/1", 8000}};
  Start(o);
  {
    Client c(port_);
    ASSERT_TRUE(c.Send("POST /items/1?x=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" +
                       std::string(5000, 'x')));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 201);
    EXPECT_EQ(r->body, "got 5000");
  }
  for (const char* target : {"/items/2", "/items/1/x", "/items"}) {
    Client c(port_);
    ASSERT_TRUE(c.Send(std::string("POST ") + target +
                       " HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" +
                       std::string(5000, 'x')));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413) << target;
  }
  {  // over the path's own limit, by its length and by its chunks
    Client c(port_);
    ASSERT_TRUE(c.Send("POST /items/1 HTTP/1.1\r\nHost: t\r\nContent-Length: 9000\r\n\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
  }
  {
    Client c(port_);
    std::string chunk(3000, 'y');
    std::string body;
    for (int i = 0; i < 3; ++i) body += "bb8\r\n" + chunk + "\r\n";
    ASSERT_TRUE(c.Send("POST /items/1 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
                       body + "0\r\n\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
  }
}

TEST_F(ServerTest, OversizedBodyIs413AndCloses) {
  Start(Small());
  {
    Client c(port_);
    ASSERT_TRUE(c.Send("POST /items/1 HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" +
                       std::string(5000, 'x')));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_EQ(r->Header("Content-Type"), "application/problem+json");
    EXPECT_EQ(nlohmann::json::parse(r->body)["status"], 413);
    EXPECT_EQ(r->Header("Connection"), "close");
    EXPECT_TRUE(c.ClosedWithin(std::chrono::milliseconds(3000)));
  }
  {  // chunked: no length to check up front, so the limit trips while reading
    Client c(port_);
    std::string chunk(1500, 'y');
    ASSERT_TRUE(
        c.Send("POST /items/1 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
               "5dc\r\n" +
               chunk + "\r\n0\r\n\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_TRUE(c.ClosedWithin(std::chrono::milliseconds(3000)));
  }
}

TEST_F(ServerTest, HugeHeaderIs431AndCloses) {
  Start(Small());
  Client c(port_);
  ASSERT_TRUE(
      c.Send("GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(8000, 'h') + "\r\n\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->Header("Content-Type"), "application/problem+json");
  EXPECT_EQ(nlohmann::json::parse(r->body)["status"], 431);
  EXPECT_TRUE(c.ClosedWithin(std::chrono::milliseconds(3000)));
}

TEST_F(ServerTest, SlowlorisIsCutOffAfterHeaderTimeout) {
  Start(Small());  // header_timeout 1 s
  Client c(port_);
  auto start = Clock::now();
  ASSERT_TRUE(c.Send("GET /hello HTTP/1.1\r\nHost: t\r\n"));
  bool closed = false;
  // Trickle a byte every 100 ms: each arrives well within any per-read
  // timeout, so only a deadline on the whole header can stop it.
  while (SecondsSince(start) < 4) {
    if (!c.Send("X")) {
      closed = true;
      break;
    }
    if (c.ClosedWithin(std::chrono::milliseconds(100))) {
      closed = true;
      break;
    }
  }
  double elapsed = SecondsSince(start);
  EXPECT_TRUE(closed);
  EXPECT_GE(elapsed, 0.8);
  EXPECT_LT(elapsed, 2.0);
  // The server is still fine for everyone else.
  Client other(port_);
  auto r = other.Get("/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  Start(Small());  // idle_timeout 1 s
  Client c(port_);
  ASSERT_TRUE(c.Get("/hello"));
  auto start = Clock::now();
  EXPECT_TRUE(c.ClosedWithin(std::chrono::milliseconds(3000)));
  double elapsed = SecondsSince(start);
  EXPECT_GE(elapsed, 0.8);
  EXPECT_LT(elapsed, 2.0);
}

TEST_F(ServerTest, GzipWhenAcceptedAndLargeEnough) {
  Start(Small());
  Client c(port_);
  auto plain = c.Get("/big");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->body, BigPage());
  EXPECT_FALSE(plain->Has("Content-Encoding"));
  EXPECT_EQ(plain->Header("Vary"), "Accept-Encoding");

  auto zipped = c.Get("/big", "Accept-Encoding: br, gzip;q=0.8, deflate\r\n");
  ASSERT_TRUE(zipped);
  EXPECT_EQ(zipped->Header("Content-Encoding"), "gzip");
  EXPECT_EQ(zipped->Header("Vary"), "Accept-Encoding");
  EXPECT_LT(zipped->body.size(), plain->body.size() / 2);
  EXPECT_EQ(Gunzip(zipped->body), BigPage());
  // Same representation, same tag: the ETag is over the uncompressed body.
  EXPECT_EQ(zipped->Header("ETag"), plain->Header("ETag"));

  auto refused = c.Get("/big", "Accept-Encoding: gzip;q=0, identity\r\n");
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->Has("Content-Encoding"));
  EXPECT_EQ(refused->body, BigPage());

  auto star = c.Get("/big", "Accept-Encoding: *\r\n");
  ASSERT_TRUE(star);
  EXPECT_EQ(star->Header("Content-Encoding"), "gzip");

  auto small = c.Get("/hello", "Accept-Encoding: gzip\r\n");  // 5 bytes: not worth it
  ASSERT_TRUE(small);
  EXPECT_FALSE(small->Has("Content-Encoding"));
  EXPECT_EQ(small->body, "hello");

  auto binary = c.Get("/slow", "Accept-Encoding: gzip\r\n");  // octet-stream: never
  ASSERT_TRUE(binary);
  EXPECT_FALSE(binary->Has("Content-Encoding"));
  EXPECT_EQ(binary->body.size(), 300000u);
}

TEST_F(ServerTest, SharedBodiesAreSentAsTheyAreWithTheirOwnGzip) {
  Start(Small());
  Client c(port_);
  const std::string level9 = GzipAtLevel(BigPage(), 9);
  ASSERT_NE(level9, GzipAtLevel(BigPage(), 5)) << "the test needs two different encodings";
  auto plain = c.Get("/shared");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->body, BigPage());
  EXPECT_EQ(plain->Header("ETag"), StrongEtag(BigPage()));
  EXPECT_EQ(plain->Header("Vary"), "Accept-Encoding");
  auto zipped = c.Get("/shared", "Accept-Encoding: gzip\r\n");
  ASSERT_TRUE(zipped);
  EXPECT_EQ(zipped->Header("Content-Encoding"), "gzip");
  EXPECT_EQ(zipped->body, level9) << "the handler's gzip, not compressed anew";
  EXPECT_EQ(zipped->Header("ETag"), plain->Header("ETag"));
  auto again = c.Get("/shared", "If-None-Match: " + plain->Header("ETag") + "\r\n");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_EQ(again->body, "");
  ASSERT_TRUE(c.Send("HEAD /shared HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n"));
  auto head = c.Read(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->Header("Content-Length"), std::to_string(level9.size()));
  auto after = c.Get("/shared");  // nothing followed the HEAD's headers
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, BigPage());
}

TEST_F(ServerTest, EtagAndIfNoneMatchGive304) {
  Start(Small());
  Client c(port_);
  auto first = c.Get("/big");
  ASSERT_TRUE(first);
  std::string etag = first->Header("ETag");
  EXPECT_EQ(etag, StrongEtag(BigPage()));
  auto again = c.Get("/big", "If-None-Match: \"other\", " + etag + "\r\n");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_EQ(again->body, "");
  EXPECT_EQ(again->Header("ETag"), etag);
  EXPECT_EQ(again->Header("Vary"), "Accept-Encoding");
  EXPECT_FALSE(again->Has("Content-Length"));
  // A proxy that compressed our answer may have weakened the tag (nginx does).
  auto weak = c.Get("/big", "If-None-Match: W/" + etag + "\r\n");
  ASSERT_TRUE(weak);
  EXPECT_EQ(weak->status, 304);
  auto stale = c.Get("/big", "If-None-Match: \"stale\"\r\n");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 200);
  EXPECT_EQ(stale->body, BigPage());
  // A handler's own tag is kept and honoured.
  auto versioned = c.Get("/versioned", "If-None-Match: \"v1\"\r\n");
  ASSERT_TRUE(versioned);
  EXPECT_EQ(versioned->status, 304);
  EXPECT_EQ(versioned->Header("ETag"), "\"v1\"");
  // Errors carry no ETag.
  auto missing = c.Get("/nowhere");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->Has("ETag"));
}

TEST_F(ServerTest, HeadSendsHeadersWithTheLengthGetWouldSend) {
  Start(Small());
  Client c(port_);
  ASSERT_TRUE(c.Send("HEAD /big HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto head = c.Read(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("Content-Length"), std::to_string(BigPage().size()));
  EXPECT_EQ(head->Header("ETag"), StrongEtag(BigPage()));
  ASSERT_TRUE(c.Send("HEAD /big HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n"));
  auto head_gz = c.Read(/*head=*/true);
  ASSERT_TRUE(head_gz);
  EXPECT_EQ(head_gz->Header("Content-Encoding"), "gzip");
  // No body bytes followed the headers: the next response parses cleanly.
  auto get_gz = c.Get("/big", "Accept-Encoding: gzip\r\n");
  ASSERT_TRUE(get_gz);
  EXPECT_EQ(get_gz->status, 200);
  EXPECT_EQ(head_gz->Header("Content-Length"), std::to_string(get_gz->body.size()));
}

TEST_F(ServerTest, DotDotSegmentsNeverReachAnything) {
  Start(Small());
  Client c(port_);
  auto ok = c.Get("/static/ok.txt");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "hello static\n");
  auto css = c.Get("/static/css/site.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->status, 200);
  EXPECT_EQ(css->Header("Content-Type"), "text/css; charset=utf-8");
  for (const char* target :
       {"/static/../secret.txt", "/static/%2e%2e/secret.txt", "/static/%2E%2E%2Fsecret.txt",
        "/static/css/../../secret.txt", "/static/..%5Csecret.txt", "/static/..",
        "/static/link-out.txt", "/static/dir-out/secret.txt", "/static/missing.txt", "/static/css",
        "/static/%2e%2e%2fstatic2/x.txt"}) {
    auto r = c.Get(target);
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 404) << target;
    EXPECT_EQ(r->body.find("secret"), std::string::npos) << target;
  }
}

TEST_F(ServerTest, MalformedRequestsAre400AndClose) {
  Start(Small());
  for (std::string request :
       {std::string("GARBAGE\r\n\r\n"),
        std::string("GET http://example.com/hello HTTP/1.1\r\nHost: t\r\n\r\n"),
        std::string("GET * HTTP/1.1\r\nHost: t\r\n\r\n"),
        std::string("GET /hello%00 HTTP/1.1\r\nHost: t\r\n\r\n"),
        std::string("GET /hel%zzlo HTTP/1.1\r\nHost: t\r\n\r\n"),
        std::string("GET /hello HTTP/1.1\r\nHost: t\r\nContent-Length: x\r\n\r\n")}) {
    Client c(port_);
    ASSERT_TRUE(c.Send(request));
    auto r = c.Read();
    ASSERT_TRUE(r) << request;
    EXPECT_EQ(r->status, 400) << request;
    EXPECT_EQ(r->Header("Connection"), "close") << request;
    EXPECT_TRUE(c.ClosedWithin(std::chrono::milliseconds(3000))) << request;
  }
  Client c(port_);
  auto bad_query = c.Get("/items/1?q=%G0");  // a bad query is 400 but the connection lives
  ASSERT_TRUE(bad_query);
  EXPECT_EQ(bad_query->status, 400);
  EXPECT_EQ(c.Get("/hello")->status, 200);
}

TEST_F(ServerTest, SecurityHeadersAndDefaults) {
  Start(Small());
  Client c(port_);
  auto r = c.Get("/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("Server"), "rectrack");
  EXPECT_TRUE(
      std::regex_match(r->Header("Date"),
                       std::regex(R"([A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT)")))
      << r->Header("Date");
  EXPECT_EQ(r->Header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r->Header("Referrer-Policy"), "strict-origin-when-cross-origin");
  EXPECT_EQ(r->Header("Content-Security-Policy"),
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  EXPECT_EQ(r->Header("X-Frame-Options"), "DENY");
  auto own = c.Get("/csp");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->Header("Content-Security-Policy"), "default-src 'none'");
  int csp_count = 0;
  for (const auto& [name, value] : own->all_headers) csp_count += name == "Content-Security-Policy";
  EXPECT_EQ(csp_count, 1);

  // A handler that echoes input into a header cannot split the response.
  auto split = c.Get("/inject?v=ok%0D%0AX-Injected:%201");
  ASSERT_TRUE(split);
  EXPECT_EQ(split->status, 200);
  EXPECT_FALSE(split->Has("X-Injected"));
  EXPECT_FALSE(split->Has("X-Echo"));
  EXPECT_FALSE(split->Has("Bad Name"));
  int cookies = 0;
  for (const auto& [name, value] : split->all_headers) cookies += name == "Set-Cookie";
  EXPECT_EQ(cookies, 2);
  auto plain = c.Get("/inject?v=fine");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->Header("X-Echo"), "fine");
}

TEST_F(ServerTest, HandlerExceptionIs500Problem) {
  Start(Small());
  Client c(port_);
  auto r = c.Get("/throw");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(nlohmann::json::parse(r->body)["status"], 500);
  EXPECT_EQ(r->body.find("boom"), std::string::npos);  // no internals on the wire
}

// Issue 10: a 5xx is logged with an id that the answer carries.
TEST_F(ServerTest, AServerErrorIsLoggedWithTheIdItsProblemCarries) {
  Start(Small());
  Client c(port_);
  ::testing::internal::CaptureStderr();
  auto r = c.Get("/throw");
  auto again = c.Get("/throw");
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(r);
  ASSERT_TRUE(again);
  EXPECT_EQ(r->status, 500);
  const auto j = nlohmann::json::parse(r->body);
  ASSERT_TRUE(j.contains("request_id")) << r->body;
  const std::string id = j["request_id"];
  EXPECT_EQ(r->Header("X-Request-Id"), id);
  EXPECT_NE(nlohmann::json::parse(again->body)["request_id"], id) << "one id per request";
  EXPECT_NE(log.find("request " + id + ": the handler for GET /throw threw: boom"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("request " + id + ": 500 GET /throw"), std::string::npos) << log;
  // A request that succeeds carries no id and logs nothing.
  ::testing::internal::CaptureStderr();
  auto ok = c.Get("/hello");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->Header("X-Request-Id"), "");
}

// Issue 10: what a stranger puts in Host cannot reach a response.
TEST_F(ServerTest, RequestsNameOneHostThisServerAnswersFor) {
  ServerOptions o = Small();
  o.allowed_hosts = {"tracker.example.org", "localhost"};
  Start(o);
  auto send = [&](const std::string& head) {
    Client c(port_);
    EXPECT_TRUE(c.Send(head + "\r\n"));
    auto r = c.Read();
    EXPECT_TRUE(r) << head;
    return r ? *r : WireResponse{};
  };
  EXPECT_EQ(send("GET /hello HTTP/1.1\r\nHost: tracker.example.org\r\n").status, 200);
  EXPECT_EQ(send("GET /hello HTTP/1.1\r\nHost: Tracker.Example.ORG.:8443\r\n").status, 200);
  EXPECT_EQ(send("GET /hello HTTP/1.1\r\nHost: localhost:8080\r\n").status, 200);
  WireResponse evil = send("GET /hello HTTP/1.1\r\nHost: evil.example\r\n");
  EXPECT_EQ(evil.status, 400);
  EXPECT_NE(evil.body.find("does not answer for that host"), std::string::npos) << evil.body;
  EXPECT_EQ(send("GET /hello HTTP/1.1\r\nHost: tracker.example.org.evil.example\r\n").status, 400);
  EXPECT_EQ(send("GET /hello HTTP/1.1\r\nHost: tracker.example.org@evil.example\r\n").status, 400);
  WireResponse none = send("GET /hello HTTP/1.1\r\n");
  EXPECT_EQ(none.status, 400);
  EXPECT_NE(none.body.find("must name its Host"), std::string::npos) << none.body;
  EXPECT_EQ(send("GET /hello HTTP/1.1\r\nHost: tracker.example.org\r\nHost: evil.example\r\n").status,
            400);
  EXPECT_EQ(send("GET /hello HTTP/1.1\r\nHost: \r\n").status, 400);
  EXPECT_EQ(send("GET /hello HTTP/1.1\r\nHost: tracker.example.org:http\r\n").status, 400);
  // HTTP/1.0 need not name one.
  EXPECT_EQ(send("GET /hello HTTP/1.0\r\n").status, 200);
}

TEST(HostNameTest, ReadsTheNameAndDropsThePort) {
  EXPECT_EQ(HostName("Tracker.Example.org.:443"), "tracker.example.org");
  EXPECT_EQ(HostName("[::1]:80"), "[::1]");
  EXPECT_EQ(HostName("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(HostName(" localhost "), "localhost");
  for (const char* bad : {"", ":80", "a b", "a/b", "evil@x", "[::1", "[::1]x", "x:99999999", "x:"})
    EXPECT_EQ(HostName(bad), "") << bad;
}

// Issue 10: text that is not UTF-8 gets 400 at the edge, naming where it was.
TEST_F(ServerTest, TextThatIsNotUtf8IsRefusedAtTheEdgeNamingWhere) {
  Start(Small());
  Client c(port_);
  auto query = c.Get("/items/1?q=%ff%fe");
  ASSERT_TRUE(query);
  EXPECT_EQ(query->status, 400);
  EXPECT_NE(query->body.find("The query parameter 'q' is not valid UTF-8"), std::string::npos)
      << query->body;
  auto name = c.Get("/items/1?%c0%af=1");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->status, 400);
  EXPECT_NE(name->body.find("'%C0%AF'"), std::string::npos) << name->body;
  auto path = c.Get("/items/%ed%a0%80");
  ASSERT_TRUE(path);
  EXPECT_EQ(path->status, 400);
  EXPECT_NE(path->body.find("The path is not valid UTF-8"), std::string::npos) << path->body;
  const std::string form = "name=ok&text=%ff";
  ASSERT_TRUE(c.Send("POST /items/1 HTTP/1.1\r\nHost: t\r\nContent-Type: "
                     "application/x-www-form-urlencoded\r\nContent-Length: " +
                     std::to_string(form.size()) + "\r\n\r\n" + form));
  auto posted = c.Read();
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 400);
  EXPECT_NE(posted->body.find("The form field 'text' is not valid UTF-8"), std::string::npos)
      << posted->body;
  Client d(port_);
  auto fine = d.Get("/items/1?q=%C3%A9t%C3%A9");
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200);
  EXPECT_EQ(nlohmann::json::parse(fine->body)["q"], "\xC3\xA9t\xC3\xA9");
}

TEST_F(ServerTest, Http10WithoutKeepAliveCloses) {
  Start(Small());
  Client c(port_);
  ASSERT_TRUE(c.Send("GET /hello HTTP/1.0\r\n\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(r->Header("Connection"), "close");
  EXPECT_EQ(r->Header("Content-Length"), "5");
  EXPECT_TRUE(c.ClosedWithin(std::chrono::milliseconds(2000)));
}

TEST_F(ServerTest, ManyConnectionsArrivingTogetherAreAllAcceptedAndServed) {
  Start(Small());
  // Opened before any is read: the backlog holds many at once, which the
  // server takes in batches (a non-blocking accept loop).
  constexpr int kClients = 200;  // two descriptors each in this process
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<Client>(port_));
    ASSERT_TRUE(clients.back()->Send("GET /items/" + std::to_string(i) +
                                     " HTTP/1.1\r\nHost: t\r\n\r\n"));
  }
  for (int i = 0; i < kClients; ++i) {
    auto r = clients[static_cast<size_t>(i)]->Read();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(nlohmann::json::parse(r->body)["id"], std::to_string(i));
  }
}

TEST_F(ServerTest, Http10KeepAliveIsAnsweredInKindAndHttp11StaysOpenUnlessAsked) {
  Start(Small());
  Client c(port_);
  ASSERT_TRUE(c.Send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto r10 = c.Read();
  ASSERT_TRUE(r10);
  EXPECT_EQ(r10->body, "hello");
  EXPECT_EQ(r10->Header("Connection"), "keep-alive");
  auto r11 = c.Get("/hello");  // the same connection, still open
  ASSERT_TRUE(r11);
  EXPECT_EQ(r11->status, 200);
  EXPECT_FALSE(r11->Has("Connection")) << "HTTP/1.1 keeps the connection without saying so";
  ASSERT_TRUE(c.Send("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
  auto last = c.Read();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->Header("Connection"), "close");
  EXPECT_TRUE(c.ClosedWithin(std::chrono::milliseconds(2000)));
}

TEST_F(ServerTest, StopLetsTheInFlightResponseFinishAndClosesIdleConnections) {
  Start(Small());
  Client idle(port_);
  ASSERT_TRUE(idle.Get("/hello"));
  Client busy(port_);
  ASSERT_TRUE(busy.Send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"));
  {
    std::unique_lock<std::mutex> lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, std::chrono::seconds(3), [&] { return slow_started_; }));
  }
  auto stop_at = Clock::now();
  server_->Stop();
  EXPECT_TRUE(idle.ClosedWithin(std::chrono::milliseconds(1000)));
  auto r = busy.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, std::string(300000, 's'));
  EXPECT_EQ(r->Header("Connection"), "close");
  thread_.join();  // Run() returns once the last connection is gone
  EXPECT_LT(SecondsSince(stop_at), 2.0);
  Client late(port_);
  EXPECT_TRUE(!late.connected() || late.ClosedWithin(std::chrono::milliseconds(500)));
}

TEST_F(ServerTest, AccessLogLinesAreJson) {
  Start(Small());
  Client c(port_);
  ASSERT_TRUE(c.Get("/items/9?q=%22x%22", "User-Agent: t\"e\\st/1.0\r\n"));
  ASSERT_TRUE(c.Get("/nowhere"));
  auto lines = WaitForLog(2);
  ASSERT_EQ(lines.size(), 2u);
  auto j = nlohmann::json::parse(lines[0]);
  EXPECT_TRUE(std::regex_match(j["time"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << j["time"];
  EXPECT_EQ(j["remote"], "127.0.0.1");
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["target"], "/items/9?q=%22x%22");
  EXPECT_EQ(j["status"], 200);
  EXPECT_GT(j["bytes"].get<int>(), 100);  // headers included
  EXPECT_TRUE(j["duration_ms"].is_number());
  EXPECT_GE(j["duration_ms"].get<double>(), 0);
  EXPECT_EQ(j["user_agent"], "t\"e\\st/1.0");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["status"], 404);
}

TEST_F(ServerTest, XForwardedForIsIgnoredUnlessTrustedThenItsLastAddressCounts) {
  Start(Small());
  {
    Client c(port_);
    auto r = c.Get("/whoami", "X-Forwarded-For: 203.0.113.9\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "127.0.0.1") << "anyone can send the header: not trusted by default";
  }
  server_->Stop();
  thread_.join();
  ServerOptions o = Small();
  o.trust_forwarded_for = true;
  Start(o);
  Client c(port_);
  // The proxy appends the address it saw; what the client wrote before it is its own word.
  auto r = c.Get("/whoami", "X-Forwarded-For: 10.6.6.6, 203.0.113.9\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "203.0.113.9");
  auto v6 = c.Get("/whoami", "X-Forwarded-For:  2001:db8::1 \r\n");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->body, "2001:db8::1");
  // The next request on the same connection without the header is the proxy again.
  auto bare = c.Get("/whoami");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->body, "127.0.0.1");
  for (const char* junk : {"not-an-address", "203.0.113.9, <script>", "", ","}) {
    auto j = c.Get("/whoami", std::string("X-Forwarded-For: ") + junk + "\r\n");
    ASSERT_TRUE(j);
    EXPECT_EQ(j->body, "127.0.0.1") << junk;
  }
  auto lines = WaitForLog(7);
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(nlohmann::json::parse(lines[1])["remote"], "203.0.113.9");
  EXPECT_EQ(nlohmann::json::parse(lines[3])["remote"], "127.0.0.1");
}

TEST_F(ServerTest, MetricsCountRequestsByRouteAndStatusClass) {
  Start(Small());
  {
    Client c(port_);
    ASSERT_TRUE(c.Get("/items/1"));
    ASSERT_TRUE(c.Get("/items/2"));
    ASSERT_TRUE(c.Get("/nowhere"));
    ASSERT_TRUE(c.Send("BREW /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
    ASSERT_TRUE(c.Read());
  }
  WaitForLog(4);
  std::string text = server_->metrics().PrometheusText();
  EXPECT_NE(text.find("# TYPE rectrack_http_requests_total counter"), std::string::npos);
  EXPECT_NE(
      text.find(
          "rectrack_http_requests_total{method=\"GET\",route=\"/items/{id}\",status=\"2xx\"} 2"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          "rectrack_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"4xx\"} 1"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          "rectrack_http_requests_total{method=\"OTHER\",route=\"unmatched\",status=\"4xx\"} 1"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE rectrack_http_request_duration_seconds histogram"),
            std::string::npos);
  EXPECT_NE(text.find("rectrack_http_request_duration_seconds_bucket{le=\"+Inf\"} 4"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("rectrack_http_request_duration_seconds_count 4"), std::string::npos);
  EXPECT_NE(text.find("# TYPE rectrack_http_open_connections gauge"), std::string::npos);
  EXPECT_NE(text.find("rectrack_http_connections_accepted_total 1"), std::string::npos);
  EXPECT_NE(text.find("# TYPE rectrack_http_response_bytes_total counter"), std::string::npos);
  // Every sample line is "name{labels} value" or "name value".
  std::istringstream lines(text);
  std::string line;
  std::regex sample(R"([a-z_]+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? [0-9.e+-]+)");
  while (std::getline(lines, line)) {
    if (line.rfind("# ", 0) == 0) continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
  }
}

}  // namespace
}  // namespace rectrack::web
