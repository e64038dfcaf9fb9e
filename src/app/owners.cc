#include "app/owners.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "core/changes.h"
#include "core/text.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "store/tables.h"

namespace rectrack {
namespace {

const TableDef& T(std::string_view name) { return *FindProjectedTable(name); }

Result<int64_t> CountWhere(Store& store, std::string_view table, std::string_view column,
                           int64_t id) {
  auto cursor = store.ScanRowsWhere(T(table), column, Value::Int(id));
  if (!cursor) return Fail(cursor.error());
  int64_t n = 0;
  Row row;
  while (true) {
    auto more = (*cursor)->Next(&row);
    if (!more) return Fail(more.error());
    if (!*more) break;
    ++n;
  }
  return n;
}

std::string Counted(int64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

Result<OwnerUse> UseOfOwner(Store& store, int64_t owner_id) {
  OwnerUse u;
  for (auto [field, table] : {std::pair{&u.assignments, "assignments"},
                              {&u.funding, "funding"},
                              {&u.contacts, "owner_contacts"},
                              {&u.aliases, "owner_aliases"},
                              {&u.editors, "user_owners"}}) {
    auto n = CountWhere(store, table, "owner_id", owner_id);
    if (!n) return Fail(n.error());
    *field = *n;
  }
  return u;
}

std::string DescribeUse(const OwnerUse& u) {
  std::vector<std::string> parts;
  if (u.assignments) parts.push_back(Counted(u.assignments, "assignment", "assignments"));
  if (u.funding) parts.push_back(Counted(u.funding, "funding line", "funding lines"));
  if (u.contacts) parts.push_back(Counted(u.contacts, "contact", "contacts"));
  if (u.aliases) parts.push_back(Counted(u.aliases, "alias", "aliases"));
  if (u.editors) parts.push_back(Counted(u.editors, "editor's account", "editors' accounts"));
  if (parts.empty()) return "nothing";
  if (parts.size() == 1) return parts[0];
  std::string last = parts.back();
  parts.pop_back();
  return Join(parts, ", ") + " and " + last;
}

Result<Unmerged> UnmergeOwner(Store& store, const std::string& name, const Actor& actor) {
  auto owners = store.ListOwners();
  if (!owners) return Fail(owners.error());
  const Owner* into = nullptr;
  for (const auto& o : *owners) {
    if (o.name == name)
      return Fail(Error::Invalid(
          fmt::format("'{}' is an owner of its own, not merged into another: nothing to undo", name)));
    if (std::find(o.aliases.begin(), o.aliases.end(), name) != o.aliases.end()) into = &o;
  }
  if (!into)
    return Fail(Error::NotFound(fmt::format("no owner or alias '{}' (see `rectrack owner list`)", name)));

  // The last merge of `name`, and the tier its owner had before it.
  int64_t merge_seq = 0, old_id = 0;
  EventPayload merge;
  std::map<int64_t, std::string> tier_of;  // owner id -> tier, as the ledger goes
  std::optional<std::string> tier_before;
  int64_t head = 0;
  Status scanned = store.ForEachEvent([&](const LedgerEvent& e) {
    head = e.seq;
    if (e.payload.find("\"owners\"") == std::string::npos) return true;
    auto p = ParsePayload(e.payload);
    if (!p) return true;  // verify reports a broken payload; it has no owner to give back
    if (e.kind == "alias" && p->about.value("alias", "") == name &&
        p->about.value("merged_owner_id", int64_t{0}) != 0) {
      merge_seq = e.seq;
      old_id = p->about["merged_owner_id"].get<int64_t>();
      merge = std::move(*p);
      tier_before = tier_of.count(old_id) ? std::optional(tier_of[old_id]) : std::nullopt;
      return true;
    }
    if (auto t = p->changes.tables.find("owners"); t != p->changes.tables.end()) {
      for (const auto& row : t->second.inserts)
        if (row.size() >= 3 && row[2].type == Value::Type::kText) tier_of[row[0].i] = row[2].s;
      for (const auto& [key, cols] : t->second.updates)
        if (auto c = cols.find("tier"); c != cols.end() && !key.empty())
          tier_of[key[0].i] = c->second.s;
    }
    return true;
  });
  if (!scanned) return Fail(scanned.error());
  if (!merge_seq)
    return Fail(Error::NotFound(fmt::format(
        "'{}' is an alias of '{}' that never had assignments of its own: there is no merge to "
        "undo",
        name, into->name)));

  Unmerged out;
  out.owner = name;
  out.from = into->name;
  out.merge_seq = merge_seq;
  auto begun = store.Begin();
  if (!begun) return Fail(begun.error());
  auto body = [&]() -> Status {
    auto now = store.Head();
    if (!now) return Fail(now.error());
    if (now->seq != head)
      return Fail(Error::Conflict("the store changed while the merge was being read: run it again"));
    // The owner the merge moved rows to; they may have been carried on since
    // (a later merge of that owner), to the one that now has the alias.
    Value merged_to = Value::Int(into->id);
    if (auto t = merge.changes.tables.find("owner_aliases"); t != merge.changes.tables.end()) {
      for (const auto& row : t->second.inserts)
        if (row.size() == 2 && row[0].s == name) merged_to = row[1];
      for (const auto& [key, cols] : t->second.updates)
        if (key.size() == 1 && key[0].s == name && cols.count("owner_id"))
          merged_to = cols.at("owner_id");
    }
    const Value to = Value::Int(into->id);
    auto taken = store.GetRow(T("owners"), {Value::Int(old_id)});
    if (!taken) return Fail(taken.error());
    int64_t id = old_id;
    if (*taken) {
      auto next = store.NextRowId(T("owners"));
      if (!next) return Fail(next.error());
      id = *next;
    }
    const Value back = Value::Int(id);
    EventPayload p;
    p.changes.Insert("owners",
                     {back, Value::Text(name), Value::Text(tier_before.value_or(into->tier))});
    p.changes.Delete("owner_aliases", {Value::Text(name)});
    // Rows the merge pointed at the other owner: back, if they still point there.
    auto move_back = [&](const std::string& table, const Row& key, int64_t* count) -> Status {
      auto row = store.GetRow(T(table), key);
      if (!row) return Fail(row.error());
      const int col = T(table).ColumnIndex("owner_id");
      if (*row && (**row)[static_cast<size_t>(col)] == to) {
        p.changes.Set(table, key, "owner_id", back);
        ++*count;
      } else {
        out.stayed.push_back(fmt::format("{} {}", T(table).row_name, T(table).DescribeKey(key)));
      }
      return {};
    };
    const std::map<std::string, int64_t*> counts = {
        {"assignments", &out.moved_back.assignments},
        {"funding", &out.moved_back.funding},
        {"owner_contacts", &out.moved_back.contacts},
        {"owner_aliases", &out.moved_back.aliases}};
    for (const auto& [table, count] : counts) {
      auto t = merge.changes.tables.find(table);
      if (t == merge.changes.tables.end()) continue;
      for (const auto& [key, cols] : t->second.updates) {
        auto c = cols.find("owner_id");
        if (c == cols.end() || !(c->second == merged_to)) continue;
        if (table == "owner_aliases" && key.size() == 1 && key[0].s == name) continue;
        RT_TRY(move_back(table, key, count));
      }
    }
    // Editors' scopes: the merge took (user, old) away and, where the user had
    // not the other owner already, gave (user, other).
    if (auto t = merge.changes.tables.find("user_owners"); t != merge.changes.tables.end()) {
      for (const auto& key : t->second.deletes) {
        if (key.size() != 2 || key[1].i != old_id) continue;
        auto user = store.GetRow(T("users"), {key[0]});
        if (!user) return Fail(user.error());
        if (!*user) continue;
        p.changes.Insert("user_owners", {key[0], back});
        ++out.moved_back.editors;
      }
      for (const auto& row : t->second.inserts) {
        if (row.size() != 2 || !(row[1] == merged_to)) continue;
        auto have = store.GetRow(T("user_owners"), row);
        if (!have) return Fail(have.error());
        if (*have) p.changes.Delete("user_owners", row);
      }
    }
    p.about = nlohmann::json{{"owner", name},
                             {"owner_id", id},
                             {"from", into->name},
                             {"merge_seq", merge_seq},
                             {"assignments", out.moved_back.assignments},
                             {"stayed", out.stayed.size()}};
    auto e = store.RecordChange(actor, "unmerge", p);
    if (!e) return Fail(e.error());
    return {};
  };
  if (auto s = body(); !s) {
    store.Rollback();
    return Fail(s.error());
  }
  auto c = store.Commit();
  if (!c) return Fail(c.error());
  return out;
}

Status RenameOwner(Store& store, const std::string& old_name, const std::string& new_name,
                   const Actor& actor) {
  if (Trim(new_name).empty() || Trim(new_name) != new_name)
    return Fail(Error::Invalid("the new name must not be empty nor begin or end with spaces"));
  if (new_name == old_name) return Fail(Error::Invalid("the new name is the old one"));
  auto begun = store.Begin();
  if (!begun) return Fail(begun.error());
  auto body = [&]() -> Status {
    auto owners = store.ListOwners();
    if (!owners) return Fail(owners.error());
    const Owner* self = nullptr;
    const Owner* holder = nullptr;  // of new_name, as a name or an alias
    for (const auto& o : *owners) {
      if (o.name == old_name) self = &o;
      if (o.name == new_name ||
          std::find(o.aliases.begin(), o.aliases.end(), new_name) != o.aliases.end())
        holder = &o;
    }
    if (!self) {
      for (const auto& o : *owners)
        if (std::find(o.aliases.begin(), o.aliases.end(), old_name) != o.aliases.end())
          return Fail(Error::Invalid(
              fmt::format("'{}' is an alias of '{}': rename that owner", old_name, o.name)));
      return Fail(Error::NotFound(fmt::format("no owner '{}' (see `rectrack owner list`)", old_name)));
    }
    if (holder && holder->id != self->id)
      return Fail(Error::Conflict(fmt::format(
          "'{}' is already {}: to make the two one owner, use `rectrack owner alias \"{}\" "
          "\"{}\" --merge`",
          new_name, holder->name == new_name ? "an owner" : "an alias of '" + holder->name + "'",
          old_name, holder->name)));
    EventPayload p;
    const Value id = Value::Int(self->id);
    p.changes.Set("owners", {id}, "name", Value::Text(new_name));
    if (holder) p.changes.Delete("owner_aliases", {Value::Text(new_name)});  // its own alias
    p.changes.Insert("owner_aliases", {Value::Text(old_name), id});
    p.about = nlohmann::json{{"owner_id", self->id}, {"from", old_name}, {"to", new_name}};
    auto e = store.RecordChange(actor, "owner_rename", p);
    if (!e) return Fail(e.error());
    return {};
  };
  if (auto s = body(); !s) {
    store.Rollback();
    return Fail(s.error());
  }
  return store.Commit();
}

std::string OwnerNameKey(std::string_view name) {
  static const std::set<std::string> kVarying = {"the", "and", "of", "nhs", "foundation", "trust",
                                                 "partnership", "ft"};
  std::string lowered;
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (c == '&') {
      lowered += " and ";
    } else if (c >= 0x80) {
      lowered += static_cast<char>(c);  // letters of other scripts stay as they are
    } else if (std::isalnum(c)) {
      lowered += static_cast<char>(std::tolower(c));
    } else {
      lowered += ' ';
    }
  }
  std::set<std::string> words;
  for (auto& w : SplitTrimmed(lowered, " "))
    if (!kVarying.count(w)) words.insert(w);
  return Join(std::vector<std::string>(words.begin(), words.end()), " ");
}

std::vector<AliasSuggestion> SuggestAliases(const std::vector<Owner>& owners,
                                            const std::vector<int64_t>& assignments) {
  std::map<std::string, AliasSuggestion> by_key;
  for (size_t i = 0; i < owners.size(); ++i) {
    std::string key = OwnerNameKey(owners[i].name);
    if (key.empty()) continue;
    by_key[key].names.push_back(
        {owners[i].name, owners[i].tier, i < assignments.size() ? assignments[i] : 0});
  }
  std::vector<AliasSuggestion> out;
  for (auto& [key, s] : by_key) {
    if (s.names.size() < 2) continue;
    std::stable_sort(s.names.begin(), s.names.end(), [](const auto& a, const auto& b) {
      if (a.assignments != b.assignments) return a.assignments > b.assignments;
      return a.name.size() > b.name.size();  // the fuller name
    });
    out.push_back(std::move(s));
  }
  // The groups that hold the most first.
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    int64_t x = 0, y = 0;
    for (const auto& n : a.names) x += n.assignments;
    for (const auto& n : b.names) y += n.assignments;
    return x > y;
  });
  return out;
}

}  // namespace rectrack
