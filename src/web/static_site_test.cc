// `export-site`: the static copy of the public site, and that every internal
// link in it leads to a file of the copy.
#include "web/static_site.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>
#include <string>

#include "app/service.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "report/report_render.h"
#include "web/pages_test_util.h"

namespace rectrack::web {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing_util::AttrValues;
using testing_util::kToday;
using testing_util::ReadFileOrDie;
using testing_util::SiteStore;
using testing_util::XmlProblem;

TEST(StaticTargetTest, MapsAddressesToFiles) {
  auto t = [](std::string_view url) {
    auto r = StaticTargetFor(url);
    return r ? r->file + " <- " + r->fetch : std::string("none");
  };
  EXPECT_EQ(t("/"), "index.html <- /");
  EXPECT_EQ(t("/?as_of=2017-01-01"), "index.html <- /");
  EXPECT_EQ(t("/sources"), "sources/index.html <- /sources");
  EXPECT_EQ(t("/sources/harris-2016"), "sources/harris-2016/index.html <- /sources/harris-2016");
  EXPECT_EQ(t("/sources/harris-2016#recommendations"),
            "sources/harris-2016/index.html <- /sources/harris-2016");
  EXPECT_EQ(t("/sources?kind=pfd&after=r50"),
            "sources/_kind-pfd/_after-r50/index.html <- /sources?kind=pfd&after=r50");
  EXPECT_EQ(t("/static/rectrack.css?v=0123456789"), "static/rectrack.css <- /static/rectrack.css");
  EXPECT_EQ(t("/feeds/sources/harris-2016.atom"),
            "feeds/sources/harris-2016.atom <- /feeds/sources/harris-2016.atom");
  EXPECT_EQ(t("/publications/2.md"), "publications/2.md <- /publications/2.md");
  EXPECT_EQ(t("/publications/2"), "publications/2/index.html <- /publications/2");
  EXPECT_EQ(t("/api/v1/sources/harris-2016"),
            "api/v1/sources/harris-2016.json <- /api/v1/sources/harris-2016?format=json");
  EXPECT_EQ(t("/api/v1/sources/harris-2016/recommendations?format=csv"),
            "api/v1/sources/harris-2016/recommendations.csv <- "
            "/api/v1/sources/harris-2016/recommendations?format=csv");
  EXPECT_EQ(t("/api/v1/sources/harris-2016/recommendations?format=json&limit=500"),
            "api/v1/sources/harris-2016/recommendations.json <- "
            "/api/v1/sources/harris-2016/recommendations?format=json&limit=500");
  EXPECT_EQ(t("/api/v1/sources/harris-2016/recommendations"),
            "api/v1/sources/harris-2016/recommendations.json <- "
            "/api/v1/sources/harris-2016/recommendations?format=json&limit=500");
  // What a static copy cannot hold.
  EXPECT_EQ(t("/api/v1/sources/x/recommendations?owner=Home%20Office"), "none");
  EXPECT_EQ(t("/api/v1/assignments/3/updates"), "none");
  EXPECT_EQ(t("/sources/../etc"), "none");
  EXPECT_EQ(t("/sources?kind=a%2Fb"), "none");
  EXPECT_EQ(t("//evil.example/x"), "none");
  EXPECT_EQ(t("https://example.org/"), "none");
}

TEST(StaticTargetTest, RelativeUrls) {
  EXPECT_EQ(RelativeUrl("index.html", "sources/index.html"), "sources/index.html");
  EXPECT_EQ(RelativeUrl("sources/harris-2016/index.html", "recommendations/5/index.html"),
            "../../recommendations/5/index.html");
  EXPECT_EQ(RelativeUrl("sources/harris-2016/index.html", "sources/harris-2016/index.html"),
            "index.html");
  EXPECT_EQ(RelativeUrl("sources/a/index.html", "sources/b/index.html"), "../b/index.html");
  EXPECT_EQ(RelativeUrl("api/v1/sources/x.json", "sources/x/index.html"),
            "../../../sources/x/index.html");
  EXPECT_EQ(RelativeUrl("a/index.html", "static/x y.css"), "../static/x%20y.css");
}

// The file a relative link in `from` points to, or "" if it leaves the copy.
std::string Resolve(const fs::path& root, const fs::path& from, std::string link) {
  if (size_t hash = link.find('#'); hash != std::string::npos) link.resize(hash);
  std::string decoded;
  if (!PercentDecode(link, &decoded, false)) return "";
  fs::path target = (from.parent_path() / decoded).lexically_normal();
  auto rel = target.lexically_relative(root);
  if (rel.empty() || rel.string().rfind("..", 0) == 0) return "";
  return target.string();
}

class ExportSiteTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new rectrack::testing_util::TempDir();
    auto summary = ExportSite(::rectrack::testing_util::StoreLocation(SiteStore::Get().path()), (dir_->path() / "site").string(), kToday);
    ASSERT_TRUE(summary) << summary.error().message;
    summary_ = *summary;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path Root() { return dir_->path() / "site"; }

  static rectrack::testing_util::TempDir* dir_;
  static ExportSummary summary_;
};
rectrack::testing_util::TempDir* ExportSiteTest::dir_ = nullptr;
ExportSummary ExportSiteTest::summary_;

int64_t RecId(const std::string& slug, const std::string& ref) {
  auto v = SiteStore::Get().store().GetRecommendation(slug, ref);
  if (!v) throw std::runtime_error(v.error().message);
  return v->recommendation.id;
}

