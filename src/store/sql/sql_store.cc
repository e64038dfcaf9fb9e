// The SQL store (sql_store.h): opening a store, transactions, and the reads.
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <limits>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>

#include "core/text.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "store/keyfile.h"
#include "store/sql/sql_auth.h"
#include "store/sql/sql_store.h"
#include "store/store.h"

namespace rectrack {
namespace sql {
namespace {
// Enum names <-> values without the normalising parsers (hot path on 1M rows).
template <typename E, size_t N>
class EnumNames {
 public:
  explicit EnumNames(const E (&all)[N]) {
    for (size_t i = 0; i < N; ++i) names_[i] = {Name(all[i]), all[i]};
  }
  // A few short names: comparing them beats hashing (twice per assignment read).
  std::optional<E> Get(std::string_view s) const {
    for (const auto& [name, e] : names_)
      if (name == s) return e;
    return std::nullopt;
  }

 private:
  std::array<std::pair<std::string_view, E>, N> names_;
};

const auto& ResponseNames() {
  static const EnumNames<ResponseKind, 7> n(kAllResponseKinds);
  return n;
}
const auto& StatusNames() {
  static const EnumNames<ResponseStatus, 4> n(kAllResponseStatuses);
  return n;
}
const auto& ImplNames() {
  static const EnumNames<Implementation, 7> n(kAllImplementations);
  return n;
}

}  // namespace

std::string NowUtc() { return UtcTimestamp(UnixMillisNow()); }

std::string JsonList(const std::vector<std::string>& v) {
  if (v.empty()) return "[]";
  return json(v).dump();
}

std::vector<std::string> ParseList(std::string_view s) {
  if (s.empty() || s == "[]") return {};
  auto j = json::parse(s, nullptr, false);
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& x : j)
      if (x.is_string()) out.push_back(x.get<std::string>());
  return out;
}

std::string_view MatchedField(const std::string& text_snippet,
                              const std::string& responses_snippet) {
  bool in_text = text_snippet.find('\x01') != std::string::npos;
  return in_text || responses_snippet.find('\x01') == std::string::npos ? "text" : "response";
}

void BracketMarks(std::string* snippet) {
  for (char& c : *snippet) {
    if (c == '\x01') c = '[';
    else if (c == '\x02') c = ']';
  }
}

Update ReadUpdate(const Statement* s) {
  Update u;
  u.id = s->Int(0);
  u.assignment_id = s->Int(1);
  if (auto d = s->OptDate(2)) u.date = *d;
  if (!s->IsNull(3)) u.response = ResponseNames().Get(s->Text(3));
  u.response_text = s->Str(4);
  if (!s->IsNull(5)) u.response_status = StatusNames().Get(s->Text(5));
  if (!s->IsNull(6)) u.implementation = ImplNames().Get(s->Text(6));
  u.narrative = s->Str(7);
  u.evidence = ParseList(s->Text(8));
  u.author = s->Str(9);
  return u;
}

// Columns 0..8 of a publications row: id, source_id, title, as_of, ledger_seq,
// ledger_hash, created_at, snapshot, snapshot_sha256.
static Publication ReadPublication(const Statement* s) {
  Publication p;
  p.id = s->Int(0);
  p.source_id = s->Int(1);
  p.title = s->Str(2);
  if (auto d = s->OptDate(3)) p.as_of = *d;
  p.ledger_seq = s->Int(4);
  p.ledger_hash = s->Str(5);
  p.created_at = s->Str(6);
  p.snapshot_json = s->Str(7);
  p.snapshot_sha256 = s->Str(8);
  return p;
}

constexpr char kSourceCols[] =
    "id, slug, kind, title, author, commissioned_by, date, url, response_days, recorded_on, "
    "stated_total, notes, vocabulary";

Result<Source> SqlStore::ReadSource(Statement* s) {
  Source src;
  src.id = s->Int(0);
  src.slug = s->Str(1);
  src.kind = s->Str(2);
  src.title = s->Str(3);
  src.author = s->Str(4);
  src.commissioned_by = s->Str(5);
  src.date = s->OptDate(6);
  src.url = s->Str(7);
  src.response_days = s->OptInt(8);
  src.recorded_on = s->OptDate(9);
  src.stated_total = s->OptInt(10);
  src.notes = s->Str(11);
  src.vocabulary = s->Str(12);
  return src;
}

Result<int64_t> SqlStore::ResolveOwner(const std::string& name) {
  if (!owner_cache_loaded_) {
    owner_cache_.clear();
    auto st = db_->Prepare("SELECT name, id FROM owners");
    if (!st) return Fail(st.error());
    while (true) {
      auto r = (*st)->Step();
      if (!r) return Fail(r.error());
      if (!*r) break;
      owner_cache_[(*st)->Str(0)] = (*st)->Int(1);
    }
    auto al = db_->Prepare("SELECT alias, owner_id FROM owner_aliases");
    if (!al) return Fail(al.error());
    while (true) {
      auto r = (*al)->Step();
      if (!r) return Fail(r.error());
      if (!*r) break;
      owner_cache_[(*al)->Str(0)] = (*al)->Int(1);
    }
    owner_cache_loaded_ = true;
  }
  auto it = owner_cache_.find(name);
  return it == owner_cache_.end() ? 0 : it->second;
}


// ---- reads -----------------------------------------------------------------

Result<std::vector<Source>> SqlStore::ListSources() {
  auto st = db_->Prepare(fmt::format("SELECT {} FROM sources ORDER BY slug", kSourceCols));
  if (!st) return Fail(st.error());
  std::vector<Source> out;
  while (true) {
    auto r = (*st)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    auto s = ReadSource(*st);
    if (!s) return Fail(s.error());
    out.push_back(std::move(*s));
  }
  return out;
}

Result<Source> SqlStore::GetSource(const std::string& slug) {
  auto st = db_->Prepare(fmt::format("SELECT {} FROM sources WHERE slug = ?", kSourceCols));
  if (!st) return Fail(st.error());
  (*st)->Bind(1, slug);
  auto r = (*st)->Step();
  if (!r) return Fail(r.error());
  if (!*r) return Fail(Error::NotFound(fmt::format("no source '{}'", slug)));
  auto s = ReadSource(*st);
  (*st)->Reset();
  return s;
}

Result<std::vector<Owner>> SqlStore::ListOwners() {
  auto st = db_->Prepare("SELECT id, name, tier FROM owners ORDER BY name");
  if (!st) return Fail(st.error());
  std::vector<Owner> out;
  std::unordered_map<int64_t, size_t> index;
  while (true) {
    auto r = (*st)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    Owner o;
    o.id = (*st)->Int(0);
    o.name = (*st)->Str(1);
    o.tier = (*st)->Str(2);
    index[o.id] = out.size();
    out.push_back(std::move(o));
  }
  auto al = db_->Prepare("SELECT alias, owner_id FROM owner_aliases ORDER BY alias");
  if (!al) return Fail(al.error());
  while (true) {
    auto r = (*al)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    auto it = index.find((*al)->Int(1));
    if (it != index.end()) out[it->second].aliases.push_back((*al)->Str(0));
  }
  return out;
}

// Which texts a read takes (FactsFilter::with_text, recommendation_text_only):
// none, the recommendation's own text (all a report prints), or all of them.
enum class Texts { kNone, kRecommendation, kAll };
static Texts TextsOf(const FactsFilter& f) {
  if (!f.with_text) return Texts::kNone;
  return f.recommendation_text_only ? Texts::kRecommendation : Texts::kAll;
}

// LoadFacts' assignment columns: the texts last, and only when asked for. The
// target is looked up row by row, or left NULL for the caller to read them
// from assignment_targets by range (ScanRecommendations: few have one).
static std::string AssignmentColumns(Texts texts, bool with_target = true) {
  return fmt::format(
      "a.id, a.recommendation_id, a.owner_id, a.due, a.response, a.response_date, a.status, "
      "a.implementation, {}{}",
      with_target ? "(SELECT t.target FROM assignment_targets t WHERE t.assignment_id = a.id)"
                  : "NULL",
      texts == Texts::kAll ? ", a.response_text, a.raw_status, a.raw_response" : "");
}

// A row of RecommendationColumns(texts).
static std::string RecommendationColumns(Texts texts) {
  return fmt::format("r.id, r.source_id, r.ref, r.made, r.target{}",
                     texts == Texts::kAll              ? ", r.text, r.made_by, r.url, r.themes"
                     : texts == Texts::kRecommendation ? ", r.text"
                                                       : "");
}

// Every field is set (a text not read is emptied), so that a scan can read
// into the objects of an earlier part and reuse their strings' memory.
static void ReadRecommendation(Statement* s, Texts texts, Recommendation* x) {
  x->id = s->Int(0);
  x->source_id = s->Int(1);
  x->ref = s->Text(2);
  x->made = s->OptDate(3);
  x->target = s->OptDate(4);
  if (texts != Texts::kNone) x->text = s->Text(5);
  else x->text.clear();
  if (texts == Texts::kAll) {
    x->made_by = s->Text(6);
    x->url = s->Text(7);
    x->themes = ParseList(s->Text(8));
  } else {
    x->made_by.clear();
    x->url.clear();
    x->themes.clear();
  }
}

static void ReadAssignment(Statement* s, Texts texts, Assignment* a) {
  a->id = s->Int(0);
  a->recommendation_id = s->Int(1);
  a->owner_id = s->Int(2);
  a->due = s->OptDate(3);
  a->initial.response = ResponseNames().Get(s->Text(4)).value_or(ResponseKind::kNone);
  a->initial.response_date = s->OptDate(5);
  a->initial.recorded_status = StatusNames().Get(s->Text(6)).value_or(ResponseStatus::kPending);
  a->initial.implementation = ImplNames().Get(s->Text(7)).value_or(Implementation::kNotStarted);
  a->target = s->OptDate(8);
  if (texts == Texts::kAll) {
    a->initial.response_text = s->Text(9);
    a->raw_status = s->Text(10);
    a->raw_response = s->Text(11);
  } else {
    a->initial.response_text.clear();
    a->raw_status.clear();
    a->raw_response.clear();
  }
}

// One number from `sql`: `key` bound first when given, then `n` (a LIMIT)
// when given; 0 for no row or NULL.
static Result<int64_t> ScalarOf(Connection& db, const std::string& sql, const std::string* key,
                                std::optional<int64_t> n = std::nullopt) {
  auto st = db.Prepare(sql);
  if (!st) return Fail(st.error());
  int at = 1;
  if (key) (*st)->Bind(at++, *key);
  if (n) (*st)->Bind(at, *n);
  auto row = (*st)->Step();
  if (!row) return Fail(row.error());
  int64_t v = *row ? (*st)->Int(0) : 0;
  if (*row) (*st)->Reset();
  return v;
}

Result<Facts> SqlStore::LoadFacts(const FactsFilter& filter) {
  Facts f;
  std::string where = "1 = 1";
  if (!filter.source_slug.empty()) where = "s.slug = ?1";
  else if (!filter.source_kind.empty()) where = "s.kind = ?1";
  const std::string key = !filter.source_slug.empty() ? filter.source_slug : filter.source_kind;
  bool bind = !filter.source_slug.empty() || !filter.source_kind.empty();
  // ScalarOf, with the selection's key when `with_key`.
  auto scalar = [&](const std::string& sql, bool with_key,
                    std::optional<int64_t> n = std::nullopt) {
    return ScalarOf(*db_, sql, with_key ? &key : nullptr, n);
  };

  auto src = db_->Prepare(fmt::format("SELECT {} FROM sources s WHERE {} ORDER BY s.id",
                                      "s.id, s.slug, s.kind, s.title, s.author, "
                                      "s.commissioned_by, s.date, s.url, s.response_days, "
                                      "s.recorded_on, s.stated_total, s.notes, s.vocabulary",
                                      where));
  if (!src) return Fail(src.error());
  if (bind) (*src)->Bind(1, key);
  while (true) {
    auto r = (*src)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    auto s = ReadSource(*src);
    if (!s) return Fail(s.error());
    f.sources.push_back(std::move(*s));
  }
  if (bind && f.sources.empty()) {
    if (!filter.source_slug.empty())
      return Fail(Error::NotFound(fmt::format("no source '{}'", filter.source_slug)));
    return f;
  }

  if (filter.recommendations) {
    // Recommendations and assignments. The indexes find a small part of a big
    // store quickly, but read most or all of it in index order (with a sort, and
    // a lookup per row); then the tables are read in their own order instead,
    // keeping the rows of the selected sources: the same rows, in the same order.
    std::vector<int64_t> source_ids;
    for (const auto& s : f.sources) source_ids.push_back(s.id);
    std::sort(source_ids.begin(), source_ids.end());
    int64_t selected = 0;  // recommendations of the selected sources
    int64_t largest_rec = 0;
    bool scan = true;
    if (bind) {
      // One query for all the selected sources (a kind may have thousands).
      auto n = scalar(fmt::format("SELECT count(*) FROM recommendations r JOIN sources s "
                                  "ON s.id = r.source_id WHERE {}",
                                  where),
                      true);
      if (!n) return Fail(n.error());
      selected = *n;
      auto largest = scalar("SELECT max(id) FROM recommendations", false);
      if (!largest) return Fail(largest.error());
      largest_rec = *largest;
      scan = selected * 4 >= largest_rec;
    } else {
      auto n = scalar("SELECT count(*) FROM recommendations", false);
      if (!n) return Fail(n.error());
      selected = *n;
    }
    f.recommendations.reserve(static_cast<size_t>(selected));
    const Texts with_text = TextsOf(filter);
    const std::string asg_cols = AssignmentColumns(with_text);

    // A big read of (nearly) the whole store outside a write transaction: all
    // assignments are read on a second connection, on a second thread, while
    // this one reads the recommendations (the two take about as long); those
    // of recommendations not kept are dropped after. In a read transaction the
    // second connection reads in its snapshot, or not at all (SiblingReader);
    // inside a write transaction only this connection sees its own writes.
    std::unique_ptr<Connection> sibling;
    if (scan && selected >= parallel_scan_from_ &&
        (!bind || selected * 10 >= largest_rec * 9))
      sibling = SiblingReader();
    const bool parallel = sibling != nullptr;
    std::vector<Assignment> assignments_elsewhere;
    Status read_elsewhere;
    std::thread reader;
    if (parallel) {
      reader = std::thread([&] {
        read_elsewhere = [&]() -> Status {
          auto st = sibling->PrepareScan(fmt::format("SELECT {} FROM assignments a ORDER BY a.id",
                                                     asg_cols));
          if (!st) return Fail(st.error());
          assignments_elsewhere.reserve(static_cast<size_t>(selected));
          while (true) {
            auto r = (*st)->Step();
            if (!r) return Fail(r.error());
            if (!*r) break;
            ReadAssignment(st->get(), with_text, &assignments_elsewhere.emplace_back());
          }
          return {};
        }();
      });
    } else {
      f.assignments.reserve(static_cast<size_t>(selected));  // usually one owner or few
    }

    // Columns the caller does not want are not even read.
    const std::string rec_cols = RecommendationColumns(with_text);
    // The second reader must be done before this returns, whatever happens.
    struct Joiner {
      std::thread& t;
      ~Joiner() {
        if (t.joinable()) t.join();
      }
    } joiner{reader};
    auto rec = db_->PrepareScan(
        scan ? fmt::format("SELECT {} FROM recommendations r ORDER BY r.id", rec_cols)
             : fmt::format("SELECT {} FROM recommendations r JOIN sources s ON s.id = r.source_id "
                           "WHERE {} ORDER BY r.id",
                           rec_cols, where));
    if (!rec) return Fail(rec.error());
    if (bind && !scan) (*rec)->Bind(1, key);
    while (true) {
      auto r = (*rec)->Step();
      if (!r) return Fail(r.error());
      if (!*r) break;
      Statement* s = rec->get();
      const int64_t source_id = s->Int(1);
      if (scan && !std::binary_search(source_ids.begin(), source_ids.end(), source_id)) continue;
      ReadRecommendation(s, with_text, &f.recommendations.emplace_back());
    }

    // Which recommendations were kept: a bitmap over their (ascending) ids.
    const int64_t first_rec = f.recommendations.empty() ? 0 : f.recommendations.front().id;
    std::vector<bool> kept;
    if (scan && !f.recommendations.empty()) {
      kept.assign(static_cast<size_t>(f.recommendations.back().id - first_rec + 1), false);
      for (const auto& r : f.recommendations) kept[static_cast<size_t>(r.id - first_rec)] = true;
    }
    auto is_kept = [&](int64_t rec_id) {
      return rec_id >= first_rec && rec_id - first_rec < static_cast<int64_t>(kept.size()) &&
             kept[static_cast<size_t>(rec_id - first_rec)];
    };
    if (parallel) {
      reader.join();
      if (!read_elsewhere) return Fail(read_elsewhere.error());
      f.assignments = std::move(assignments_elsewhere);
      std::erase_if(f.assignments, [&](const Assignment& a) { return !is_kept(a.recommendation_id); });
    } else {
      auto asg = db_->PrepareScan(
          scan ? fmt::format("SELECT {} FROM assignments a ORDER BY a.id", asg_cols)
               : fmt::format("SELECT {} FROM assignments a "
                             "JOIN recommendations r ON r.id = a.recommendation_id "
                             "JOIN sources s ON s.id = r.source_id WHERE {} ORDER BY a.id",
                             asg_cols, where));
      if (!asg) return Fail(asg.error());
      if (bind && !scan) (*asg)->Bind(1, key);
      while (true) {
        auto r = (*asg)->Step();
        if (!r) return Fail(r.error());
        if (!*r) break;
        if (scan && !is_kept((*asg)->Int(1))) continue;
        ReadAssignment(asg->get(), with_text, &f.assignments.emplace_back());
      }
    }
  }

  // The validated updates of the selected sources, found from whichever side
  // is smaller: the sources' recommendations down to their updates (a small
  // source in a big store), or every validated update up to its source (a big
  // source with few updates: a million recommendations with none took 0.3 s
  // the other way). Both give the same rows in the same order; CROSS JOIN
  // fixes SQLite's order of the tables (PostgreSQL plans it as an inner join).
  // The sides are counted only as far as the choice needs: a small source in
  // a store of many updates, or few updates beside a big source, costs at
  // most kFew index entries; only when both are big are both counted whole.
  bool from_updates = false;
  {
    const int64_t kFew = side_count_cap_;
    auto updates_upto = [&](int64_t limit) {
      return scalar("SELECT count(*) FROM (SELECT 1 FROM updates u "
                    "WHERE u.state = 'validated' LIMIT ?1) x",
                    false, limit);
    };
    auto recs_upto = [&](int64_t limit) {
      return scalar(fmt::format("SELECT count(*) FROM (SELECT 1 FROM recommendations r "
                                "JOIN sources s ON s.id = r.source_id WHERE {} LIMIT ?{}) x",
                                where, bind ? 2 : 1),
                    bind, limit);
    };
    auto updates = updates_upto(kFew + 1);
    if (!updates) return Fail(updates.error());
    auto recs = recs_upto(std::min(*updates, kFew) + 1);
    if (!recs) return Fail(recs.error());
    if (*updates <= kFew || *recs <= kFew) {
      from_updates = *recs > *updates;
    } else {
      const int64_t all = std::numeric_limits<int64_t>::max();
      updates = updates_upto(all);
      if (!updates) return Fail(updates.error());
      recs = recs_upto(all);
      if (!recs) return Fail(recs.error());
      from_updates = *recs > *updates;
    }
  }
  auto upd = db_->PrepareScan(fmt::format(
      "SELECT u.id, u.assignment_id, u.date, u.response, u.response_text, u.response_status, "
      "u.implementation, u.narrative, u.evidence, u.author FROM {} "
      "WHERE {} AND u.state = 'validated' ORDER BY u.assignment_id, u.date, u.id",
      from_updates ? "updates u CROSS JOIN assignments a CROSS JOIN recommendations r "
                     "CROSS JOIN sources s"
                   : "updates u JOIN assignments a ON a.id = u.assignment_id JOIN recommendations "
                     "r ON r.id = a.recommendation_id JOIN sources s ON s.id = r.source_id",
      from_updates ? "a.id = u.assignment_id AND r.id = a.recommendation_id AND "
                     "s.id = r.source_id AND " + where
                   : where));
  if (!upd) return Fail(upd.error());
  if (bind) (*upd)->Bind(1, key);
  while (true) {
    auto r = (*upd)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    Update u = ReadUpdate(upd->get());
    u.state = UpdateState::kValidated;
    f.updates.push_back(std::move(u));
  }

  auto owners = ListOwners();
  if (!owners) return Fail(owners.error());
  f.owners = std::move(*owners);

  auto fund = db_->PrepareScan(fmt::format(
      "SELECT f.id, f.source_id, f.owner_id, f.item, f.period, f.cost, f.funded, f.currency, "
      "f.note FROM funding f JOIN sources s ON s.id = f.source_id WHERE {} ORDER BY f.id",
      where));
  if (!fund) return Fail(fund.error());
  if (bind) (*fund)->Bind(1, key);
  while (true) {
    auto r = (*fund)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    Statement* s = fund->get();
    FundingLine l;
    l.id = s->Int(0);
    l.source_id = s->Int(1);
    l.owner_id = s->Int(2);
    l.item = s->Str(3);
    l.period = s->Str(4);
    l.cost = s->Int(5);
    l.funded = s->Int(6);
    l.currency = s->Str(7);
    l.note = s->Str(8);
    f.funding.push_back(std::move(l));
  }

  if (filter.with_publications) {
    auto pub = db_->PrepareScan(fmt::format(
        "SELECT p.id, p.source_id, p.title, p.as_of, p.ledger_seq, p.ledger_hash, p.created_at, "
        "p.snapshot, p.snapshot_sha256 FROM publications p JOIN sources s ON s.id = p.source_id "
        "WHERE {} ORDER BY p.id",
        where));
    if (!pub) return Fail(pub.error());
    if (bind) (*pub)->Bind(1, key);
    while (true) {
      auto r = (*pub)->Step();
      if (!r) return Fail(r.error());
      if (!*r) break;
      f.publications.push_back(ReadPublication(pub->get()));
    }
  }
  return f;
}

Result<std::vector<Update>> SqlStore::UpdatesOf(int64_t assignment_id) {
  auto st = db_->Prepare(
      "SELECT id, assignment_id, date, response, response_text, response_status, implementation, "
      "narrative, evidence, author, state, return_reason FROM updates WHERE assignment_id = ? "
      "ORDER BY date, id");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, assignment_id);
  std::vector<Update> out;
  while (true) {
    auto r = (*st)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    Statement* s = *st;
    Update u = ReadUpdate(s);
    if (auto us = ParseUpdateState(s->Text(10))) u.state = *us;
    u.return_reason = s->Str(11);
    out.push_back(std::move(u));
  }
  return out;
}

