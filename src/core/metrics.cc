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
    if (by_assignment_.empty()) return {};  // (most assignments of a big store have none)
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

// ---------------------------------------------------------------------------
// The owners table.

struct OwnersTally::Impl {
  Impl(const Facts& context, Date as_of)
      : as_of(as_of), sources(context.sources), owners(context.owners), updates(context.updates) {
    any_pfd = std::any_of(context.sources.begin(), context.sources.end(),
                          [](const Source& s) { return s.kind == "pfd"; });
  }
  struct Tally {
    OwnerRow row;
    std::vector<int> days;
  };
  Date as_of;
  IdIndex<Source> sources;
  IdIndex<Owner> owners;
  UpdateIndex updates;
  bool any_pfd = false;
  std::map<int64_t, Tally> rows;
};

OwnersTally::OwnersTally(const Facts& context, Date as_of)
    : impl_(std::make_unique<Impl>(context, as_of)) {}
OwnersTally::~OwnersTally() = default;

void OwnersTally::Add(const std::vector<Recommendation>& recommendations,
                      const std::vector<Assignment>& assignments) {
  Impl& m = *impl_;
  const Date as_of = m.as_of;
  IdIndex<Recommendation> recs(recommendations);

  // Roll-ups per recommendation, needed where a source counts by report (PFD):
  // a first pass over PFD assignments only, so that the counting pass needs no
  // per-assignment storage.
  std::unordered_map<int64_t, ResponseStatus> rollup;
  if (m.any_pfd) {
    std::unordered_map<int64_t, std::vector<ResponseStatus>> by_rec;
    for (const auto& a : assignments) {
      const Recommendation* rec = recs.Find(a.recommendation_id);
      if (!rec) continue;
      const Source* src = m.sources.Find(rec->source_id);
      if (!src || src->kind != "pfd") continue;
      by_rec[a.recommendation_id].push_back(
          StateAt(a, DueDate(*src, a), m.updates.For(a.id), as_of, src->recorded_on)
              .response_status);
    }
    rollup.reserve(by_rec.size());
    for (auto& [id, list] : by_rec) rollup[id] = RollUpResponse(list);
  }

  Impl::Tally* last = nullptr;  // assignments of one owner often come together
  for (const auto& a : assignments) {
    const Recommendation* rec = recs.Find(a.recommendation_id);
    if (!rec) continue;
    const Source* src = m.sources.Find(rec->source_id);
    if (!src) continue;
    const auto st = StateAt(a, DueDate(*src, a), m.updates.For(a.id), as_of, src->recorded_on);
    if (!last || last->row.owner_id != a.owner_id) last = &m.rows[a.owner_id];
    OwnerRow& row = last->row;
    if (row.total == 0) {
      row.owner_id = a.owner_id;
      row.tier = "unclassified";
      if (const Owner* o = m.owners.Find(a.owner_id)) {
        row.owner = o->name;
        row.tier = o->tier;
      }
    }
    ++row.total;
    ResponseStatus rs = st.response_status;
    if (src->kind == "pfd") rs = rollup[a.recommendation_id];
    ++row.by_response_status[static_cast<int>(rs)];
    ++row.by_implementation[static_cast<int>(st.implementation)];
    if (DaysPastTarget(st.implementation, EffectiveTarget(*rec, a), as_of)) ++row.past_target;
    std::optional<Date> since = st.last_progress;
    if (!since) since = rec->made ? rec->made : src->date;
    if (since && *since <= as_of) last->days.push_back(as_of - *since);
  }
}

std::vector<OwnerRow> OwnersTally::Finish() {
  std::vector<OwnerRow> out;
  out.reserve(impl_->rows.size());
  for (auto& [id, tally] : impl_->rows) {
    tally.row.median_days_since_progress = Median(&tally.days);
    out.push_back(std::move(tally.row));
  }
  impl_->rows.clear();
  std::sort(out.begin(), out.end(), [](const OwnerRow& x, const OwnerRow& y) {
    return x.owner != y.owner ? x.owner < y.owner : x.owner_id < y.owner_id;
  });
  return out;
}

std::vector<OwnerRow> OwnersTable(const Facts& facts, Date as_of) {
  OwnersTally tally(facts, as_of);
  tally.Add(facts.recommendations, facts.assignments);
  return tally.Finish();
}

// ---------------------------------------------------------------------------
// The official update.

