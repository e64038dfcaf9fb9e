#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/csv.h"
#include "core/metrics.h"
#include "core/result.h"

namespace rectrack {

enum class TableFormat { kTable, kCsv, kJson };
Result<TableFormat> ParseTableFormat(std::string_view name);  // table, csv, json

// The accountability table. Columns: owner, tier, total, responded, partial,
// overdue, pending, one per implementation status, median_days_since_progress.
// CSV cells that look like formulas are neutralised unless `formulas` says keep (core/csv.h).
std::string RenderOwners(const std::vector<OwnerRow>& rows, TableFormat format,
                         CsvFormulas formulas = CsvFormulas::kNeutralise);

}  // namespace rectrack
