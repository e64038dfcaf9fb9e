#pragma once
// Facts indexed for the app's documents: each assignment with its
// recommendation, source and owner, its due date and its state as of a date
// (StateAt), computed once. Used by the read side (app/views.cc) and by the
// chase planner (app/chase.cc), so that both read a state the same way.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/metrics.h"
#include "core/status.h"

namespace rectrack {

// An assignment's state as of a date, with what the pages need beside it.
struct AssignmentAsOf {
  const Assignment* a = nullptr;
  const Recommendation* rec = nullptr;
  const Source* source = nullptr;
  const Owner* owner = nullptr;
  std::optional<Date> due;
  EffectiveState st;
  std::optional<Date> target;           // EffectiveTarget
  std::optional<int> days_past_target;  // DaysPastTarget as of the index's date
};

class FactsIndex {
 public:
  FactsIndex(const Facts& f, Date as_of) {
    for (const auto& s : f.sources) sources_[s.id] = &s;
    for (const auto& o : f.owners) {
      owners_[o.id] = &o;
      by_name_[o.name] = o.id;
      for (const auto& a : o.aliases) by_name_[a] = o.id;
    }
    for (const auto& r : f.recommendations) recs_[r.id] = &r;
    std::unordered_map<int64_t, std::vector<const Update*>> ups;
    for (const auto& u : f.updates) ups[u.assignment_id].push_back(&u);
    computed_.reserve(f.assignments.size());
    for (const auto& a : f.assignments) {
      auto r = recs_.find(a.recommendation_id);
      if (r == recs_.end()) continue;
      auto s = sources_.find(r->second->source_id);
      if (s == sources_.end()) continue;
      AssignmentAsOf c;
      c.a = &a;
      c.rec = r->second;
      c.source = s->second;
      auto o = owners_.find(a.owner_id);
      c.owner = o == owners_.end() ? nullptr : o->second;
      c.due = DueDate(*c.source, a);
      c.st = StateAt(a, c.due, ups[a.id], as_of, c.source->recorded_on);
      c.target = EffectiveTarget(*c.rec, a);
      c.days_past_target = DaysPastTarget(c.st.implementation, c.target, as_of);
      by_rec_[a.recommendation_id].push_back(computed_.size());
      computed_.push_back(std::move(c));
    }
  }
  const std::vector<AssignmentAsOf>& computed() const { return computed_; }
  std::vector<const AssignmentAsOf*> ForRec(int64_t rec_id) const {
    std::vector<const AssignmentAsOf*> out;
    auto it = by_rec_.find(rec_id);
    if (it != by_rec_.end())
      for (size_t i : it->second) out.push_back(&computed_[i]);
    return out;
  }
  std::optional<int64_t> OwnerByName(const std::string& name) const {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return std::nullopt;
    return it->second;
  }
  const Source* SourceById(int64_t id) const {
    auto it = sources_.find(id);
    return it == sources_.end() ? nullptr : it->second;
  }

 private:
  std::unordered_map<int64_t, const Source*> sources_;
  std::unordered_map<int64_t, const Owner*> owners_;
  std::unordered_map<std::string, int64_t> by_name_;
  std::unordered_map<int64_t, const Recommendation*> recs_;
  std::vector<AssignmentAsOf> computed_;
  std::unordered_map<int64_t, std::vector<size_t>> by_rec_;
};

}  // namespace rectrack