struct ReportBuilder::Impl {
  Impl(const Facts& context, int64_t source_id, Date as_of,
       const ReportData::PreviousPublication* previous,
       const std::vector<ReportData::StateRow>* previous_states, ReportItemSink* sink)
      : context(context),
        source_id(source_id),
        as_of(as_of),
        previous(previous),
        previous_states(previous_states),
        sink(sink),
        owners(context.owners),
        updates(context.updates) {
    d.as_of = as_of;
    for (const auto& s : context.sources)
      if (s.id == source_id) src = &s;
    if (!src) return;
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
    if (previous_states)
      for (const auto& s : *previous_states) prev[{s.ref, s.owner}] = &s;
    if (src->date && *src->date <= as_of) dates.insert(*src->date);
  }

  // What each owner's assignments go to, found once per owner.
  struct OwnerSlot {
    std::string name, tier;
    ReportData::TierRow* tier_row = nullptr;
    size_t group = SIZE_MAX;  // made when it first has an outstanding item
  };
  struct Group {
    ReportData::OwnerGroup group;
    size_t count = 0;
  };

  OwnerSlot& SlotOf(int64_t owner_id) {
    // Owners are few and their ids small: found by id in an array, not hashed
    // once per assignment.
    const bool small = owner_id >= 0 && owner_id < (int64_t{1} << 20);
    if (small && static_cast<size_t>(owner_id) < slot_by_id.size())
      if (OwnerSlot* known = slot_by_id[static_cast<size_t>(owner_id)]) return *known;
    auto [it, added] = slots.try_emplace(owner_id);
    OwnerSlot& slot = it->second;
    if (small) {
      if (static_cast<size_t>(owner_id) >= slot_by_id.size())
        slot_by_id.resize(static_cast<size_t>(owner_id) + 1, nullptr);
      slot_by_id[static_cast<size_t>(owner_id)] = &slot;
    }
    if (added) {
      const Owner* o = owners.Find(owner_id);
      slot.name = o ? o->name : std::string();
      slot.tier = o ? o->tier : std::string("unclassified");
      slot.tier_row = &tiers[slot.tier];
      slot.tier_row->tier = slot.tier;
    }
    return slot;
  }

  size_t GroupOf(OwnerSlot& slot) {
    if (slot.group != SIZE_MAX) return slot.group;
    auto& by_name = slot.tier == "central_government" ? central : other;
    auto [it, added] = by_name.try_emplace(slot.name, groups.size());
    if (added) groups.emplace_back().group.owner = slot.name;
    groups[it->second].group.tier = slot.tier;  // as a later owner of the same name has it
    slot.group = it->second;
    return slot.group;
  }

  void Outstanding(size_t group, const ReportItemView& item) {
    ++groups[group].count;
    if (sink) sink->Outstanding(group, item);
    else groups[group].group.items.push_back(ItemOf(item));
  }
  static ReportData::Item ItemOf(const ReportItemView& v) {
    return {std::string(v.ref), std::string(v.text), std::string(v.owner), std::string(v.tier),
            v.response, v.response_status, v.implementation, v.due, std::string(v.note)};
  }

  const Facts& context;
  int64_t source_id;
  Date as_of;
  const ReportData::PreviousPublication* previous;
  const std::vector<ReportData::StateRow>* previous_states;
  ReportItemSink* sink;
  const Source* src = nullptr;
  IdIndex<Owner> owners;
  UpdateIndex updates;
  ReportData d;

  std::unordered_map<int64_t, OwnerSlot> slots;  // (nodes: the pointers below stay valid)
  std::vector<OwnerSlot*> slot_by_id;
  std::vector<Group> groups;
  std::map<std::string, size_t> central, other;  // by owner name
  std::map<std::string, ReportData::TierRow> tiers;
  std::map<std::pair<std::string, std::string>, const ReportData::StateRow*> prev;
  std::vector<size_t> central_order, other_order;

  // For the timeline: the days something changed, the recommendations that
  // count the same on every day, and the assignments of those that do not.
  std::set<Date> dates;
  int constant = 0;
  std::vector<std::vector<Assignment>> changing;
};

ReportBuilder::ReportBuilder(const Facts& context, int64_t source_id, Date as_of,
                             const ReportData::PreviousPublication* previous,
                             const std::vector<ReportData::StateRow>* previous_states,
                             ReportItemSink* sink)
    : impl_(std::make_unique<Impl>(context, source_id, as_of, previous, previous_states, sink)) {}
ReportBuilder::~ReportBuilder() = default;