Result<RecommendationView> SqlStore::ViewOf(int64_t rec_id) {
  auto st = db_->Prepare(
      "SELECT id, source_id, ref, text, themes, made, target, made_by, url FROM recommendations "
      "WHERE id = ?");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, rec_id);
  auto r = (*st)->Step();
  if (!r) return Fail(r.error());
  if (!*r) return Fail(Error::NotFound(fmt::format("no recommendation {}", rec_id)));
  RecommendationView v;
  Statement* s = *st;
  v.recommendation.id = s->Int(0);
  v.recommendation.source_id = s->Int(1);
  v.recommendation.ref = s->Str(2);
  v.recommendation.text = s->Str(3);
  v.recommendation.themes = ParseList(s->Text(4));
  v.recommendation.made = s->OptDate(5);
  v.recommendation.target = s->OptDate(6);
  v.recommendation.made_by = s->Str(7);
  v.recommendation.url = s->Str(8);
  s->Reset();

  auto src = db_->Prepare(fmt::format("SELECT {} FROM sources WHERE id = ?", kSourceCols));
  if (!src) return Fail(src.error());
  (*src)->Bind(1, v.recommendation.source_id);
  auto sr = (*src)->Step();
  if (!sr) return Fail(sr.error());
  if (!*sr) return Fail(Error::Corrupt("recommendation without source"));
  auto source = ReadSource(*src);
  (*src)->Reset();
  if (!source) return Fail(source.error());
  v.source = std::move(*source);

  auto as = db_->Prepare(
      "SELECT a.id, a.owner_id, a.due, a.response, a.response_text, a.response_date, a.status, "
      "a.implementation, a.raw_status, a.raw_response, o.name, o.tier, (SELECT t.target FROM "
      "assignment_targets t WHERE t.assignment_id = a.id) FROM assignments a "
      "JOIN owners o ON o.id = a.owner_id WHERE a.recommendation_id = ? ORDER BY a.id");
  if (!as) return Fail(as.error());
  (*as)->Bind(1, rec_id);
  while (true) {
    auto row = (*as)->Step();
    if (!row) return Fail(row.error());
    if (!*row) break;
    Statement* a = *as;
    RecommendationView::AssignmentView av;
    av.assignment.id = a->Int(0);
    av.assignment.recommendation_id = rec_id;
    av.assignment.owner_id = a->Int(1);
    av.assignment.due = a->OptDate(2);
    av.assignment.initial.response = ResponseNames().Get(a->Text(3)).value_or(ResponseKind::kNone);
    av.assignment.initial.response_text = a->Str(4);
    av.assignment.initial.response_date = a->OptDate(5);
    av.assignment.initial.recorded_status =
        StatusNames().Get(a->Text(6)).value_or(ResponseStatus::kPending);
    av.assignment.initial.implementation =
        ImplNames().Get(a->Text(7)).value_or(Implementation::kNotStarted);
    av.assignment.raw_status = a->Str(8);
    av.assignment.raw_response = a->Str(9);
    av.owner.id = av.assignment.owner_id;
    av.owner.name = a->Str(10);
    av.owner.tier = a->Str(11);
    av.assignment.target = a->OptDate(12);
    v.assignments.push_back(std::move(av));
  }
  for (auto& av : v.assignments) {
    auto u = UpdatesOf(av.assignment.id);
    if (!u) return Fail(u.error());
    av.updates = std::move(*u);
  }
  return v;
}

