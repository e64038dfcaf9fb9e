#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "nlohmann/json.hpp"

namespace rectrack {

// What a ledger event changes, row by row, in the tables that the public and the
// workflow read (the projection; store/tables.h lists them and their columns).
// The ledger is the truth and the tables are its projection: every store applies
// a change set with one function (Store::Apply), whether it is a live write,
// `rebuild` or `verify` replaying the ledger into a scratch store.

// A column's value: NULL, a whole number, or text (dates, enum words and JSON
// lists are text, exactly as the tables hold them).
struct Value {
  enum class Type : uint8_t { kNull, kInt, kText };
  Type type = Type::kNull;
  int64_t i = 0;
  std::string s;

  static Value Null() { return {}; }
  static Value Int(int64_t v) {
    Value x;
    x.type = Type::kInt;
    x.i = v;
    return x;
  }
  static Value Text(std::string v) {
    Value x;
    x.type = Type::kText;
    x.s = std::move(v);
    return x;
  }
  bool is_null() const { return type == Type::kNull; }
  // As it reads in messages: NULL, 12, 'text' (long texts cut).
  std::string Describe() const;

  friend bool operator==(const Value& a, const Value& b) {
    if (a.type != b.type) return false;
    if (a.type == Type::kInt) return a.i == b.i;
    if (a.type == Type::kText) return a.s == b.s;
    return true;
  }
  // NULL < numbers < texts; numbers by value, texts bytewise.
  friend bool operator<(const Value& a, const Value& b) {
    if (a.type != b.type) return a.type < b.type;
    if (a.type == Type::kInt) return a.i < b.i;
    if (a.type == Type::kText) return a.s < b.s;
    return false;
  }
};

using Row = std::vector<Value>;

// The changes to one table: rows inserted (every column, in the table's column
// order), rows updated (by key: the new values of some columns), rows deleted
// (by key). A store applies, table by table in the registry's order, the
// inserts, then the updates; then the deletes in the reverse order.
struct TableChanges {
  std::vector<Row> inserts;
  std::map<Row, std::map<std::string, Value>> updates;
  std::vector<Row> deletes;
  bool empty() const { return inserts.empty() && updates.empty() && deletes.empty(); }
};

struct ChangeSet {
  std::map<std::string, TableChanges> tables;

  void Insert(const std::string& table, Row row) { tables[table].inserts.push_back(std::move(row)); }
  // Sets `column` of the row with `key`; a later Set of the same column wins.
  void Set(const std::string& table, const Row& key, const std::string& column, Value v) {
    tables[table].updates[key][column] = std::move(v);
  }
  void Delete(const std::string& table, Row key) { tables[table].deletes.push_back(std::move(key)); }
  bool empty() const;
  size_t RowCount() const;
  // Adds `other`'s changes after this one's (an import's chunks gathered into
  // one event): inserts and deletes appended, updates merged column by column.
  void Append(ChangeSet&& other);
};

// An upper bound of the bytes a row (or key) takes in a serialized payload.
size_t SerializedBound(const Row& row);
// The same for everything in `changes`.
size_t SerializedBound(const ChangeSet& changes);

// Cuts `changes` into consecutive pieces, in the order a store applies a change
// set (inserts, then updates, table by table in `table_order`; then deletes in
// the reverse order), each of at most `max_bytes` serialized (a row larger than
// that gets a piece of its own). Applying the pieces one after another changes
// the tables exactly as applying `changes` at once does.
std::vector<ChangeSet> SplitChangeSet(ChangeSet&& changes, size_t max_bytes,
                                      const std::vector<std::string_view>& table_order);

// A ledger event's payload: what it is about, for people reading the ledger
// (kind-specific; names rather than ids), and the change set, for machines.
struct EventPayload {
  nlohmann::json about = nlohmann::json::object();
  ChangeSet changes;
};

// The one canonical byte form of a payload, hashed into the chain: compact JSON,
// object members sorted by name, strings escaped exactly as nlohmann::json's
// dump() escapes them (so parse-then-dump gives the same bytes), numbers as
// whole decimals:
//   {"about":{...},"changes":{"delete":{T:[KEY,...]},"insert":{T:[ROW,...]},
//    "update":{T:[[KEY,{COLUMN:VALUE,...}],...]}}}
// with empty parts left out. Fails on text that is not valid UTF-8 and on
// numbers that are not whole.
Result<std::string> SerializePayload(const EventPayload& payload);
// Appends the canonical JSON of `about` alone (the same rules).
Status AppendCanonicalJson(const nlohmann::json& value, std::string* out);

// Reads a payload written by SerializePayload. Anything else (a ledger edited
// behind the tool's back) is an error that says what is wrong, never a crash.
Result<EventPayload> ParsePayload(std::string_view text);

}  // namespace rectrack