void ReportBuilder::Add(const std::vector<Recommendation>& recommendations,
                        const std::vector<Assignment>& assignments) {
  Impl& m = *impl_;
  if (!m.src) return;
  const Source& src = *m.src;
  const Date as_of = m.as_of;
  ReportData& d = m.d;
  std::vector<const Recommendation*> recs;
  for (const auto& r : recommendations)
    if (r.source_id == m.source_id) recs.push_back(&r);
  std::sort(recs.begin(), recs.end(),
            [](const Recommendation* x, const Recommendation* y) { return x->id < y->id; });

  // Each recommendation's assignments, by id: one array, a range per
  // recommendation (a counting sort over the recommendations' positions).
  // (A recommendation's position by binary search over `recs`, sorted by id:
  // a hash map of a part's ids cost an allocation per recommendation.)
  std::vector<uint32_t> begin(recs.size() + 1, 0);
  std::vector<uint32_t> assignment_rec(assignments.size(), UINT32_MAX);
  for (size_t k = 0; k < assignments.size(); ++k) {
    const int64_t rec_id = assignments[k].recommendation_id;
    auto it = std::lower_bound(recs.begin(), recs.end(), rec_id,
                               [](const Recommendation* r, int64_t id) { return r->id < id; });
    if (it == recs.end() || (*it)->id != rec_id) continue;
    const auto at = static_cast<uint32_t>(it - recs.begin());
    assignment_rec[k] = at;
    ++begin[at + 1];
  }
  for (size_t i = 0; i < recs.size(); ++i) begin[i + 1] += begin[i];
  std::vector<const Assignment*> by_rec(begin.back());
  {
    std::vector<uint32_t> next(begin.begin(), begin.end() - 1);
    for (size_t k = 0; k < assignments.size(); ++k)
      if (assignment_rec[k] != UINT32_MAX) by_rec[next[assignment_rec[k]]++] = &assignments[k];
  }
  auto assignments_of = [&](size_t i) {
    return std::span<const Assignment* const>(by_rec.data() + begin[i], begin[i + 1] - begin[i]);
  };
  for (size_t i = 0; i < recs.size(); ++i)
    std::sort(by_rec.begin() + begin[i], by_rec.begin() + begin[i + 1],
              [](const Assignment* x, const Assignment* y) { return x->id < y->id; });

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
      auto due = DueDate(src, *a);
      auto st = StateAt(*a, due, m.updates.For(a->id), as_of, src.recorded_on);
      rs.push_back(st.response_status);
      impl.push_back(st.implementation);
      Impl::OwnerSlot& slot = m.SlotOf(a->owner_id);
      const std::string& owner = slot.name;
      const std::string& tier = slot.tier;
      names.push_back(&owner);

      auto& t = *slot.tier_row;
      ++t.assignments;
      if (st.implementation == Implementation::kImplemented) ++t.implemented;
      if (st.response_status == ResponseStatus::kOverdue) ++t.overdue;

      if (st.implementation == Implementation::kUnknown) {
        ++t.not_reported;
        ReportItemView item{r->ref, r->text, owner, tier, st.response, st.response_status,
                            st.implementation, due, st.latest_narrative};
        if (m.sink) m.sink->NotReported(item);
        else d.not_reported.push_back(Impl::ItemOf(item));
      } else if (IsOutstanding(st.implementation)) {
        ++t.outstanding;
        m.Outstanding(m.GroupOf(slot),
                      ReportItemView{r->ref, r->text, owner, tier, st.response, st.response_status,
                                     st.implementation, due, st.latest_narrative});
      }
      if (st.response_status == ResponseStatus::kOverdue && due)
        d.overdue.push_back({r->ref, owner, *due, as_of - *due});
      const auto target = EffectiveTarget(*r, *a);
      if (auto past = DaysPastTarget(st.implementation, target, as_of))
        d.past_target.push_back({r->ref, owner, *target, *past});

      // The state rows (and the changes against the last publication's): not
      // made at all for a streamed report without a previous one.
      if (!m.previous_states && m.sink) continue;
      ReportData::StateRow row{r->ref, owner, st.response_status, st.implementation};
      if (m.previous_states) {
        auto it = m.prev.find({r->ref, owner});
        if (it == m.prev.end()) {
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
      if (!m.sink) d.states.push_back(std::move(row));
    }
    auto rolled_impl = RollUpImplementation(impl);
    if (m.previous_states)
      for (const std::string* name : names) m.prev.erase({r->ref, *name});
    auto rolled_rs = RollUpResponse(rs);
    ++d.by_implementation[static_cast<int>(rolled_impl)];
    ++d.by_response_status[static_cast<int>(rolled_rs)];
    if (rolled_impl == Implementation::kImplemented) {
      ++d.implemented;
      std::string joined;  // several owners' names; one (the usual case) is not copied
      if (names.size() > 1)
        for (size_t k = 0; k < names.size(); ++k) {
          if (k) joined += ", ";
          joined += *names[k];
        }
      ReportItemView item;
      item.ref = r->ref;
      item.text = r->text;
      item.owner = names.size() == 1 ? std::string_view(*names[0]) : std::string_view(joined);
      item.response_status = rolled_rs;
      item.implementation = rolled_impl;
      if (m.sink) m.sink->Done(item);
      else d.done.push_back(Impl::ItemOf(item));
    }

    // For the timeline. Only recommendations with updates change over time;
    // the rest count the same on every day.
    bool has_updates = false;
    for (const Assignment* a : assignments_of(i)) {
      for (const Update* u : m.updates.For(a->id)) {
        has_updates = true;
        if (u->implementation && u->date <= as_of) m.dates.insert(u->date);
      }
    }
    if (has_updates) {
      auto& kept = m.changing.emplace_back();
      for (const Assignment* a : assignments_of(i)) kept.push_back(*a);
      continue;
    }
    impl.clear();
    for (const Assignment* a : assignments_of(i)) impl.push_back(a->initial.implementation);
    if (!impl.empty() && RollUpImplementation(impl) == Implementation::kImplemented) ++m.constant;
  }
}