Result<RecommendationView> SqlStore::GetRecommendation(const std::string& source_slug,
                                                          const std::string& ref) {
  auto st = db_->Prepare(
      "SELECT r.id FROM recommendations r JOIN sources s ON s.id = r.source_id "
      "WHERE s.slug = ? AND r.ref = ?");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, source_slug).Bind(2, ref);
  auto r = (*st)->Step();
  if (!r) return Fail(r.error());
  if (!*r) {
    auto source = GetSource(source_slug);
    if (!source) return Fail(source.error());  // "no source 'x'"
    return Fail(Error::NotFound(
        fmt::format("no recommendation '{}' in source '{}'", ref, source_slug)));
  }
  int64_t id = (*st)->Int(0);
  (*st)->Reset();
  return ViewOf(id);
}

Result<RecommendationView> SqlStore::GetRecommendationById(int64_t id) { return ViewOf(id); }

Result<Publication> SqlStore::GetPublication(int64_t id) {
  auto st = db_->Prepare(
      "SELECT id, source_id, title, as_of, ledger_seq, ledger_hash, created_at, snapshot, "
      "snapshot_sha256 FROM publications WHERE id = ?");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, id);
  auto r = (*st)->Step();
  if (!r) return Fail(r.error());
  if (!*r) return Fail(Error::NotFound(fmt::format("no publication {}", id)));
  Publication p = ReadPublication(*st);
  (*st)->Reset();
  RT_TRY(sql::ReadPublicationExtras(*db_, &p));
  return p;
}

