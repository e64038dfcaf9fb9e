// The JSON API over a real server on 127.0.0.1, port 0, in front of a real
// SQLite store loaded with the Harris example and the PFD sample.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "app/service.h"
#include "ingest/json_format.h"
#include "ingest/presets.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "web/serve.h"
#include "web/server.h"
#include "testing/test_store.h"
#include "web/test_client.h"

namespace rectrack::web {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("rectrack-api-test-" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    db_ = new std::string((*dir_ / "store.db").string());
    auto store = testing_util::OpenTestStore(*db_);
    ASSERT_TRUE(store) << store.error().message;
    auto harris = ReadNativeJson(ReadAll("examples/harris/harris-2016.json"), "harris");
    ASSERT_TRUE(harris) << harris.error().message;
    ASSERT_TRUE(ImportWithPublications(**store, *harris, Actor{"test"}, "harris"));
    auto pfd = ImportPfd(ReadAll("tests/fixtures/pfd-sample.csv"), "pfd", {});
    ASSERT_TRUE(pfd) << pfd.error().message;
    ASSERT_TRUE((*store)->Import(*pfd, Actor{"test"}, "pfd"));
    // A recommendation whose text tries to run a script.
    ImportBatch evil;
    ImportBatch::SourceIn s;
    s.source.slug = "evil";
    s.source.kind = "review";
    s.source.title = "Evil <b>source</b>";
    ImportBatch::RecommendationIn r;
    r.recommendation.ref = "E1";
    r.recommendation.text = "<script>alert('x')</script> DROP TABLE sources; --";
    ImportBatch::AssignmentIn a;
    a.owner = "Robert'); DROP TABLE owners;--";
    r.assignments.push_back(a);
    s.recommendations.push_back(r);
    evil.sources.push_back(s);
    ASSERT_TRUE((*store)->Import(evil, Actor{"test"}, "evil"));

    ServeOptions o;
    o.db = testing_util::StoreLocation(*db_);
    o.keys = testing_util::StoreKeys(*db_);
    o.public_url = "https://tracker.example.org";
    o.allowed_hosts = {"test"};  // what the test client names
    auto app = WebApp::Create(o);
    ASSERT_TRUE(app) << app.error().message;
    app_ = app->release();
    app_->SetToday([] { return *Date::ParseIso("2024-03-17"); });
    app_->SetPublicUrl(o.public_url);
    ServerOptions so;
    so.port = 0;
    so.allowed_hosts = AllowedHosts(o);
    server_ = Server::Create(so, &app_->router()).release();
    app_->SetServerMetrics(&server_->metrics());
    auto port = server_->Listen();
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
    thread_ = new std::thread([] { server_->Run(); });
  }
  static void TearDownTestSuite() {
    server_->Stop();
    thread_->join();
    delete thread_;
    delete server_;
    delete app_;
    fs::remove_all(*dir_);
    delete dir_;
    delete db_;
  }

  WireResponse Get(const std::string& target, const std::string& extra = "") {
    Client c(port_);
    auto r = c.Get(target, extra);
    EXPECT_TRUE(r) << target;
    return r ? *r : WireResponse{};
  }
  json GetJson(const std::string& target, int want_status = 200) {
    auto r = Get(target);
    EXPECT_EQ(r.status, want_status) << target << "\n" << r.body;
    auto j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }

  static fs::path* dir_;
  static std::string* db_;
  static WebApp* app_;
  static Server* server_;
  static std::thread* thread_;
  static uint16_t port_;
};
fs::path* ApiTest::dir_ = nullptr;
std::string* ApiTest::db_ = nullptr;
WebApp* ApiTest::app_ = nullptr;
Server* ApiTest::server_ = nullptr;
std::thread* ApiTest::thread_ = nullptr;
uint16_t ApiTest::port_ = 0;