ReportData ReportBuilder::Finish() {
  Impl& m = *impl_;
  ReportData& d = m.d;
  if (!m.src) return std::move(d);
  const Source& src = *m.src;

  // What the previous publication held that is gone now (merged owners, say).
  for (const auto& [key, row] : m.prev)
    d.changes.push_back({key.first, key.second, "assignment", "", "removed"});

  // Who holds the most outstanding items comes first.
  auto ordered = [&](const std::map<std::string, size_t>& by_name,
                     std::vector<ReportData::OwnerGroup>* out, std::vector<size_t>* order) {
    for (const auto& [name, index] : by_name) order->push_back(index);
    std::stable_sort(order->begin(), order->end(), [&](size_t x, size_t y) {
      return m.groups[x].count > m.groups[y].count;
    });
    for (size_t index : *order) out->push_back(std::move(m.groups[index].group));
  };
  ordered(m.central, &d.central_government, &m.central_order);
  ordered(m.other, &d.outstanding_other, &m.other_order);
  for (auto& [name, t] : m.tiers) d.tiers.push_back(t);
  std::sort(d.tiers.begin(), d.tiers.end(),
            [](const auto& x, const auto& y) { return TierOrder(x.tier) < TierOrder(y.tier); });
  std::stable_sort(d.overdue.begin(), d.overdue.end(), [](const auto& x, const auto& y) {
    return x.days_overdue > y.days_overdue;
  });
  std::stable_sort(d.past_target.begin(), d.past_target.end(),
                   [](const auto& x, const auto& y) { return x.days_past > y.days_past; });
  if (m.previous) d.previous = *m.previous;

  for (const auto& f : m.context.funding) {
    if (f.source_id != m.source_id) continue;
    const Owner* o = m.owners.Find(f.owner_id);
    d.funding.push_back({o ? o->name : std::string(), f.item, f.period, f.cost, f.funded, f.gap(),
                         f.currency});
    d.funding_cost += f.cost;
    d.funding_funded += f.funded;
    d.funding_gap += f.gap();
  }

  // Implemented over time: the roll-up count on each day something changed.
  std::set<Date> dates = m.dates;
  dates.insert(m.as_of);
  std::vector<Date> points(dates.begin(), dates.end());
  constexpr size_t kMaxPoints = 60;
  if (points.size() > kMaxPoints) {
    std::vector<Date> sampled;
    for (size_t i = 0; i < kMaxPoints; ++i)
      sampled.push_back(points[i * (points.size() - 1) / (kMaxPoints - 1)]);
    points = sampled;
  }
  std::vector<Implementation> impl;
  for (Date day : points) {
    int count = m.constant;
    for (const auto& kept : m.changing) {
      impl.clear();
      for (const Assignment& a : kept)
        impl.push_back(
            StateAt(a, DueDate(src, a), m.updates.For(a.id), day, src.recorded_on).implementation);
      if (!impl.empty() && RollUpImplementation(impl) == Implementation::kImplemented) ++count;
    }
    d.timeline.push_back({day, count});
  }
  return std::move(d);
}

const std::vector<size_t>& ReportBuilder::CentralOrder() const { return impl_->central_order; }
const std::vector<size_t>& ReportBuilder::OtherOrder() const { return impl_->other_order; }

ReportData BuildReport(const Facts& facts, int64_t source_id, Date as_of,
                       const ReportData::PreviousPublication* previous,
                       const std::vector<ReportData::StateRow>* previous_states) {
  ReportBuilder builder(facts, source_id, as_of, previous, previous_states);
  builder.Add(facts.recommendations, facts.assignments);
  return builder.Finish();
}

}  // namespace rectrack