Result<std::vector<Publication>> SqlStore::ListPublications(const std::string& source_slug) {
  auto st = db_->Prepare(
      "SELECT p.id FROM publications p JOIN sources s ON s.id = p.source_id "
      "WHERE s.slug = ? ORDER BY p.as_of, p.id");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, source_slug);
  std::vector<int64_t> ids;
  while (true) {
    auto r = (*st)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    ids.push_back((*st)->Int(0));
  }
  std::vector<Publication> out;
  for (int64_t id : ids) {
    auto p = GetPublication(id);
    if (!p) return Fail(p.error());
    out.push_back(std::move(*p));
  }
  return out;
}

// ---- export ----------------------------------------------------------------


// Keyset parts in id order: each part one query for the recommendations and
// one for their assignments (the index on assignments' recommendation_id), so
// that any part is read in about the same time and nothing sorts the whole.
Status SqlStore::ScanRecommendations(const FactsFilter& filter, size_t part_size,
                                     const RecommendationPart& fn) {
  if (part_size == 0) part_size = 1;
  // The selected sources.
  std::string where = "1 = 1";
  if (!filter.source_slug.empty()) where = "s.slug = ?1";
  else if (!filter.source_kind.empty()) where = "s.kind = ?1";
  const bool bind = !filter.source_slug.empty() || !filter.source_kind.empty();
  const std::string key = !filter.source_slug.empty() ? filter.source_slug : filter.source_kind;
  std::vector<int64_t> source_ids;
  {
    auto st = db_->Prepare(fmt::format("SELECT s.id FROM sources s WHERE {} ORDER BY s.id", where));
    if (!st) return Fail(st.error());
    if (bind) (*st)->Bind(1, key);
    while (true) {
      auto r = (*st)->Step();
      if (!r) return Fail(r.error());
      if (!*r) break;
      source_ids.push_back((*st)->Int(0));
    }
  }
  if (!filter.source_slug.empty() && source_ids.empty())
    return Fail(Error::NotFound(fmt::format("no source '{}'", filter.source_slug)));
  if (source_ids.empty()) return {};

  // A source that is a small part of the store (under a quarter of its
  // recommendations) is found by its index: first the ids of its
  // recommendations, and the parts are ranges of those; else the table is read
  // in id order, keeping the selected sources' rows. Deciding costs no count of
  // a big source's rows: a selection of every source is the whole table, and
  // otherwise the count stops at the quarter (counting a million rows was a
  // twelfth of a report's time on PostgreSQL).
  std::vector<int64_t> ids;
  bool by_index = false;
  if (bind) {
    auto sources = ScalarOf(*db_, "SELECT count(*) FROM sources", nullptr);
    if (!sources) return Fail(sources.error());
    auto largest = ScalarOf(*db_, "SELECT coalesce(max(id), 0) FROM recommendations", nullptr);
    if (!largest) return Fail(largest.error());
    // by_index when selected * 4 < largest, that is selected <= quarter.
    const int64_t quarter = (*largest - 1) / 4;
    if (static_cast<int64_t>(source_ids.size()) < *sources && *largest > 0) {
      auto selected = ScalarOf(*db_,
                               fmt::format("SELECT count(*) FROM (SELECT 1 FROM recommendations "
                                           "r JOIN sources s ON s.id = r.source_id WHERE {} "
                                           "LIMIT ?2) x",
                                           where),
                               &key, quarter + 1);
      if (!selected) return Fail(selected.error());
      by_index = *selected <= quarter;
    }
    if (by_index) {
      ++index_scans_;
      auto st = db_->Prepare(fmt::format(
          "SELECT r.id FROM recommendations r JOIN sources s ON s.id = r.source_id WHERE {}",
          where));
      if (!st) return Fail(st.error());
      (*st)->Bind(1, key);
      while (true) {
        auto row = (*st)->Step();
        if (!row) return Fail(row.error());
        if (!*row) break;
        ids.push_back((*st)->Int(0));
      }
      (*st)->Reset();
      std::sort(ids.begin(), ids.end());
      if (ids.empty()) return {};
    }
  }

  // The parts: ranges of ids, in order. By position in `ids`; else over the
  // table's ids, a part's width of them (ids are dense: rows are never deleted).
  std::vector<std::pair<int64_t, int64_t>> ranges;
  if (by_index) {
    for (size_t at = 0; at < ids.size(); at += part_size)
      ranges.emplace_back(ids[at], ids[std::min(ids.size(), at + part_size) - 1]);
  } else {
    auto st = db_->Prepare("SELECT min(id), max(id) FROM recommendations");
    if (!st) return Fail(st.error());
    auto r = (*st)->Step();
    if (!r) return Fail(r.error());
    if (!*r || (*st)->IsNull(0)) return {};
    const int64_t lo = (*st)->Int(0), hi = (*st)->Int(1);
    (*st)->Reset();
    const auto width = static_cast<int64_t>(part_size);
    for (int64_t at = lo; at <= hi; at += width) ranges.emplace_back(at, std::min(hi, at + width - 1));
  }

  const Texts with_text = TextsOf(filter);
  const std::string rec_sql = fmt::format(
      "SELECT {} FROM recommendations r WHERE r.id BETWEEN ?1 AND ?2 ORDER BY r.id",
      RecommendationColumns(with_text));
  const std::string asg_sql = fmt::format(
      "SELECT {} FROM assignments a WHERE a.recommendation_id BETWEEN ?1 AND ?2",
      AssignmentColumns(with_text, /*with_target=*/false));
  // The targets of a part's assignments: by the range of their ids (a lookup
  // per assignment cost a tenth of a big scan's reading, for a table that is
  // nearly always empty).
  const std::string target_sql =
      "SELECT t.assignment_id, t.target FROM assignment_targets t "
      "WHERE t.assignment_id BETWEEN ?1 AND ?2";
  struct Statements {
    Statement* recs;
    Statement* asgs;
    Statement* targets;
  };
  auto prepare = [&](Connection& c) -> Result<Statements> {
    auto recs = c.Prepare(rec_sql);
    if (!recs) return Fail(recs.error());
    auto asgs = c.Prepare(asg_sql);
    if (!asgs) return Fail(asgs.error());
    auto targets = c.Prepare(target_sql);
    if (!targets) return Fail(targets.error());
    // Integers and texts only: a million rows' ids are read as numbers.
    (*recs)->PreferBinaryResults();
    (*asgs)->PreferBinaryResults();
    (*targets)->PreferBinaryResults();
    return Statements{*recs, *asgs, *targets};
  };
  // One part: the selected sources' recommendations of a range, and all their
  // assignments in id order. Read into the objects a part already holds (an
  // earlier part's, handed back), which keep their strings' memory: a text
  // allocated and freed per row was a twentieth of a report's time.
  struct Part {
    std::vector<Recommendation> recs;
    std::vector<Assignment> assignments;
  };
  auto read_part = [&](const Statements& st, std::pair<int64_t, int64_t> range, Part* out) -> Status {
    st.recs->Bind(1, range.first).Bind(2, range.second);
    size_t recs = 0, assignments = 0;
    while (true) {
      auto r = st.recs->Step();
      if (!r) return Fail(r.error());
      if (!*r) break;
      if (!std::binary_search(source_ids.begin(), source_ids.end(), st.recs->Int(1))) continue;
      if (recs == out->recs.size()) out->recs.emplace_back();
      ReadRecommendation(st.recs, with_text, &out->recs[recs++]);
    }
    out->recs.resize(recs);
    if (out->recs.empty()) {
      out->assignments.clear();
      return {};
    }
    st.asgs->Bind(1, out->recs.front().id).Bind(2, out->recs.back().id);
    while (true) {
      auto r = st.asgs->Step();
      if (!r) return Fail(r.error());
      if (!*r) break;
      const int64_t rec_id = st.asgs->Int(1);
      // Those of recommendations of other sources in the same range are not kept.
      if (!std::binary_search(out->recs.begin(), out->recs.end(), rec_id,
                              [](const auto& x, const auto& y) {
                                if constexpr (std::is_same_v<std::decay_t<decltype(x)>, int64_t>)
                                  return x < y.id;
                                else
                                  return x.id < y;
                              }))
        continue;
      if (assignments == out->assignments.size()) out->assignments.emplace_back();
      ReadAssignment(st.asgs, with_text, &out->assignments[assignments++]);
    }
    out->assignments.resize(assignments);
    // In id order; usually they come so (one owner each, added with the
    // recommendation), and sorting would still move every object.
    auto by_id = [](const Assignment& x, const Assignment& y) { return x.id < y.id; };
    if (!std::is_sorted(out->assignments.begin(), out->assignments.end(), by_id))
      std::sort(out->assignments.begin(), out->assignments.end(), by_id);
    if (out->assignments.empty()) return {};
    st.targets->Bind(1, out->assignments.front().id).Bind(2, out->assignments.back().id);
    while (true) {
      auto r = st.targets->Step();
      if (!r) return Fail(r.error());
      if (!*r) break;
      const int64_t id = st.targets->Int(0);
      auto it = std::lower_bound(out->assignments.begin(), out->assignments.end(), id,
                                 [](const Assignment& a, int64_t v) { return a.id < v; });
      // Those of assignments of other parts or sources in the range are not kept.
      if (it != out->assignments.end() && it->id == id) it->target = st.targets->OptDate(1);
    }
    return {};
  };
  // A big scan reads each page once: through a small page cache (SQLite),
  // not by filling a big one (64 MB of allocations and page faults).
  const int64_t spanned = ranges.empty() ? 0 : ranges.back().second - ranges.front().first + 1;
  const bool big = (by_index ? static_cast<int64_t>(ids.size()) : spanned) >= parallel_scan_from_;
  if (big) RT_TRY(ScanCache(true));
  struct CacheBack {
    SqlStore* store;
    bool on;
    ~CacheBack() {
      if (on) (void)store->ScanCache(false);
    }
  } cache_back{this, big};
  auto mine = prepare(*db_);
  if (!mine) return Fail(mine.error());

  // A big scan in a read transaction is read by two connections at once, the
  // other on a thread of its own taking every second part, in the same
  // snapshot (JoinReadSnapshot; the same ledger head on both, else this one
  // reads alone). Parts reach `fn` in order either way.
  constexpr size_t kParallelParts = 4;
  std::unique_ptr<Connection> sibling;
  if (reading_ && big && ranges.size() >= kParallelParts) sibling = SiblingReader();
  Statements theirs{};
  if (sibling) {
    auto p = prepare(*sibling);
    if (!p) sibling.reset();
    else theirs = *p;
  }
  if (sibling) ++parallel_scans_;

  std::mutex mu;
  std::condition_variable changed;
  std::vector<Part> spare;                 // parts handed back, to read into again
  std::map<size_t, Part> ready;            // the other's parts, by index
  bool stop = false, other_done = false;
  Status other_status;
  auto take_spare = [&]() {
    std::lock_guard<std::mutex> lock(mu);
    Part p;
    if (!spare.empty()) {
      p = std::move(spare.back());
      spare.pop_back();
    }
    return p;
  };
  std::thread other;
  struct Stopper {
    std::mutex& mu;
    std::condition_variable& changed;
    bool& stop;
    std::thread& t;
    Connection* conn;
    ~Stopper() {
      {
        std::lock_guard<std::mutex> lock(mu);
        stop = true;
      }
      changed.notify_all();
      if (t.joinable()) t.join();
      if (conn) (void)conn->Exec("ROLLBACK");
    }
  } stopper{mu, changed, stop, other, sibling.get()};
  if (sibling) {
    other = std::thread([&] {
      Status s;
      for (size_t i = 1; i < ranges.size() && s; i += 2) {
        {
          std::unique_lock<std::mutex> lock(mu);
          changed.wait(lock, [&] { return stop || ready.size() < 2; });
          if (stop) break;
        }
        Part p = take_spare();
        s = read_part(theirs, ranges[i], &p);
        if (!s) break;
        std::lock_guard<std::mutex> lock(mu);
        ready.emplace(i, std::move(p));
        changed.notify_all();
      }
      std::lock_guard<std::mutex> lock(mu);
      other_status = std::move(s);
      other_done = true;
      changed.notify_all();
    });
  }
  for (size_t i = 0; i < ranges.size(); ++i) {
    Part p;
    if (sibling && i % 2 == 1) {
      std::unique_lock<std::mutex> lock(mu);
      changed.wait(lock, [&] { return ready.count(i) > 0 || other_done; });
      auto it = ready.find(i);
      if (it == ready.end()) {
        if (!other_status) return Fail(other_status.error());
        return Fail(Error::Internal("the second reader stopped early"));
      }
      p = std::move(it->second);
      ready.erase(it);
      changed.notify_all();
    } else {
      p = take_spare();
      RT_TRY(read_part(*mine, ranges[i], &p));
    }
    if (!p.recs.empty()) RT_TRY(fn(p.recs, p.assignments));
    // Kept, not cleared: the next read_part into this part reuses the objects.
    std::lock_guard<std::mutex> lock(mu);
    spare.push_back(std::move(p));
  }
  return {};
}

