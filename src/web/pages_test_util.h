#pragma once
// Test-only: a real SQLite store loaded with the Harris example, the PFD sample
// and a source whose texts try to inject markup; a router with the pages and
// the read API over it; and small HTML/XML checks.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "app/service.h"
#include "ingest/json_format.h"
#include "ingest/presets.h"
#include "testing/test_store.h"
#include "web/api.h"
#include "web/context.h"
#include "web/http.h"
#include "web/pages.h"

namespace rectrack::web::testing_util {

inline const std::filesystem::path kRepo =
    std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();

inline std::string ReadFileOrDie(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline Date D(std::string_view iso) {
  auto d = Date::ParseIso(iso);
  if (!d) throw std::runtime_error("bad test date");
  return *d;
}

// "Today" in every test: after the Harris update, long after the PFD data's
// date, so PFD responses are overdue by a known number of days.
inline const Date kToday = D("2024-06-01");

inline constexpr char kScript[] = "<script>alert('x')</script>";

// A source whose every text is hostile, with one validated update (two pieces
// of evidence: a web link and a javascript: one) and one submitted, unvalidated
// update that the public must never see.
inline ImportBatch HostileBatch() {
  ImportBatch b;
  ImportBatch::SourceIn s;
  s.source.slug = "hostile-2020";
  s.source.kind = "inquiry";
  s.source.title = "Inquiry into <b>markup</b> & \"quotes\"";
  s.source.author = "Ms <i>Author</i>";
  s.source.date = D("2020-01-01");
  s.source.vocabulary = "canonical";
  ImportBatch::RecommendationIn r;
  r.recommendation.ref = "X1";
  r.recommendation.text = std::string(kScript) + " Fix the [locks] & bolts";
  r.recommendation.made = D("2020-01-01");
  ImportBatch::AssignmentIn a;
  a.owner = "Home Office";
  a.assignment.due = D("2020-03-01");
  Update v;
  v.date = D("2020-06-01");
  v.implementation = Implementation::kInProgress;
  v.narrative = "<img src=x onerror=alert(1)> work has begun";
  v.evidence = {"https://example.org/report?a=1&b=2", "javascript:alert(1)"};
  v.author = "editor:<em>bob</em>";
  v.state = UpdateState::kValidated;
  Update draft;
  draft.date = D("2020-07-01");
  draft.narrative = "SECRET-DRAFT";
  draft.implementation = Implementation::kImplemented;
  draft.state = UpdateState::kSubmitted;
  a.updates = {v, draft};
  r.assignments = {a};
  s.recommendations = {r};
  b.sources = {s};
  return b;
}

// The store every test reads, built once.
class SiteStore {
 public:
  static SiteStore& Get() {
    static SiteStore* store = new SiteStore();  // lives for the whole run
    return *store;
  }
  const std::string& path() const { return path_; }
  Store& store() { return *store_; }

 private:
  SiteStore() {
    path_ = dir_.File("site.db");
    auto s = rectrack::testing_util::OpenTestStore(path_);
    if (!s) throw std::runtime_error(s.error().message);
    store_ = std::move(*s);
    const Actor actor{"test:loader"};
    auto harris = ReadNativeJson(ReadFileOrDie(kRepo / "examples/harris/harris-2016.json"),
                                 "harris-2016.json");
    if (!harris) throw std::runtime_error(harris.error().message);
    Check(ImportWithPublications(*store_, *harris, actor, "harris-2016.json"));
    auto pfd =
        ImportPfd(ReadFileOrDie(kRepo / "tests/fixtures/pfd-sample.csv"), "pfd-sample.csv", {});
    if (!pfd) throw std::runtime_error(pfd.error().message);
    Check(ImportWithPublications(*store_, *pfd, actor, "pfd-sample.csv"));
    Check(ImportWithPublications(*store_, HostileBatch(), actor, "hostile"));
  }
  template <typename R>
  static void Check(const R& r) {
    if (!r) throw std::runtime_error(r.error().message);
  }
  rectrack::testing_util::TempDir dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
};

// The pages and the read API over the site store, as the server mounts them.
class Site {
 public:
  explicit Site(PagesOptions options = {})
      : provider_(rectrack::testing_util::StoreLocation(SiteStore::Get().path()),
                  rectrack::testing_util::StoreKeys(SiteStore::Get().path())),
        cache_(64 << 20) {
    ctx_.stores = &provider_;
    ctx_.cache = &cache_;
    ctx_.today = [] { return kToday; };
    RegisterPages(router_, ctx_, std::move(options));
    RegisterReadApi(router_, ctx_);
  }
  Response Get(const std::string& target) {
    Request req;
    req.method = "GET";
    req.target = target;
    size_t q = target.find('?');
    std::string raw_path = target.substr(0, q);
    if (!PercentDecode(raw_path, &req.path, false)) req.path = raw_path;
    if (q != std::string::npos) ParseQuery(std::string_view(target).substr(q + 1), &req.query);
    return Dispatch(req);
  }
  // The tests read `body`: a body shared with the cache is copied into it.
  Response Dispatch(Request& req) {
    Response r = router_.Dispatch(req);
    if (r.shared_body) r.body = *r.shared_body;
    return r;
  }
  DocumentCache& cache() { return cache_; }

 private:
  StoreProvider provider_;
  DocumentCache cache_;
  AppContext ctx_;
  Router router_;
};

inline int Occurrences(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// A small XML well-formedness check: one root, properly nested and closed
// elements, quoted attributes with no raw '<', only the five predefined or
// numeric entities, no raw '&'. Returns "" when well formed, else the problem.
inline std::string XmlProblem(const std::string& xml) {
  size_t i = 0;
  if (xml.rfind("<?xml", 0) == 0) {
    i = xml.find("?>");
    if (i == std::string::npos) return "unterminated XML declaration";
    i += 2;
  }
  std::vector<std::string> stack;
  int roots = 0;
  auto check_text = [](std::string_view t) -> std::string {
    for (size_t k = 0; k < t.size(); ++k) {
      if (t[k] == '<') return "raw < in text or attribute";
      if (t[k] != '&') continue;
      size_t semi = t.find(';', k);
      if (semi == std::string_view::npos) return "unterminated entity";
      std::string_view e = t.substr(k + 1, semi - k - 1);
      static const std::set<std::string_view> kNamed = {"amp", "lt", "gt", "quot", "apos"};
      bool numeric = e.size() > 1 && e[0] == '#';
      if (!kNamed.count(e) && !numeric) return "undefined entity &" + std::string(e) + ";";
      k = semi;
    }
    return "";
  };
  while (i < xml.size()) {
    size_t lt = xml.find('<', i);
    std::string text = xml.substr(i, lt == std::string::npos ? std::string::npos : lt - i);
    if (auto p = check_text(text); !p.empty()) return p;
    if (stack.empty() && text.find_first_not_of(" \t\r\n") != std::string::npos)
      return "text outside the root element";
    if (lt == std::string::npos) break;
    size_t gt = xml.find('>', lt);
    if (gt == std::string::npos) return "unterminated tag";
    std::string tag = xml.substr(lt + 1, gt - lt - 1);
    i = gt + 1;
    if (tag.empty()) return "empty tag";
    if (tag[0] == '/') {
      std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name) return "mismatched </" + name + ">";
      stack.pop_back();
      continue;
    }
    bool self_closing = tag.back() == '/';
    if (self_closing) tag.pop_back();
    size_t name_end = tag.find_first_of(" \t\r\n");
    std::string name = tag.substr(0, name_end);
    static const std::regex kName(R"([A-Za-z_][A-Za-z0-9_.:-]*)");
    if (!std::regex_match(name, kName)) return "bad element name '" + name + "'";
    // Attributes: name="value" pairs only.
    std::string rest = name_end == std::string::npos ? "" : tag.substr(name_end);
    static const std::regex kAttr(R"re(\s+([A-Za-z_][A-Za-z0-9_.:-]*)="([^"]*)")re");
    std::string leftover = std::regex_replace(rest, kAttr, "");
    if (leftover.find_first_not_of(" \t\r\n") != std::string::npos)
      return "bad attributes in <" + name + ">: " + leftover;
    for (std::sregex_iterator it(rest.begin(), rest.end(), kAttr), end; it != end; ++it)
      if (auto p = check_text((*it)[2].str()); !p.empty()) return p + " in an attribute";
    if (stack.empty() && ++roots > 1) return "more than one root element";
    if (!self_closing) stack.push_back(name);
  }
  if (!stack.empty()) return "unclosed <" + stack.back() + ">";
  if (roots != 1) return "no root element";
  return "";
}

// Every value of attribute `attr` in `html`, entities &amp; undone.
inline std::vector<std::string> AttrValues(const std::string& html, const std::string& attr) {
  std::vector<std::string> out;
  std::regex re("\\s" + attr + "=\"([^\"]*)\"");
  for (std::sregex_iterator it(html.begin(), html.end(), re), end; it != end; ++it) {
    std::string v = (*it)[1].str();
    for (size_t p; (p = v.find("&amp;")) != std::string::npos;) v.replace(p, 5, "&");
    out.push_back(v);
  }
  return out;
}

}  // namespace rectrack::web::testing_util
