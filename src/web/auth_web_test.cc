// Security tests of the write side over a real server on 127.0.0.1 (port 0)
// and a real SQLite file: the authorisation matrix of every write endpoint for
// every role and for no login, CSRF refusals, If-Match (428/412/201), sign-in
// (cookies, generic errors, rate limiting, open redirects), and the whole flow
// down to `rectrack verify-publication` on the downloaded publication.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <sstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <regex>
#include <atomic>
#include <thread>

#include "app/auth_test_util.h"
#include "app/chase.h"
#include "nlohmann/json.hpp"
#include "web/api.h"
#include "web/auth_web.h"
#include "web/server.h"
#include "fmt/format.h"
#include "web/admin_pages.h"
#include "core/ledger.h"
#include "web/chase_pages.h"
#include "web/document_pages.h"
#include "web/workflow_pages.h"
#include "web/write_api.h"

namespace rectrack::web {
namespace {

using auth_testing::D;
using auth_testing::kOwnerA;
using auth_testing::kOwnerB;
using auth_testing::kPassword;
using auth_testing::kSource;
using auth_testing::Tracker;
using json = nlohmann::json;

// ---- a small HTTP client: one request per connection -----------------------------

struct Reply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string Header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (HeaderLess()(k, name) == false && HeaderLess()(name, k) == false) return v;
    return "";
  }
  std::vector<std::string> All(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : headers)
      if (!HeaderLess()(k, name) && !HeaderLess()(name, k)) out.push_back(v);
    return out;
  }
  // The value a Set-Cookie gives `name`, or nullopt.
  std::optional<std::string> SetCookie(const std::string& name) const {
    for (const auto& c : All("Set-Cookie"))
      if (c.rfind(name + "=", 0) == 0) return c.substr(name.size() + 1, c.find(';') - name.size() - 1);
    return std::nullopt;
  }
  std::string CookieLine(const std::string& name) const {
    for (const auto& c : All("Set-Cookie"))
      if (c.rfind(name + "=", 0) == 0) return c;
    return "";
  }
};

Reply Http(uint16_t port, const std::string& method, const std::string& target,
           const std::vector<std::pair<std::string, std::string>>& headers = {},
           const std::string& body = "") {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("connect failed");
  }
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  size_t sent = 0;
  while (sent < req.size()) {
    ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  char buf[16384];
  while (true) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  Reply r;
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) throw std::runtime_error("no response to " + target);
  std::string head = raw.substr(0, head_end);
  r.body = raw.substr(head_end + 4);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  r.status = std::stoi(status_line.substr(9, 3));
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string line = head.substr(pos, e - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string v = line.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.erase(v.begin());
      r.headers.emplace_back(line.substr(0, colon), v);
    }
    pos = e + 2;
  }
  return r;
}

std::string Form(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += "&";
    out += PercentEncode(k) + "=" + PercentEncode(v);
  }
  return out;
}

std::string HiddenValue(const std::string& html, const std::string& name) {
  std::regex re("name=\"" + name + "\" value=\"([^\"]*)\"");
  std::smatch m;
  if (!std::regex_search(html, m, re)) return "";
  return m[1];
}

// ---- the server ----------------------------------------------------------------------

class AuthServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(false); }
  void TearDown() override { StopServer(); }
  std::string document_reader_ = RECTRACK_CLI;

  void Start(bool trust_forwarded_proto) {
    stores_ = std::make_unique<StoreProvider>(testing_util::StoreLocation(t_.path()),
                                              testing_util::StoreKeys(t_.path()));
    cache_ = std::make_unique<DocumentCache>(8u << 20);
    ctx_.stores = stores_.get();
    ctx_.cache = cache_.get();
    ctx_.today = [] { return D("2023-09-01"); };
    // As `serve` wires it, but never rechecking by the clock: every write the
    // tests make through the server must show at once through invalidation.
    heads_ = std::make_unique<HeadWatch>(std::chrono::hours(1));
    ctx_.heads = heads_.get();
    auth_ = std::make_unique<WebAuth>(ctx_, auth::Authenticator());
    router_ = std::make_unique<Router>();
    router_->SetAfterWrite([this] { heads_->Invalidate(); });
    RegisterReadApi(*router_, ctx_);
    auth_->Register(*router_);
    RegisterWriteApi(*router_, *auth_);
    RegisterWorkflowPages(*router_, *auth_);
    RegisterAdminPages(*router_, *auth_);
    RegisterChasePages(*router_, *auth_);
    DocumentPagesOptions documents;
    documents.reader = document_reader_;  // never this test's own binary
    RegisterDocumentPages(*router_, *auth_, documents);
    ServerOptions so;
    so.port = 0;
    so.body_limits = {{kDocumentUploadPath, kMaxDocumentUploadBytes}};
    so.threads = 2;
    so.trust_forwarded_proto = trust_forwarded_proto;
    so.work_ticket = [this](const WorkInfo& w) { return auth_->TicketFor(w); };  // as serve does
    server_ = Server::Create(so, router_.get());
    auto port = server_->Listen();
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
    thread_ = std::thread([this] { server_->Run(); });
  }
  void StopServer() {
    if (!server_) return;
    server_->Stop();
    thread_.join();
    server_.reset();
  }

  Reply Get(const std::string& target, std::vector<std::pair<std::string, std::string>> h = {}) {
    return Http(port_, "GET", target, h);
  }
  Reply Post(const std::string& target, std::vector<std::pair<std::string, std::string>> h,
             const std::string& body) {
    return Http(port_, "POST", target, h, body);
  }

  // A signed-in browser: its session cookie and a masked CSRF token from a page.
  struct Browser {
    std::string session;
    std::string csrf;
    std::vector<std::pair<std::string, std::string>> Cookie() const {
      return {{"Cookie", std::string(kSessionCookie) + "=" + session}};
    }
  };

  // The sign-in form as a browser posts it: fetched first for its CSRF
  // cookie and field.
  Reply TrySignIn(const std::string& name, const std::string& password) {
    Reply page = Get("/login");
    EXPECT_EQ(page.status, 200);
    auto login_csrf = page.SetCookie(kLoginCsrfCookie);
    EXPECT_TRUE(login_csrf);
    return Post("/login",
                {{"Cookie", std::string(kLoginCsrfCookie) + "=" + login_csrf.value_or("")},
                 {"Content-Type", "application/x-www-form-urlencoded"}},
                Form({{"csrf", HiddenValue(page.body, "csrf")}, {"name", name},
                      {"password", password}}));
  }

  Browser SignIn(const std::string& name, const std::string& password = kPassword) {
    Reply r = TrySignIn(name, password);
    EXPECT_EQ(r.status, 303) << name << ": " << r.body;
    Browser b;
    b.session = r.SetCookie(kSessionCookie).value_or("");
    // Any staff page carries the session's CSRF token (the sign-out form).
    Reply mine = Get("/my-assignments", b.Cookie());
    EXPECT_EQ(mine.status, 200) << name;
    b.csrf = HiddenValue(mine.body, "csrf_token");
    EXPECT_EQ(b.csrf.size(), 256u) << name;
    return b;
  }

  std::string Etag(int64_t assignment) {
    Reply r = Get("/api/v1/assignments/" + std::to_string(assignment));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Header("ETag");
  }

  int64_t HeadSeq() { return t_.store().Head()->seq; }
  // An as-of date no publication has yet (a second one as of a date must say
  // why): the head moves with every publication.
  std::string FreshAsOf() { return D("2023-02-01").AddDays(static_cast<int>(HeadSeq())).ToIso(); }

  Tracker t_;
  std::unique_ptr<StoreProvider> stores_;
  std::unique_ptr<DocumentCache> cache_;
  std::unique_ptr<HeadWatch> heads_;
  AppContext ctx_;
  std::unique_ptr<WebAuth> auth_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

// ---- the authorisation matrix ----------------------------------------------------------

enum class Who { kNobody, kViewer, kEditorOfOwner, kEditorOfOther, kCoordinator, kAdmin };
const Who kEveryone[] = {Who::kNobody,        Who::kViewer,      Who::kEditorOfOwner,
                         Who::kEditorOfOther, Who::kCoordinator, Who::kAdmin};

std::string NameOf(Who w) {
  switch (w) {
    case Who::kNobody: return "nobody";
    case Who::kViewer: return "vera";
    case Who::kEditorOfOwner: return "eddie";
    case Who::kEditorOfOther: return "erin";
    case Who::kCoordinator: return "cora";
    case Who::kAdmin: return "ada";
  }
  return "";
}

bool IsStaff(Who w) { return w == Who::kCoordinator || w == Who::kAdmin; }

// Someone who is not `w`, as the author of an update `w` reviews.
std::string Other(Who w) { return w == Who::kEditorOfOwner ? "erin" : "eddie"; }

// {validate (else return), the reviewer's own submission}
constexpr std::pair<bool, bool> kTransitions[] = {
    {true, false}, {false, false}, {true, true}, {false, true}};
bool MaySubmitForA(Who w) { return w == Who::kEditorOfOwner || IsStaff(w); }

// The expected answer: `allowed` when permitted, else 401 for no login, 403 otherwise.
int Expect(Who w, bool permitted, int allowed) {
  if (w == Who::kNobody) return 401;
  return permitted ? allowed : 403;
}

class MatrixTest : public AuthServerTest {
 protected:
  void SetUp() override {
    AuthServerTest::SetUp();
    for (Who w : kEveryone) {
      if (w == Who::kNobody) continue;
      browsers_[w] = SignIn(NameOf(w));
      auto token = auth::CreateApiToken(t_.store(), NameOf(w), "matrix", Actor{"test"});
      ASSERT_TRUE(token);
      tokens_[w] = *token;
    }
    asg_ = t_.Assignment("R1", kOwnerA);
  }

  // Headers that authenticate `w` to the JSON API: a Bearer token, or the
  // session cookie with its CSRF header.
  std::vector<std::pair<std::string, std::string>> ApiAuth(Who w, bool bearer) {
    std::vector<std::pair<std::string, std::string>> h = {{"Content-Type", "application/json"}};
    if (w == Who::kNobody) return h;
    if (bearer) {
      h.emplace_back("Authorization", "Bearer " + tokens_[w]);
    } else {
      h.emplace_back("Cookie", std::string(kSessionCookie) + "=" + browsers_[w].session);
      h.emplace_back("X-CSRF-Token", browsers_[w].csrf);
    }
    return h;
  }
  std::vector<std::pair<std::string, std::string>> FormAuth(Who w) {
    std::vector<std::pair<std::string, std::string>> h = {
        {"Content-Type", "application/x-www-form-urlencoded"}};
    if (w != Who::kNobody)
      h.emplace_back("Cookie", std::string(kSessionCookie) + "=" + browsers_[w].session);
    return h;
  }
  std::string Csrf(Who w) { return w == Who::kNobody ? "" : browsers_[w].csrf; }