Result<LedgerHead> SqlStore::HeadOn(Connection& c) {
  auto st = c.Prepare("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1");
  if (!st) return Fail(st.error());
  auto row = (*st)->Step();
  if (!row) return Fail(row.error());
  LedgerHead h{0, kGenesisHash};
  if (*row) {
    h.seq = (*st)->Int(0);
    h.hash = (*st)->Str(1);
    (*st)->Reset();
  }
  return h;
}

Status SqlStore::JoinReadSnapshot(Connection& sibling) { return sibling.Exec(BeginReadSql()); }

std::unique_ptr<Connection> SqlStore::SiblingReader() {
  if (depth_ > 0) return nullptr;  // only this connection sees the transaction's writes
  auto other = db_->OpenSibling();
  if (!other || !*other) return nullptr;
  if (!reading_) return std::move(*other);
  if (!JoinReadSnapshot(**other)) return nullptr;
  auto here = Head();
  auto there = HeadOn(**other);
  if (!here || !there || here->seq != there->seq || here->hash != there->hash) return nullptr;
  return std::move(*other);
}

Result<ImportBatch> SqlStore::ExportAll() {
  ImportBatch b;
  auto owners = ListOwners();
  if (!owners) return Fail(owners.error());
  std::unordered_map<int64_t, std::string> owner_names;
  for (auto& o : *owners) {
    owner_names[o.id] = o.name;
    b.owners.push_back(o);
  }
  for (auto& o : b.owners) o.id = 0;
  auto facts = LoadFacts(FactsFilter{"", "", true, true});
  if (!facts) return Fail(facts.error());
  // All updates, not only validated ones: export loses nothing.
  std::unordered_map<int64_t, std::vector<Update>> updates;
  auto all = db_->Prepare("SELECT DISTINCT assignment_id FROM updates ORDER BY assignment_id");
  if (!all) return Fail(all.error());
  std::vector<int64_t> with_updates;
  while (true) {
    auto r = (*all)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    with_updates.push_back((*all)->Int(0));
  }
  for (int64_t id : with_updates) {
    auto u = UpdatesOf(id);
    if (!u) return Fail(u.error());
    updates[id] = std::move(*u);
  }
  std::unordered_map<int64_t, std::vector<const Assignment*>> by_rec;
  for (const auto& a : facts->assignments) by_rec[a.recommendation_id].push_back(&a);
  std::unordered_map<int64_t, std::vector<const Recommendation*>> by_source;
  for (const auto& r : facts->recommendations) by_source[r.source_id].push_back(&r);

  std::vector<const Source*> sources;
  for (const auto& s : facts->sources) sources.push_back(&s);
  std::sort(sources.begin(), sources.end(),
            [](const Source* x, const Source* y) { return x->slug < y->slug; });
  for (const Source* s : sources) {
    ImportBatch::SourceIn sin;
    sin.source = *s;
    sin.source.id = 0;
    for (const Recommendation* r : by_source[s->id]) {
      ImportBatch::RecommendationIn rin;
      rin.recommendation = *r;
      rin.recommendation.id = 0;
      rin.recommendation.source_id = 0;
      for (const Assignment* a : by_rec[r->id]) {
        ImportBatch::AssignmentIn ain;
        ain.owner = owner_names[a->owner_id];
        ain.assignment = *a;
        ain.assignment.id = 0;
        ain.assignment.recommendation_id = 0;
        ain.assignment.owner_id = 0;
        for (auto u : updates[a->id]) {
          u.id = 0;
          u.assignment_id = 0;
          ain.updates.push_back(std::move(u));
        }
        rin.assignments.push_back(std::move(ain));
      }
      sin.recommendations.push_back(std::move(rin));
    }
    for (const auto& f : facts->funding) {
      if (f.source_id != s->id) continue;
      ImportBatch::FundingIn fin{owner_names[f.owner_id], f};
      fin.line.id = fin.line.source_id = fin.line.owner_id = 0;
      sin.funding.push_back(std::move(fin));
    }
    std::vector<const Publication*> pubs;
    for (const auto& p : facts->publications)
      if (p.source_id == s->id) pubs.push_back(&p);
    std::stable_sort(pubs.begin(), pubs.end(), [](const Publication* x, const Publication* y) {
      return x->id < y->id;
    });
    for (const Publication* p : pubs) {
      // When it was first published, where its snapshot says (one imported
      // with the date); one made here is its own original. The snapshot is
      // read as JSON only for that field; its format is report/'s.
      std::optional<Date> published;
      auto snap = json::parse(p->snapshot_json, nullptr, false);
      if (snap.is_object() && snap.contains("publication") &&
          snap["publication"].contains("published_on") &&
          snap["publication"]["published_on"].is_string()) {
        auto d = Date::ParseIso(snap["publication"]["published_on"].get<std::string>());
        if (d) published = *d;
      }
      sin.publications.push_back({p->title, p->as_of, published});
    }
    b.sources.push_back(std::move(sin));
  }
  return b;
}


