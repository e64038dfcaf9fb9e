// Several `rectrack serve` processes on one store, as a deployment runs them
// behind a load balancer: sessions and writes shared, concurrent updates of
// one assignment (one wins, the rest get 412), one ledger chain whoever
// writes, a bounded 503 with Retry-After while the store is busy or gone and
// recovery when it is back, and no acknowledged write lost when a server is
// killed (SIGKILL) or the database restarted under load. On SQLite files and
// (as NAME/pg) on PostgreSQL; PostgresServersTest on PostgreSQL only.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "nlohmann/json.hpp"
#include "store/store.h"
#include "store/verify.h"
#include "testing/test_store.h"
#include "web/serve_process.h"

namespace rectrack::web {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;
using testing_util::TempDir;

const fs::path kRepo = fs::path(__FILE__).parent_path().parent_path().parent_path();
constexpr char kPassword[] = "correct horse battery";

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

// A tracker with the Harris example, an editor of the Home Office (eddie) and
// a coordinator (cora), each with an API token; servers started on it.
class ServersTest : public ::testing::Test {
 protected:
  void SetUp() override { Make(dir_.File("store.db")); }

  void Make(const std::string& path) {
    path_ = path;
    location_ = testing_util::StoreLocation(path_);
    Cli({"init"});
    Cli({"import", "json", (kRepo / "examples/harris/harris-2016.json").string()});
    Cli({"user", "add", "eddie", "--role", "editor", "--owner", "Home Office"},
        std::string(kPassword) + "\n");
    Cli({"user", "add", "cora", "--role", "coordinator"}, std::string(kPassword) + "\n");
    eddie_ = Trim(Cli({"user", "token", "eddie", "--name", "test"}).out);
    cora_ = Trim(Cli({"user", "token", "cora", "--name", "test"}).out);
    auto store = testing_util::OpenTestStore(path_);
    ASSERT_TRUE(store) << store.error().message;
    // Assignments of the Home Office, which eddie may update.
    auto facts = (*store)->LoadFacts(FactsFilter{"harris-2016", "", false, false});
    ASSERT_TRUE(facts) << facts.error().message;
    auto owners = (*store)->ListOwners();
    ASSERT_TRUE(owners);
    int64_t home_office = 0;
    for (const auto& o : *owners)
      if (o.name == "Home Office") home_office = o.id;
    for (const auto& a : facts->assignments)
      if (a.owner_id == home_office) assignments_.push_back(a.id);
    ASSERT_GE(assignments_.size(), 2u);
  }

  static std::string Trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  CliResult Cli(std::vector<std::string> args, const std::string& input = "") {
    std::vector<std::string> all = {"--db", location_, "--key-file", path_ + ".key"};
    all.insert(all.end(), args.begin(), args.end());
    CliResult r = RunCli(RECTRACK_CLI, all, input, dir_.path().string());
    EXPECT_EQ(r.rc, 0) << "rectrack " << Joined(args) << r.err;
    return r;
  }

  // A server on the store; `extra` flags after the usual ones.
  std::unique_ptr<ServeProcess> Serve(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--db", location_, "--key-file", path_ + ".key",
                                     "--access-log", "", "--verify-every-ms", "200"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto s = std::make_unique<ServeProcess>(
        RECTRACK_CLI, args, dir_.File("serve-" + std::to_string(++servers_) + ".log"));
    EXPECT_TRUE(s->ok()) << s->log();
    return s;
  }

  Headers Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

  std::string Etag(uint16_t port, int64_t assignment) {
    Reply r = Http(port, "GET", "/api/v1/assignments/" + std::to_string(assignment), Bearer(eddie_));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Header("ETag");
  }

  Reply Submit(uint16_t port, int64_t assignment, const std::string& etag,
               const std::string& narrative) {
    Headers h = Bearer(eddie_);
    h.emplace_back("If-Match", etag);
    h.emplace_back("Content-Type", "application/json");
    return Http(port, "POST", "/api/v1/assignments/" + std::to_string(assignment) + "/updates", h,
                json{{"narrative", narrative}, {"implementation", "in_progress"}}.dump());
  }

  VerifyReport Verify() {
    auto store = testing_util::OpenTestStore(path_);
    EXPECT_TRUE(store) << store.error().message;
    if (!store) return {};
    auto v = (*store)->Verify();
    EXPECT_TRUE(v) << v.error().message;
    return v ? *v : VerifyReport{};
  }