  void ApiMatrix(bool bearer) {
    const std::string how = bearer ? "bearer" : "session";
    for (Who w : kEveryone) {
      SCOPED_TRACE(NameOf(w) + " via " + how);
      // Submit an update on an assignment of owner A.
      {
        auto h = ApiAuth(w, bearer);
        h.emplace_back("If-Match", Etag(asg_));
        int64_t before = HeadSeq();
        Reply r = Post("/api/v1/assignments/" + std::to_string(asg_) + "/updates", h,
                       json{{"narrative", "progress by " + NameOf(w)},
                            {"implementation", "in_progress"}}.dump());
        int want = Expect(w, MaySubmitForA(w), 201);
        EXPECT_EQ(r.status, want) << r.body;
        if (want != 201) { EXPECT_EQ(HeadSeq(), before) << "a refusal changes nothing"; }
        if (want == 401) { EXPECT_NE(r.Header("WWW-Authenticate").find("Bearer"), std::string::npos); }
        if (want >= 400) { EXPECT_EQ(r.Header("Content-Type"), "application/problem+json"); }
      }
      // Validate and return a fresh submission, someone else's and then one's
      // own: four eyes, nobody validates their own (returning it is fine).
      for (auto [validate, own] : kTransitions) {
        SCOPED_TRACE(own ? "own submission" : "another's submission");
        int64_t id = t_.Submit(asg_, "to review", own ? NameOf(w) : Other(w));
        int64_t before = HeadSeq();
        Reply r = Post("/api/v1/updates/" + std::to_string(id) + (validate ? "/validate" : "/return"),
                       ApiAuth(w, bearer), validate ? "" : json{{"reason", "add dates"}}.dump());
        int want = Expect(w, IsStaff(w) && !(validate && own), 200);
        EXPECT_EQ(r.status, want) << (validate ? "validate " : "return ") << r.body;
        auto u = t_.store().GetUpdate(id);
        ASSERT_TRUE(u);
        if (want == 200) {
          EXPECT_EQ(u->update.state, validate ? UpdateState::kValidated : UpdateState::kReturned);
        } else {
          EXPECT_EQ(u->update.state, UpdateState::kSubmitted);
          EXPECT_EQ(HeadSeq(), before);
        }
      }
      // Publish.
      {
        int64_t before = HeadSeq();
        Reply r = Post("/api/v1/sources/" + std::string(kSource) + "/publications",
                       ApiAuth(w, bearer),
                       json{{"title", "Update by " + NameOf(w) + " " + how},
                            {"as_of", FreshAsOf()}}.dump());
        int want = Expect(w, IsStaff(w), 201);
        EXPECT_EQ(r.status, want) << r.body;
        if (want == 201)
          EXPECT_EQ(r.Header("Location").rfind("/api/v1/publications/", 0), 0u);
        else
          EXPECT_EQ(HeadSeq(), before);
      }
      // The review queue (a read, but for staff only).
      {
        auto h = ApiAuth(w, bearer);
        Reply r = Get("/api/v1/review", h);
        EXPECT_EQ(r.status, Expect(w, IsStaff(w), 200)) << r.body;
      }
    }
  }

  std::map<Who, Browser> browsers_;
  std::map<Who, std::string> tokens_;
  int64_t asg_ = 0;
};

TEST_F(MatrixTest, JsonApiWithBearerTokens) { ApiMatrix(true); }

TEST_F(MatrixTest, JsonApiWithSessionCookieAndCsrfHeader) { ApiMatrix(false); }

TEST_F(MatrixTest, Forms) {
  for (Who w : kEveryone) {
    SCOPED_TRACE(NameOf(w));
    // Submit through the form.
    {
      auto a = t_.store().GetAssignment(asg_);
      int64_t before = HeadSeq();
      Reply r = Post("/assignments/" + std::to_string(asg_) + "/submit", FormAuth(w),
                     Form({{"csrf", Csrf(w)},
                           {"version", std::to_string(a->version)},
                           {"date", "2023-08-15"},
                           {"implementation", "in_progress"},
                           {"narrative", "form progress by " + NameOf(w)}}));
      int want = Expect(w, MaySubmitForA(w), 303);
      EXPECT_EQ(r.status, want) << r.body.substr(0, 2000);
      if (want == 303) {
        EXPECT_EQ(r.Header("Location").rfind("/assignments/" + std::to_string(asg_) + "/submit?submitted=", 0), 0u);
      } else {
        EXPECT_EQ(HeadSeq(), before);
      }
    }
    for (auto [validate, own] : kTransitions) {
      SCOPED_TRACE(own ? "own submission" : "another's submission");
      int64_t id = t_.Submit(asg_, "to review by form", own ? NameOf(w) : Other(w));
      int64_t before = HeadSeq();
      std::vector<std::pair<std::string, std::string>> fields = {{"csrf", Csrf(w)}};
      if (!validate) fields.emplace_back("reason", "Give dates.");
      Reply r = Post("/updates/" + std::to_string(id) + (validate ? "/validate" : "/return"),
                     FormAuth(w), Form(fields));
      int want = Expect(w, IsStaff(w) && !(validate && own), 303);
      EXPECT_EQ(r.status, want) << (validate ? "validate" : "return");
      auto u = t_.store().GetUpdate(id);
      if (want == 303) {
        EXPECT_EQ(u->update.state, validate ? UpdateState::kValidated : UpdateState::kReturned);
      } else {
        EXPECT_EQ(u->update.state, UpdateState::kSubmitted);
        EXPECT_EQ(HeadSeq(), before);
      }
    }
    {
      int64_t before = HeadSeq();
      // Publishing is two steps: a preview names the head it froze.
      std::vector<std::pair<std::string, std::string>> f = {
          {"csrf", Csrf(w)}, {"title", "Form update by " + NameOf(w)}, {"as_of", FreshAsOf()}};
      Reply previewed = Post("/sources/" + std::string(kSource) + "/publish", FormAuth(w),
                             Form(f));
      f.emplace_back("step", "publish");
      f.emplace_back("preview_seq", HiddenValue(previewed.body, "preview_seq"));
      Reply r = Post("/sources/" + std::string(kSource) + "/publish", FormAuth(w), Form(f));
      int want = Expect(w, IsStaff(w), 303);
      EXPECT_EQ(r.status, want) << r.body.substr(0, 2000);
      if (want == 303)
        EXPECT_EQ(r.Header("Location").rfind("/publications/", 0), 0u);
      else
        EXPECT_EQ(HeadSeq(), before);
    }
    // Changing one's own password: anyone signed in (the new passwords differ
    // here, so the answer is 400 and nothing changes), nobody else.
    {
      int64_t before = HeadSeq();
      Reply r = Post("/account/password", FormAuth(w),
                     Form({{"csrf", Csrf(w)}, {"current", kPassword}, {"new", "one new password"},
                           {"confirm", "another new password"}}));
      EXPECT_EQ(r.status, w == Who::kNobody ? 401 : 400) << r.body.substr(0, 2000);
      EXPECT_EQ(HeadSeq(), before);
    }
    // The pages behind the forms: GET without a session goes to sign-in.
    auto cookie = w == Who::kNobody ? std::vector<std::pair<std::string, std::string>>{}
                                    : browsers_[w].Cookie();
    auto page_want = [&](bool permitted) {
      return w == Who::kNobody ? 303 : permitted ? 200 : 403;
    };
    Reply review = Get("/review", cookie);
    EXPECT_EQ(review.status, page_want(IsStaff(w)));
    if (w == Who::kNobody) { EXPECT_EQ(review.Header("Location"), "/login?next=%2Freview"); }
    Reply form = Get("/assignments/" + std::to_string(asg_) + "/submit", cookie);
    EXPECT_EQ(form.status, page_want(MaySubmitForA(w)));
    Reply publish = Get("/sources/" + std::string(kSource) + "/publish", cookie);
    EXPECT_EQ(publish.status, page_want(IsStaff(w)));
    for (const Reply* r : {&review, &form, &publish})
      if (r->status == 200) { EXPECT_EQ(r->Header("Cache-Control"), "no-store"); }
  }
}

TEST_F(MatrixTest, TheReviewQueueOffersNoValidateButtonForOnesOwnUpdate) {
  const int64_t own = t_.Submit(asg_, "cora's own work", "cora");
  const int64_t other = t_.Submit(asg_, "eddie's work", "eddie");
  const std::string own_form = "action=\"/updates/" + std::to_string(own) + "/validate\"";
  const std::string other_form = "action=\"/updates/" + std::to_string(other) + "/validate\"";
  Reply cora = Get("/review", browsers_[Who::kCoordinator].Cookie());
  ASSERT_EQ(cora.status, 200);
  EXPECT_EQ(cora.body.find(own_form), std::string::npos);
  EXPECT_NE(cora.body.find(other_form), std::string::npos);
  EXPECT_NE(cora.body.find("You submitted this update"), std::string::npos);
  EXPECT_NE(cora.body.find("action=\"/updates/" + std::to_string(own) + "/return\""),
            std::string::npos);
  Reply ada = Get("/review", browsers_[Who::kAdmin].Cookie());
  ASSERT_EQ(ada.status, 200);
  EXPECT_NE(ada.body.find(own_form), std::string::npos) << "the admin may validate cora's";
}

TEST_F(MatrixTest, AnInvalidBearerTokenIsRefusedNotTakenForThePublic) {
  for (const std::string& authz :
       {"Bearer rtk_" + std::string(64, '0'), std::string("Bearer nonsense"),
        std::string("Basic YWRhOnBhc3N3b3Jk"), "Bearer " + tokens_[Who::kCoordinator] + "x"}) {
    SCOPED_TRACE(authz);
    std::vector<std::pair<std::string, std::string>> h = {{"Authorization", authz},
                                                          {"Content-Type", "application/json"}};
    int64_t id = t_.Submit(asg_, "x");
    EXPECT_EQ(Post("/api/v1/updates/" + std::to_string(id) + "/validate", h, "").status, 401);
    auto hm = h;
    hm.emplace_back("If-Match", Etag(asg_));
    EXPECT_EQ(Post("/api/v1/assignments/" + std::to_string(asg_) + "/updates", hm,
                   R"({"narrative":"x"})").status,
              401);
  }
  // A disabled user's token stops working at once.
  ASSERT_TRUE(t_.store().DisableUser("cora", Actor{"test"}));
  int64_t id = t_.Submit(asg_, "x");
  EXPECT_EQ(Post("/api/v1/updates/" + std::to_string(id) + "/validate",
                 ApiAuth(Who::kCoordinator, true), "").status,
            401);
  EXPECT_EQ(Get("/review", browsers_[Who::kCoordinator].Cookie()).status, 303)
      << "the session ended too";
}

// ---- CSRF ---------------------------------------------------------------------------------