// ---- opening, upgrading, transactions -----------------------------------------

Status SqlStore::BeginRead() {
  // Inside a write transaction, reads see one state already: its own.
  if (depth_ > 0 || reading_) {
    ++nested_reads_;
    return {};
  }
  RT_TRY(db_->Exec(BeginReadSql()));
  reading_ = true;
  return {};
}

void SqlStore::EndRead() {
  if (nested_reads_ > 0) {
    --nested_reads_;
    return;
  }
  if (!reading_) return;
  reading_ = false;
  (void)db_->Exec("ROLLBACK");
}

Status SqlStore::Begin() {
  if (reading_) return Fail(Error::Internal("a write inside a read-only transaction"));
  if (depth_ == 0) {
    RT_TRY(BeginOuter());
    // Another connection may have changed owners or aliases since the cache
    // was filled: only events change them, so the ledger's head tells.
    auto head = Head();
    if (!head) {
      (void)db_->Exec("ROLLBACK");
      return Fail(head.error());
    }
    if (head->seq != cache_seq_) {
      owner_cache_loaded_ = false;
      cache_seq_ = head->seq;
    }
  } else {
    RT_TRY(db_->Exec(fmt::format("SAVEPOINT sp{}", depth_)));
  }
  ++depth_;
  return {};
}