TEST_F(ApiTest, SourcesListsEverySourceWithProgress) {
  auto j = GetJson("/api/v1/sources?as_of=2017-10-25&limit=500");
  ASSERT_TRUE(j["sources"].is_array());
  EXPECT_EQ(j["sources"].size(), 33u);  // Harris, 31 PFD reports, the evil one
  bool found = false;
  for (const auto& s : j["sources"])
    if (s["slug"] == "harris-2016") {
      found = true;
      EXPECT_EQ(s["recommendations"], 21);
      EXPECT_EQ(s["implemented"], 7);
      EXPECT_EQ(s["percent_implemented"], 33);
    }
  EXPECT_TRUE(found);
  EXPECT_TRUE(j["next_cursor"].is_null());
}

TEST_F(ApiTest, CursorPagesCoverEverySourceOnce) {
  std::set<std::string> seen;
  std::string target = "/api/v1/sources?limit=7";
  int pages = 0;
  while (true) {
    auto j = GetJson(target);
    for (const auto& s : j["sources"]) EXPECT_TRUE(seen.insert(s["slug"]).second) << s["slug"];
    ++pages;
    if (j["next_cursor"].is_null()) break;
    target = "/api/v1/sources?limit=7&after=" + j["next_cursor"].get<std::string>();
    ASSERT_LT(pages, 20);
  }
  EXPECT_EQ(seen.size(), 33u);
  EXPECT_EQ(pages, 5);
}

TEST_F(ApiTest, SourceHasHeadlineOwnersFundingAndChanges) {
  auto j = GetJson("/api/v1/sources/harris-2016?as_of=2017-10-25");
  EXPECT_EQ(j["implemented"], 7);
  EXPECT_EQ(j["recommendations"], 21);
  EXPECT_EQ(j["funding_totals"]["gap"], 172000000);
  EXPECT_EQ(j["changes"]["since"]["title"], "October 2016 baseline");
  EXPECT_FALSE(j["changes"]["items"].empty());
  EXPECT_EQ(j["publications"].size(), 2u);
  bool home_office = false;
  for (const auto& o : j["owners"])
    if (o["owner"] == "Home Office") {
      home_office = true;
      EXPECT_EQ(o["total"], 6);
      EXPECT_EQ(o["not_implemented"], 2);
    }
  EXPECT_TRUE(home_office);
}

// Defect 6: an unknown query parameter is an error that names the known
// ones, not silently ignored (a mistyped ?cursor= for ?after= gave page one).
TEST_F(ApiTest, UnknownQueryParametersAreRefusedByName) {
  auto bad = GetJson("/api/v1/sources?cursor=abc", 400);
  std::string detail = bad["detail"].get<std::string>();
  EXPECT_NE(detail.find("unknown query parameter 'cursor'"), std::string::npos) << detail;
  EXPECT_NE(detail.find("this address takes after, area, as_of, format, kind, limit, owner, theme, year"), std::string::npos)
      << detail;
  auto guess = GetJson("/api/v1/sources/harris-2016/recommendations?ownr=HO", 400);
  EXPECT_NE(guess["detail"].get<std::string>().find("did you mean 'owner'?"), std::string::npos);
  GetJson("/api/v1/owners?kind=review&as_of=2017-10-25&format=json", 200);
  GetJson("/api/v1/recommendations/1?as_of=2017-10-25", 200);
  GetJson("/api/v1/checkpoints?since=1", 400);
  auto odd = GetJson("/api/v1/search?q=fire&%ff=1", 400);
  EXPECT_NE(odd["detail"].get<std::string>().find("not valid UTF-8"), std::string::npos);
}

TEST_F(ApiTest, OwnersIsTheSameTableAsTheCli) {
  auto j = GetJson("/api/v1/owners?kind=pfd&as_of=2024-03-17");
  // The PFD sample's accountability table, as tests/golden/pfd.test prints it.
  bool found = false;
  for (const auto& o : j["owners"])
    if (o["owner"] == "NHS England") {
      found = true;
      EXPECT_EQ(o["total"], 9);
      // pfd-2024-0118 ("overdue", one reply of two) is partial: defect 7.
      EXPECT_EQ(o["partial"], 3);
      EXPECT_EQ(o["overdue"], 3);
      EXPECT_EQ(o["pending"], 3);
      EXPECT_EQ(o["median_days_since_progress"], 86);
    }
  EXPECT_TRUE(found);
  auto bad = GetJson("/api/v1/owners?kind=pfd&source=x", 400);
  EXPECT_EQ(bad["status"], 400);
}