TEST_F(MatrixTest, FormsWithoutTheirCsrfTokenAreRefused) {
  const Who w = Who::kCoordinator;
  const Browser& b = browsers_[w];
  const Browser& other = browsers_[Who::kAdmin];
  int64_t id = t_.Submit(asg_, "waiting");
  auto a = t_.store().GetAssignment(asg_);
  int64_t before = HeadSeq();
  struct Case {
    std::string path;
    std::vector<std::pair<std::string, std::string>> fields;
  };
  std::vector<Case> cases = {
      {"/assignments/" + std::to_string(asg_) + "/submit",
       {{"version", std::to_string(a->version)}, {"narrative", "x"}}},
      {"/updates/" + std::to_string(id) + "/validate", {}},
      {"/updates/" + std::to_string(id) + "/return", {{"reason", "r"}}},
      {"/sources/" + std::string(kSource) + "/publish", {{"title", "t"}}},
      {"/logout", {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    // No token; an empty one; another session's token; the raw unmasked token.
    for (const std::string& token : {std::string("-"), std::string(""), other.csrf,
                                     std::string(64, 'a')}) {
      auto fields = c.fields;
      if (token != "-") fields.emplace_back("csrf", token);
      Reply r = Post(c.path, FormAuth(w), Form(fields));
      EXPECT_EQ(r.status, 403) << token;
    }
  }
  EXPECT_EQ(HeadSeq(), before);
  EXPECT_EQ(t_.store().GetUpdate(id)->update.state, UpdateState::kSubmitted);
  EXPECT_EQ(Get("/review", b.Cookie()).status, 200) << "still signed in";

  // The JSON API with a session needs the header too.
  auto h = ApiAuth(w, false);
  h.erase(std::remove_if(h.begin(), h.end(), [](const auto& kv) { return kv.first == "X-CSRF-Token"; }),
          h.end());
  EXPECT_EQ(Post("/api/v1/updates/" + std::to_string(id) + "/validate", h, "").status, 403);
  EXPECT_EQ(t_.store().GetUpdate(id)->update.state, UpdateState::kSubmitted);
}

TEST_F(AuthServerTest, TheSignInFormNeedsItsOwnCsrfToken) {
  Reply page = Get("/login");
  auto cookie = page.SetCookie(kLoginCsrfCookie);
  ASSERT_TRUE(cookie);
  std::string field = HiddenValue(page.body, "csrf");
  auto post = [&](std::vector<std::pair<std::string, std::string>> h, std::string f) {
    h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    return Post("/login", h, f);
  };
  std::string creds = "&name=ada&password=" + PercentEncode(kPassword);
  EXPECT_EQ(post({}, "csrf=" + field + creds).status, 403) << "no cookie";
  EXPECT_EQ(post({{"Cookie", std::string(kLoginCsrfCookie) + "=" + *cookie}}, creds.substr(1)).status,
            403)
      << "no field";
  EXPECT_EQ(post({{"Cookie", std::string(kLoginCsrfCookie) + "=" + std::string(64, 'a')}},
                 "csrf=" + field + creds)
                .status,
            403)
      << "another browser's cookie";
  Reply ok = post({{"Cookie", std::string(kLoginCsrfCookie) + "=" + *cookie}}, "csrf=" + field + creds);
  EXPECT_EQ(ok.status, 303);
  EXPECT_EQ(ok.Header("Location"), "/review");
}

// ---- If-Match -------------------------------------------------------------------------------

TEST_F(MatrixTest, SubmittingNeedsTheCurrentEtag) {
  auto h = ApiAuth(Who::kEditorOfOwner, true);
  const std::string path = "/api/v1/assignments/" + std::to_string(asg_) + "/updates";
  const std::string body = R"({"date":"2023-08-20","implementation":"implemented","narrative":"done","evidence":["https://example.org/a"]})";
  Reply got = Get("/api/v1/assignments/" + std::to_string(asg_));
  ASSERT_EQ(got.status, 200);
  std::string etag = got.Header("ETag");
  auto a = t_.store().GetAssignment(asg_);
  EXPECT_EQ(etag, "\"asg-" + std::to_string(asg_) + "-v" + std::to_string(a->version) + "\"");
  json doc = json::parse(got.body);
  EXPECT_EQ(doc["version"], a->version);
  EXPECT_EQ(doc["owner"], kOwnerA);
  EXPECT_EQ(Get("/api/v1/assignments/" + std::to_string(asg_), {{"If-None-Match", etag}}).status, 304);

  Reply missing = Post(path, h, body);
  EXPECT_EQ(missing.status, 428) << missing.body;
  auto stale_h = h;
  stale_h.emplace_back("If-Match", "\"asg-" + std::to_string(asg_) + "-v" + std::to_string(a->version - 1) + "\"");
  EXPECT_EQ(Post(path, stale_h, body).status, 412);
  auto weak_h = h;
  weak_h.emplace_back("If-Match", "W/" + etag);
  EXPECT_EQ(Post(path, weak_h, body).status, 412) << "weak tags never match";
  auto other_h = h;
  other_h.emplace_back("If-Match", "\"asg-" + std::to_string(t_.Assignment("R2", kOwnerA)) + "-v" +
                                       std::to_string(a->version) + "\"");
  EXPECT_EQ(Post(path, other_h, body).status, 412) << "another assignment's tag";

  auto good_h = h;
  good_h.emplace_back("If-Match", etag);
  Reply created = Post(path, good_h, body);
  ASSERT_EQ(created.status, 201) << created.body;
  json u = json::parse(created.body);
  EXPECT_EQ(created.Header("Location"), "/api/v1/updates/" + std::to_string(u["id"].get<int64_t>()));
  EXPECT_EQ(u["state"], "submitted");
  EXPECT_EQ(u["author"], "eddie");
  std::string new_etag = created.Header("ETag");
  EXPECT_NE(new_etag, etag);
  EXPECT_EQ(Get("/api/v1/assignments/" + std::to_string(asg_)).Header("ETag"), new_etag);
  // Someone who still holds the old tag cannot overwrite unseen.
  Reply lost = Post(path, good_h, body);
  EXPECT_EQ(lost.status, 412);
  EXPECT_EQ(lost.Header("Content-Type"), "application/problem+json");

  // Bodies are checked: JSON only, known words, web links only.
  auto fresh = h;
  fresh.emplace_back("If-Match", new_etag);
  EXPECT_EQ(Post(path, fresh, R"({"implementation":"finished"})").status, 400);
  EXPECT_EQ(Post(path, fresh, R"J({"narrative":"x","evidence":["javascript:alert(1)"]})J").status, 400);
  EXPECT_EQ(Post(path, fresh, R"({"date":"2099-01-01","narrative":"x"})").status, 400);
  EXPECT_EQ(Post(path, fresh, R"J({"narrative":"x","evidence":["ftp://example.org/file"]})J").status, 400);
  // Control characters (issue 10): refused with what and where, never stored.
  Reply bell = Post(path, fresh, R"({"narrative":"ring \u0007 the bell"})");
  EXPECT_EQ(bell.status, 400);
  EXPECT_NE(bell.body.find("control character (U+0007)"), std::string::npos) << bell.body;
  EXPECT_EQ(Post(path, fresh, R"({"response_text":"nul \u0000 here"})").status, 400);
  // The checks `rectrack update` makes too (app/updates.h): not before the
  // recommendation was made, and not the same update twice.
  Reply early = Post(path, fresh, R"({"date":"1999-01-01","narrative":"x"})");
  EXPECT_EQ(early.status, 400);
  EXPECT_NE(early.body.find("before the recommendation was made"), std::string::npos) << early.body;
  Reply twice = Post(path, fresh, body);
  EXPECT_EQ(twice.status, 400);
  EXPECT_NE(twice.body.find("already recorded"), std::string::npos) << twice.body;
  EXPECT_EQ(Post(path, fresh, R"({})").status, 400);
  EXPECT_EQ(Post(path, fresh, "[1,2]").status, 400);
  auto form_type = fresh;
  form_type[0].second = "application/x-www-form-urlencoded";
  EXPECT_EQ(Post(path, form_type, "narrative=x").status, 415);
  // "*" would be a blind write past the lost-update check: the ETag itself is required.
  auto star = h;
  star.emplace_back("If-Match", "*");
  const int64_t versions = t_.store().GetAssignment(asg_)->version;
  Reply blind = Post(path, star, R"({"narrative":"unconditional"})");
  EXPECT_EQ(blind.status, 428);
  EXPECT_NE(blind.body.find("If-Match: * is not enough"), std::string::npos) << blind.body;
  auto star_list = h;
  star_list.emplace_back("If-Match", "*, \"not-it\"");
  EXPECT_EQ(Post(path, star_list, R"({"narrative":"unconditional"})").status, 412);
  EXPECT_EQ(t_.store().GetAssignment(asg_)->version, versions) << "nothing written";
  // The public view shows none of the submissions.
  Reply pub = Get("/api/v1/updates/" + std::to_string(u["id"].get<int64_t>()));
  EXPECT_EQ(pub.status, 404);
  Reply own = Get("/api/v1/updates/" + std::to_string(u["id"].get<int64_t>()), h);
  EXPECT_EQ(own.status, 200);
  Reply other = Get("/api/v1/updates/" + std::to_string(u["id"].get<int64_t>()),
                    ApiAuth(Who::kEditorOfOther, true));
  EXPECT_EQ(other.status, 404);
}

// Issue 9, item 5: the office sets an owner's implementation target; the body
// that must act cannot move its own deadline.
TEST_F(MatrixTest, OnlyTheOfficeSetsAnImplementationTarget) {
  const std::string path = "/api/v1/assignments/" + std::to_string(asg_) + "/target";
  const std::string body = R"({"target":"2023-12-31"})";
  for (Who w : kEveryone) {
    if (w == Who::kCoordinator || w == Who::kAdmin) continue;
    auto h = ApiAuth(w, true);
    h.emplace_back("If-Match", Etag(asg_));
    Reply r = Http(port_, "PUT", path, h, body);
    EXPECT_EQ(r.status, w == Who::kNobody ? 401 : 403) << NameOf(w) << ": " << r.body;
  }
  auto h = ApiAuth(Who::kCoordinator, true);
  EXPECT_EQ(Http(port_, "PUT", path, h, body).status, 428);
  auto stale = h;
  stale.emplace_back("If-Match", "\"asg-" + std::to_string(asg_) + "-v0\"");
  EXPECT_EQ(Http(port_, "PUT", path, stale, body).status, 412);
  auto good = h;
  const std::string etag = Etag(asg_);
  good.emplace_back("If-Match", etag);
  // Nonsense is refused, naming the field.
  for (const char* bad : {R"({"target":"2023-02-30"})", R"({"target":"1999-01-01"})",
                          R"({"target":5})", R"({})", R"({"target":"2023-12-31","x":1})"}) {
    Reply r = Http(port_, "PUT", path, good, bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  }
  Reply set = Http(port_, "PUT", path, good, body);
  ASSERT_EQ(set.status, 200) << set.body;
  json doc = json::parse(set.body);
  EXPECT_EQ(doc["state"]["target"], "2023-12-31");
  EXPECT_NE(set.Header("ETag"), etag);
  EXPECT_EQ(set.Header("ETag"), Etag(asg_));
  // The old tag no longer works: nobody moves a target unseen.
  EXPECT_EQ(Http(port_, "PUT", path, good, R"({"target":"2024-06-30"})").status, 412);
  // As of a day after it, the work is past its target, on the public read side.
  json recs = json::parse(Get("/api/v1/sources/" + std::string(kSource) +
                              "/recommendations?as_of=2024-01-02&past_target=true")
                              .body);
  bool found = false;
  for (const auto& r : recs["recommendations"])
    for (const auto& a : r["assignments"])
      if (a["assignment_id"] == asg_) {
        found = true;
        EXPECT_EQ(a["days_past_target"], 2);
      }
  EXPECT_TRUE(found) << recs.dump();
  // null clears it, and the ledger holds both changes, which verify checks.
  auto again = h;
  again.emplace_back("If-Match", Etag(asg_));
  Reply cleared = Http(port_, "PUT", path, again, R"({"target":null})");
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_TRUE(json::parse(cleared.body)["state"]["target"].is_null());
  int targets = 0;
  ASSERT_TRUE(t_.store().ForEachEvent([&](const LedgerEvent& e) {
    if (e.kind == "target") ++targets;
    return true;
  }));
  EXPECT_EQ(targets, 2);
}

TEST_F(MatrixTest, AStaleFormIsRefusedWith412AndKeepsWhatWasTyped) {
  const Browser& b = browsers_[Who::kEditorOfOwner];
  auto a = t_.store().GetAssignment(asg_);
  t_.Submit(asg_, "someone else first");
  Reply r = Post("/assignments/" + std::to_string(asg_) + "/submit", FormAuth(Who::kEditorOfOwner),
                 Form({{"csrf", b.csrf},
                       {"version", std::to_string(a->version)},
                       {"narrative", "my careful words"}}));
  EXPECT_EQ(r.status, 412);
  EXPECT_NE(r.body.find("my careful words"), std::string::npos);
  EXPECT_NE(r.body.find("someone else first"), std::string::npos) << "shows what changed";
  EXPECT_EQ(HiddenValue(r.body, "version"), std::to_string(a->version + 1));
  EXPECT_NE(r.body.find("<title>Error: Submit an update"), std::string::npos);
  EXPECT_NE(r.body.find("<h1 class=\"rt-heading-xl\">Submit an update</h1>"), std::string::npos)
      << "the heading stays the page's name";
}

TEST_F(MatrixTest, OpenApiDescribesTheWriteSideAsItAnswers) {
  json doc = json::parse(Get("/api/openapi.json").body);
  for (const char* path :
       {"/api/v1/assignments/{id}", "/api/v1/assignments/{id}/updates", "/api/v1/updates/{id}",
        "/api/v1/updates/{id}/validate", "/api/v1/updates/{id}/return", "/api/v1/review",
        "/api/v1/sources/{slug}/publications", "/api/v1/signing-key",
        "/api/v1/assignments/{id}/target"})
    EXPECT_TRUE(doc["paths"].contains(path)) << path;
  auto check = [&](const std::string& schema, const json& body) {
    for (const auto& field : doc["components"]["schemas"][schema]["required"])
      EXPECT_TRUE(body.contains(field.get<std::string>())) << schema << "." << field;
  };
  check("AssignmentResource", json::parse(Get("/api/v1/assignments/" + std::to_string(asg_)).body));
  auto h = ApiAuth(Who::kCoordinator, true);
  h.emplace_back("If-Match", Etag(asg_));
  Reply sub = Post("/api/v1/assignments/" + std::to_string(asg_) + "/updates", h,
                   R"({"narrative":"described"})");
  ASSERT_EQ(sub.status, 201);
  check("WorkflowUpdate", json::parse(sub.body));
  Reply pub = Post("/api/v1/sources/" + std::string(kSource) + "/publications",
                   ApiAuth(Who::kCoordinator, true), R"({"title":"Described"})");
  ASSERT_EQ(pub.status, 201);
  check("Publication", json::parse(pub.body));
  check("Publication", json::parse(Get(pub.Header("Location")).body));
}

// ---- signing in ------------------------------------------------------------------------------

TEST_F(AuthServerTest, SessionCookieIsHttpOnlySameSiteAndScopedToTheSite) {
  Reply page = Get("/login");
  auto cookie = page.SetCookie(kLoginCsrfCookie);
  Reply r = Post("/login",
                 {{"Cookie", std::string(kLoginCsrfCookie) + "=" + *cookie},
                  {"Content-Type", "application/x-www-form-urlencoded"}},
                 Form({{"csrf", HiddenValue(page.body, "csrf")},
                       {"name", "eddie"},
                       {"password", kPassword},
                       {"next", "/assignments/1/submit"}}));
  ASSERT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("Location"), "/assignments/1/submit");
  std::string line = r.CookieLine(kSessionCookie);
  EXPECT_NE(line.find("; HttpOnly"), std::string::npos) << line;
  EXPECT_NE(line.find("; SameSite=Lax"), std::string::npos) << line;
  EXPECT_NE(line.find("; Path=/"), std::string::npos) << line;
  EXPECT_EQ(line.find("Secure"), std::string::npos) << "plain HTTP: " << line;
  std::string token = *r.SetCookie(kSessionCookie);
  // The store holds its hash only.
  testing_util::RawDb raw(t_.path());
  EXPECT_EQ(raw.Int("SELECT COUNT(*) FROM sessions WHERE token_hash = '" + Sha256Hex(token) + "'"), 1);
  EXPECT_EQ(raw.Int("SELECT COUNT(*) FROM sessions WHERE token_hash = '" + token + "'"), 0);

  // Signing out ends it.
  std::vector<std::pair<std::string, std::string>> cookie_h = {
      {"Cookie", std::string(kSessionCookie) + "=" + token}};
  Reply mine = Get("/my-assignments", cookie_h);
  ASSERT_EQ(mine.status, 200);
  EXPECT_NE(mine.body.find("Signed in as eddie"), std::string::npos);
  auto h = cookie_h;
  h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  Reply out = Post("/logout", h, Form({{"csrf_token", HiddenValue(mine.body, "csrf_token")}}));
  EXPECT_EQ(out.status, 303);
  EXPECT_NE(out.CookieLine(kSessionCookie).find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(Get("/my-assignments", cookie_h).status, 303);
}

TEST_F(AuthServerTest, BehindTlsTheCookieIsSecure) {
  StopServer();
  Start(true);
  Reply page = Get("/login", {{"X-Forwarded-Proto", "https"}});
  auto cookie = page.SetCookie(kLoginCsrfCookie);
  EXPECT_NE(page.CookieLine(kLoginCsrfCookie).find("; Secure"), std::string::npos);
  Reply r = Post("/login",
                 {{"X-Forwarded-Proto", "https"},
                  {"Cookie", std::string(kLoginCsrfCookie) + "=" + *cookie},
                  {"Content-Type", "application/x-www-form-urlencoded"}},
                 Form({{"csrf", HiddenValue(page.body, "csrf")}, {"name", "ada"},
                       {"password", kPassword}}));
  ASSERT_EQ(r.status, 303);
  EXPECT_NE(r.CookieLine(kSessionCookie).find("; Secure"), std::string::npos);
}

// Where sign-ins wait for a work thread (WebAuth::TicketFor): behind writes,
// and behind the sign-ins of addresses that tried fewer times lately, so that
// a flood of wrong passwords does not keep a colleague out.
TEST_F(AuthServerTest, SignInsFromAnAddressThatTriedMoreWaitBehindOthers) {
  auto ticket = [&](std::string_view method, std::string_view path, std::string_view client) {
    return auth_->TicketFor(WorkInfo{method, path, client});
  };
  EXPECT_EQ(ticket("POST", "/login", "127.0.0.9").priority, 1);
  EXPECT_EQ(ticket("POST", "/login", "127.0.0.9").priority, 2);
  WorkTicket third = ticket("POST", "/sign-in", "127.0.0.9");
  EXPECT_EQ(third.priority, 3);
  EXPECT_EQ(third.key, "sign-in 127.0.0.9");
  EXPECT_EQ(ticket("POST", "/login", "127.0.0.8").priority, 1);
  // Through the server (the fixture wires TicketFor as serve does): a wrong
  // password from 127.0.0.1 counts...
  ASSERT_EQ(TrySignIn("ada", "not it at all").status, 401);
  EXPECT_EQ(ticket("POST", "/login", "127.0.0.1").priority, 2);  // one try before this one
  // ...and signing in with the right password sets the address back.
  EXPECT_FALSE(SignIn("ada").session.empty());
  EXPECT_EQ(ticket("POST", "/login", "127.0.0.1").priority, 1);
  // Anything else: first, with no key.
  WorkTicket write = ticket("POST", "/api/v1/assignments/1/updates", "127.0.0.9");
  EXPECT_EQ(write.priority, 0);
  EXPECT_EQ(write.key, "");
  EXPECT_EQ(ticket("GET", "/login", "127.0.0.9").priority, 0);
  EXPECT_EQ(ticket("POST", "/logout", "127.0.0.9").priority, 0);
}

// Wrong passwords for one account at once cannot both pass its limit with one
// try left: its password checks run one at a time. (The abuse campaign saw 21
// checks of an account limited to 20 before they did.) The account's hash has
// the real cost, so that two checks would overlap.
TEST_F(AuthServerTest, WrongPasswordsAtOnceNeverPassTheLimit) {
  ASSERT_TRUE(auth::CreateUser(t_.store(), "sam", "viewer", {}, kPassword,
                               Actor{"test"}, auth::PasswordCost::kInteractive));
  std::atomic<int> checked{0}, limited{0}, other{0};
  std::vector<std::thread> tries;
  for (int i = 0; i < 2; ++i)
    tries.emplace_back([&] {
      for (int k = 0; k < 5; ++k) {
        int status = TrySignIn("sam", "not the password at all").status;
        (status == 401 ? checked : status == 429 ? limited : other).fetch_add(1);
      }
    });
  for (auto& t : tries) t.join();
  const int limit = auth::Policy().max_failures;  // of an account at an address
  EXPECT_EQ(checked.load(), limit);
  EXPECT_EQ(limited.load(), 10 - limit);
  EXPECT_EQ(other.load(), 0);
}

// Each sign-in, failed or refused, and each sign-out is one JSON line on
// standard error naming the account, the address and the request id; what a
// client typed cannot break out of its string.
TEST_F(AuthServerTest, SignInsAndSignOutsAreLoggedAsSecurityEvents) {
  testing::internal::CaptureStderr();
  Reply wrong = TrySignIn("mal\"lory\\", "not it at all");
  Browser ada = SignIn("ada");
  auto form = ada.Cookie();
  form.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  Reply out = Post("/logout", form, Form({{"csrf", ""}}));  // no CSRF token: refused, not logged
  Reply out2 = Post("/logout", form, Form({{"csrf", ada.csrf}}));
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(out.status, 403);
  EXPECT_EQ(out2.status, 303);
  std::vector<nlohmann::json> events;
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);) {
    const std::string prefix = "rectrack serve: security: ";
    if (line.rfind(prefix, 0) == 0) events.push_back(nlohmann::json::parse(line.substr(prefix.size())));
  }
  ASSERT_EQ(events.size(), 3u) << err;
  EXPECT_EQ(events[0]["event"], "sign_in");
  EXPECT_EQ(events[0]["outcome"], "wrong");
  EXPECT_EQ(events[0]["account"], "mal\"lory\\");
  EXPECT_EQ(events[0]["address"], "127.0.0.1");
  EXPECT_NE(events[0]["request_id"], "-");
  EXPECT_EQ(events[1]["outcome"], "ok");
  EXPECT_EQ(events[1]["account"], "ada");
  EXPECT_EQ(events[2]["event"], "sign_out");
  EXPECT_EQ(events[2]["account"], "ada");
}

TEST_F(AuthServerTest, WrongNamesAndPasswordsGetOneGenericAnswerThenARateLimit) {
  Reply unknown = TrySignIn("mallory", kPassword);
  Reply wrong = TrySignIn("ada", "not it at all");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong.status, 401);
  const std::string generic = "The name or password is not right.";
  EXPECT_NE(unknown.body.find(generic), std::string::npos);
  EXPECT_NE(wrong.body.find(generic), std::string::npos);
  EXPECT_NE(wrong.body.find("<title>Error: Sign in"), std::string::npos) << "GOV.UK error title";
  EXPECT_NE(Get("/login").body.find("<title>Sign in"), std::string::npos);
  EXPECT_FALSE(unknown.SetCookie(kSessionCookie));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(TrySignIn("ada", "still wrong").status, 401);
  // Five failures of this account from this address: the right password is
  // refused for now.
  Reply limited = TrySignIn("ada", kPassword);
  EXPECT_EQ(limited.status, 429);
  int retry = std::stoi(limited.Header("Retry-After"));
  EXPECT_GT(retry, 0);
  EXPECT_LE(retry, 15 * 60);
  EXPECT_FALSE(limited.SetCookie(kSessionCookie));
  // A colleague behind the same address still signs in.
  Reply colleague = TrySignIn("cora", kPassword);
  EXPECT_EQ(colleague.status, 303);
  EXPECT_TRUE(colleague.SetCookie(kSessionCookie));
}

// ---- the workflow pages a newcomer tripped over (issue 9, defects 9, 10, 15) --------

TEST_F(AuthServerTest, TheSubmitFormShowsEveryProblemAtOnceAndSpeaksInWords) {
  Browser eddie = SignIn("eddie");
  const int64_t asg = t_.Assignment("R1", kOwnerA);
  const std::string path = "/assignments/" + std::to_string(asg) + "/submit";
  Reply form = Get(path, eddie.Cookie());
  ASSERT_EQ(form.status, 200);
  EXPECT_NE(form.body.find("Not started"), std::string::npos);
  for (const char* raw : {">not_started<", ">none<", ">not started<", ">no response<"})
    EXPECT_EQ(form.body.find(raw), std::string::npos) << raw << " shown raw";
  auto h = eddie.Cookie();
  h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  Reply bad = Post(path, h,
                   Form({{"csrf", eddie.csrf},
                         {"version", HiddenValue(form.body, "version")},
                         {"date", "2018-02-30"},
                         {"response", "bogus"},
                         {"narrative", "Done"},
                         {"evidence", "ftp://files.example/report.pdf"}}));
  EXPECT_EQ(bad.status, 400);
  std::vector<std::string> hrefs;
  std::regex link("<li><a href=\"(#[a-z_]+)\">");
  for (auto it = std::sregex_iterator(bad.body.begin(), bad.body.end(), link);
       it != std::sregex_iterator(); ++it)
    hrefs.push_back((*it)[1]);
  EXPECT_EQ(hrefs, (std::vector<std::string>{"#date", "#response", "#evidence"}));
  EXPECT_NE(bad.body.find("2018-02-30 is not a day of the calendar"), std::string::npos);
  EXPECT_NE(bad.body.find("value=\"2018-02-30\""), std::string::npos) << "as typed";
  EXPECT_TRUE(t_.Events("submit").empty());
}

TEST_F(AuthServerTest, MyAssignmentsShowTheWorkAndWhatCameBack) {
  Browser eddie = SignIn("eddie");
  Reply before = Get("/my-assignments", eddie.Cookie());
  ASSERT_EQ(before.status, 200);
  EXPECT_NE(before.body.find("Lower the speed limit near schools"), std::string::npos)
      << "the recommendation's text";
  EXPECT_NE(before.body.find("Not started"), std::string::npos);
  EXPECT_NE(before.body.find("2 assignments"), std::string::npos);
  EXPECT_EQ(before.body.find("Returned to you"), std::string::npos);

  const int64_t asg = t_.Assignment("R1", kOwnerA);
  const int64_t id = t_.Submit(asg, "we did it");
  Reply waiting = Get("/my-assignments", eddie.Cookie());
  EXPECT_NE(waiting.body.find("Waiting for the tracking office to review"), std::string::npos);
  ASSERT_TRUE(t_.store().ReturnUpdate(id, "Add the inspection report as evidence", Actor{"user:cora"}));
  Reply back = Get("/my-assignments", eddie.Cookie());
  EXPECT_NE(back.body.find("Returned to you to fix"), std::string::npos);
  EXPECT_NE(back.body.find("Add the inspection report as evidence"), std::string::npos);
  EXPECT_EQ(back.body.find("Waiting for the tracking office"), std::string::npos);
  // Sent again: no longer waiting on the editor.
  t_.Submit(asg, "we did it, with the report");
  Reply again = Get("/my-assignments", eddie.Cookie());
  EXPECT_EQ(again.body.find("Returned to you to fix"), std::string::npos);
  EXPECT_NE(again.body.find("Waiting for the tracking office to review"), std::string::npos);
}

TEST_F(AuthServerTest, TheReviewQueueShowsWhatAnUpdateChangesAndTellsItsButtonsApart) {
  const int64_t asg = t_.Assignment("R1", kOwnerA);
  t_.Submit(asg, "in hand");  // implementation: in progress
  Browser cora = SignIn("cora");
  Reply page = Get("/review", cora.Cookie());
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("1 update is waiting"), std::string::npos);
  EXPECT_EQ(page.body.find("update(s)"), std::string::npos);
  EXPECT_NE(page.body.find("What validating it changes"), std::string::npos);
  std::regex row("<th scope=\"row\" class=\"rt-table__header\">Implementation</th><td[^>]*>([^<]+)</td>"
                 "<td[^>]*><strong>([^<]+)</strong>");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(page.body, m, row)) << page.body.substr(0, 4000);
  EXPECT_EQ(m[1], "Not started");
  EXPECT_EQ(m[2], "In progress");
  EXPECT_NE(page.body.find("class=\"rt-button\">Validate update"), std::string::npos);
  EXPECT_NE(page.body.find("class=\"rt-button rt-button--secondary\">Return update"),
            std::string::npos);
  t_.Submit(t_.Assignment("R2", kOwnerA), "more");
  EXPECT_NE(Get("/review", cora.Cookie()).body.find("2 updates are waiting"), std::string::npos);
}