  TempDir dir_;
  std::string path_, location_;
  std::string eddie_, cora_;
  std::vector<int64_t> assignments_;
  int servers_ = 0;
};

// A session made through one server works on the other; signing out on the
// other ends it on both.
TEST_F(ServersTest, ASessionMadeOnOneServerWorksOnTheOther) {
  auto a = Serve();
  auto b = Serve();
  ASSERT_TRUE(a->ok() && b->ok());
  Reply form = Http(a->port(), "GET", "/login");
  ASSERT_EQ(form.status, 200);
  std::string cookie;
  for (const auto& [k, v] : form.all_headers)
    if (k == "Set-Cookie" && v.rfind("rectrack_login_csrf=", 0) == 0)
      cookie = v.substr(20, v.find(';') - 20);
  size_t at = form.body.find("name=\"csrf\" value=\"");
  ASSERT_NE(at, std::string::npos);
  std::string csrf = form.body.substr(at + 19, form.body.find('"', at + 19) - at - 19);
  Reply login = Http(a->port(), "POST", "/login",
                     {{"Cookie", "rectrack_login_csrf=" + cookie},
                      {"Content-Type", "application/x-www-form-urlencoded"}},
                     "name=cora&password=correct+horse+battery&csrf=" + csrf);
  ASSERT_EQ(login.status, 303) << login.body;
  std::string session;
  for (const auto& [k, v] : login.all_headers)
    if (k == "Set-Cookie" && v.rfind("rectrack_session=", 0) == 0)
      session = v.substr(0, v.find(';'));
  ASSERT_FALSE(session.empty());
  // The coordinator's review queue, on the other server, with that cookie.
  Reply queue = Http(b->port(), "GET", "/review", {{"Cookie", session}});
  EXPECT_EQ(queue.status, 200) << queue.body.substr(0, 400);
  EXPECT_NE(queue.body.find("cora"), std::string::npos);
  // Without it: the sign-in page.
  EXPECT_EQ(Http(b->port(), "GET", "/review").status, 303);
}

// A write through one server shows on the other at once: on PostgreSQL the
// other server re-reads the head only every 60 s here, so only the NOTIFY
// each event sends can tell it; on SQLite it polls (250 ms, the default).
TEST_F(ServersTest, AWriteThroughOneServerShowsOnTheOtherAtOnce) {
  const bool push = testing_util::UsingPostgres();
  auto a = Serve();
  auto b = Serve(push ? std::vector<std::string>{"--recheck-ms", "60000"}
                      : std::vector<std::string>{});
  ASSERT_TRUE(a->ok() && b->ok());
  const int64_t asg = assignments_[0];
  // B has the recommendation's public document cached before the write.
  json assignment = json::parse(
      Http(b->port(), "GET", "/api/v1/assignments/" + std::to_string(asg), Bearer(eddie_)).body,
      nullptr, false);
  ASSERT_TRUE(assignment.is_object());
  const std::string doc =
      "/api/v1/recommendations/" + std::to_string(assignment["recommendation_id"].get<int64_t>());
  Reply before = Http(b->port(), "GET", doc);
  ASSERT_EQ(before.status, 200);
  ASSERT_EQ(before.body.find("shown on the other server"), std::string::npos);
  // Submitted through A and validated through A (the public sees validated updates).
  Reply sub = Submit(a->port(), asg, Etag(a->port(), asg), "shown on the other server");
  ASSERT_EQ(sub.status, 201) << sub.body;
  int64_t update = json::parse(sub.body)["id"].get<int64_t>();
  Reply val = Http(a->port(), "POST", "/api/v1/updates/" + std::to_string(update) + "/validate",
                   Bearer(cora_));
  ASSERT_EQ(val.status, 200) << val.body;
  auto start = std::chrono::steady_clock::now();
  bool seen = false;
  while (!seen && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    seen = Http(b->port(), "GET", doc).body.find("shown on the other server") != std::string::npos;
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(seen) << "not shown on B within 5 s";
  EXPECT_LT(took, push ? 1000 : 2000) << "shown on B after " << took << " ms";
}

// Many editors submit to one assignment at once, half through each server,
// all with the same ETag: exactly one wins; every other gets 412; nothing is
// lost or doubled and the ledger stays one valid chain.
TEST_F(ServersTest, ConcurrentUpdatesOfOneAssignmentThroughBothServersOneWins) {
  auto a = Serve();
  auto b = Serve();
  ASSERT_TRUE(a->ok() && b->ok());
  const int64_t asg = assignments_[1];
  for (int round = 0; round < 3; ++round) {
    const std::string etag = Etag(a->port(), asg);
    constexpr int kWriters = 12;
    std::vector<int> statuses(kWriters);
    std::vector<std::thread> threads;
    std::atomic<int> ready{0};
    for (int i = 0; i < kWriters; ++i)
      threads.emplace_back([&, i] {
        ready.fetch_add(1);
        while (ready.load() < kWriters) std::this_thread::yield();
        statuses[i] = Submit(i % 2 ? b->port() : a->port(), asg, etag,
                             "round " + std::to_string(round) + " writer " + std::to_string(i))
                          .status;
      });
    for (auto& t : threads) t.join();
    int won = 0, stale = 0;
    for (int s : statuses) {
      if (s == 201) ++won;
      else if (s == 412) ++stale;
    }
    EXPECT_EQ(won, 1) << "round " << round;
    EXPECT_EQ(stale, kWriters - 1) << "round " << round;
  }
  auto store = testing_util::OpenTestStore(path_);
  ASSERT_TRUE(store);
  auto a_ref = (*store)->GetAssignment(asg);
  ASSERT_TRUE(a_ref);
  EXPECT_EQ(a_ref->version, 1 + 3);  // one winner per round
  auto v = Verify();
  EXPECT_TRUE(v.ok) << Joined(v.problems);
}

// Writers on different assignments through both servers at once: every
// acknowledged write is in the ledger, in one chain with no gap or fork.
TEST_F(ServersTest, TheLedgerStaysOneChainUnderConcurrentWritersOnBothServers) {
  auto a = Serve();
  auto b = Serve();
  ASSERT_TRUE(a->ok() && b->ok());
  auto head_before = Verify().head.seq;
  std::atomic<int> acknowledged{0}, failed{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w)
    threads.emplace_back([&, w] {
      const uint16_t port = w % 2 ? b->port() : a->port();
      const int64_t asg = assignments_[static_cast<size_t>(w) % assignments_.size()];
      for (int i = 0; i < 10; ++i) {
        // Each write its own (the same update twice is refused: app/updates.h).
        Reply r = Submit(port, asg, Etag(port, asg),
                         "writer " + std::to_string(w) + " write " + std::to_string(i));
        if (r.status == 201) acknowledged.fetch_add(1);
        else if (r.status != 412) failed.fetch_add(1);  // 412: another writer of the same one
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(acknowledged.load(), 10);
  auto v = Verify();
  EXPECT_TRUE(v.ok) << Joined(v.problems);
  EXPECT_EQ(v.head.seq, head_before + acknowledged.load());
}

// While another process holds the store's write lock, a write waits a bounded
// time and is answered 503 with Retry-After; reads go on; once the lock is
// let go, writes go through again.
TEST_F(ServersTest, ABusyStoreAnswers503WithRetryAfterWithinABoundedTime) {
  auto a = Serve();
  ASSERT_TRUE(a->ok());
  const int64_t asg = assignments_[0];
  const std::string etag = Etag(a->port(), asg);
  {
    auto lock = testing_util::HoldWriteLock(path_);
    ASSERT_TRUE(lock) << "could not take the store's write lock";
    auto start = std::chrono::steady_clock::now();
    Reply r = Submit(a->port(), asg, etag, "while locked");
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.Header("Retry-After"), "5");
    EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
    EXPECT_LT(took, 8000) << "answered after " << took << " ms";
    EXPECT_GE(took, 4000) << "it waited for the lock before giving up";
    // Reading is not blocked by a writer.
    EXPECT_EQ(Http(a->port(), "GET", "/api/v1/sources").status, 200);
  }
  Reply after = Submit(a->port(), asg, etag, "after the lock");
  EXPECT_EQ(after.status, 201) << after.body;
}

// A steady load of writes through the API; the server killed with SIGKILL at
// random moments, ten times, and started again. Every write answered 2xx is
// there afterwards, none is half there, and the store verifies.
TEST_F(ServersTest, KilledServersLoseNoAcknowledgedWrite) {
  std::mutex mu;
  std::set<std::string> acknowledged;  // narratives answered 201
  std::mt19937 rng(20261206);
  int sent = 0;
  for (int kill = 0; kill < 10; ++kill) {
    auto server = Serve();
    ASSERT_TRUE(server->ok()) << server->log();
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      const uint16_t port = server->port();
      while (!stop.load()) {
        const int64_t asg = assignments_[static_cast<size_t>(sent) % assignments_.size()];
        const std::string narrative = "durable write " + std::to_string(sent++);
        Reply e = Http(port, "GET", "/api/v1/assignments/" + std::to_string(asg), Bearer(eddie_));
        if (e.status != 200) continue;
        Reply r = Submit(port, asg, e.Header("ETag"), narrative);
        if (r.status == 201) {
          std::lock_guard<std::mutex> lock(mu);
          acknowledged.insert(narrative);
        }
      }
    });
    const size_t before = [&] {
      std::lock_guard<std::mutex> lock(mu);
      return acknowledged.size();
    }();
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 400));
    // On a machine busy with other work a round may not have written yet: a
    // few writes in each round first (up to 20 s), so that every kill falls
    // in the middle of a load and the count below means something.
    for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
         std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(std::chrono::milliseconds(20))) {
      std::lock_guard<std::mutex> lock(mu);
      if (acknowledged.size() >= before + 3) break;
    }
    EXPECT_EQ(server->Kill(SIGKILL), 128 + SIGKILL);
    stop.store(true);
    writer.join();
  }
  ASSERT_GT(acknowledged.size(), 20u) << "too few writes to say anything";
  auto v = Verify();
  EXPECT_TRUE(v.ok) << Joined(v.problems);
  // Every acknowledged write, by its narrative, among the updates stored.
  auto store = testing_util::OpenTestStore(path_);
  ASSERT_TRUE(store);
  std::set<std::string> stored;
  ASSERT_TRUE((*store)->ScanTable(*FindProjectedTable("updates"), [&](Row& r) {
    stored.insert(r[7].s);  // narrative
    return true;
  }));
  for (const auto& n : acknowledged) EXPECT_TRUE(stored.count(n)) << "lost: " << n;
}