Status SqlStore::Commit() {
  if (depth_ == 0) return Fail(Error::Internal("commit without begin"));
  --depth_;
  if (depth_ == 0) {
    auto s = db_->Exec("COMMIT");
    if (!s) {
      (void)db_->Exec("ROLLBACK");
      owner_cache_loaded_ = false;
      return s;
    }
    return {};
  }
  return db_->Exec(fmt::format("RELEASE sp{}", depth_));
}

void SqlStore::Rollback() {
  if (depth_ == 0) return;
  // Owners created in what is undone must not linger in the cache: their ids
  // are given out again.
  owner_cache_loaded_ = false;
  --depth_;
  if (depth_ == 0) {
    (void)db_->Exec("ROLLBACK");
  } else {
    (void)db_->Exec(fmt::format("ROLLBACK TO sp{}", depth_));
    (void)db_->Exec(fmt::format("RELEASE sp{}", depth_));
  }
}

Result<ImportSummary> SqlStore::Import(const ImportBatch& batch, const Actor& actor,
                                          const std::string& origin) {
  auto session = StartImport(actor, origin);
  if (!session) return Fail(session.error());
  RT_TRY((*session)->Add(batch));
  return (*session)->Finish();
}

Result<std::unique_ptr<ImportSession>> SqlStore::StartImport(const Actor& actor,
                                                                const std::string& origin) {
  auto s = std::make_unique<SqlImportSession>(this, actor, origin);
  RT_TRY(s->Start());
  return std::unique_ptr<ImportSession>(std::move(s));
}