// ---- accounts, for admins (issue 9, item 4) ----------------------------------------

TEST_F(AuthServerTest, OnlyAdminsSeeTheAccountsPages) {
  EXPECT_EQ(Get("/accounts").status, 303) << "to sign in";
  for (const char* name : {"eddie", "cora", "vera"}) {
    Browser b = SignIn(name);
    EXPECT_EQ(Get("/accounts", b.Cookie()).status, 403) << name;
    EXPECT_EQ(Get("/accounts/1", b.Cookie()).status, 403) << name;
    auto h = b.Cookie();
    h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    EXPECT_EQ(Post(fmt::format("/accounts/{}/disable", t_.store().GetUser("vera")->id), h,
                   Form({{"csrf", b.csrf}})).status,
              403)
        << name;
    EXPECT_FALSE(t_.store().GetUser("vera")->disabled);
  }
  Browser ada = SignIn("ada");
  Reply page = Get("/accounts", ada.Cookie());
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("href=\"/accounts\""), std::string::npos) << "in the staff menu";
  for (const char* name : {"ada", "cora", "eddie", "erin", "vera"})
    EXPECT_NE(page.body.find(std::string(">") + name + "</a>"), std::string::npos) << name;
  EXPECT_NE(page.body.find("5 accounts"), std::string::npos);
  EXPECT_NE(page.body.find(kOwnerA), std::string::npos) << "eddie acts for it";
  // A form without its token changes nothing.
  EXPECT_EQ(Post("/accounts", {ada.Cookie()[0], {"Content-Type", "application/x-www-form-urlencoded"}},
                 Form({{"name", "sneaky"}, {"role", "admin"}, {"password", "long enough 1"},
                       {"confirm", "long enough 1"}}))
                .status,
            403);
  EXPECT_FALSE(t_.store().GetUser("sneaky"));
}

