#include "core/metrics.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "core/text.h"

namespace rectrack {
namespace {

// Updates grouped by assignment id, so each assignment's replay sees only its own.
class UpdateIndex {
 public:
  explicit UpdateIndex(const std::vector<Update>& updates) {
    for (const auto& u : updates)
      if (u.state == UpdateState::kValidated) by_assignment_[u.assignment_id].push_back(&u);
  }
  std::span<const Update* const> For(int64_t assignment_id) const {
    auto it = by_assignment_.find(assignment_id);
    if (it == by_assignment_.end()) return {};
    return it->second;
  }

 private:
  std::unordered_map<int64_t, std::vector<const Update*>> by_assignment_;
};

template <typename T>
std::unordered_map<int64_t, const T*> ById(const std::vector<T>& items) {
  std::unordered_map<int64_t, const T*> out;
  out.reserve(items.size());
  for (const auto& x : items) out.emplace(x.id, &x);
  return out;
}

std::optional<double> Median(std::vector<int>* v) {
  if (v->empty()) return std::nullopt;
  size_t mid = v->size() / 2;
  std::nth_element(v->begin(), v->begin() + mid, v->end());
  double hi = (*v)[mid];
  if (v->size() % 2 == 1) return hi;
  double lo = *std::max_element(v->begin(), v->begin() + mid);
  return (lo + hi) / 2;
}

int TierOrder(const std::string& tier) {
  for (size_t i = 0; i < std::size(kTiers); ++i)
    if (kTiers[i] == tier) return static_cast<int>(i);
  return static_cast<int>(std::size(kTiers));
}

}  // namespace

std::vector<OwnerRow> OwnersTable(const Facts& facts, Date as_of) {
  auto sources = ById(facts.sources);
  auto recs = ById(facts.recommendations);
  UpdateIndex updates(facts.updates);

  struct Computed {
    const Assignment* a;
    const Recommendation* rec;
    const Source* source;
    EffectiveState st;
  };
  std::vector<Computed> computed;
  computed.reserve(facts.assignments.size());
  // Roll-ups per recommendation, needed where a source counts by report (PFD).
  std::unordered_map<int64_t, std::vector<ResponseStatus>> by_rec;
  for (const auto& a : facts.assignments) {
    auto rit = recs.find(a.recommendation_id);
    if (rit == recs.end()) continue;
    auto sit = sources.find(rit->second->source_id);
    if (sit == sources.end()) continue;
    const Source* src = sit->second;
    auto st = StateAt(a, DueDate(*src, a), updates.For(a.id), as_of, src->recorded_on);
    if (src->kind == "pfd") by_rec[a.recommendation_id].push_back(st.response_status);
    computed.push_back({&a, rit->second, src, std::move(st)});
  }
  std::unordered_map<int64_t, ResponseStatus> rollup;
  rollup.reserve(by_rec.size());
  for (auto& [id, list] : by_rec) rollup[id] = RollUpResponse(list);

  std::map<int64_t, OwnerRow> rows;
  std::map<int64_t, std::vector<int>> days;
  auto owners = ById(facts.owners);
  for (const auto& c : computed) {
    auto& row = rows[c.a->owner_id];
    if (row.total == 0) {
      row.owner_id = c.a->owner_id;
      row.tier = "unclassified";
      auto oit = owners.find(c.a->owner_id);
      if (oit != owners.end()) {
        row.owner = oit->second->name;
        row.tier = oit->second->tier;
      }
    }
    ++row.total;
    ResponseStatus rs = c.st.response_status;
    if (c.source->kind == "pfd") rs = rollup[c.a->recommendation_id];
    ++row.by_response_status[static_cast<int>(rs)];
    ++row.by_implementation[static_cast<int>(c.st.implementation)];
    std::optional<Date> since = c.st.last_progress;
    if (!since) since = c.rec->made ? c.rec->made : c.source->date;
    if (since && *since <= as_of) days[c.a->owner_id].push_back(as_of - *since);
  }
  std::vector<OwnerRow> out;
  out.reserve(rows.size());
  for (auto& [id, row] : rows) {
    row.median_days_since_progress = Median(&days[id]);
    out.push_back(std::move(row));
  }
  std::sort(out.begin(), out.end(), [](const OwnerRow& x, const OwnerRow& y) {
    return x.owner != y.owner ? x.owner < y.owner : x.owner_id < y.owner_id;
  });
  return out;
}

ReportData BuildReport(const Facts& facts, int64_t source_id, Date as_of,
                       const ReportData::PreviousPublication* previous,
                       const std::vector<ReportData::StateRow>* previous_states) {
  ReportData d;
  d.as_of = as_of;
  const Source* src = nullptr;
  for (const auto& s : facts.sources)
    if (s.id == source_id) src = &s;
  if (!src) return d;
  d.slug = src->slug;
  d.title = src->title;
  d.kind = src->kind;
  d.author = src->author;
  d.commissioned_by = src->commissioned_by;
  d.url = src->url;
  d.notes = src->notes;
  d.date = src->date;
  d.stated_total = src->stated_total;
  d.response_days = src->response_days;

  auto owners = ById(facts.owners);
  UpdateIndex updates(facts.updates);
  std::vector<const Recommendation*> recs;
  for (const auto& r : facts.recommendations)
    if (r.source_id == source_id) recs.push_back(&r);
  std::sort(recs.begin(), recs.end(),
            [](const Recommendation* x, const Recommendation* y) { return x->id < y->id; });
  std::unordered_map<int64_t, std::vector<const Assignment*>> by_rec;
  for (const auto& a : facts.assignments) by_rec[a.recommendation_id].push_back(&a);
  for (auto& [id, list] : by_rec)
    std::sort(list.begin(), list.end(),
              [](const Assignment* x, const Assignment* y) { return x->id < y->id; });

  auto owner_name = [&](int64_t id) -> std::string {
    auto it = owners.find(id);
    return it == owners.end() ? std::string() : it->second->name;
  };
  auto owner_tier = [&](int64_t id) -> std::string {
    auto it = owners.find(id);
    return it == owners.end() ? std::string("unclassified") : it->second->tier;
  };

  std::map<std::string, ReportData::OwnerGroup> central, other;
  std::map<std::string, ReportData::TierRow> tiers;
  std::map<std::pair<std::string, std::string>, const ReportData::StateRow*> prev;
  if (previous_states)
    for (const auto& s : *previous_states) prev[{s.ref, s.owner}] = &s;

  for (const Recommendation* r : recs) {
    ++d.total;
    const auto& assigns = by_rec[r->id];
    std::vector<ResponseStatus> rs;
    std::vector<Implementation> impl;
    std::vector<std::string> names;
    for (const Assignment* a : assigns) {
      auto due = DueDate(*src, *a);
      auto st = StateAt(*a, due, updates.For(a->id), as_of, src->recorded_on);
      rs.push_back(st.response_status);
      impl.push_back(st.implementation);
      std::string owner = owner_name(a->owner_id);
      std::string tier = owner_tier(a->owner_id);
      names.push_back(owner);

      auto& t = tiers[tier];
      t.tier = tier;
      ++t.assignments;
      if (st.implementation == Implementation::kImplemented) ++t.implemented;
      if (st.response_status == ResponseStatus::kOverdue) ++t.overdue;

      if (st.implementation == Implementation::kUnknown) {
        ++t.not_reported;
        d.not_reported.push_back({r->ref, r->text, owner, tier, st.response, st.response_status,
                                  st.implementation, due, st.latest_narrative});
      } else if (IsOutstanding(st.implementation)) {
        ++t.outstanding;
        ReportData::Item item{r->ref, r->text, owner, tier, st.response, st.response_status,
                              st.implementation, due, st.latest_narrative};
        auto& groups = tier == "central_government" ? central : other;
        auto& g = groups[owner];
        g.owner = owner;
        g.tier = tier;
        g.items.push_back(std::move(item));
      }
      if (st.response_status == ResponseStatus::kOverdue && due)
        d.overdue.push_back({r->ref, owner, *due, as_of - *due});

      ReportData::StateRow row{r->ref, owner, st.response_status, st.implementation};
      if (previous_states) {
        auto it = prev.find({r->ref, owner});
        if (it == prev.end()) {
          d.changes.push_back({r->ref, owner, "assignment", "", "added"});
        } else {
          if (it->second->implementation != row.implementation)
            d.changes.push_back({r->ref, owner, "implementation",
                                 std::string(Name(it->second->implementation)),
                                 std::string(Name(row.implementation))});
          if (it->second->response_status != row.response_status)
            d.changes.push_back({r->ref, owner, "response status",
                                 std::string(Name(it->second->response_status)),
                                 std::string(Name(row.response_status))});
        }
      }
      d.states.push_back(std::move(row));
    }
    auto rolled_impl = RollUpImplementation(impl);
    if (previous_states)
      for (const auto& name : names) prev.erase({r->ref, name});
    auto rolled_rs = RollUpResponse(rs);
    ++d.by_implementation[static_cast<int>(rolled_impl)];
    ++d.by_response_status[static_cast<int>(rolled_rs)];
    if (rolled_impl == Implementation::kImplemented) {
      ++d.implemented;
      ReportData::Item item;
      item.ref = r->ref;
      item.text = r->text;
      item.owner = Join(names, ", ");
      item.response_status = rolled_rs;
      item.implementation = rolled_impl;
      d.done.push_back(std::move(item));
    }
  }

  // What the previous publication held that is gone now (merged owners, say).
  for (const auto& [key, row] : prev)
    d.changes.push_back({key.first, key.second, "assignment", "", "removed"});

  // Who holds the most outstanding items comes first.
  auto ordered = [](std::map<std::string, ReportData::OwnerGroup>& m) {
    std::vector<ReportData::OwnerGroup> v;
    for (auto& [name, g] : m) v.push_back(std::move(g));
    std::stable_sort(v.begin(), v.end(), [](const auto& x, const auto& y) {
      return x.items.size() > y.items.size();
    });
    return v;
  };
  d.central_government = ordered(central);
  d.outstanding_other = ordered(other);
  for (auto& [name, t] : tiers) d.tiers.push_back(t);
  std::sort(d.tiers.begin(), d.tiers.end(),
            [](const auto& x, const auto& y) { return TierOrder(x.tier) < TierOrder(y.tier); });
  std::stable_sort(d.overdue.begin(), d.overdue.end(), [](const auto& x, const auto& y) {
    return x.days_overdue > y.days_overdue;
  });
  if (previous) d.previous = *previous;

  for (const auto& f : facts.funding) {
    if (f.source_id != source_id) continue;
    d.funding.push_back({owner_name(f.owner_id), f.item, f.period, f.cost, f.funded, f.gap(),
                         f.currency});
    d.funding_cost += f.cost;
    d.funding_funded += f.funded;
    d.funding_gap += f.gap();
  }

  // Implemented over time: the roll-up count on each day something changed.
  std::set<Date> dates;
  if (src->date && *src->date <= as_of) dates.insert(*src->date);
  for (const Recommendation* r : recs)
    for (const Assignment* a : by_rec[r->id])
      for (const Update* u : updates.For(a->id))
        if (u->implementation && u->date <= as_of) dates.insert(u->date);
  dates.insert(as_of);
  std::vector<Date> points(dates.begin(), dates.end());
  constexpr size_t kMaxPoints = 60;
  if (points.size() > kMaxPoints) {
    std::vector<Date> sampled;
    for (size_t i = 0; i < kMaxPoints; ++i)
      sampled.push_back(points[i * (points.size() - 1) / (kMaxPoints - 1)]);
    points = sampled;
  }
  // Only recommendations with updates change over time; the rest count the same
  // on every day.
  int constant = 0;
  std::vector<const Recommendation*> changing;
  for (const Recommendation* r : recs) {
    bool has_updates = false;
    for (const Assignment* a : by_rec[r->id]) has_updates |= !updates.For(a->id).empty();
    if (has_updates) {
      changing.push_back(r);
      continue;
    }
    std::vector<Implementation> impl;
    for (const Assignment* a : by_rec[r->id]) impl.push_back(a->initial.implementation);
    if (!impl.empty() && RollUpImplementation(impl) == Implementation::kImplemented) ++constant;
  }
  for (Date day : points) {
    int count = constant;
    for (const Recommendation* r : changing) {
      std::vector<Implementation> impl;
      for (const Assignment* a : by_rec[r->id])
        impl.push_back(
            StateAt(*a, DueDate(*src, *a), updates.For(a->id), day, src->recorded_on)
                .implementation);
      if (!impl.empty() && RollUpImplementation(impl) == Implementation::kImplemented) ++count;
    }
    d.timeline.push_back({day, count});
  }
  return d;
}

}  // namespace rectrack