TEST_F(ApiTest, RecommendationFiltersAndCursor) {
  auto all = GetJson("/api/v1/sources/harris-2016/recommendations?as_of=2017-10-25&limit=500");
  EXPECT_EQ(all["total"], 21);
  auto ho = GetJson(
      "/api/v1/sources/harris-2016/recommendations?as_of=2017-10-25&owner=Home%20Office");
  EXPECT_EQ(ho["total"], 6);
  auto alias = GetJson("/api/v1/sources/harris-2016/recommendations?as_of=2017-10-25&owner=DCLG");
  EXPECT_EQ(alias["total"], 2);
  auto done = GetJson(
      "/api/v1/sources/harris-2016/recommendations?as_of=2017-10-25&status=implemented");
  EXPECT_EQ(done["total"], 7);
  auto cg = GetJson(
      "/api/v1/sources/harris-2016/recommendations?as_of=2017-10-25&tier=central_government");
  EXPECT_EQ(cg["total"], 11);
  auto page1 = GetJson("/api/v1/sources/harris-2016/recommendations?limit=5");
  EXPECT_EQ(page1["recommendations"].size(), 5u);
  ASSERT_TRUE(page1["next_cursor"].is_string());
  auto page2 = GetJson("/api/v1/sources/harris-2016/recommendations?limit=5&after=" +
                       page1["next_cursor"].get<std::string>());
  EXPECT_NE(page1["recommendations"][0]["id"], page2["recommendations"][0]["id"]);
  GetJson("/api/v1/sources/harris-2016/recommendations?status=done", 400);
  GetJson("/api/v1/sources/harris-2016/recommendations?after=zzz", 400);
  GetJson("/api/v1/sources/harris-2016/recommendations?overdue=maybe", 400);
  GetJson("/api/v1/sources/no-such/recommendations", 404);
}

TEST_F(ApiTest, PfdOverdueAsOfLaterDate) {
  auto before = GetJson("/api/v1/sources/pfd-2024-0131/recommendations?as_of=2024-03-17");
  EXPECT_EQ(before["recommendations"][0]["response_status"], "pending");
  auto after = GetJson("/api/v1/sources/pfd-2024-0131/recommendations?as_of=2024-05-10");
  EXPECT_EQ(after["recommendations"][0]["response_status"], "overdue");
  EXPECT_EQ(after["recommendations"][0]["assignments"][0]["days_overdue"], 4);
}

TEST_F(ApiTest, RecommendationHasAssignmentsAndHistory) {
  auto list = GetJson("/api/v1/sources/harris-2016/recommendations?limit=500");
  int64_t id = 0;
  for (const auto& r : list["recommendations"])
    if (r["ref"] == "G1") id = r["id"];
  ASSERT_GT(id, 0);
  auto j = GetJson("/api/v1/recommendations/" + std::to_string(id) + "?as_of=2017-10-25");
  EXPECT_EQ(j["ref"], "G1");
  ASSERT_EQ(j["assignments"].size(), 1u);
  const auto& a = j["assignments"][0];
  EXPECT_EQ(a["owner"], "Home Office");
  EXPECT_EQ(a["implementation"], "not_implemented");
  EXPECT_EQ(a["raw_status"], "not taken forward");
  ASSERT_EQ(a["updates"].size(), 1u);
  EXPECT_EQ(a["updates"][0]["state"], "validated");
  GetJson("/api/v1/recommendations/999999", 404);
  GetJson("/api/v1/recommendations/abc", 404);
}