TEST_F(AuthServerTest, AnAdminAddsAnAccountChangesItsRoleAndSeesEveryProblemAtOnce) {
  Browser ada = SignIn("ada");
  auto h = ada.Cookie();
  h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  Reply bad = Post("/accounts", h,
                   Form({{"csrf", ada.csrf}, {"name", "has space"}, {"role", "editor"},
                         {"owners", "No Such Body\n"}, {"password", "short"}, {"confirm", "short"}}));
  EXPECT_EQ(bad.status, 400);
  for (const char* e : {"href=\"#name\"", "href=\"#owners\"", "href=\"#password\"",
                        "No body is called &apos;No Such Body&apos;"})
    EXPECT_NE(bad.body.find(e), std::string::npos) << e;
  EXPECT_NE(bad.body.find("value=\"has space\""), std::string::npos) << "what was typed stays";
  Reply taken = Post("/accounts", h,
                     Form({{"csrf", ada.csrf}, {"name", "cora"}, {"role", "viewer"},
                           {"password", "long enough 1"}, {"confirm", "long enough 2"}}));
  EXPECT_EQ(taken.status, 400);
  EXPECT_NE(taken.body.find("An account called &apos;cora&apos; already exists"), std::string::npos);
  EXPECT_NE(taken.body.find("href=\"#confirm\""), std::string::npos);

  Reply added = Post("/accounts", h,
                     Form({{"csrf", ada.csrf}, {"name", "newbie@example.org"}, {"role", "editor"},
                           {"owners", std::string(kOwnerA) + "\r\n" + kOwnerB + "\r\n"},
                           {"password", "a first password"}, {"confirm", "a first password"}}));
  ASSERT_EQ(added.status, 303) << added.body;
  auto user = t_.store().GetUser("newbie@example.org");
  ASSERT_TRUE(user);
  EXPECT_EQ(user->role, "editor");
  EXPECT_EQ(user->owner_ids.size(), 2u);
  EXPECT_EQ(added.Header("Location"), fmt::format("/accounts/{}?done=added", user->id));
  Reply shown = Get(added.Header("Location"), ada.Cookie());
  ASSERT_EQ(shown.status, 200);
  EXPECT_NE(shown.body.find("The account was added"), std::string::npos);
  Browser newbie = SignIn("newbie@example.org", "a first password");
  EXPECT_FALSE(newbie.session.empty());
  EXPECT_EQ(t_.Events("user_add").back().actor, "user:ada");

  const std::string base = fmt::format("/accounts/{}", user->id);
  Reply wrong = Post(base + "/role", h, Form({{"csrf", ada.csrf}, {"role", "viewer"},
                                             {"owners", kOwnerA}}));
  EXPECT_EQ(wrong.status, 400);
  EXPECT_NE(wrong.body.find("Only editors act for bodies"), std::string::npos);
  Reply viewer = Post(base + "/role", h, Form({{"csrf", ada.csrf}, {"role", "viewer"}, {"owners", ""}}));
  ASSERT_EQ(viewer.status, 303);
  EXPECT_EQ(t_.store().GetUser("newbie@example.org")->role, "viewer");
  EXPECT_TRUE(t_.store().GetUser("newbie@example.org")->owner_ids.empty());
  Reply now = Get("/my-assignments", newbie.Cookie());
  EXPECT_NE(now.body.find("(viewer)"), std::string::npos) << "the same session, the new role";
  auto events = t_.Events("user_role");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].actor, "user:ada");

  // Nobody demotes or disables themselves here.
  Reply self = Post(fmt::format("/accounts/{}/role", t_.store().GetUser("ada")->id), h,
                    Form({{"csrf", ada.csrf}, {"role", "viewer"}, {"owners", ""}}));
  EXPECT_EQ(self.status, 400);
  EXPECT_NE(self.body.find("Another admin changes your own role"), std::string::npos);
  EXPECT_EQ(Post(fmt::format("/accounts/{}/disable", t_.store().GetUser("ada")->id), h,
                 Form({{"csrf", ada.csrf}})).status,
            409);
  EXPECT_EQ(t_.store().GetUser("ada")->role, "admin");
  EXPECT_FALSE(t_.store().GetUser("ada")->disabled);
}

TEST_F(AuthServerTest, AnAdminDisablesEnablesAndLiftsALockOut) {
  Browser ada = SignIn("ada");
  auto h = ada.Cookie();
  h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  Browser cora = SignIn("cora");
  const std::string base = fmt::format("/accounts/{}", t_.store().GetUser("cora")->id);
  ASSERT_EQ(Post(base + "/disable", h, Form({{"csrf", ada.csrf}})).status, 303);
  EXPECT_TRUE(t_.store().GetUser("cora")->disabled);
  EXPECT_EQ(Get("/review", cora.Cookie()).status, 303) << "her session has ended";
  Reply listed = Get("/accounts", ada.Cookie());
  EXPECT_NE(listed.body.find("Disabled"), std::string::npos);
  ASSERT_EQ(Post(base + "/enable", h, Form({{"csrf", ada.csrf}})).status, 303);
  EXPECT_FALSE(t_.store().GetUser("cora")->disabled);
  SignIn("cora");

  // Five wrong passwords for eddie from here: he is locked out at this address.
  for (int i = 0; i < 5; ++i) TrySignIn("eddie", "wrong");
  Reply locked = Get("/accounts", ada.Cookie());
  EXPECT_NE(locked.body.find("Locked out at 127.0.0.1 until"), std::string::npos);
  const std::string eddie = fmt::format("/accounts/{}", t_.store().GetUser("eddie")->id);
  Reply page = Get(eddie, ada.Cookie());
  EXPECT_NE(page.body.find("Lift the lock-out"), std::string::npos);
  ASSERT_EQ(Post(eddie + "/unlock", h, Form({{"csrf", ada.csrf}})).status, 303);
  EXPECT_EQ(Get("/accounts", ada.Cookie()).body.find("Locked out"), std::string::npos);
  SignIn("eddie");

  // A new password from an admin ends the account's sessions.
  Browser erin = SignIn("erin");
  const std::string erin_base = fmt::format("/accounts/{}", t_.store().GetUser("erin")->id);
  Reply mismatch = Post(erin_base + "/password", h,
                        Form({{"csrf", ada.csrf}, {"password", "a new one here"}, {"confirm", "another"}}));
  EXPECT_EQ(mismatch.status, 400);
  ASSERT_EQ(Post(erin_base + "/password", h,
                 Form({{"csrf", ada.csrf}, {"password", "a new one here"}, {"confirm", "a new one here"}}))
                .status,
            303);
  EXPECT_EQ(Get("/my-assignments", erin.Cookie()).status, 303);
  SignIn("erin", "a new one here");
}

