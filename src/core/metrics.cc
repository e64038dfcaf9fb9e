#include "core/metrics.h"

#include <algorithm>
#include <map>
#include <set>
#include <span>
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

// Items by id, the first of each id. Store ids are dense, so usually a plain
// array indexed by id (a million recommendations: 8 MB and no hashing), else a
// hash map.
template <typename T>
class IdIndex {
 public:
  explicit IdIndex(const std::vector<T>& items) {
    if (items.empty()) return;
    int64_t lo = items.front().id, hi = lo;
    for (const auto& x : items) {
      lo = std::min(lo, x.id);
      hi = std::max(hi, x.id);
    }
    // Dense enough: at most four slots per item. (The difference is computed in
    // unsigned arithmetic: ids may be anything.)
    const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
    if (span < 4 * static_cast<uint64_t>(items.size()) + 64) {
      base_ = lo;
      dense_.assign(static_cast<size_t>(span) + 1, nullptr);
      for (const auto& x : items) {
        const T*& slot = dense_[static_cast<size_t>(static_cast<uint64_t>(x.id) -
                                                    static_cast<uint64_t>(lo))];
        if (!slot) slot = &x;
      }
    } else {
      sparse_ = ById(items);
    }
  }
  const T* Find(int64_t id) const {
    if (!dense_.empty()) {
      const uint64_t at = static_cast<uint64_t>(id) - static_cast<uint64_t>(base_);
      return at < dense_.size() ? dense_[static_cast<size_t>(at)] : nullptr;
    }
    auto it = sparse_.find(id);
    return it == sparse_.end() ? nullptr : it->second;
  }