// ---- PostgreSQL: the database itself stopped and restarted ------------------------

// A cluster of this test's own (stopping the shared one would stop the other
// tests), with the tracker in it.
class PostgresServersTest : public ServersTest {
 protected:
  void SetUp() override {
    // A directory the server's own user may enter (initdb runs as "postgres"
    // when the tests run as root; the test's directory is its own, 0700).
    std::string tmpl = (fs::temp_directory_path() / "rectrack-own-pg-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    ASSERT_EQ(chmod(tmpl.c_str(), 0755), 0);
    cluster_ = tmpl;
    // The URL is the last line (anything the server said before it is not).
    url_ = PgCluster("start");
    if (auto nl = url_.rfind('\n'); nl != std::string::npos) url_ = url_.substr(nl + 1);
    ASSERT_FALSE(url_.empty());
    // The store: the private cluster's database; its key file in the test's directory.
    path_ = dir_.File("own.db");
    MakeOn(url_);
  }
  void TearDown() override { PgCluster("stop"); }

  void MakeOn(const std::string& url) {
    location_ = url;
    Cli({"init"});
    Cli({"import", "json", (kRepo / "examples/harris/harris-2016.json").string()});
    Cli({"user", "add", "eddie", "--role", "editor", "--owner", "Home Office"},
        std::string(kPassword) + "\n");
    eddie_ = Trim(Cli({"user", "token", "eddie", "--name", "test"}).out);
    auto store = OpenStore(location_, KeyOptions{path_ + ".key", ""});
    ASSERT_TRUE(store) << store.error().message;
    auto facts = (*store)->LoadFacts(FactsFilter{"harris-2016", "", false, false});
    ASSERT_TRUE(facts);
    auto owners = (*store)->ListOwners();
    int64_t home_office = 0;
    for (const auto& o : *owners)
      if (o.name == "Home Office") home_office = o.id;
    for (const auto& a : facts->assignments)
      if (a.owner_id == home_office) assignments_.push_back(a.id);
  }

  // scripts/pg-cluster.sh CMD on this test's cluster; "start" gives its URL.
  std::string PgCluster(const std::string& cmd, const std::string& mode = "") {
    std::string line = (kRepo / "scripts/pg-cluster.sh").string() + " " + cmd + " " + cluster_ +
                       (mode.empty() ? "" : " " + mode) + " 2>&1";
    FILE* p = popen(line.c_str(), "r");
    std::string out;
    char buf[512];
    while (p && fgets(buf, sizeof buf, p)) out += buf;
    int rc = p ? pclose(p) : -1;
    EXPECT_EQ(rc, 0) << line << ": " << out;
    return Trim(out);
  }

  VerifyReport VerifyOwn() {
    auto store = OpenStore(location_, KeyOptions{path_ + ".key", ""});
    EXPECT_TRUE(store) << store.error().message;
    if (!store) return {};
    auto v = (*store)->Verify();
    EXPECT_TRUE(v) << v.error().message;
    return v ? *v : VerifyReport{};
  }

  std::string cluster_, url_;
};

// The database goes away: requests that need it are answered 503 with
// Retry-After at once, not after a hang; when it is back the server
// reconnects by itself and answers as before.
TEST_F(PostgresServersTest, WhileTheDatabaseIsDownRequestsGet503AndTheServerReconnects) {
  auto a = Serve();
  ASSERT_TRUE(a->ok()) << a->log();
  const int64_t asg = assignments_[0];
  std::string etag = Etag(a->port(), asg);
  ASSERT_EQ(Submit(a->port(), asg, etag, "before the outage").status, 201);
  PgCluster("stop-keep");
  auto start = std::chrono::steady_clock::now();
  Reply down = Http(a->port(), "GET", "/api/v1/assignments/" + std::to_string(asg), Bearer(eddie_));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_EQ(down.Header("Retry-After"), "5");
  EXPECT_LT(took, 6000);
  Reply page = Http(a->port(), "GET", "/owners?q=x");
  EXPECT_EQ(page.status, 503);
  EXPECT_EQ(page.Header("Retry-After"), "5");
  PgCluster("start-again");
  // Back without restarting rectrack.
  Reply back;
  for (int i = 0; i < 100 && back.status != 200; ++i) {
    back = Http(a->port(), "GET", "/api/v1/assignments/" + std::to_string(asg), Bearer(eddie_));
    if (back.status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(Submit(a->port(), asg, back.Header("ETag"), "after the outage").status, 201);
  auto v = VerifyOwn();
  EXPECT_TRUE(v.ok) << Joined(v.problems);
}

// The database restarted (immediate shutdown: as a crash) under a steady load
// of writes, three times: every acknowledged write is there, the store verifies.
TEST_F(PostgresServersTest, RestartingTheDatabaseUnderLoadLosesNoAcknowledgedWrite) {
  auto a = Serve();
  ASSERT_TRUE(a->ok()) << a->log();
  std::mutex mu;
  std::set<std::string> acknowledged;
  std::atomic<bool> stop{false};
  std::atomic<int> answered_5xx{0};
  std::thread writer([&] {
    int sent = 0;
    while (!stop.load()) {
      const int64_t asg = assignments_[static_cast<size_t>(sent) % assignments_.size()];
      const std::string narrative = "through restarts " + std::to_string(sent++);
      Reply e = Http(a->port(), "GET", "/api/v1/assignments/" + std::to_string(asg), Bearer(eddie_));
      if (e.status != 200) {
        if (e.status >= 500) answered_5xx.fetch_add(1);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      Reply r = Submit(a->port(), asg, e.Header("ETag"), narrative);
      if (r.status == 201) {
        std::lock_guard<std::mutex> lock(mu);
        acknowledged.insert(narrative);
      } else if (r.status >= 500) {
        EXPECT_EQ(r.status, 503) << r.body;
        answered_5xx.fetch_add(1);
      }
    }
  });
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    PgCluster("restart", "immediate");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop.store(true);
  writer.join();
  ASSERT_GT(acknowledged.size(), 10u);
  auto v = VerifyOwn();
  EXPECT_TRUE(v.ok) << Joined(v.problems);
  auto store = OpenStore(location_, KeyOptions{path_ + ".key", ""});
  ASSERT_TRUE(store);
  std::set<std::string> stored;
  ASSERT_TRUE((*store)->ScanTable(*FindProjectedTable("updates"), [&](Row& r) {
    stored.insert(r[7].s);
    return true;
  }));
  for (const auto& n : acknowledged) EXPECT_TRUE(stored.count(n)) << "lost: " << n;
}

}  // namespace
}  // namespace rectrack::web