// ---- reading a report on the web (issue 11) ------------------------------------------

std::string Multipart(const std::string& csrf, const std::string& file_name, const std::string& bytes,
                      const std::string& preset = "upr") {
  return "--rtb\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + csrf +
         "\r\n--rtb\r\nContent-Disposition: form-data; name=\"preset\"\r\n\r\n" + preset +
         "\r\n--rtb\r\nContent-Disposition: form-data; name=\"document\"; filename=\"" + file_name +
         "\"\r\nContent-Type: application/pdf\r\n\r\n" + bytes + "\r\n--rtb--\r\n";
}

TEST_F(AuthServerTest, OnlyTheOfficeUploadsReportsAndTheirDraftsAreKeptToCheck) {
  std::ifstream f("tests/fixtures/documents/andorra2011.pdf", std::ios::binary);
  const std::string pdf((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ASSERT_GT(pdf.size(), 1000u);
  EXPECT_EQ(Get("/imports").status, 303) << "to sign in";
  for (const char* name : {"eddie", "vera"}) {
    Browser b = SignIn(name);
    EXPECT_EQ(Get("/imports", b.Cookie()).status, 403) << name;
    auto h = b.Cookie();
    h.emplace_back("Content-Type", "multipart/form-data; boundary=rtb");
    EXPECT_EQ(Post("/imports/document", h, Multipart(b.csrf, "a.pdf", pdf)).status, 403) << name;
  }
  Browser cora = SignIn("cora");
  auto h = cora.Cookie();
  h.emplace_back("Content-Type", "multipart/form-data; boundary=rtb");
  // Without the form's token, or as a form that is not multipart, nothing is read.
  EXPECT_EQ(Post("/imports/document", h, Multipart("nope", "a.pdf", pdf)).status, 403);
  EXPECT_EQ(Post("/imports/document", {cora.Cookie()[0], {"Content-Type", "multipart/form-data; boundary=rtb"}},
                 "--rtb\r\nbroken").status,
            415);
  EXPECT_TRUE(t_.store().ListDocumentDrafts()->empty());
  // A file that is not a report: its own error, at the form, nothing kept.
  Reply bad = Post("/imports/document", h, Multipart(cora.csrf, "letter.pdf", "%PDF-1.4 not really"));
  EXPECT_EQ(bad.status, 422);
  EXPECT_NE(bad.body.find("letter.pdf: "), std::string::npos) << bad.body.substr(0, 2000);
  EXPECT_TRUE(t_.store().ListDocumentDrafts()->empty());
  // A report: its draft, kept for the office, with the quotes marked.
  Reply up = Post("/imports/document", h, Multipart(cora.csrf, "andorra2011.pdf", pdf));
  ASSERT_EQ(up.status, 303) << up.body.substr(0, 2000);
  const std::string where = up.Header("Location");
  ASSERT_EQ(where.rfind("/imports/drafts/", 0), 0u) << where;
  auto drafts = t_.store().ListDocumentDrafts();
  ASSERT_TRUE(drafts);
  ASSERT_EQ(drafts->size(), 1u);
  EXPECT_EQ((*drafts)[0].file_name, "andorra2011.pdf");
  EXPECT_EQ((*drafts)[0].file_sha256, Sha256Hex(pdf));
  EXPECT_EQ((*drafts)[0].preset, "upr");
  Reply page = Get(where, cora.Cookie());
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.Header("Cache-Control"), "no-store");
  size_t marks = 0;
  for (size_t at = 0; (at = page.body.find("<mark id=\"q", at)) != std::string::npos; ++at) ++marks;
  EXPECT_EQ(marks, static_cast<size_t>((*drafts)[0].items));
  // Others than the office cannot see it either.
  EXPECT_EQ(Get(where, SignIn("eddie").Cookie()).status, 403);
  // Discarded at a stale version: refused; at its own: gone, and nothing was imported.
  auto form = cora.Cookie();
  form.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  EXPECT_EQ(Post(where + "/discard", form, Form({{"csrf", cora.csrf}, {"version", "2"}})).status, 409);
  const auto head = t_.store().Head()->seq;
  EXPECT_EQ(Post(where + "/discard", form, Form({{"csrf", cora.csrf}, {"version", "1"}})).status, 303);
  EXPECT_TRUE(t_.store().ListDocumentDrafts()->empty());
  EXPECT_EQ(t_.store().Head()->seq, head);
  EXPECT_EQ(Get(where, cora.Cookie()).status, 404);
}

TEST_F(AuthServerTest, ADraftIsConfirmedAsANewSourceOrIntoOneAlreadyTracked) {
  std::ifstream f("tests/fixtures/documents/andorra2011.pdf", std::ios::binary);
  const std::string pdf((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  Browser cora = SignIn("cora");
  auto up = cora.Cookie();
  up.emplace_back("Content-Type", "multipart/form-data; boundary=rtb");
  auto form = cora.Cookie();
  form.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  Reply first = Post("/imports/document", up, Multipart(cora.csrf, "andorra2011.pdf", pdf));
  ASSERT_EQ(first.status, 303) << first.body.substr(0, 1000);
  const std::string draft = first.Header("Location");
  // The state under review is no owner here yet: its items say so.
  EXPECT_NE(Get(draft, cora.Cookie()).body.find("addressee &apos;Andorra&apos; is not an owner yet"),
            std::string::npos);
  const size_t items = static_cast<size_t>(t_.store().ListDocumentDrafts()->at(0).items);
  // Into a source that is not there: refused at the form; nothing written.
  const auto head = t_.store().Head()->seq;
  Reply nowhere = Post(draft + "/confirm", form,
                       Form({{"csrf", cora.csrf}, {"version", "1"}, {"target", "existing"},
                             {"existing", "upr-2099-nowhere"}}));
  EXPECT_EQ(nowhere.status, 422);
  EXPECT_NE(nowhere.body.find("not in the store"), std::string::npos);
  EXPECT_EQ(t_.store().Head()->seq, head);
  // As a new source.
  Reply made = Post(draft + "/confirm", form,
                    Form({{"csrf", cora.csrf}, {"version", "1"}, {"target", "new"},
                          {"slug", "upr-2011-andorra"}, {"title", "UPR 2011: Andorra"},
                          {"kind", "upr"}, {"date", "2011-01-20"}}));
  ASSERT_EQ(made.status, 303) << made.body.substr(0, 2000);
  EXPECT_EQ(made.Header("Location"), "/sources/upr-2011-andorra?imported=1");
  auto count = [this] {
    FactsFilter filter;
    filter.source_slug = "upr-2011-andorra";
    auto facts = t_.store().LoadFacts(filter);
    return facts ? facts->recommendations.size() : size_t{0};
  };
  EXPECT_EQ(count(), items);
  EXPECT_TRUE(t_.store().ListDocumentDrafts()->empty());
  // The same report again, into that source: its numbers repeat, so refused, and the draft stays.
  Reply again = Post("/imports/document", up, Multipart(cora.csrf, "andorra2011.pdf", pdf));
  ASSERT_EQ(again.status, 303);
  EXPECT_EQ(Get(again.Header("Location"), cora.Cookie()).body.find("is not an owner yet"),
            std::string::npos)
      << "Andorra is an owner now";
  Reply twice = Post(again.Header("Location") + "/confirm", form,
                     Form({{"csrf", cora.csrf}, {"version", "1"}, {"target", "existing"},
                           {"existing", "upr-2011-andorra"}}));
  EXPECT_EQ(twice.status, 422);
  EXPECT_EQ(t_.store().ListDocumentDrafts()->size(), 1u);
  EXPECT_EQ(count(), items);
  auto v = t_.store().Verify();
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_TRUE(v->problems.empty());
}

// A reading holds a work thread: one at a time, and a second upload meanwhile
// is told to come back rather than queued behind it.
TEST_F(AuthServerTest, AnUploadWhileAReportIsReadGets503AndWritesGoOn) {
  StopServer();
  testing_util::TempDir dir;
  const std::string slow = dir.File("slow-reader");
  std::ofstream(slow) << "#!/bin/sh\nsleep 3\nexec " << RECTRACK_CLI << " \"$@\"\n";
  ::chmod(slow.c_str(), 0755);
  document_reader_ = slow;
  Start(false);
  std::ifstream f("tests/fixtures/documents/andorra2011.pdf", std::ios::binary);
  const std::string pdf((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  Browser cora = SignIn("cora");
  auto up = cora.Cookie();
  up.emplace_back("Content-Type", "multipart/form-data; boundary=rtb");
  std::thread first([&] {
    EXPECT_EQ(Post("/imports/document", up, Multipart(cora.csrf, "andorra2011.pdf", pdf)).status, 303);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  Reply second = Post("/imports/document", up, Multipart(cora.csrf, "andorra2011.pdf", pdf));
  EXPECT_EQ(second.status, 503);
  EXPECT_EQ(second.Header("Retry-After"), "5");
  // Meanwhile someone else signs in: a write, on the other work thread.
  Browser eddie = SignIn("eddie");
  EXPECT_FALSE(eddie.session.empty());
  first.join();
  EXPECT_EQ(t_.store().ListDocumentDrafts()->size(), 1u);
}

// ---- chasing, for the tracking office (issue 9, item 1) ---------------------------------

TEST_F(AuthServerTest, OnlyTheOfficeSeesTheChasingPages) {
  EXPECT_EQ(Get("/chasing").status, 303) << "to sign in";
  for (const char* name : {"eddie", "vera"}) {
    Browser b = SignIn(name);
    for (const char* page : {"/chasing", "/chasing/contacts", "/chasing/schedules"})
      EXPECT_EQ(Get(page, b.Cookie()).status, 403) << name << " " << page;
    auto h = b.Cookie();
    h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    EXPECT_EQ(Post("/chasing/contacts", h,
                   Form({{"csrf", b.csrf}, {"owner", kOwnerA}, {"email", "x@example.org"}}))
                  .status,
              403)
        << name;
    EXPECT_EQ(Post("/chasing/schedules", h,
                   Form({{"csrf", b.csrf}, {"kind", "review"}, {"before", "3"},
                         {"overdue_every", "1"}, {"target_every", "1"}, {"enabled", "off"}}))
                  .status,
              403)
        << name;
    EXPECT_EQ(Get("/my-assignments", b.Cookie()).body.find("href=\"/chasing\""), std::string::npos)
        << name << ": not in the menu";
  }
  EXPECT_TRUE(ListContacts(t_.store(), "")->empty());
  EXPECT_TRUE(LoadChaseSchedules(t_.store())->empty());
  Browser cora = SignIn("cora");
  Reply page = Get("/chasing", cora.Cookie());
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("href=\"/chasing\""), std::string::npos) << "in the staff menu";
  // A form without its token changes nothing.
  EXPECT_EQ(Post("/chasing/contacts",
                 {cora.Cookie()[0], {"Content-Type", "application/x-www-form-urlencoded"}},
                 Form({{"owner", kOwnerA}, {"email", "x@example.org"}}))
                .status,
            403);
  EXPECT_TRUE(ListContacts(t_.store(), "")->empty());
}

TEST_F(AuthServerTest, TheOfficeAddsAndRemovesContactsAndSeesWhoIsDue) {
  Browser cora = SignIn("cora");
  auto h = cora.Cookie();
  h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  // Both owners' responses were due on 30 June: overdue, and nobody to send to.
  Reply before = Get("/chasing", cora.Cookie());
  ASSERT_EQ(before.status, 200);
  EXPECT_NE(before.body.find("with no contact"), std::string::npos);
  EXPECT_NE(before.body.find("href=\"/chasing/contacts?owner=Highways%20Board#add\""),
            std::string::npos)
      << before.body;

  Reply bad = Post("/chasing/contacts", h,
                   Form({{"csrf", cora.csrf}, {"owner", ""}, {"email", "not an address"}}));
  EXPECT_EQ(bad.status, 400);
  for (const char* e : {"href=\"#owner\"", "href=\"#email\"", "Enter an e-mail address like"})
    EXPECT_NE(bad.body.find(e), std::string::npos) << e;
  EXPECT_NE(bad.body.find("value=\"not an address\""), std::string::npos) << "what was typed stays";
  Reply unknown = Post("/chasing/contacts", h,
                       Form({{"csrf", cora.csrf}, {"owner", "No Such Body"},
                             {"email", "a@example.org"}}));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("No Such Body"), std::string::npos);
  EXPECT_TRUE(ListContacts(t_.store(), "")->empty());

  Reply added = Post("/chasing/contacts", h,
                     Form({{"csrf", cora.csrf}, {"owner", kOwnerA}, {"email", "pat@highways.example"},
                           {"name", "Pat <Lee>"}, {"role", "Head of safety"}}));
  ASSERT_EQ(added.status, 303) << added.body;
  EXPECT_EQ(added.Header("Location"),
            "/chasing/contacts?owner=Highways%20Board&added=pat%40highways.example");
  auto contacts = ListContacts(t_.store(), kOwnerA);
  ASSERT_TRUE(contacts);
  ASSERT_EQ(contacts->size(), 1u);
  EXPECT_EQ((*contacts)[0].name, "Pat <Lee>");
  EXPECT_EQ((*contacts)[0].role, "Head of safety");
  EXPECT_EQ(t_.Events("contact_add").back().actor, "user:cora");
  Reply listed = Get(added.Header("Location"), cora.Cookie());
  ASSERT_EQ(listed.status, 200);
  EXPECT_NE(listed.body.find("pat@highways.example added"), std::string::npos);
  EXPECT_NE(listed.body.find("Pat &lt;Lee&gt;"), std::string::npos) << "escaped";
  EXPECT_EQ(listed.body.find("Pat <Lee>"), std::string::npos);
  Reply twice = Post("/chasing/contacts", h,
                     Form({{"csrf", cora.csrf}, {"owner", kOwnerA}, {"email", "pat@highways.example"}}));
  EXPECT_EQ(twice.status, 400) << "an address the owner has already";
  EXPECT_EQ(ListContacts(t_.store(), kOwnerA)->size(), 1u);

  // Now owner A is due to be chased, at that address; owner B still has nobody.
  Reply due = Get("/chasing", cora.Cookie());
  const size_t table = due.body.find("Owners due to be chased");
  ASSERT_NE(table, std::string::npos) << due.body;
  EXPECT_NE(due.body.find("2 overdue responses", table), std::string::npos) << "R1 and R2";
  EXPECT_NE(due.body.find("pat@highways.example", table), std::string::npos);
  EXPECT_NE(due.body.find("href=\"/chasing/contacts?owner=Rail%20Authority#add\""),
            std::string::npos);
  EXPECT_EQ(due.body.find("href=\"/chasing/contacts?owner=Highways%20Board#add\""),
            std::string::npos);

  Reply removed = Post("/chasing/contacts/remove", h,
                       Form({{"csrf", cora.csrf}, {"owner", kOwnerA}, {"email", "pat@highways.example"}}));
  ASSERT_EQ(removed.status, 303);
  EXPECT_TRUE(ListContacts(t_.store(), kOwnerA)->empty());
  EXPECT_EQ(t_.Events("contact_remove").back().actor, "user:cora");
  EXPECT_EQ(Post("/chasing/contacts/remove", h,
                 Form({{"csrf", cora.csrf}, {"owner", kOwnerA}, {"email", "pat@highways.example"}}))
                .status,
            404);
}

TEST_F(AuthServerTest, TheOfficeSetsAScheduleAndSeesEveryProblemAtOnce) {
  Browser ada = SignIn("ada");
  auto h = ada.Cookie();
  h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  Reply page = Get("/chasing/schedules", ada.Cookie());
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("14, 7, 1 days before"), std::string::npos) << "the built-in default";
  EXPECT_NE(page.body.find("<option value=\"review\""), std::string::npos) << "the store's kinds";

  Reply bad = Post("/chasing/schedules", h,
                   Form({{"csrf", ada.csrf}, {"kind", "inqiury"}, {"before", "14,x"},
                         {"overdue_every", "-3"}, {"target_every", "400"}, {"enabled", "on"}}));
  EXPECT_EQ(bad.status, 400);
  for (const char* e : {"href=\"#kind\"", "href=\"#before\"", "href=\"#overdue_every\"",
                        "href=\"#target_every\""})
    EXPECT_NE(bad.body.find(e), std::string::npos) << e;
  EXPECT_NE(bad.body.find("value=\"14,x\""), std::string::npos) << "what was typed stays";
  EXPECT_TRUE(LoadChaseSchedules(t_.store())->empty());

  Reply set = Post("/chasing/schedules", h,
                   Form({{"csrf", ada.csrf}, {"kind", "review"}, {"before", "10, 3"},
                         {"overdue_every", "14"}, {"target_every", "0"}, {"enabled", "off"}}));
  ASSERT_EQ(set.status, 303) << set.body;
  auto schedules = LoadChaseSchedules(t_.store());
  ASSERT_TRUE(schedules);
  ASSERT_EQ(schedules->count("review"), 1u);
  const ChaseSchedule& s = schedules->at("review");
  EXPECT_EQ(s.before, (std::vector<int>{10, 3}));
  EXPECT_EQ(s.overdue_every, 14);
  EXPECT_EQ(s.target_every, 0);
  EXPECT_FALSE(s.enabled);
  EXPECT_EQ(t_.Events("chase_schedule").back().actor, "user:ada");
  Reply shown = Get(set.Header("Location"), ada.Cookie());
  EXPECT_NE(shown.body.find("The schedule of review was set"), std::string::npos);
  EXPECT_NE(shown.body.find("10, 3 days before"), std::string::npos);
  EXPECT_NE(shown.body.find("Every 14 days"), std::string::npos);
  // With chasing off for its only kind, nobody is due.
  ASSERT_TRUE(AddContact(t_.store(), kOwnerA, "pat@highways.example", "", "", Actor{"test:x"}));
  EXPECT_NE(Get("/chasing", ada.Cookie()).body.find("No owner with a contact has anything new"),
            std::string::npos);
}

TEST_F(AuthServerTest, TheOutboxShowsEachMessageAndSendsAFailedOneAgain) {
  ASSERT_TRUE(AddContact(t_.store(), kOwnerA, "pat@highways.example", "", "", Actor{"test:x"}));
  auto render = [](int64_t id, const MessageFor&) -> Result<RenderedMessage> {
    RenderedMessage m;
    m.subject = "Overdue <responses>";
    m.message_id = fmt::format("<{}@test>", id);
    m.message =
        "Subject: Overdue\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
        "quoted-printable\r\n\r\nPlease respond <now> =E2=80=94 a long line th=\r\nat "
        "goes on.\r\n--b--\r\n";
    m.text = "Please respond.";
    return m;
  };
  auto run = QueueChase(t_.store(), D("2023-09-01"), render, Actor{"test:chase"});
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_FALSE(run->ids.empty());
  int64_t chaser = 0;
  for (int64_t id : run->ids)
    if (GetOutboxMessage(t_.store(), id)->kind == "chaser") chaser = id;
  ASSERT_GT(chaser, 0);
  // The SMTP server refused it for good: given up.
  for (;;) {
    auto m = ClaimNextMessage(t_.store(), 1'700'000'000'000, "test", false, Actor{"test:chase"});
    ASSERT_TRUE(m);
    if (!*m) break;
    ASSERT_TRUE(MarkFailed(t_.store(), **m, "550 no such mailbox", true, 1'700'000'000'000,
                           Actor{"test:chase"}));
  }
  Browser cora = SignIn("cora");
  Reply list = Get("/chasing", cora.Cookie());
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("Overdue &lt;responses&gt;"), std::string::npos);
  EXPECT_NE(list.body.find("Given up"), std::string::npos);
  EXPECT_NE(list.body.find("550 no such mailbox"), std::string::npos);
  EXPECT_NE(Get("/chasing?state=abandoned", cora.Cookie()).body.find("Overdue &lt;responses&gt;"),
            std::string::npos);
  EXPECT_EQ(Get("/chasing?state=sent", cora.Cookie()).body.find("Overdue &lt;responses&gt;"),
            std::string::npos);
  Reply wrong = Get("/chasing?state=lost", cora.Cookie());
  EXPECT_EQ(wrong.status, 400);
  EXPECT_NE(wrong.body.find("queued, sending, sent"), std::string::npos);

  const std::string href = fmt::format("/chasing/outbox/{}", chaser);
  Reply one = Get(href, cora.Cookie());
  ASSERT_EQ(one.status, 200);
  EXPECT_NE(one.body.find("Please respond &lt;now&gt; \u2014 a long line that goes on."),
            std::string::npos)
      << "its text decoded and escaped";
  EXPECT_NE(one.body.find("response overdue"), std::string::npos) << "the stage in words";
  EXPECT_NE(one.body.find(fmt::format("href=\"/recommendations/{}\"", t_.Recommendation("R2"))),
            std::string::npos)
      << "what it chased";
  EXPECT_NE(one.body.find("Send it again"), std::string::npos);
  auto h = cora.Cookie();
  h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  Reply again = Post(href + "/resend", h, Form({{"csrf", cora.csrf}}));
  ASSERT_EQ(again.status, 303);
  EXPECT_EQ(GetOutboxMessage(t_.store(), chaser)->state, "queued");
  EXPECT_EQ(t_.Events("chase_resend").back().actor, "user:cora");
  Reply queued = Get(again.Header("Location"), cora.Cookie());
  EXPECT_NE(queued.body.find("Queued again"), std::string::npos);
  EXPECT_EQ(queued.body.find("Send it again"), std::string::npos) << "a queued one waits";
  EXPECT_EQ(Post(href + "/resend", h, Form({{"csrf", cora.csrf}})).status, 409);
  EXPECT_EQ(Get("/chasing/outbox/99999", cora.Cookie()).status, 404);
}

TEST_F(AuthServerTest, ChangingOnesPasswordKeepsThisSessionAndEndsTheOthers) {
  Browser here = SignIn("eddie");
  Browser elsewhere = SignIn("eddie");
  Reply form = Get("/account/password", here.Cookie());
  ASSERT_EQ(form.status, 200);
  EXPECT_NE(form.body.find("href=\"/account/password\">Change password</a>"), std::string::npos)
      << "linked from the header";
  auto h = here.Cookie();
  h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  auto send = [&](const std::string& current, const std::string& next, const std::string& again,
                  const std::string& csrf) {
    return Post("/account/password", h,
                Form({{"csrf", csrf}, {"current", current}, {"new", next}, {"confirm", again}}));
  };
  const std::string csrf = HiddenValue(form.body, "csrf");
  const std::string next = "a much longer passphrase";

  Reply no_csrf = send(kPassword, next, next, "");
  EXPECT_EQ(no_csrf.status, 403);
  Reply wrong = send("not my password", next, next, csrf);
  EXPECT_EQ(wrong.status, 400);
  EXPECT_NE(wrong.body.find("<title>Error: Change your password"), std::string::npos);
  EXPECT_NE(wrong.body.find("href=\"#current\">Your current password is not right"),
            std::string::npos);
  Reply mismatch = send(kPassword, next, next + "!", csrf);
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_NE(mismatch.body.find("href=\"#confirm\">The two new passwords are not the same"),
            std::string::npos);
  Reply weak = send(kPassword, "short", "short", csrf);
  EXPECT_EQ(weak.status, 400);
  EXPECT_NE(weak.body.find("href=\"#new\">A password needs at least 12 characters"),
            std::string::npos);
  EXPECT_EQ(weak.body.find(kPassword), std::string::npos) << "passwords are never echoed";
  EXPECT_TRUE(t_.Events("user_password").empty());

  Reply done = send(kPassword, next, next, csrf);
  ASSERT_EQ(done.status, 303) << done.body.substr(0, 2000);
  EXPECT_EQ(done.Header("Location"), "/account/password?changed=1");
  Reply changed = Get(done.Header("Location"), here.Cookie());
  EXPECT_EQ(changed.status, 200);
  EXPECT_NE(changed.body.find("Your password has been changed"), std::string::npos);
  // The other browser is signed out; the old password no longer works; the new one does.
  Reply other = Get("/my-assignments", elsewhere.Cookie());
  EXPECT_EQ(other.status, 303);
  EXPECT_EQ(other.Header("Location").rfind("/login", 0), 0u);
  SignIn("eddie", next);
  EXPECT_EQ(t_.Events("user_password").size(), 1u);
}

TEST_F(AuthServerTest, SignInOnlyRedirectsToThisSite) {
  for (const std::string& next :
       {std::string("//evil.example/x"), std::string("https://evil.example/"),
        std::string("/\\evil.example"), std::string("javascript:alert(1)")}) {
    SCOPED_TRACE(next);
    Reply page = Get("/login?next=" + PercentEncode(next));
    EXPECT_EQ(HiddenValue(page.body, "next"), "");
    auto cookie = page.SetCookie(kLoginCsrfCookie);
    Reply r = Post("/login",
                   {{"Cookie", std::string(kLoginCsrfCookie) + "=" + *cookie},
                    {"Content-Type", "application/x-www-form-urlencoded"}},
                   Form({{"csrf", HiddenValue(page.body, "csrf")}, {"name", "vera"},
                         {"password", kPassword}, {"next", next}}));
    ASSERT_EQ(r.status, 303);
    EXPECT_EQ(r.Header("Location"), "/");
  }
}

// ---- the whole flow ----------------------------------------------------------------------------

int RunCli(const std::string& args) {
  int rc = std::system((std::string(RECTRACK_CLI) + " " + args + " >/dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST_F(AuthServerTest, EditorSubmitsCoordinatorValidatesAndPublishesAndAnyoneVerifies) {
  Browser eddie = SignIn("eddie");
  Browser cora = SignIn("cora");
  const int64_t asg = t_.Assignment("R2", kOwnerA);
  const std::string hostile = "<script>alert('x')</script> footbridges lit";

  Reply form = Get("/assignments/" + std::to_string(asg) + "/submit", eddie.Cookie());
  ASSERT_EQ(form.status, 200);
  auto h = eddie.Cookie();
  h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  Reply sent = Post("/assignments/" + std::to_string(asg) + "/submit", h,
                    Form({{"csrf", HiddenValue(form.body, "csrf")},
                          {"version", HiddenValue(form.body, "version")},
                          {"date", "2023-08-20"},
                          {"implementation", "implemented"},
                          {"narrative", hostile},
                          {"evidence", "https://example.org/lights\r\n"}}));
  ASSERT_EQ(sent.status, 303) << sent.body.substr(0, 3000);
  Reply confirm = Get(sent.Header("Location"), eddie.Cookie());
  EXPECT_NE(confirm.body.find("Update submitted"), std::string::npos);

  // Not public yet.
  const std::string rec = "/api/v1/recommendations/" + std::to_string(t_.Recommendation("R2"));
  EXPECT_EQ(Get(rec).body.find("footbridges lit"), std::string::npos);

  Reply queue = Get("/review", cora.Cookie());
  ASSERT_EQ(queue.status, 200);
  EXPECT_EQ(queue.body.find("<script>alert"), std::string::npos) << "escaped";
  EXPECT_NE(queue.body.find("&lt;script&gt;"), std::string::npos);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(queue.body, m, std::regex("action=\"/updates/([0-9]+)/validate\"")));
  std::string update_id = m[1];
  auto ch = cora.Cookie();
  ch.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  Reply validated = Post("/updates/" + update_id + "/validate", ch,
                         Form({{"csrf", HiddenValue(queue.body, "csrf")}}));
  ASSERT_EQ(validated.status, 303);
  EXPECT_NE(Get(rec).body.find("footbridges lit"), std::string::npos) << "public now";

  Reply pub_form = Get("/sources/" + std::string(kSource) + "/publish", cora.Cookie());
  ASSERT_EQ(pub_form.status, 200);
  EXPECT_EQ(pub_form.body.find("Publish and sign"), std::string::npos);  // a preview first
  const std::string pub_path_form = "/sources/" + std::string(kSource) + "/publish";
  std::vector<std::pair<std::string, std::string>> fields = {
      {"csrf", HiddenValue(pub_form.body, "csrf")},
      {"title", "Progress, summer 2023"},
      {"as_of", "2023-08-31"},
      {"commentary", "The **footbridges** are lit. <script>alert(1)</script>"}};
  auto with = [&](std::vector<std::pair<std::string, std::string>> extra) {
    auto f = fields;
    f.insert(f.end(), extra.begin(), extra.end());
    return Form(f);
  };
  Reply preview = Post(pub_path_form, ch, with({{"step", "preview"}}));
  ASSERT_EQ(preview.status, 200) << preview.body.substr(0, 2000);
  EXPECT_NE(preview.body.find("Preview: exactly what will be signed"), std::string::npos);
  EXPECT_NE(preview.body.find("# Progress, summer 2023"), std::string::npos);
  EXPECT_NE(preview.body.find("The **footbridges** are lit. \\&lt;script\\&gt;"), std::string::npos)
      << preview.body.substr(preview.body.find("rt-preview"), 800);
  EXPECT_EQ(t_.Events("publish").size(), 0u);  // a preview writes nothing
  std::string seq = HiddenValue(preview.body, "preview_seq");
  ASSERT_FALSE(seq.empty());
  // A preview of an older head is not what would be signed now.
  Reply stale = Post(pub_path_form, ch,
                     with({{"step", "publish"}, {"preview_seq", std::to_string(std::stoll(seq) - 1)}}));
  EXPECT_EQ(stale.status, 400);
  EXPECT_NE(stale.body.find("The data changed since your preview"), std::string::npos);
  EXPECT_EQ(t_.Events("publish").size(), 0u);
  // Dates outside the source's life are refused, every field's error at once.
  Reply bad = Post(pub_path_form, ch,
                   Form({{"csrf", HiddenValue(pub_form.body, "csrf")}, {"title", ""},
                         {"as_of", "2023-02-30"}, {"step", "preview"}}));
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("href=\"#title\""), std::string::npos);
  EXPECT_NE(bad.body.find("Enter a real day as YYYY-MM-DD"), std::string::npos);
  Reply future = Post(pub_path_form, ch,
                      Form({{"csrf", HiddenValue(pub_form.body, "csrf")}, {"title", "t"},
                            {"as_of", "2023-09-02"}, {"step", "preview"}}));
  EXPECT_EQ(future.status, 400);
  EXPECT_NE(future.body.find("is after today"), std::string::npos);
  Reply published = Post(pub_path_form, ch, with({{"step", "publish"}, {"preview_seq", seq}}));
  ASSERT_EQ(published.status, 303) << published.body.substr(0, 2000);
  std::string pub_path = published.Header("Location");  // /publications/N
  ASSERT_EQ(pub_path.rfind("/publications/", 0), 0u);

  // Each step is in the ledger, by whom it was done.
  auto submits = t_.Events("submit");
  auto validates = t_.Events("validate");
  auto publishes = t_.Events("publish");
  ASSERT_EQ(submits.size(), 1u);
  ASSERT_EQ(validates.size(), 1u);
  ASSERT_EQ(publishes.size(), 1u);
  EXPECT_EQ(submits[0].actor, "user:eddie");
  EXPECT_EQ(validates[0].actor, "user:cora");
  EXPECT_EQ(publishes[0].actor, "user:cora");

  // Download it as anyone would, and check it offline with the CLI.
  Reply doc = Get("/api/v1" + pub_path);
  ASSERT_EQ(doc.status, 200);
  Reply key = Get("/api/v1/signing-key");
  ASSERT_EQ(key.status, 200);
  std::string public_key = json::parse(key.body)["public_key"];
  json pub = json::parse(doc.body);
  EXPECT_EQ(pub["signature"]["public_key"], public_key);
  // R2 (owner A alone) is implemented now; R1 is not.
  EXPECT_EQ(json::parse(pub["snapshot_json"].get<std::string>())["implemented"], 1);

  const std::string file = t_.dir().File("publication.json");
  auto write = [&](const std::string& text) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
  };
  write(doc.body);
  EXPECT_EQ(RunCli("verify-publication " + file + " --key " + public_key), 0);
  EXPECT_EQ(RunCli("verify-publication " + file), 0);
  EXPECT_EQ(RunCli("verify-publication " + file + " --key " + std::string(64, '0')), 3);

  // One byte of the snapshot, as stored, changed: broken.
  {
    json d = pub;
    std::string snap = d["snapshot_json"];
    size_t at = snap.find("Progress, summer 2023");
    ASSERT_NE(at, std::string::npos);
    snap[at] = 'p';
    d["snapshot_json"] = snap;
    write(d.dump(2));
    EXPECT_EQ(RunCli("verify-publication " + file + " --key " + public_key), 3);
  }
  // One hex digit of the signature changed: broken.
  {
    json d = pub;
    std::string sig = d["signature"]["signature"];
    sig[0] = sig[0] == 'a' ? 'b' : 'a';
    d["signature"]["signature"] = sig;
    write(d.dump(2));
    EXPECT_EQ(RunCli("verify-publication " + file + " --key " + public_key), 3);
  }
  // One byte of the downloaded file itself, inside the snapshot text: broken.
  {
    std::string raw = doc.body;
    size_t at = raw.find("Progress, summer 2023", raw.find("\"snapshot_json\""));
    ASSERT_NE(at, std::string::npos);
    raw[at] = 'F';
    write(raw);
    EXPECT_EQ(RunCli("verify-publication " + file + " --key " + public_key), 3);
  }
  EXPECT_EQ(RunCli("verify-publication " + t_.dir().File("missing.json")), 1);
}

}  // namespace
}  // namespace rectrack::web