TEST_F(ApiTest, SearchAndPublication) {
  auto s = GetJson("/api/v1/search?q=CONTEST");
  ASSERT_EQ(s["results"].size(), 1u);
  EXPECT_EQ(s["results"][0]["ref"], "G3");
  EXPECT_NE(s["results"][0]["snippet"].get<std::string>().find("[CONTEST]"), std::string::npos);
  GetJson("/api/v1/search?q=", 400);
  auto p = GetJson("/api/v1/publications/2");
  EXPECT_EQ(p["title"], "October 2017 update: one year on");
  EXPECT_EQ(p["snapshot"]["implemented"], 7);
  EXPECT_EQ(p["snapshot_sha256"].get<std::string>().size(), 64u);
  GetJson("/api/v1/publications/99", 404);
}

TEST_F(ApiTest, SearchGivesItsTotalAndACursorToTheNextPage) {
  auto all = GetJson("/api/v1/search?q=London&limit=200");
  const int64_t total = all["total"].get<int64_t>();
  ASSERT_GT(total, 6) << "the fixture has enough matches to page";
  ASSERT_EQ(all["results"].size(), static_cast<size_t>(total));
  EXPECT_TRUE(all["next_cursor"].is_null());
  std::vector<int64_t> paged;
  std::string next;
  int pages = 0;
  do {
    auto page = GetJson("/api/v1/search?q=London&limit=3" + (next.empty() ? "" : "&after=" + next));
    EXPECT_EQ(page["total"], total);
    EXPECT_EQ(page["offset"], static_cast<int64_t>(paged.size()));
    for (const auto& r : page["results"]) paged.push_back(r["recommendation_id"]);
    next = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
    ASSERT_LT(++pages, 100);
  } while (!next.empty());
  std::vector<int64_t> whole;
  for (const auto& r : all["results"]) whole.push_back(r["recommendation_id"]);
  EXPECT_EQ(paged, whole) << "pages laid end to end are the whole list";
  for (const char* bad : {"after=x", "after=s-1", "after=s99999999", "after=7", "limit=0", "limit=201"})
    GetJson(std::string("/api/v1/search?q=London&") + bad, 400);
}

TEST_F(ApiTest, SourcesAreNewestFirstAndFilteredByYearAreaThemeAndOwner) {
  auto all = GetJson("/api/v1/sources?kind=pfd&limit=500");
  const int total = all["total"].get<int>();
  ASSERT_EQ(all["sources"].size(), static_cast<size_t>(total));
  std::string previous = "9999-12-31";
  for (const auto& s : all["sources"]) {
    if (!s["date"].is_string()) continue;
    EXPECT_LE(s["date"].get<std::string>(), previous) << "newest first";
    previous = s["date"].get<std::string>();
  }
  auto y = GetJson("/api/v1/sources?kind=pfd&year=2023&limit=500");
  for (const auto& s : y["sources"]) EXPECT_EQ(s["date"].get<std::string>().substr(0, 4), "2023");
  EXPECT_GT(y["total"].get<int>(), 0);
  EXPECT_LT(y["total"].get<int>(), total);
  EXPECT_EQ(GetJson("/api/v1/sources?kind=pfd&area=gwent")["total"], 1);
  GetJson("/api/v1/sources?year=twenty", 400);
  GetJson("/api/v1/sources?year=20", 400);
  GetJson("/api/v1/sources?owner=Nobody%20At%20All", 404);
}

TEST_F(ApiTest, SqlLookingInputIsHarmless) {
  GetJson("/api/v1/search?q=%27%3B%20DROP%20TABLE%20sources%3B%20--");
  GetJson("/api/v1/search?q=%22%20OR%201%3D1%20NEAR(");
  GetJson("/api/v1/sources/harris-2016/recommendations?owner=x%27%20OR%20%271%27%3D%271", 404);
  auto evil = GetJson("/api/v1/sources/evil/recommendations");
  EXPECT_EQ(evil["recommendations"][0]["assignments"][0]["owner"], "Robert'); DROP TABLE owners;--");
  // Everything is still there.
  EXPECT_EQ(GetJson("/api/v1/sources?limit=500")["sources"].size(), 33u);
}

