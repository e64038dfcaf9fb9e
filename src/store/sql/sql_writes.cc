// The SQLite store's writes of the domain: each reads what it needs, states its
// change as a change set with every new row's id, and Record()s it (Apply, then
// the ledger event holding the whole change).
#include <algorithm>
#include <set>

#include "core/signing.h"
#include "fmt/format.h"
#include "store/keyfile.h"
#include "store/sql/sql_store.h"

namespace rectrack::sql {
namespace {

Value OptText(const std::optional<Date>& d) { return d ? Value::Text(d->ToIso()) : Value::Null(); }
Value OptInt(const std::optional<int>& v) { return v ? Value::Int(*v) : Value::Null(); }

std::vector<std::string_view> TableOrder() {
  std::vector<std::string_view> order;
  for (const auto& t : ProjectedTables()) order.push_back(t.name);
  return order;
}

// What the ledger says of an assignment, for people reading it.
json AboutAssignment(const AssignmentRef& a) {
  return json{{"assignment_id", a.id}, {"source", a.source_slug}, {"ref", a.ref}, {"owner", a.owner}};
}

}  // namespace

Row UpdateRow(const Update& u) {
  return {Value::Int(u.id),
          Value::Int(u.assignment_id),
          Value::Text(u.date.ToIso()),
          u.response ? Value::Text(std::string(Name(*u.response))) : Value::Null(),
          Value::Text(u.response_text),
          u.response_status ? Value::Text(std::string(Name(*u.response_status))) : Value::Null(),
          u.implementation ? Value::Text(std::string(Name(*u.implementation))) : Value::Null(),
          Value::Text(u.narrative),
          Value::Text(JsonList(u.evidence)),
          Value::Text(u.author),
          Value::Text(std::string(Name(u.state))),
          Value::Text(u.return_reason)};
}

// ---- import ----------------------------------------------------------------

SqlImportSession::~SqlImportSession() {
  if (open_) store_->Rollback();
  RestoreForeignKeys();
  // Owners created in a rolled-back transaction must not linger in the cache.
  if (open_ || failed_) store_->ForgetOwners();
}

Status SqlImportSession::Start() {
  // Every reference the session writes is one it has just made or looked up
  // (in a cache loaded inside its transaction, below), so SQLite's foreign key
  // checks, two index lookups per assignment, only cost time: off for a
  // session that is a transaction of its own (the pragma cannot change inside
  // one), and on again as soon as it ends.
  if (store_->depth() == 0) {
    RT_TRY(store_->ForeignKeysForImport(false));
    fk_off_ = true;
  }
  if (auto b = store_->Begin(); !b) {
    RestoreForeignKeys();
    return b;
  }
  open_ = true;
  // Owners may have changed since this connection last looked (merged by
  // another); within the transaction the cache is exact.
  store_->ForgetOwners();
  auto next = [&](std::string_view table, int64_t* out) -> Status {
    auto id = store_->NextId(table);
    if (!id) return Fail(id.error());
    *out = *id;
    return {};
  };
  Status s = next("owners", &ids_.owner);
  if (s) s = next("sources", &ids_.source);
  if (s) s = next("recommendations", &ids_.recommendation);
  if (s) s = next("assignments", &ids_.assignment);
  if (s) s = next("updates", &ids_.update);
  if (s) s = next("funding", &ids_.funding);
  if (!s) return Failed(s.error());
  return {};
}

void SqlImportSession::RestoreForeignKeys() {
  if (!fk_off_) return;
  (void)store_->ForeignKeysForImport(true);
  fk_off_ = false;
}

Status SqlImportSession::Failed(Error e) {
  if (open_) store_->Rollback();
  RestoreForeignKeys();
  open_ = false;
  failed_ = true;
  return Fail(std::move(e));
}

Status SqlImportSession::Add(const ImportBatch& chunk) {
  if (!open_) return Fail(Error::Internal("import session is closed"));
  ChangeSet changes;
  if (auto s = AddChunk(chunk, &changes); !s) return Failed(s.error());
  // What is pending goes out as an event before this chunk would take it over
  // the bound, so that events are cut between chunks; a chunk larger than the
  // bound alone is cut by Flush.
  const size_t bytes = SerializedBound(changes);
  if (pending_bytes_ > 0 && pending_bytes_ + bytes > kEventBytes)
    if (auto s = Flush(false); !s) return Failed(s.error());
  pending_bytes_ += bytes;
  pending_.Append(std::move(changes));
  if (pending_bytes_ > kEventBytes)
    if (auto s = Flush(false); !s) return Failed(s.error());
  return {};
}

Status SqlImportSession::AddChunk(const ImportBatch& chunk, ChangeSet* cs) {
  Connection* db = store_->db();
  // Owners made in this chunk (applied at its end), with their tier.
  std::unordered_map<int64_t, std::string> made_tier;
  auto ensure_owner = [&](const std::string& name, const std::string& tier) -> Result<int64_t> {
    auto id = store_->ResolveOwner(name);
    if (!id) return id;
    if (*id) return id;
    if (name.empty()) return Fail(Error::Invalid("an owner name is empty"));
    int64_t new_id = ids_.owner++;
    std::string t = tier.empty() ? std::string("unclassified") : tier;
    cs->Insert("owners", {Value::Int(new_id), Value::Text(name), Value::Text(t)});
    store_->owner_cache_[name] = new_id;
    made_tier[new_id] = t;
    ++summary_.owners_created;
    return new_id;
  };
  auto add_alias = [&](const std::string& alias, int64_t owner_id) {
    cs->Insert("owner_aliases", {Value::Text(alias), Value::Int(owner_id)});
    store_->owner_cache_[alias] = owner_id;
  };
  // Declared owners first, so their tier is set when they are created.
  for (const auto& o : chunk.owners) {
    auto id = store_->ResolveOwner(o.name);
    if (!id) return Fail(id.error());
    if (*id == 0) {
      auto made = ensure_owner(o.name, o.tier);
      if (!made) return Fail(made.error());
      id = made;
    } else if (o.tier != "unclassified") {
      // A declared tier fills in an unclassified owner but never overrides a choice.
      std::string tier;
      if (auto m = made_tier.find(*id); m != made_tier.end()) {
        tier = m->second;
      } else {
        auto st = db->Prepare("SELECT tier FROM owners WHERE id = ?");
        if (!st) return Fail(st.error());
        (*st)->Bind(1, *id);
        auto row = (*st)->Step();
        if (!row) return Fail(row.error());
        if (*row) {
          tier = (*st)->Str(0);
          (*st)->Reset();
        }
      }
      auto& changed = cs->tables["owners"].updates;
      auto pending = changed.find(Row{Value::Int(*id)});
      if (pending != changed.end() && pending->second.count("tier"))
        tier = pending->second["tier"].s;
      if (tier == "unclassified") {
        if (auto m = made_tier.find(*id); m != made_tier.end()) {
          // Made in this chunk: its insert carries the tier.
          for (auto& r : cs->tables["owners"].inserts)
            if (r[0].i == *id) r[2] = Value::Text(o.tier);
          m->second = o.tier;
        } else {
          cs->Set("owners", {Value::Int(*id)}, "tier", Value::Text(o.tier));
        }
      }
    }
    for (const auto& alias : o.aliases) {
      auto existing = store_->ResolveOwner(alias);
      if (!existing) return Fail(existing.error());
      if (*existing == *id) continue;
      if (*existing != 0)
        return Fail(Error::Conflict(fmt::format(
            "alias '{}' of owner '{}' already names another owner; if they are one body, "
            "merge them with `rectrack owner alias '{}' '{}' --merge` and import again",
            alias, o.name, alias, o.name)));
      add_alias(alias, *id);
    }
  }
  for (const auto& [alias, canonical] : chunk.aliases) {
    auto id = ensure_owner(canonical, "unclassified");
    if (!id) return Fail(id.error());
    auto existing = store_->ResolveOwner(alias);
    if (!existing) return Fail(existing.error());
    if (*existing == *id) continue;
    if (*existing != 0)
      return Fail(Error::Conflict(fmt::format(
          "alias '{}' -> '{}': '{}' already names another owner; if they are one body, "
          "merge them with `rectrack owner alias '{}' '{}' --merge` and import again",
          alias, canonical, alias, alias, canonical)));
    add_alias(alias, *id);
  }

  auto find_src = db->Prepare("SELECT id FROM sources WHERE slug = ?");
  if (!find_src) return Fail(find_src.error());
  const NextIds chunk_ids = ids_;  // where this chunk's ids start, for messages
  for (const auto& sin : chunk.sources) {
    const Source& s = sin.source;
    if (s.slug.empty()) return Fail(Error::Invalid("a source has no slug"));
    if (s.title.empty() && !sin.existing)
      return Fail(Error::Invalid(fmt::format("source '{}' has no title", s.slug)));
    int64_t source_id;
    auto known = new_sources_.find(s.slug);
    if (known != new_sources_.end()) {
      source_id = known->second;
    } else if (sin.existing) {
      (*find_src)->Bind(1, s.slug);
      auto row = (*find_src)->Step();
      if (!row) return Fail(row.error());
      if (!*row)
        return Fail(Error::NotFound(fmt::format(
            "source '{}' is not in the store; nothing was imported", s.slug)));
      source_id = (*find_src)->Int(0);
      (*find_src)->Reset();
      new_sources_[s.slug] = source_id;
      summary_.source_slugs.push_back(s.slug);
    } else {
      (*find_src)->Bind(1, s.slug);
      auto row = (*find_src)->Step();
      if (!row) return Fail(row.error());
      if (*row) {
        (*find_src)->Reset();
        return Fail(Error::Conflict(fmt::format(
            "source '{}' is already in the store; nothing was imported (a source is imported "
            "once; record changes with `rectrack update`)",
            s.slug)));
      }
      source_id = ids_.source++;
      cs->Insert("sources",
                 {Value::Int(source_id), Value::Text(s.slug),
                  Value::Text(s.kind.empty() ? std::string("review") : s.kind),
                  Value::Text(s.title), Value::Text(s.author), Value::Text(s.commissioned_by),
                  OptText(s.date), Value::Text(s.url), OptInt(s.response_days),
                  OptText(s.recorded_on), OptInt(s.stated_total), Value::Text(s.notes),
                  Value::Text(s.vocabulary.empty() ? std::string("canonical") : s.vocabulary)});
      new_sources_[s.slug] = source_id;
      ++summary_.sources;
      summary_.source_slugs.push_back(s.slug);
    }
    for (const auto& rin : sin.recommendations) {
      const Recommendation& r = rin.recommendation;
      int64_t rec_id;
      if (rin.continued) {
        auto id = Continue(source_id, s.slug, r, cs);
        if (!id) return Fail(id.error());
        rec_id = *id;
      } else {
        rec_id = ids_.recommendation++;
        cs->Insert("recommendations",
                   {Value::Int(rec_id), Value::Int(source_id), Value::Text(r.ref),
                    Value::Text(r.text), Value::Text(JsonList(r.themes)), OptText(r.made),
                    OptText(r.target), Value::Text(r.made_by), Value::Text(r.url)});
        ++summary_.recommendations;
      }
      for (const auto& ain : rin.assignments) {
        auto owner_id = ensure_owner(ain.owner, "unclassified");
        if (!owner_id) return Fail(owner_id.error());
        const Assignment& a = ain.assignment;
        int64_t asg_id = ids_.assignment++;
        cs->Insert("assignments",
                   {Value::Int(asg_id), Value::Int(rec_id), Value::Int(*owner_id), OptText(a.due),
                    Value::Text(std::string(Name(a.initial.response))),
                    Value::Text(a.initial.response_text), OptText(a.initial.response_date),
                    Value::Text(std::string(Name(a.initial.recorded_status))),
                    Value::Text(std::string(Name(a.initial.implementation))),
                    Value::Text(a.raw_status), Value::Text(a.raw_response), Value::Int(1)});
        if (a.target)
          cs->Insert("assignment_targets", {Value::Int(asg_id), Value::Text(a.target->ToIso())});
        ++summary_.assignments;
        for (const auto& in : ain.updates) {
          Update u = in;
          u.id = ids_.update++;
          u.assignment_id = asg_id;
          cs->Insert("updates", UpdateRow(u));
          ++summary_.updates;
        }
      }
    }
    for (const auto& fin : sin.funding) {
      auto owner_id = ensure_owner(fin.owner, "unclassified");
      if (!owner_id) return Fail(owner_id.error());
      const FundingLine& f = fin.line;
      cs->Insert("funding", {Value::Int(ids_.funding++), Value::Int(source_id),
                             Value::Int(*owner_id), Value::Text(f.item), Value::Text(f.period),
                             Value::Int(f.cost), Value::Int(f.funded), Value::Text(f.currency),
                             Value::Text(f.note)});
      ++summary_.funding_lines;
    }
    source_slugs_.insert(s.slug);
  }

  RT_TRY(RefuseControls(*cs));
  ApplyFailure failure;
  auto applied = store_->ApplyTracked(*cs, true, &failure);
  if (applied) return {};
  Error e = applied.error();
  if (e.code != Error::Code::kConflict ||
      (failure.table != "recommendations" && failure.table != "assignments"))
    return Fail(std::move(e));
  // A clash only the insert found: name it as the file does, walking the chunk
  // in the order its ids were given out.
  int64_t rec_id = chunk_ids.recommendation, asg_id = chunk_ids.assignment;
  for (const auto& sin : chunk.sources) {
    for (const auto& rin : sin.recommendations) {
      int64_t this_rec = rin.continued ? 0 : rec_id++;
      if (failure.table == "recommendations" && this_rec == failure.row[0].i)
        return Fail(Error{e.code, sin.existing
                                      ? fmt::format("source '{}' has a recommendation '{}' already",
                                                    sin.source.slug, rin.recommendation.ref)
                                      : fmt::format("source '{}' has recommendation '{}' twice",
                                                    sin.source.slug, rin.recommendation.ref)});
      for (const auto& ain : rin.assignments)
        if (failure.table == "assignments" && asg_id++ == failure.row[0].i)
          return Fail(Error{e.code, fmt::format("recommendation '{}' of source '{}' is assigned "
                                                "to owner '{}' twice (names or aliases of one "
                                                "owner)",
                                                rin.recommendation.ref, sin.source.slug, ain.owner)});
    }
  }
  return Fail(std::move(e));
}

Result<int64_t> SqlImportSession::Continue(int64_t source_id, const std::string& slug,
                                              const Recommendation& r, ChangeSet* cs) {
  Connection* db = store_->db();
  auto find = db->Prepare(
      "SELECT id, text, themes, made, url FROM recommendations WHERE source_id = ? AND ref = ?");
  if (!find) return Fail(find.error());
  Statement* st = *find;
  st->Bind(1, source_id).Bind(2, r.ref);
  auto row = st->Step();
  if (!row) return Fail(row.error());
  if (!*row)
    return Fail(Error::Internal(fmt::format(
        "recommendation '{}' of source '{}' is continued, but no earlier chunk of this import "
        "wrote it",
        r.ref, slug)));
  const int64_t id = st->Int(0);
  const bool same_text = st->Text(1) == r.text;
  std::vector<std::string> themes = ParseList(st->Text(2));
  std::optional<Date> made = st->OptDate(3);
  std::string url = st->Str(4);
  st->Reset();
  if (!same_text)
    return Fail(Error::Conflict(fmt::format(
        "recommendation '{}' of source '{}' appears again with different text", r.ref, slug)));
  const Row key{Value::Int(id)};
  bool changed_themes = false;
  for (const auto& t : r.themes) {
    if (std::find(themes.begin(), themes.end(), t) != themes.end()) continue;
    themes.push_back(t);
    changed_themes = true;
  }
  if (changed_themes) cs->Set("recommendations", key, "themes", Value::Text(JsonList(themes)));
  if (!made && r.made) cs->Set("recommendations", key, "made", Value::Text(r.made->ToIso()));
  if (url.empty() && !r.url.empty()) cs->Set("recommendations", key, "url", Value::Text(r.url));
  return id;
}

Status SqlImportSession::Flush(bool last) {
  std::vector<ChangeSet> pieces;
  if (pending_bytes_ <= kEventBytes)
    pieces.push_back(std::move(pending_));
  else
    pieces = SplitChangeSet(std::move(pending_), kEventBytes, TableOrder());
  pending_ = ChangeSet();
  pending_bytes_ = 0;
  for (size_t i = 0; i < pieces.size(); ++i) {
    EventPayload p;
    p.about = json{{"part", ++parts_}};
    if (last && i + 1 == pieces.size()) {
      std::vector<std::string> slugs(source_slugs_.begin(), source_slugs_.end());
      if (slugs.size() > 50) slugs.resize(50);
      p.about = json{{"part", parts_},
                     {"last", true},
                     {"origin", origin_},
                     {"sources", summary_.sources},
                     {"recommendations", summary_.recommendations},
                     {"assignments", summary_.assignments},
                     {"owners_created", summary_.owners_created},
                     {"updates", summary_.updates},
                     {"funding_lines", summary_.funding_lines},
                     {"source_slugs", slugs}};
    }
    p.changes = std::move(pieces[i]);
    auto text = SerializePayload(p);
    if (!text) return Fail(text.error());
    auto e = store_->AppendEvent(actor_, "import", *text);
    if (!e) return Fail(e.error());
    if (!first_seq_) first_seq_ = e->seq;
    summary_.ledger_seq = e->seq;
  }
  return {};
}

Result<ImportSummary> SqlImportSession::Finish() {
  if (!open_) return Fail(Error::Internal("import session is closed"));
  if (auto s = Flush(true); !s) {
    (void)Failed(s.error());
    return Fail(s.error());
  }
  open_ = false;
  auto c = store_->Commit();
  RestoreForeignKeys();
  if (!c) {
    failed_ = true;
    return Fail(c.error());
  }
  summary_.first_ledger_seq = first_seq_;
  return summary_;
}

// ---- single writes ---------------------------------------------------------------

Result<int64_t> SqlStore::AddUpdate(int64_t assignment_id, const Update& in,
                                       const Actor& actor) {
  return InTransaction([&]() -> Result<int64_t> {
    auto a = GetAssignment(assignment_id);
    if (!a) return Fail(a.error());
    auto id = NextId("updates");
    if (!id) return Fail(id.error());
    Update u = in;
    u.id = *id;
    u.assignment_id = assignment_id;
    EventPayload p;
    p.about = AboutAssignment(*a);
    p.about["update_id"] = u.id;
    p.changes.Insert("updates", UpdateRow(u));
    p.changes.Set("assignments", {Value::Int(assignment_id)}, "version", Value::Int(a->version + 1));
    auto e = Record(actor, "update", p);
    if (!e) return Fail(e.error());
    return u.id;
  });
}

Result<int64_t> SqlStore::SetAssignmentTarget(int64_t assignment_id, std::optional<Date> target,
                                              std::optional<int64_t> expected_version,
                                              const Actor& actor) {
  return InTransaction([&]() -> Result<int64_t> {
    auto a = GetAssignment(assignment_id);
    if (!a) return Fail(a.error());
    if (expected_version && a->version != *expected_version)
      return Fail(Error::Precondition(fmt::format(
          "assignment {} changed since it was read (version {}, now {}): reload it and try again",
          assignment_id, *expected_version, a->version)));
    const TableDef* t = FindProjectedTable("assignment_targets");
    const Row key{Value::Int(assignment_id)};
    auto had = GetRow(*t, key);
    if (!had) return Fail(had.error());
    EventPayload p;
    p.about = AboutAssignment(*a);
    p.about["target"] = target ? json(target->ToIso()) : json(nullptr);
    if (!target && !*had)
      return Fail(Error::Invalid(fmt::format(
          "{} {} for {} has no target of its own to clear", a->source_slug, a->ref, a->owner)));
    if (!target) {
      p.changes.Delete("assignment_targets", key);
    } else if (*had) {
      if ((**had)[1].s == target->ToIso()) return a->version;  // no change, no event
      p.changes.Set("assignment_targets", key, "target", Value::Text(target->ToIso()));
    } else {
      p.changes.Insert("assignment_targets", {Value::Int(assignment_id), Value::Text(target->ToIso())});
    }
    p.changes.Set("assignments", key, "version", Value::Int(a->version + 1));
    auto e = Record(actor, "target", p);
    if (!e) return Fail(e.error());
    return a->version + 1;
  });
}

Status SqlStore::SetAlias(const std::string& alias, const std::string& canonical,
                             const Actor& actor) {
  if (alias == canonical) return Fail(Error::Invalid("an owner cannot be an alias of itself"));
  owner_cache_loaded_ = false;
  auto r = InTransaction([&]() -> Result<int64_t> {
    EventPayload p;
    p.about["merged_owner_id"] = 0;
    ChangeSet& cs = p.changes;
    auto target = ResolveOwner(canonical);
    if (!target) return Fail(target.error());
    if (*target == 0) {
      // A new canonical name for an existing owner: made here, with its tier,
      // and the old owner merged into it below (a rename, kept as an alias).
      auto old = db_->Prepare("SELECT tier FROM owners WHERE name = ?");
      if (!old) return Fail(old.error());
      (*old)->Bind(1, alias);
      auto row = (*old)->Step();
      if (!row) return Fail(row.error());
      if (!*row)
        return Fail(Error::NotFound(
            fmt::format("no owner '{}' nor '{}' (see `rectrack owners`)", canonical, alias)));
      std::string tier = (*old)->Str(0);
      (*old)->Reset();
      auto id = NextId("owners");
      if (!id) return Fail(id.error());
      target = *id;
      cs.Insert("owners", {Value::Int(*id), Value::Text(canonical), Value::Text(tier)});
    }
    const Value to = Value::Int(*target);
    auto find = db_->Prepare("SELECT id FROM owners WHERE name = ?");
    if (!find) return Fail(find.error());
    (*find)->Bind(1, alias);
    auto row = (*find)->Step();
    if (!row) return Fail(row.error());
    int64_t moved = 0;
    std::string merged_name;
    if (*row) {
      int64_t old_id = (*find)->Int(0);
      (*find)->Reset();
      if (old_id == *target)
        return Fail(Error::Invalid(fmt::format("'{}' is already that owner", alias)));
      // The alias was an owner of its own: its assignments and funding move over.
      auto clash = db_->Prepare(
          "SELECT COUNT(*) FROM assignments a JOIN assignments b "
          "ON a.recommendation_id = b.recommendation_id WHERE a.owner_id = ? AND b.owner_id = ?");
      if (!clash) return Fail(clash.error());
      (*clash)->Bind(1, old_id).Bind(2, *target);
      auto c = (*clash)->Step();
      if (!c) return Fail(c.error());
      int64_t both = (*clash)->Int(0);
      (*clash)->Reset();
      if (both > 0)
        return Fail(Error::Conflict(fmt::format(
            "'{}' and '{}' are both assigned {} of the same recommendations; merging them would "
            "lose one answer. Nothing changed.",
            alias, canonical, both)));
      // Every row that names the old owner, by key.
      for (const char* table : {"assignments", "funding"}) {
        auto st = db_->Prepare(fmt::format("SELECT id FROM {} WHERE owner_id = ? ORDER BY id", table));
        if (!st) return Fail(st.error());
        (*st)->Bind(1, old_id);
        while (true) {
          auto r = (*st)->Step();
          if (!r) return Fail(r.error());
          if (!*r) break;
          cs.Set(table, {Value::Int((*st)->Int(0))}, "owner_id", to);
          ++moved;
        }
      }
      // Contacts move too; one whose address the owner kept has already goes.
      auto oc = db_->Prepare(
          "SELECT id, (SELECT COUNT(*) FROM owner_contacts x WHERE x.owner_id = ?2 AND "
          "x.email = c.email) FROM owner_contacts c WHERE owner_id = ?1 ORDER BY id");
      if (!oc) return Fail(oc.error());
      (*oc)->Bind(1, old_id).Bind(2, *target);
      while (true) {
        auto r = (*oc)->Step();
        if (!r) return Fail(r.error());
        if (!*r) break;
        if ((*oc)->Int(1)) cs.Delete("owner_contacts", {Value::Int((*oc)->Int(0))});
        else cs.Set("owner_contacts", {Value::Int((*oc)->Int(0))}, "owner_id", to);
        ++moved;
      }
      auto al = db_->Prepare("SELECT alias FROM owner_aliases WHERE owner_id = ? ORDER BY alias");
      if (!al) return Fail(al.error());
      (*al)->Bind(1, old_id);
      while (true) {
        auto r = (*al)->Step();
        if (!r) return Fail(r.error());
        if (!*r) break;
        cs.Set("owner_aliases", {Value::Text((*al)->Str(0))}, "owner_id", to);
        ++moved;
      }
      // Editors scoped to the merged owner keep their scope.
      auto uo = db_->Prepare(
          "SELECT user_id, (SELECT COUNT(*) FROM user_owners x WHERE x.user_id = uo.user_id AND "
          "x.owner_id = ?2) FROM user_owners uo WHERE owner_id = ?1 ORDER BY user_id");
      if (!uo) return Fail(uo.error());
      (*uo)->Bind(1, old_id).Bind(2, *target);
      while (true) {
        auto r = (*uo)->Step();
        if (!r) return Fail(r.error());
        if (!*r) break;
        int64_t user = (*uo)->Int(0);
        cs.Delete("user_owners", {Value::Int(user), Value::Int(old_id)});
        if (!(*uo)->Int(1)) cs.Insert("user_owners", {Value::Int(user), to});
        ++moved;
      }
      auto name = db_->Prepare("SELECT name FROM owners WHERE id = ?");
      if (!name) return Fail(name.error());
      (*name)->Bind(1, old_id);
      auto nr = (*name)->Step();
      if (!nr) return Fail(nr.error());
      if (*nr) {
        merged_name = (*name)->Str(0);
        (*name)->Reset();
      }
      cs.Delete("owners", {Value::Int(old_id)});
      p.about["merged_owner_id"] = old_id;
    } else {
      auto existing = ResolveOwner(alias);
      if (!existing) return Fail(existing.error());
      if (*existing != 0 && *existing != *target)
        return Fail(Error::Conflict(fmt::format("'{}' is already an alias of another owner", alias)));
      if (*existing == *target) return int64_t{0};
    }
    // The alias itself: a new row, or one that named the merged owner.
    auto have = db_->Prepare("SELECT 1 FROM owner_aliases WHERE alias = ?");
    if (!have) return Fail(have.error());
    (*have)->Bind(1, alias);
    auto hr = (*have)->Step();
    if (!hr) return Fail(hr.error());
    if (*hr) {
      (*have)->Reset();
      cs.Set("owner_aliases", {Value::Text(alias)}, "owner_id", to);
    } else {
      cs.Insert("owner_aliases", {Value::Text(alias), to});
    }
    p.about["alias"] = alias;
    p.about["owner"] = canonical;
    p.about["rows_moved"] = moved;
    auto e = Record(actor, "alias", p);
    if (!e) return Fail(e.error());
    return int64_t{1};
  });
  owner_cache_loaded_ = false;
  if (!r) return Fail(r.error());
  return {};
}

Status SqlStore::SetOwnerTier(const std::string& owner, const std::string& tier,
                                 const Actor& actor) {
  if (!IsTier(tier)) return Fail(Error::Invalid(fmt::format("unknown tier '{}'", tier)));
  auto r = InTransaction([&]() -> Result<int64_t> {
    auto id = ResolveOwner(owner);
    if (!id) return Fail(id.error());
    if (*id == 0) return Fail(Error::NotFound(fmt::format("no owner '{}'", owner)));
    EventPayload p;
    p.about = json{{"owner", owner}, {"tier", tier}};
    p.changes.Set("owners", {Value::Int(*id)}, "tier", Value::Text(tier));
    auto e = Record(actor, "owner_tier", p);
    if (!e) return Fail(e.error());
    return *id;
  });
  if (!r) return Fail(r.error());
  return {};
}

Result<Publication> SqlStore::AddPublication(const Publication& pub, const Actor& actor) {
  return InTransaction([&]() -> Result<Publication> {
    Publication p = pub;
    auto id = NextId("publications");
    if (!id) return Fail(id.error());
    p.id = *id;
    p.created_at = NowUtc();
    p.snapshot_sha256 = Sha256Hex(p.snapshot_json);
    // Pinned to the head as it stands before this publication's own event.
    auto head = Head();
    if (!head) return Fail(head.error());
    p.ledger_seq = head->seq;
    p.ledger_hash = head->hash;
    auto slug = db_->Prepare("SELECT slug FROM sources WHERE id = ?");
    if (!slug) return Fail(slug.error());
    (*slug)->Bind(1, p.source_id);
    auto row = (*slug)->Step();
    if (!row) return Fail(row.error());
    if (!*row) return Fail(Error::NotFound(fmt::format("no source with id {}", p.source_id)));
    p.source_slug = (*slug)->Str(0);
    (*slug)->Reset();
    // Signed before it is stored: no publication exists unsigned.
    auto key = WriteKey();
    if (!key) return Fail(key.error());
    PublicationSigningFields f{p.id,         p.source_slug, p.title,       p.as_of.ToIso(),
                               p.created_at, p.ledger_seq,  p.ledger_hash, p.snapshot_sha256};
    auto sig = SignMessage((*key)->seed_hex, PublicationSigningMessage(f));
    if (!sig) return Fail(sig.error());
    p.signature = *sig;
    p.signing_key = (*key)->public_key_hex;
    EventPayload e;
    e.about = json{{"publication_id", p.id}, {"source", p.source_slug}, {"title", p.title},
                   {"as_of", p.as_of.ToIso()}};
    e.changes.Insert("publications",
                     {Value::Int(p.id), Value::Int(p.source_id), Value::Text(p.title),
                      Value::Text(p.as_of.ToIso()), Value::Int(p.ledger_seq),
                      Value::Text(p.ledger_hash), Value::Text(p.created_at),
                      Value::Text(p.snapshot_json), Value::Text(p.snapshot_sha256),
                      Value::Text(p.signature), Value::Text(p.signing_key)});
    auto ev = Record(actor, "publish", e);
    if (!ev) return Fail(ev.error());
    return p;
  });
}

Result<Checkpoint> SqlStore::AddCheckpoint(const std::string& state_digest, const Actor& actor) {
  return InTransaction([&]() -> Result<Checkpoint> {
    auto head = Head();
    if (!head) return Fail(head.error());
    auto key = WriteKey();
    if (!key) return Fail(key.error());
    Checkpoint c;
    c.ledger_seq = head->seq;
    c.ledger_hash = head->hash;
    c.state_digest = state_digest;
    c.time = NowUtc();
    c.public_key = (*key)->public_key_hex;
    auto sig = SignMessage((*key)->seed_hex,
                           CheckpointSigningMessage({c.ledger_seq, c.ledger_hash, c.state_digest, c.time}));
    if (!sig) return Fail(sig.error());
    c.signature = *sig;
    EventPayload p;
    p.about = json{{"ledger_seq", c.ledger_seq}};
    p.changes.Insert("checkpoints", {Value::Int(c.ledger_seq), Value::Text(c.ledger_hash),
                                     Value::Text(c.state_digest), Value::Text(c.time),
                                     Value::Text(c.public_key), Value::Text(c.signature)});
    auto e = Record(actor, "checkpoint", p);
    if (!e) return Fail(e.error());
    return c;
  });
}

Result<TrackerKey> SqlStore::RotateKey(const SigningKeyPair& new_key, const Actor& actor) {
  if (depth_ != 0) return Fail(Error::Internal("a key rotation is a transaction of its own"));
  std::string file = KeyFileFor(path_, keys_);
  if (!keys_.seed_hex.empty() || file.empty())
    return Fail(Error::Invalid(
        "the key comes from RECTRACK_SIGNING_KEY, not a file: rotate it where it is kept (make a "
        "key file with the new key and use --key-file)"));
  auto old = WriteKey();
  if (!old) return Fail(old.error());
  const SigningKeyPair old_key = **old;
  RT_TRY(Begin());
  auto r = [&]() -> Result<TrackerKey> {
    auto head = Head();
    if (!head) return Fail(head.error());
    auto id = NextId("tracker_keys");
    if (!id) return Fail(id.error());
    TrackerKey k;
    k.id = *id;
    k.public_key = new_key.public_key_hex;
    k.created_at = NowUtc();
    k.first_seq = head->seq + 1;  // this event: the new key signs its head
    k.previous_key = old_key.public_key_hex;
    auto sig = SignMessage(old_key.seed_hex,
                           KeyEndorsementMessage(k.previous_key, k.public_key, k.first_seq));
    if (!sig) return Fail(sig.error());
    k.endorsement = *sig;
    EventPayload p;
    p.about = json{{"public_key", k.public_key}, {"previous_key", k.previous_key}};
    p.changes.Insert("tracker_keys", {Value::Int(k.id), Value::Text(k.public_key),
                                      Value::Text(k.created_at), Value::Int(k.first_seq),
                                      Value::Text(k.previous_key), Value::Text(k.endorsement)});
    auto text = SerializePayload(p);
    if (!text) return Fail(text.error());
    RT_TRY(Apply(p.changes, true));
    auto e = AppendEvent(actor, "key_rotate", *text, &new_key);
    if (!e) return Fail(e.error());
    // The new key is on disk before the store names it; the old file is
    // replaced only once the store has committed (WriteKey finishes a
    // rotation that a crash cut short).
    RT_TRY(WriteKeyFile(file + ".new", new_key, false));
    return k;
  }();
  if (!r) {
    Rollback();
    (void)std::remove((file + ".new").c_str());
    return r;
  }
  if (auto c = Commit(); !c) {
    (void)std::remove((file + ".new").c_str());
    return Fail(c.error());
  }
  key_ = new_key;
  if (std::rename((file + ".new").c_str(), file.c_str()) != 0)
    return Fail(Error::Io(fmt::format(
        "the store now uses the new key, but '{}.new' could not be renamed to '{}': rename it "
        "by hand",
        file, file)));
  return r;
}

}  // namespace rectrack::sql