 private:
  int64_t base_ = 0;
  std::vector<const T*> dense_;
  std::unordered_map<int64_t, const T*> sparse_;
};

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
  IdIndex<Source> sources(facts.sources);
  IdIndex<Recommendation> recs(facts.recommendations);
  IdIndex<Owner> owners(facts.owners);
  UpdateIndex updates(facts.updates);

  // Roll-ups per recommendation, needed where a source counts by report (PFD):
  // a first pass over PFD assignments only, so that the counting pass needs no
  // per-assignment storage.
  std::unordered_map<int64_t, ResponseStatus> rollup;
  if (std::any_of(facts.sources.begin(), facts.sources.end(),
                  [](const Source& s) { return s.kind == "pfd"; })) {
    std::unordered_map<int64_t, std::vector<ResponseStatus>> by_rec;
    for (const auto& a : facts.assignments) {
      const Recommendation* rec = recs.Find(a.recommendation_id);
      if (!rec) continue;
      const Source* src = sources.Find(rec->source_id);
      if (!src || src->kind != "pfd") continue;
      by_rec[a.recommendation_id].push_back(
          StateAt(a, DueDate(*src, a), updates.For(a.id), as_of, src->recorded_on)
              .response_status);
    }
    rollup.reserve(by_rec.size());
    for (auto& [id, list] : by_rec) rollup[id] = RollUpResponse(list);
  }

  struct Tally {
    OwnerRow row;
    std::vector<int> days;
  };
  std::map<int64_t, Tally> rows;
  Tally* last = nullptr;  // assignments of one owner often come together
  for (const auto& a : facts.assignments) {
    const Recommendation* rec = recs.Find(a.recommendation_id);
    if (!rec) continue;
    const Source* src = sources.Find(rec->source_id);
    if (!src) continue;
    const auto st = StateAt(a, DueDate(*src, a), updates.For(a.id), as_of, src->recorded_on);
    if (!last || last->row.owner_id != a.owner_id) last = &rows[a.owner_id];
    OwnerRow& row = last->row;
    if (row.total == 0) {
      row.owner_id = a.owner_id;
      row.tier = "unclassified";
      if (const Owner* o = owners.Find(a.owner_id)) {
        row.owner = o->name;
        row.tier = o->tier;
      }
    }
    ++row.total;
    ResponseStatus rs = st.response_status;
    if (src->kind == "pfd") rs = rollup[a.recommendation_id];
    ++row.by_response_status[static_cast<int>(rs)];
    ++row.by_implementation[static_cast<int>(st.implementation)];
    std::optional<Date> since = st.last_progress;
    if (!since) since = rec->made ? rec->made : src->date;
    if (since && *since <= as_of) last->days.push_back(as_of - *since);
  }
  std::vector<OwnerRow> out;
  out.reserve(rows.size());
  for (auto& [id, tally] : rows) {
    tally.row.median_days_since_progress = Median(&tally.days);
    out.push_back(std::move(tally.row));
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

  IdIndex<Owner> owners(facts.owners);
  UpdateIndex updates(facts.updates);
  std::vector<const Recommendation*> recs;
  for (const auto& r : facts.recommendations)
    if (r.source_id == source_id) recs.push_back(&r);
  std::sort(recs.begin(), recs.end(),
            [](const Recommendation* x, const Recommendation* y) { return x->id < y->id; });

  // Each recommendation's assignments, by id: one array, a range per
  // recommendation (a counting sort over the recommendations' positions).
  std::unordered_map<int64_t, uint32_t> position;
  position.reserve(recs.size());
  for (size_t i = 0; i < recs.size(); ++i)
    position.emplace(recs[i]->id, static_cast<uint32_t>(i));
  std::vector<uint32_t> begin(recs.size() + 1, 0);
  std::vector<uint32_t> assignment_rec(facts.assignments.size(), UINT32_MAX);
  for (size_t k = 0; k < facts.assignments.size(); ++k) {
    auto it = position.find(facts.assignments[k].recommendation_id);
    if (it == position.end()) continue;
    assignment_rec[k] = it->second;
    ++begin[it->second + 1];
  }
  for (size_t i = 0; i < recs.size(); ++i) begin[i + 1] += begin[i];
  std::vector<const Assignment*> by_rec(begin.back());
  {
    std::vector<uint32_t> next(begin.begin(), begin.end() - 1);
    for (size_t k = 0; k < facts.assignments.size(); ++k)
      if (assignment_rec[k] != UINT32_MAX) by_rec[next[assignment_rec[k]]++] = &facts.assignments[k];
  }
  auto assignments_of = [&](size_t i) {
    return std::span<const Assignment* const>(by_rec.data() + begin[i], begin[i + 1] - begin[i]);
  };
  for (size_t i = 0; i < recs.size(); ++i)
    std::sort(by_rec.begin() + begin[i], by_rec.begin() + begin[i + 1],
              [](const Assignment* x, const Assignment* y) { return x->id < y->id; });

  auto owner_name = [&](int64_t id) -> std::string {
    const Owner* o = owners.Find(id);
    return o ? o->name : std::string();
  };
  auto owner_tier = [&](int64_t id) -> std::string {
    const Owner* o = owners.Find(id);
    return o ? o->tier : std::string("unclassified");
  };

  std::map<std::string, ReportData::OwnerGroup> central, other;
  std::map<std::string, ReportData::TierRow> tiers;
  std::map<std::pair<std::string, std::string>, const ReportData::StateRow*> prev;
  if (previous_states)
    for (const auto& s : *previous_states) prev[{s.ref, s.owner}] = &s;

  // What each owner's assignments go to, found once per owner.
  struct OwnerSlot {
    std::string name, tier;
    ReportData::TierRow* tier_row = nullptr;
    ReportData::OwnerGroup* group = nullptr;  // made when it first has an outstanding item
  };
  std::unordered_map<int64_t, OwnerSlot> slots;
  auto slot_of = [&](int64_t owner_id) -> OwnerSlot& {
    auto [it, added] = slots.try_emplace(owner_id);
    OwnerSlot& slot = it->second;
    if (added) {
      slot.name = owner_name(owner_id);
      slot.tier = owner_tier(owner_id);
      slot.tier_row = &tiers[slot.tier];
      slot.tier_row->tier = slot.tier;
    }
    return slot;
  };

  std::vector<ResponseStatus> rs;
  std::vector<Implementation> impl;
  std::vector<const std::string*> names;
  for (size_t i = 0; i < recs.size(); ++i) {
    const Recommendation* r = recs[i];
    ++d.total;
    rs.clear();
    impl.clear();
    names.clear();
    for (const Assignment* a : assignments_of(i)) {
      auto due = DueDate(*src, *a);
      auto st = StateAt(*a, due, updates.For(a->id), as_of, src->recorded_on);
      rs.push_back(st.response_status);
      impl.push_back(st.implementation);
      OwnerSlot& slot = slot_of(a->owner_id);
      const std::string& owner = slot.name;
      const std::string& tier = slot.tier;
      names.push_back(&owner);

      auto& t = *slot.tier_row;
      ++t.assignments;
      if (st.implementation == Implementation::kImplemented) ++t.implemented;
      if (st.response_status == ResponseStatus::kOverdue) ++t.overdue;

      if (st.implementation == Implementation::kUnknown) {
        ++t.not_reported;
        d.not_reported.push_back({r->ref, r->text, owner, tier, st.response, st.response_status,
                                  st.implementation, due, st.latest_narrative});
      } else if (IsOutstanding(st.implementation)) {
        ++t.outstanding;
        if (!slot.group) {
          auto& groups = tier == "central_government" ? central : other;
          slot.group = &groups[owner];
          slot.group->owner = owner;
          slot.group->tier = tier;
        }
        slot.group->items.push_back({r->ref, r->text, owner, tier, st.response,
                                     st.response_status, st.implementation, due,
                                     st.latest_narrative});
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
      for (const std::string* name : names) prev.erase({r->ref, *name});
    auto rolled_rs = RollUpResponse(rs);
    ++d.by_implementation[static_cast<int>(rolled_impl)];
    ++d.by_response_status[static_cast<int>(rolled_rs)];
    if (rolled_impl == Implementation::kImplemented) {
      ++d.implemented;
      ReportData::Item item;
      item.ref = r->ref;
      item.text = r->text;
      for (size_t k = 0; k < names.size(); ++k) {
        if (k) item.owner += ", ";
        item.owner += *names[k];
      }
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
  for (const Assignment* a : by_rec)
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
  std::vector<size_t> changing;
  for (size_t i = 0; i < recs.size(); ++i) {
    bool has_updates = false;
    for (const Assignment* a : assignments_of(i)) has_updates |= !updates.For(a->id).empty();
    if (has_updates) {
      changing.push_back(i);
      continue;
    }
    impl.clear();
    for (const Assignment* a : assignments_of(i)) impl.push_back(a->initial.implementation);
    if (!impl.empty() && RollUpImplementation(impl) == Implementation::kImplemented) ++constant;
  }
  for (Date day : points) {
    int count = constant;
    for (size_t i : changing) {
      impl.clear();
      for (const Assignment* a : assignments_of(i))
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
