#include "report/owners_render.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace rectrack {
namespace {

OwnerRow Row(std::string owner, std::string tier, int total, std::optional<double> median) {
  OwnerRow r;
  r.owner = std::move(owner);
  r.tier = std::move(tier);
  r.total = total;
  r.median_days_since_progress = median;
  return r;
}

std::vector<OwnerRow> Rows() {
  OwnerRow ho = Row("Home Office", "central_government", 12, 365.5);
  ho.by_response_status[static_cast<int>(ResponseStatus::kResponded)] = 9;
  ho.by_response_status[static_cast<int>(ResponseStatus::kOverdue)] = 3;
  ho.by_implementation[static_cast<int>(Implementation::kImplemented)] = 4;
  ho.by_implementation[static_cast<int>(Implementation::kNotImplemented)] = 6;
  ho.by_implementation[static_cast<int>(Implementation::kUnknown)] = 2;
  ho.past_target = 2;
  OwnerRow pla = Row("Préfecture, \"Paris\"", "international", 1, std::nullopt);
  pla.by_response_status[static_cast<int>(ResponseStatus::kPending)] = 1;
  pla.by_implementation[static_cast<int>(Implementation::kNotStarted)] = 1;
  OwnerRow met = Row("Met", "emergency_service", 100, 12.0);
  met.by_response_status[static_cast<int>(ResponseStatus::kPartial)] = 100;
  met.by_implementation[static_cast<int>(Implementation::kInProgress)] = 100;
  return {ho, pla, met};
}

const char kHeader[] =
    "owner,tier,total,responded,partial,overdue,pending,implemented,partially_implemented,"
    "in_progress,not_started,not_implemented,superseded,unknown,past_target,"
    "median_days_since_progress\n";

TEST(OwnersRenderTest, ParseTableFormat) {
  EXPECT_EQ(*ParseTableFormat("table"), TableFormat::kTable);
  EXPECT_EQ(*ParseTableFormat("csv"), TableFormat::kCsv);
  EXPECT_EQ(*ParseTableFormat("json"), TableFormat::kJson);
  EXPECT_FALSE(ParseTableFormat("xlsx"));
}

TEST(OwnersRenderTest, Csv) {
  EXPECT_EQ(RenderOwners(Rows(), TableFormat::kCsv),
            std::string(kHeader) +
                "Home Office,central_government,12,9,0,3,0,4,0,0,0,6,0,2,2,365.5\n"
                "\"Préfecture, \"\"Paris\"\"\",international,1,0,0,0,1,0,0,0,1,0,0,0,0,\n"
                "Met,emergency_service,100,0,100,0,0,0,0,100,0,0,0,0,0,12\n");
  EXPECT_EQ(RenderOwners({}, TableFormat::kCsv), kHeader);
}

TEST(OwnersRenderTest, Json) {
  std::string json = RenderOwners(Rows(), TableFormat::kJson);
  EXPECT_EQ(json.rfind(R"([
  {
    "owner": "Home Office",
    "tier": "central_government",
    "total": 12,
    "responded": 9,
    "partial": 0,
    "overdue": 3,
    "pending": 0,
    "implemented": 4,
    "partially_implemented": 0,
    "in_progress": 0,
    "not_started": 0,
    "not_implemented": 6,
    "superseded": 0,
    "unknown": 2,
    "past_target": 2,
    "median_days_since_progress": 365.5
  },
  {
    "owner": "Préfecture, \"Paris\"",)",
                       0),
            0u)
      << json;
  EXPECT_NE(json.find("\"median_days_since_progress\": null"), std::string::npos);
  EXPECT_NE(json.find("\"median_days_since_progress\": 12\n"), std::string::npos);
  EXPECT_TRUE(json.ends_with("}\n]\n"));
  EXPECT_EQ(RenderOwners({}, TableFormat::kJson), "[]\n");
}

TEST(OwnersRenderTest, TableAlignsByCharactersNotBytes) {
  std::string table = RenderOwners(Rows(), TableFormat::kTable);
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl = table.find('\n'); nl != std::string::npos; nl = table.find('\n', start)) {
    lines.push_back(table.substr(start, nl - start));
    start = nl + 1;
  }
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].rfind("owner                tier                total  responded", 0), 0u)
      << table;
  EXPECT_EQ(lines[1].rfind("Home Office          central_government     12          9", 0), 0u)
      << table;
  // "é" is two bytes but one column: the tier column still lines up.
  EXPECT_EQ(lines[2].rfind("Préfecture, \"Paris\"  international           1          0", 0), 0u)
      << table;
  // Numbers are right-aligned under their headers; the median column ends each line.
  EXPECT_TRUE(lines[0].ends_with("median_days_since_progress"));
  EXPECT_TRUE(lines[1].ends_with(" 365.5"));
  EXPECT_TRUE(lines[3].ends_with(" 12"));
  // A row without a median has no trailing spaces.
  EXPECT_TRUE(lines[2].ends_with(" 0"));
  EXPECT_EQ(lines[1].size(), lines[0].size());
}

TEST(OwnersRenderTest, TableHeaderOnlyWhenEmpty) {
  std::string table = RenderOwners({}, TableFormat::kTable);
  EXPECT_EQ(table.rfind("owner  tier  total  responded", 0), 0u) << table;
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 1);
}

}  // namespace
}  // namespace rectrack
