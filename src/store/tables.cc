#include "store/tables.h"

#include "fmt/format.h"

namespace rectrack {
namespace {

constexpr ColumnDef Int(std::string_view n) { return {n, true, false}; }
constexpr ColumnDef IntOrNull(std::string_view n) { return {n, true, true}; }
constexpr ColumnDef Text(std::string_view n) { return {n, false, false}; }
constexpr ColumnDef TextOrNull(std::string_view n) { return {n, false, true}; }

}  // namespace

const std::vector<TableDef>& ProjectedTables() {
  static const std::vector<TableDef> tables = {
      {"owners", {Int("id"), Text("name"), Text("tier")}, 1, "owner"},
      {"owner_aliases", {Text("alias"), Int("owner_id")}, 1, "alias"},
      {"sources",
       {Int("id"), Text("slug"), Text("kind"), Text("title"), Text("author"),
        Text("commissioned_by"), TextOrNull("date"), Text("url"), IntOrNull("response_days"),
        TextOrNull("recorded_on"), IntOrNull("stated_total"), Text("notes"), Text("vocabulary")},
       1,
       "source"},
      {"recommendations",
       {Int("id"), Int("source_id"), Text("ref"), Text("text"), Text("themes"),
        TextOrNull("made"), TextOrNull("target"), Text("made_by"), Text("url")},
       1,
       "recommendation"},
      {"assignments",
       {Int("id"), Int("recommendation_id"), Int("owner_id"), TextOrNull("due"),
        Text("response"), Text("response_text"), TextOrNull("response_date"), Text("status"),
        Text("implementation"), Text("raw_status"), Text("raw_response"), Int("version")},
       1,
       "assignment"},
      // Issue 9, item 5: the implementation target agreed with one owner,
      // where it is not the recommendation's. Digested only with rows.
      {"assignment_targets", {Int("assignment_id"), Text("target")}, 1,
       "implementation target", false},
      {"updates",
       {Int("id"), Int("assignment_id"), Text("date"), TextOrNull("response"),
        Text("response_text"), TextOrNull("response_status"), TextOrNull("implementation"),
        Text("narrative"), Text("evidence"), Text("author"), Text("state"),
        Text("return_reason")},
       1,
       "update"},
      {"funding",
       {Int("id"), Int("source_id"), Int("owner_id"), Text("item"), Text("period"), Int("cost"),
        Int("funded"), Text("currency"), Text("note")},
       1,
       "funding line"},
      {"publications",
       {Int("id"), Int("source_id"), Text("title"), Text("as_of"), Int("ledger_seq"),
        Text("ledger_hash"), Text("created_at"), Text("snapshot"), Text("snapshot_sha256"),
        Text("signature"), Text("signing_key")},
       1,
       "publication"},
      {"users",
       {Int("id"), Text("name"), Text("role"), Int("disabled"), Text("created_at"),
        Text("password_sha256")},
       1,
       "user"},
      {"user_owners", {Int("user_id"), Int("owner_id")}, 2, "editor's owner"},
      {"api_tokens",
       {Int("id"), Int("user_id"), Text("label"), Int("created_at"), Int("revoked"),
        Text("token_sha256")},
       1,
       "API token"},
      {"tracker_keys",
       {Int("id"), Text("public_key"), Text("created_at"), Int("first_seq"),
        Text("previous_key"), Text("endorsement")},
       1,
       "tracker key"},
      {"checkpoints",
       {Int("ledger_seq"), Text("ledger_hash"), Text("state_digest"), Text("time"),
        Text("public_key"), Text("signature")},
       1,
       "checkpoint"},
      // Issue 9: whom to chase, and what was sent. Digested only when they
      // have rows (TableDef::digest_when_empty).
      {"owner_contacts",
       {Int("id"), Int("owner_id"), Text("email"), Text("name"), Text("role"),
        Text("created_at"), TextOrNull("unsubscribed_at"), Text("unsubscribe_token")},
       1,
       "contact",
       false},
      {"user_emails", {Int("user_id"), Text("email")}, 1, "user's e-mail address", false},
      {"chase_schedules",
       {Text("kind"), Text("before_days"), Int("overdue_every"), Int("target_every"), Int("enabled")},
       1,
       "chase schedule",
       false},
      {"outbox",
       {Int("id"), Text("kind"), IntOrNull("contact_id"), IntOrNull("user_id"),
        IntOrNull("owner_id"), Text("recipient"), Text("subject"), Text("message_id"),
        Text("message"), Text("as_of"), Text("queued_at"), Text("state"), Int("attempts"),
        TextOrNull("next_attempt_at"), Text("claimed_by"), Text("last_error"),
        TextOrNull("sent_at")},
       1,
       "message",
       false},
      {"chase_items", {Int("outbox_id"), Int("assignment_id"), Text("stage")}, 3, "chased item",
       false},
  };
  return tables;
}

const TableDef* FindProjectedTable(std::string_view name) {
  for (const auto& t : ProjectedTables())
    if (t.name == name) return &t;
  return nullptr;
}

int TableDef::ColumnIndex(std::string_view column) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == column) return static_cast<int>(i);
  return -1;
}

