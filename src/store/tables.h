#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/changes.h"
#include "core/result.h"

namespace rectrack {

// The tables that the public and the workflow read: the projection of the
// ledger. Every store has them with these columns (and may have more: secrets
// such as password hashes, and bookkeeping such as a token's last use, which
// the ledger does not hold; docs/trust.md lists them). `verify` compares these
// columns, row by row, with what replaying the ledger gives.

struct ColumnDef {
  std::string_view name;
  bool is_int = false;    // a whole number; else text
  bool nullable = false;
};

struct TableDef {
  std::string_view name;
  std::vector<ColumnDef> columns;
  size_t key_columns = 1;  // the first key_columns columns identify a row
  std::string_view row_name;  // "recommendation": for messages
  // A table added after the state digest was first defined (docs/ledger.md):
  // it goes into the digest only when it has rows, so that the digests of
  // checkpoints made before it existed still hold.
  bool digest_when_empty = true;

  int ColumnIndex(std::string_view column) const;
  // The key of a full row.
  Row KeyOf(const Row& row) const { return Row(row.begin(), row.begin() + key_columns); }
  // "id 14", "alias 'DCLG'", "user_id 3, owner_id 7".
  std::string DescribeKey(const Row& key) const;
};

// In the order a change set is applied (inserts and updates in this order,
// deletes in the reverse): every table after those it refers to.
const std::vector<TableDef>& ProjectedTables();
const TableDef* FindProjectedTable(std::string_view name);

// A row fits its table: as many values as columns, each of its column's type
// (or NULL where the column allows it). The error names the table and column.
Status CheckRow(const TableDef& t, const Row& row);
Status CheckKey(const TableDef& t, const Row& key);
Status CheckValue(const TableDef& t, const ColumnDef& c, const Value& v);
// Every table a change set names is projected, and every row and column fits.
Status CheckChangeSet(const ChangeSet& changes);

}  // namespace rectrack