TEST_F(ExportSiteTest, WritesEveryPageTypeAndTheDataBehindIt) {
  const std::vector<std::string> files = {
      "index.html",
      "sources/index.html",
      "sources/_kind-pfd/index.html",
      "sources/harris-2016/index.html",
      "sources/hostile-2020/index.html",
      fmt::format("recommendations/{}/index.html", RecId("harris-2016", "G1")),
      fmt::format("recommendations/{}/index.html", RecId("hostile-2020", "X1")),
      "owners/index.html",
      "non-responses/index.html",
      "feeds/non-responses.atom",
      "api/v1/non-responses.csv",
      "api/v1/non-responses.xlsx",
      "api/v1/non-responses.json",
      "publications/1/index.html",
      "publications/2/index.html",
      "publications/2.md",
      "publications/2.html",
      "publications/2.json",
      "feeds/sources/harris-2016.atom",
      "static/rectrack.css",
      "api/v1/sources/harris-2016.json",
      "api/v1/sources/harris-2016/recommendations.json",
      "api/v1/sources/harris-2016/recommendations.csv",
      "api/v1/sources/harris-2016/recommendations.xlsx",
      fmt::format("api/v1/recommendations/{}.json", RecId("harris-2016", "G1")),
      "api/v1/owners.json",
      "api/v1/owners.csv",
      "api/v1/publications/2.json",
  };
  for (const auto& f : files) EXPECT_TRUE(fs::is_regular_file(Root() / f)) << f;
  EXPECT_GT(summary_.files, 150);
  // Every PFD report has its page, reached through the kind's list.
  int pfd_pages = 0;
  for (const auto& e : fs::directory_iterator(Root() / "sources"))
    if (e.path().filename().string().rfind("pfd-", 0) == 0) ++pfd_pages;
  EXPECT_EQ(pfd_pages, 31);
  // The publication's Markdown is the command line's, byte for byte.
  auto data = PublishedReport(SiteStore::Get().store(), 2);
  ASSERT_TRUE(data);
  EXPECT_EQ(ReadFileOrDie(Root() / "publications/2.md"),
            RenderReport(*data, ReportFormat::kMarkdown));
  // The JSON list is whole.
  json list =
      json::parse(ReadFileOrDie(Root() / "api/v1/sources/harris-2016/recommendations.json"));
  EXPECT_EQ(list["recommendations"].size(), 21u);
}

TEST_F(ExportSiteTest, PagesNeedNoServer) {
  std::string source = ReadFileOrDie(Root() / "sources/harris-2016/index.html");
  EXPECT_EQ(source.find("<form"), std::string::npos);
  EXPECT_EQ(source.find("Sign in"), std::string::npos);
  EXPECT_NE(source.find("7 of 21 recommendations implemented"), std::string::npos);
  EXPECT_NE(source.find("href=\"../../static/rectrack.css\""), std::string::npos);
  EXPECT_NE(source.find("href=\"../../api/v1/sources/harris-2016/recommendations.csv\""),
            std::string::npos);
  std::string home = ReadFileOrDie(Root() / "index.html");
  EXPECT_NE(home.find("href=\"sources/_kind-pfd/index.html\""), std::string::npos);
  EXPECT_EQ(home.find(">Search<"), std::string::npos);
}

TEST_F(ExportSiteTest, EveryInternalLinkLeadsToAFileOfTheCopy) {
  int checked = 0;
  for (const auto& e : fs::recursive_directory_iterator(Root())) {
    if (!e.is_regular_file()) continue;
    const fs::path& file = e.path();
    std::string ext = file.extension().string();
    std::vector<std::string> links;
    if (ext == ".html" || ext == ".atom") {
      std::string body = ReadFileOrDie(file);
      if (file.filename() == "2.html") continue;  // the publication as published: no links of ours
      for (const char* attr : {"href", "src", "action"})
        for (const auto& v : AttrValues(body, attr)) links.push_back(v);
      if (ext == ".atom") {
        EXPECT_EQ(XmlProblem(body), "") << file;
      }
    } else if (ext == ".json" && file.string().find("/api/v1/") != std::string::npos) {
      std::function<void(const json&)> walk = [&](const json& v) {
        if (v.is_object()) {
          for (auto it = v.begin(); it != v.end(); ++it) {
            if (it.key() == "links" && it.value().is_object()) {
              for (const auto& l : it.value())
                if (l.is_string()) links.push_back(l.get<std::string>());
            } else {
              walk(it.value());
            }
          }
        } else if (v.is_array()) {
          for (const auto& x : v) walk(x);
        }
      };
      walk(json::parse(ReadFileOrDie(file)));
    }
    for (const auto& link : links) {
      if (link.rfind("http://", 0) == 0 || link.rfind("https://", 0) == 0 || link[0] == '#' ||
          link.rfind("mailto:", 0) == 0)
        continue;
      SCOPED_TRACE(file.string() + " -> " + link);
      EXPECT_NE(link[0], '/') << "links in the copy are relative";
      std::string target = Resolve(Root(), file, link);
      ASSERT_FALSE(target.empty()) << "leaves the copy";
      EXPECT_TRUE(fs::is_regular_file(target)) << "no such file " << target;
      ++checked;
    }
  }
  EXPECT_GT(checked, 1000);
}

}  // namespace
}  // namespace rectrack::web