std::string TableDef::DescribeKey(const Row& key) const {
  std::string out;
  for (size_t i = 0; i < key.size() && i < key_columns; ++i) {
    if (i) out += ", ";
    out += fmt::format("{} {}", columns[i].name, key[i].Describe());
  }
  return out;
}

Status CheckValue(const TableDef& t, const ColumnDef& c, const Value& v) {
  bool ok = v.is_null() ? c.nullable
                        : (c.is_int ? v.type == Value::Type::kInt : v.type == Value::Type::kText);
  if (ok) return {};
  return Fail(Error::Corrupt(fmt::format("{}.{} cannot be {} (it holds {}{})", t.name, c.name,
                                         v.Describe(), c.is_int ? "whole numbers" : "text",
                                         c.nullable ? " or NULL" : "")));
}

Status CheckRow(const TableDef& t, const Row& row) {
  if (row.size() != t.columns.size())
    return Fail(Error::Corrupt(fmt::format("a row of {} has {} values, not {}", t.name,
                                           row.size(), t.columns.size())));
  for (size_t i = 0; i < row.size(); ++i) RT_TRY(CheckValue(t, t.columns[i], row[i]));
  return {};
}

Status CheckKey(const TableDef& t, const Row& key) {
  if (key.size() != t.key_columns)
    return Fail(Error::Corrupt(fmt::format("a key of {} has {} values, not {}", t.name,
                                           key.size(), t.key_columns)));
  for (size_t i = 0; i < key.size(); ++i) RT_TRY(CheckValue(t, t.columns[i], key[i]));
  return {};
}

Status CheckChangeSet(const ChangeSet& changes) {
  for (const auto& [name, tc] : changes.tables) {
    const TableDef* t = FindProjectedTable(name);
    if (!t) return Fail(Error::Corrupt(fmt::format("'{}' is not a table of the projection", name)));
    for (const auto& r : tc.inserts) RT_TRY(CheckRow(*t, r));
    for (const auto& [key, cols] : tc.updates) {
      RT_TRY(CheckKey(*t, key));
      for (const auto& [col, v] : cols) {
        int i = t->ColumnIndex(col);
        if (i < 0)
          return Fail(Error::Corrupt(fmt::format("{} has no column '{}'", t->name, col)));
        if (static_cast<size_t>(i) < t->key_columns)
          return Fail(Error::Corrupt(fmt::format("an update changes {}.{}, part of the key",
                                                 t->name, col)));
        RT_TRY(CheckValue(*t, t->columns[static_cast<size_t>(i)], v));
      }
    }
    for (const auto& k : tc.deletes) RT_TRY(CheckKey(*t, k));
  }
  return {};
}

}  // namespace rectrack