TEST_F(ApiTest, StrongEtagsAnd304) {
  auto r = Get("/api/v1/sources/harris-2016?as_of=2017-10-25");
  ASSERT_EQ(r.status, 200);
  std::string etag = r.Header("ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_NE(etag.substr(0, 2), "W/");
  auto again = Get("/api/v1/sources/harris-2016?as_of=2017-10-25", "If-None-Match: " + etag + "\r\n");
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  auto other = Get("/api/v1/sources/harris-2016?as_of=2016-10-28", "If-None-Match: " + etag + "\r\n");
  EXPECT_EQ(other.status, 200);
}

TEST_F(ApiTest, ErrorsAreProblemJson) {
  auto r = Get("/api/v1/sources/no-such-source");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  auto j = json::parse(r.body);
  EXPECT_EQ(j["status"], 404);
  EXPECT_TRUE(j.contains("title"));
  EXPECT_TRUE(j.contains("type"));
  auto bad_date = Get("/api/v1/sources/harris-2016?as_of=2017-02-30");
  EXPECT_EQ(bad_date.status, 400);
  EXPECT_EQ(bad_date.Header("Content-Type"), "application/problem+json");
}

// Issue 10: one request naming a stranger's host cannot put it into a
// download that is cached for every later reader.
TEST_F(ApiTest, DownloadsLinkToThePublicUrlWhateverTheHostSays) {
  const std::string target = "/api/v1/owners?source=harris-2016&format=csv";
  Client evil(port_);
  ASSERT_TRUE(evil.Send("GET " + target + " HTTP/1.1\r\nHost: evil.example\r\n\r\n"));
  auto refused = evil.Read();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_EQ(refused->body.find("evil.example"), std::string::npos) << "not echoed";
  for (const char* host : {"localhost:1234", "127.0.0.1", "tracker.example.org"}) {
    Client c(port_);
    ASSERT_TRUE(c.Send("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r) << host;
    EXPECT_EQ(r->status, 200) << host;
    EXPECT_NE(r->body.find(",https://tracker.example.org/owners/"), std::string::npos) << host;
    EXPECT_EQ(r->body.find("localhost"), std::string::npos) << host;
    EXPECT_EQ(r->body.find("127.0.0.1"), std::string::npos) << host;
  }
  // HTTP/1.1 without Host.
  Client none(port_);
  ASSERT_TRUE(none.Send("GET " + target + " HTTP/1.1\r\n\r\n"));
  auto r = none.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

// Issue 10: bytes that are not UTF-8 in a query are a 400 naming the
// parameter, on every route (the JSON library used to answer 500).
TEST_F(ApiTest, QueriesThatAreNotUtf8GetA400NamingTheParameter) {
  for (auto [target, name] : {std::pair{"/api/v1/search?q=%ff%fe", "q"},
                              {"/api/v1/sources?theme=%ff", "theme"},
                              {"/api/v1/owners?kind=%ff", "kind"},
                              {"/sources?area=%ff", "area"},
                              {"/search?q=%e2%82", "q"}}) {
    auto r = Get(target);
    EXPECT_EQ(r.status, 400) << target << "\n" << r.body;
    EXPECT_EQ(r.Header("Content-Type"), "application/problem+json") << target;
    EXPECT_NE(r.body.find(fmt::format("The query parameter '{}' is not valid UTF-8", name)),
              std::string::npos)
        << target << "\n" << r.body;
  }
}

TEST_F(ApiTest, DownloadsInCsvAndXlsxAreComplete) {
  auto csv = Get("/api/v1/sources/harris-2016/recommendations?format=csv&as_of=2017-10-25&limit=3");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.Header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_NE(csv.Header("Content-Disposition").find("attachment"), std::string::npos);
  // One row per assignment (23) plus the header, whatever the page size.
  size_t lines = 0;
  bool in_quotes = false;
  for (char c : csv.body) {
    if (c == '"') in_quotes = !in_quotes;
    if (c == '\n' && !in_quotes) ++lines;
  }
  EXPECT_EQ(lines, 24u);
  EXPECT_NE(csv.body.find("https://tracker.example.org/recommendations/"), std::string::npos);
  auto filtered = Get("/api/v1/sources/harris-2016/recommendations?format=csv&owner=DCLG");
  EXPECT_EQ(std::count(filtered.body.begin(), filtered.body.end(), '\n'), 3);
  auto xlsx = Get("/api/v1/owners?source=harris-2016&format=xlsx");
  ASSERT_EQ(xlsx.status, 200);
  EXPECT_EQ(xlsx.body.substr(0, 2), "PK");  // a zip container
  auto accept = Get("/api/v1/owners?source=harris-2016", "Accept: text/csv\r\n");
  EXPECT_EQ(accept.body.substr(0, 16), "owner,tier,total");
  EXPECT_EQ(Get("/api/v1/sources/harris-2016?format=csv").status, 400);
}

TEST_F(ApiTest, EveryListDownloads) {
  // The sources list: complete whatever the page size (33 sources + header).
  auto sources = Get("/api/v1/sources?format=csv&limit=5");
  ASSERT_EQ(sources.status, 200);
  EXPECT_EQ(std::count(sources.body.begin(), sources.body.end(), '\n'), 34);
  // One owner's assignments, and search results.
  auto owner = Get("/api/v1/owners/1?format=csv&as_of=2017-10-25");
  ASSERT_EQ(owner.status, 200);
  EXPECT_EQ(owner.body.substr(0, 30), "owner,source,ref,text,response");
  auto search = Get("/api/v1/search?q=mental&format=xlsx");
  ASSERT_EQ(search.status, 200);
  EXPECT_EQ(search.body.substr(0, 2), "PK");
  // Client page sizes are bounded; downloads are not.
  EXPECT_EQ(Get("/api/v1/sources?limit=501").status, 400);
  EXPECT_EQ(Get("/api/v1/sources?limit=0").status, 400);
}

TEST_F(ApiTest, OpenApiDescribesEveryRoute) {
  auto doc = GetJson("/api/openapi.json");
  EXPECT_EQ(doc["openapi"], "3.1.0");
  for (const char* path :
       {"/api/v1/sources", "/api/v1/sources/{slug}", "/api/v1/sources/{slug}/recommendations",
        "/api/v1/recommendations/{id}", "/api/v1/owners", "/api/v1/owners/{id}",
        "/api/v1/search", "/api/v1/publications/{id}"})
    EXPECT_TRUE(doc["paths"].contains(path)) << path;
  // Every required property of each response schema is in the real response.
  auto check = [&](const std::string& schema, const json& body) {
    for (const auto& field : doc["components"]["schemas"][schema]["required"])
      EXPECT_TRUE(body.contains(field.get<std::string>())) << schema << "." << field;
  };
  check("Sources", GetJson("/api/v1/sources"));
  check("Source", GetJson("/api/v1/sources/harris-2016"));
  check("Recommendations", GetJson("/api/v1/sources/harris-2016/recommendations"));
  check("Owners", GetJson("/api/v1/owners"));
  check("Search", GetJson("/api/v1/search?q=mental"));
  check("Publication", GetJson("/api/v1/publications/1"));
}

TEST_F(ApiTest, UnknownAddressesAreHtmlForPeopleAndProblemsForApiClients) {
  auto page = Get("/no/such/page");
  EXPECT_EQ(page.status, 404);
  EXPECT_NE(page.Header("Content-Type").find("text/html"), std::string::npos);
  auto api = Get("/api/v1/no-such-thing");
  EXPECT_EQ(api.status, 404);
  EXPECT_EQ(api.Header("Content-Type"), "application/problem+json");
  EXPECT_EQ(Get("/sources/harris-2016").status, 200);  // real routes still win
}

TEST_F(ApiTest, HealthAndMetrics) {
  auto h = GetJson("/healthz");
  EXPECT_EQ(h["status"], "ok");
  EXPECT_GT(h["ledger_seq"].get<int>(), 0);
  auto m = Get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("rectrack_document_cache_bytes"), std::string::npos);
  EXPECT_NE(m.body.find("# TYPE"), std::string::npos);
}

}  // namespace
}  // namespace rectrack::web