Status SqlStore::Open() {
  int64_t from = 0;
  return Migrate(&from);
}

Status SqlStore::Migrate(int64_t* from_version) {
  RT_TRY(Configure());
  auto version = ReadSchemaVersion();
  if (!version) return Fail(version.error());
  *from_version = *version;
  if (*version == 0 && must_exist_)
    return Fail(Error::NotFound("it holds no tracker: `rectrack init` makes one (or give --create)"));
  const int64_t latest = static_cast<int64_t>(Migrations().size());
  if (*version > latest)
    return Fail(Error::Corrupt(fmt::format(
        "the database has schema version {}, newer than this rectrack knows ({}); upgrade "
        "rectrack",
        *version, latest)));
  if (*version == latest) return {};
  RT_TRY(BeginOuter());
  auto fail = [&](Error e) -> Status {
    (void)db_->Exec("ROLLBACK");
    key_.reset();
    owner_cache_loaded_ = false;
    depth_ = 0;
    return Fail(std::move(e));
  };
  // Another process may have migrated it while this one waited for the lock.
  version = ReadSchemaVersion();
  if (!version) return fail(version.error());
  *from_version = *version;
  if (*version == latest) {  // it did: nothing to do (its AfterMigration ran, not Upgrade)
    (void)db_->Exec("ROLLBACK");
    return {};
  }
  const auto migrations = Migrations();
  for (int64_t v = *version; v < latest; ++v) {
    auto s = db_->Exec(std::string(migrations[static_cast<size_t>(v)]));
    if (!s) return fail(Error::Io(fmt::format("migration {} failed: {}", v + 1, s.error().message)));
  }
  if (auto s = WriteSchemaVersion(latest); !s) return fail(s.error());
  depth_ = 1;
  Status after = AfterMigration(*version);
  if (!after) return fail(after.error());
  depth_ = 0;
  if (auto c = db_->Exec("COMMIT"); !c) return fail(c.error());
  if (*version > 0 && *version < FirstLedgerSchema() && !scratch_) AfterUpgrade();
  return {};
}

Status SqlStore::AfterMigration(int64_t from) {
  // In the migrating transaction: a new store gets its key and first event; an
  // old one its baseline. Never half of it.
  if (scratch_ || (empty_ && from == 0)) return {};
  if (from == 0) return CreateTracker();
  return from < FirstLedgerSchema() ? Upgrade(from) : Status{};
}

Status SqlStore::Upgrade(int64_t from) {
  return Fail(Error::Corrupt(fmt::format("no upgrade from schema version {}", from)));
}

Status SqlStore::CreateTracker() {
  {
    // The key given, else a new one written to the key file (never over one).
    auto key = LoadKey(path_, keys_);
    if (!key && key.error().code == Error::Code::kNotFound && keys_.seed_hex.empty()) {
      SigningKeyPair made = GenerateSigningKey();
      std::string file = KeyFileFor(path_, keys_);
      if (!file.empty()) {
        auto w = WriteKeyFile(file, made, true);
        if (!w && w.error().code == Error::Code::kConflict) {
          key = ReadKeyFile(file);  // another process made it first
        } else if (!w) {
          return Fail(w.error());
        } else {
          key = made;
        }
      } else if (IsPostgresUrl(path_)) {
        return Fail(Error::Invalid(
            "a new PostgreSQL store needs a file for its signing key: give --key-file FILE (or "
            "RECTRACK_KEY_FILE), where the new key is written; every server that writes needs "
            "that file"));
      } else {
        key = made;  // an in-memory store: the key lives as long as it does
      }
    }
    if (!key) return Fail(key.error());
    key_ = *key;
    EventPayload p;
    p.about = json{{"public_key", key->public_key_hex}};
    p.changes.Insert("tracker_keys", {Value::Int(1), Value::Text(key->public_key_hex),
                                      Value::Text(NowUtc()), Value::Int(1), Value::Text(""),
                                      Value::Text("")});
    auto e = Record(Actor{"rectrack"}, "tracker_key", p);
    if (!e) return Fail(e.error());
    return {};
  }
}

}  // namespace sql
}  // namespace rectrack
