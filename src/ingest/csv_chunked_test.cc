// ImportCsvChunked: the chunks, merged as a store merges them, are ImportCsv's
// batch; errors are ImportCsv's, in its order.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "gtest/gtest.h"
#include "ingest/csv_import.h"
#include "ingest/json_format.h"

namespace rectrack {
namespace {

const std::filesystem::path kFixtures =
    std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "tests" /
    "fixtures";

std::string ReadFixture(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << p;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Puts chunks together as ImportSession::Add does: sources by slug, continued
// recommendations into the one of the same ref.
ImportBatch Merge(const std::vector<ImportBatch>& chunks) {
  ImportBatch out;
  std::map<std::string, size_t> sources;
  for (const auto& chunk : chunks) {
    for (const auto& a : chunk.aliases) out.aliases.push_back(a);
    for (const auto& s : chunk.sources) {
      auto [it, added] = sources.try_emplace(s.source.slug, out.sources.size());
      if (added) {
        out.sources.emplace_back();
        out.sources.back().source = s.source;
      }
      auto& into = out.sources[it->second];
      for (const auto& r : s.recommendations) {
        if (!r.continued) {
          into.recommendations.push_back(r);
          continue;
        }
        auto rec = std::find_if(into.recommendations.begin(), into.recommendations.end(),
                                [&](const auto& x) {
                                  return x.recommendation.ref == r.recommendation.ref;
                                });
        EXPECT_NE(rec, into.recommendations.end()) << r.recommendation.ref;
        if (rec == into.recommendations.end()) continue;
        EXPECT_EQ(rec->recommendation.text, r.recommendation.text);
        auto& themes = rec->recommendation.themes;
        for (const auto& t : r.recommendation.themes)
          if (std::find(themes.begin(), themes.end(), t) == themes.end()) themes.push_back(t);
        if (!rec->recommendation.made) rec->recommendation.made = r.recommendation.made;
        if (rec->recommendation.url.empty()) rec->recommendation.url = r.recommendation.url;
        for (const auto& a : r.assignments) rec->assignments.push_back(a);
      }
    }
  }
  return out;
}

struct Chunked {
  Result<bool> status;
  std::vector<ImportBatch> chunks;
  std::vector<size_t> consumed;
};

Chunked RunChunked(std::string_view raw, const CsvMapping& m, size_t rows,
                   const std::string& label = "in.csv") {
  Chunked out;
  CsvChunking chunking;
  chunking.rows = rows;
  chunking.consumed = [&](size_t offset) { out.consumed.push_back(offset); };
  out.status = ImportCsvChunked(raw, label, m, chunking, [&](ImportBatch&& chunk) -> Status {
    out.chunks.push_back(std::move(chunk));
    return {};
  });
  return out;
}

CsvMapping MergingMapping() {
  CsvMapping m;
  m.columns = {{"source", "source"}, {"ref", "ref"},     {"text", "text"},
               {"owner", "owner"},   {"made", "made"},   {"theme", "themes"},
               {"url", "url"},       {"status", "status"}, {"response_text", "reply"}};
  m.owner_sep = ";";
  return m;
}

// Rows of one recommendation spread over the file, so that with small chunks
// they land in different chunks; themes, made and url arrive late.
const char kMerging[] =
    "source,ref,text,owner,made,themes,url,status,reply\n"
    "Review A,1,First text,Home Office,,,,implemented,done it\n"
    "Review A,2,Second text,Met Police; City Hall,2017-01-02,safety,,in progress,\n"
    "Review B,1,Other source,Home Office,,,,,\n"
    "Review A,1,First text,City Hall,2017-03-04,safety;training,https://a.example/1,,later\n"
    "Review A,3,Third text,Met Police,,,,,\n"
    "Review A,1,First text,Fire Service,2018-01-01,training;people,https://b.example/1,,\n"
    "Review B,2,More,Met Police,,,,,\n"
    "Review A,2,Second text,Fire Service,,people,https://c.example/2,,\n"
    "Review A,,Unnumbered,Home Office,,,,,\n"
    "Review A,3,Third text,Home Office,,,,,\n";

// The same recommendations in an order chunks can keep: each source's rows
// together, each recommendation's rows together (one row per owner).
const char kInOrder[] =
    "source,ref,text,owner,made,themes,url,status,reply\n"
    "Review A,1,First text,Home Office,,,,implemented,done it\n"
    "Review A,1,First text,City Hall,2017-03-04,safety;training,https://a.example/1,,later\n"
    "Review A,1,First text,Fire Service,2018-01-01,training;people,https://b.example/1,,\n"
    "Review A,2,Second text,Met Police; City Hall,2017-01-02,safety,,in progress,\n"
    "Review A,2,Second text,Fire Service,,people,https://c.example/2,,\n"
    "Review A,3,Third text,Met Police,,,,,\n"
    "Review A,3,Third text,Home Office,,,,,\n"
    "Review A,,Unnumbered,Home Office,,,,,\n"
    "Review B,1,Other source,Home Office,,,,,\n"
    "Review B,2,More,Met Police,,,,,\n";

TEST(ImportCsvChunkedTest, ChunksMergeIntoImportCsvBatch) {
  const CsvMapping m = MergingMapping();
  auto whole = ImportCsv(kInOrder, "in.csv", m);
  ASSERT_TRUE(whole) << whole.error().message;
  const std::string want = WriteNativeJson(*whole);
  for (size_t rows : {1, 2, 3, 4, 7, 10, 1000}) {
    auto got = RunChunked(kInOrder, m, rows);
    ASSERT_TRUE(got.status) << rows << ": " << got.status.error().message;
    EXPECT_TRUE(*got.status) << rows;
    EXPECT_EQ(got.chunks.size(), (10 + rows - 1) / rows) << rows;
    EXPECT_EQ(WriteNativeJson(Merge(got.chunks)), want) << "chunks of " << rows << " rows";
  }
}

TEST(ImportCsvChunkedTest, ARecommendationCutByAChunkGoesOnAsAContinuation) {
  auto got = RunChunked(kInOrder, MergingMapping(), 1);
  ASSERT_TRUE(got.status) << got.status.error().message;
  ASSERT_TRUE(*got.status);
  ASSERT_EQ(got.chunks.size(), 10u);
  // Row 2: more of "1", which row 1 sent.
  const auto& chunk = got.chunks[1];
  ASSERT_EQ(chunk.sources.size(), 1u);
  EXPECT_EQ(chunk.sources[0].source.slug, "review-a");
  EXPECT_EQ(chunk.sources[0].source.title, "Review A");  // the source comes again, whole
  ASSERT_EQ(chunk.sources[0].recommendations.size(), 1u);
  const auto& cont = chunk.sources[0].recommendations[0];
  EXPECT_TRUE(cont.continued);
  EXPECT_EQ(cont.recommendation.ref, "1");
  EXPECT_EQ(cont.recommendation.text, "First text");
  EXPECT_EQ(cont.recommendation.themes, (std::vector<std::string>{"safety", "training"}));
  EXPECT_EQ(cont.recommendation.made, Date::ParseIso("2017-03-04").value());
  EXPECT_EQ(cont.recommendation.url, "https://a.example/1");
  ASSERT_EQ(cont.assignments.size(), 1u);
  EXPECT_EQ(cont.assignments[0].owner, "City Hall");
  EXPECT_EQ(cont.assignments[0].assignment.initial.response_text, "later");
  // First appearances are never continuations.
  EXPECT_FALSE(got.chunks[0].sources[0].recommendations[0].continued);
  EXPECT_FALSE(got.chunks[3].sources[0].recommendations[0].continued);
  EXPECT_FALSE(got.chunks[8].sources[0].recommendations[0].continued);
}

TEST(ImportCsvChunkedTest, StopsWhenChunksCannotKeepTheOrder) {
  // kMerging interleaves the sources and comes back to "1" after "2": in one
  // chunk that is fine, in several ImportCsv's order would be lost.
  auto one = RunChunked(kMerging, MergingMapping(), 1000);
  ASSERT_TRUE(one.status);
  EXPECT_TRUE(*one.status);
  for (size_t rows : {1, 2, 3}) {
    auto got = RunChunked(kMerging, MergingMapping(), rows);
    ASSERT_TRUE(got.status) << got.status.error().message;
    EXPECT_FALSE(*got.status) << rows;
  }
  // Rows 1-2 are source A, row 3 source B, row 4 A again: with chunks of two
  // rows, the second chunk would put A's recommendation after B's.
  auto got = RunChunked(kMerging, MergingMapping(), 2);
  EXPECT_EQ(got.chunks.size(), 1u);
  // Back to an earlier recommendation of the same source, also out of order.
  const char back[] =
      "source,ref,text,owner,made,themes,url,status,reply\n"
      "A,1,One,X,,,,,\n"
      "A,2,Two,X,,,,,\n"
      "A,1,One,Y,,,,,\n";
  got = RunChunked(back, MergingMapping(), 2);
  ASSERT_TRUE(got.status);
  EXPECT_FALSE(*got.status);
  got = RunChunked(back, MergingMapping(), 3);
  ASSERT_TRUE(got.status);
  EXPECT_TRUE(*got.status);
  // A problem in the file is still found first when it comes before.
  const char bad_then_back[] =
      "source,ref,text,owner,made,themes,url,status,reply\n"
      "A,1,One,X,,,,,\n"
      "A,2,,X,,,,,\n"
      "A,1,One,Y,,,,,\n";
  got = RunChunked(bad_then_back, MergingMapping(), 1);
  ASSERT_FALSE(got.status);
  EXPECT_EQ(got.status.error().message, "in.csv:3:5: empty recommendation text");
}

TEST(ImportCsvChunkedTest, ConsumedOffsetsGrowToTheEnd) {
  auto got = RunChunked(kInOrder, MergingMapping(), 3);
  ASSERT_TRUE(got.status);
  ASSERT_FALSE(got.consumed.empty());
  EXPECT_TRUE(std::is_sorted(got.consumed.begin(), got.consumed.end()));
  EXPECT_EQ(got.consumed.back(), std::string_view(kInOrder).size());
  // After the first chunk (three rows), the header and three lines are done with.
  std::string_view csv(kInOrder);
  size_t after_three_rows = 0;
  for (int i = 0; i < 4; ++i) after_three_rows = csv.find('\n', after_three_rows) + 1;
  EXPECT_EQ(got.consumed.front(), after_three_rows);
}

TEST(ImportCsvChunkedTest, RealFixturesGiveImportCsvBatch) {
  CsvMapping m;
  m.columns = {{"ref", "No"},         {"text", "Recommendation"}, {"owner", "Owner"},
               {"response", "Response"}, {"status", "Progress"}, {"due", "Due"},
               {"theme", "Theme"}};
  m.owner_sep = ";";
  m.vocabulary = "uk_gov";
  m.date_format = "%d/%m/%Y";
  m.source_title = "Example inquiry";
  const std::string raw = ReadFixture(kFixtures / "inquiry.csv");
  auto whole = ImportCsv(raw, "inquiry.csv", m);
  ASSERT_TRUE(whole) << whole.error().message;
  for (size_t rows : {1, 2, 1000}) {
    auto got = RunChunked(raw, m, rows, "inquiry.csv");
    ASSERT_TRUE(got.status) << got.status.error().message;
    EXPECT_EQ(WriteNativeJson(Merge(got.chunks)), WriteNativeJson(*whole)) << rows;
  }
}

TEST(ImportCsvChunkedTest, OtherEncodingsAreConvertedFirst) {
  CsvMapping m;
  m.columns = {{"text", "text"}, {"owner", "owner"}};
  m.encoding = Encoding::kWindows1252;
  m.source_title = "Caf\xC3\xA9";
  const std::string raw = "text,owner\nCaf\xE9 au lait,Ma\xEEtre\nTh\xE9,Ma\xEEtre\n";
  auto whole = ImportCsv(raw, "in.csv", m);
  ASSERT_TRUE(whole) << whole.error().message;
  auto got = RunChunked(raw, m, 1);
  ASSERT_TRUE(got.status) << got.status.error().message;
  EXPECT_EQ(WriteNativeJson(Merge(got.chunks)), WriteNativeJson(*whole));
  // The whole input at once: it was converted before parsing.
  ASSERT_FALSE(got.consumed.empty());
  for (size_t offset : got.consumed) EXPECT_EQ(offset, raw.size());
}

TEST(ImportCsvChunkedTest, ByteOrderMarkIsDropped) {
  CsvMapping m;
  m.columns = {{"text", "text"}, {"owner", "owner"}};
  m.source_title = "S";
  const std::string raw = "\xEF\xBB\xBFtext,owner\nOne,A\nTwo,B\n";
  auto whole = ImportCsv(raw, "in.csv", m);
  ASSERT_TRUE(whole) << whole.error().message;
  auto got = RunChunked(raw, m, 1);
  ASSERT_TRUE(got.status) << got.status.error().message;
  EXPECT_EQ(WriteNativeJson(Merge(got.chunks)), WriteNativeJson(*whole));
  EXPECT_EQ(got.consumed.front(), std::string_view("\xEF\xBB\xBFtext,owner\nOne,A\n").size());
}

// The same error, word for word, as ImportCsv, whatever the chunk size.
void ExpectSameError(const std::string& raw, const CsvMapping& m, const std::string& want) {
  auto whole = ImportCsv(raw, "in.csv", m);
  ASSERT_FALSE(whole);
  EXPECT_EQ(whole.error().message, want);
  for (size_t rows : {1, 2, 3, 1000}) {
    auto got = RunChunked(raw, m, rows);
    ASSERT_FALSE(got.status) << rows;
    EXPECT_EQ(got.status.error().message, want) << rows;
    EXPECT_EQ(got.status.error().code, whole.error().code);
  }
}

TEST(ImportCsvChunkedTest, DifferentTextInALaterChunk) {
  CsvMapping m = MergingMapping();
  std::string raw = std::string(kInOrder) + "Review B,2,More!,Home Office,,,,,\n";
  ExpectSameError(raw, m,
                  "in.csv:12:12: recommendation '2' of source 'review-b' appears again with "
                  "different text (first on line 11); --repeated-text first or --repeated-text "
                  "longest keeps one of them");
}

// A copy in a later chunk whose text differs only trivially (or, with
// --repeated-text, at all) cannot be sent as a continuation, which must carry
// the text written: the importer says the file is to be read whole, and the
// whole file reads it as one recommendation.
TEST(ImportCsvChunkedTest, ACopyWithAnotherTextInALaterChunkIsReadWhole) {
  CsvMapping m = MergingMapping();
  std::string raw = std::string(kInOrder) + "Review B,2,More (2),Home Office,,,,,\n";
  auto got = RunChunked(raw, m, 2);  // "More" ends the fifth chunk
  ASSERT_TRUE(got.status) << got.status.error().message;
  EXPECT_FALSE(*got.status);
  // In one chunk it is in order.
  got = RunChunked(raw, m, 1000);
  ASSERT_TRUE(got.status) << got.status.error().message;
  EXPECT_TRUE(*got.status);
  CsvRepeats repeats;
  auto whole = ImportCsv(raw, "in.csv", m, &repeats);
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(repeats.trivial, 1u);
  const auto& b = whole->sources[1].recommendations;
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[1].recommendation.text, "More");
  EXPECT_EQ(b[1].assignments.size(), 2u);
}

TEST(ImportCsvChunkedTest, OwnerTwiceAcrossChunks) {
  CsvMapping m = MergingMapping();
  std::string raw = std::string(kInOrder) + "Review B,2,More,Met Police,,,,,\n";
  ExpectSameError(raw, m,
                  "in.csv:12:17: owner 'Met Police' appears twice for recommendation '2' of "
                  "source 'review-b'");
  // Twice in one cell is found the same way.
  raw = std::string(kInOrder) + "Review B,99,Ninth,Met Police; Met Police,,,,,\n";
  ExpectSameError(raw, m,
                  "in.csv:12:19: owner 'Met Police' appears twice for recommendation '99' of "
                  "source 'review-b'");
}

TEST(ImportCsvChunkedTest, InvalidUtf8AnywhereComesFirst) {
  CsvMapping m = MergingMapping();
  // A bad row early, and an invalid byte at the end: the byte is reported.
  std::string raw = std::string(kInOrder);
  raw.insert(raw.find("Review B,1"), "Review A,5,,Home Office,,,,,\n");
  raw += "Review B,7,Caf\xE9,Home Office,,,,,\n";
  ExpectSameError(raw, m,
                  "in.csv:13:15: invalid UTF-8 byte 0xE9 (pass --encoding windows-1252, latin1 "
                  "or mac-roman if the file is not UTF-8)");
  // A character cut by a block boundary (the check goes a megabyte at a time) is
  // no error: a big file of two-byte letters.
  std::string big = "text,owner\n";
  for (int i = 0; i < 100000; ++i) big += "\xC3\xA9t\xC3\xA9,Owner\n";
  auto got = RunChunked(big, [] {
    CsvMapping x;
    x.columns = {{"text", "text"}, {"owner", "owner"}};
    x.source_title = "S";
    return x;
  }(), 4096);
  EXPECT_TRUE(got.status) << got.status.error().message;
}

TEST(ImportCsvChunkedTest, SinkSeesOnlyCheckedText) {
  // An invalid byte in the last row of a file of some megabytes: the chunks
  // before it may have gone to the sink, never one with the bad row.
  std::string raw = "text,owner\n";
  const int rows = 200000;
  for (int i = 0; i < rows; ++i) raw += fmt::format("Text {},Owner\n", i);
  raw += "Bad \xFF,Owner\n";
  CsvMapping m;
  m.columns = {{"text", "text"}, {"owner", "owner"}};
  m.source_title = "S";
  auto got = RunChunked(raw, m, 1000);
  ASSERT_FALSE(got.status);
  EXPECT_EQ(got.status.error().message,
            fmt::format("in.csv:{}:5: invalid UTF-8 byte 0xFF (pass --encoding windows-1252, "
                        "latin1 or mac-roman if the file is not UTF-8)",
                        rows + 2));
  EXPECT_GT(got.chunks.size(), 0u);
  EXPECT_LE(got.chunks.size(), static_cast<size_t>(rows / 1000));
  for (const auto& chunk : got.chunks)
    for (const auto& r : chunk.sources[0].recommendations)
      EXPECT_EQ(r.recommendation.text.rfind("Text ", 0), 0u) << r.recommendation.text;
}

TEST(ImportCsvChunkedTest, ABadRowComesBeforeTheSinksError) {
  CsvMapping m = MergingMapping();
  // Out of order too (kMerging): after the sink failed, only problems count.
  std::string raw = std::string(kMerging) + "Review A,8,,Home Office,,,,,\n";
  int calls = 0;
  CsvChunking chunking;
  chunking.rows = 2;
  auto sink = [&](ImportBatch&&) -> Status {
    ++calls;
    return Fail(Error::Conflict("the store says no"));
  };
  auto s = ImportCsvChunked(raw, "in.csv", m, chunking, sink);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "in.csv:12:12: empty recommendation text");
  EXPECT_EQ(calls, 1);  // never called again after it failed
  // Without a bad row the sink's error is the answer.
  calls = 0;
  s = ImportCsvChunked(kInOrder, "in.csv", m, chunking, sink);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Error::Code::kConflict);
  EXPECT_EQ(s.error().message, "the store says no");
  EXPECT_EQ(calls, 1);
}

TEST(ImportCsvChunkedTest, HeaderAndFileErrorsAsImportCsv) {
  CsvMapping m = MergingMapping();
  ExpectSameError("", m, "in.csv: empty file");
  ExpectSameError("source,ref,text,owner,made,themes,url,status,reply\n", m,
                  "in.csv: no rows after the header");
  ExpectSameError("source,ref,text\nA,1,x\n", m,
                  "in.csv:1:1: no column 'owner' (mapped to owner); the header has: 'source', "
                  "'ref', 'text'");
  m.columns["colour"] = "x";
  auto s = RunChunked(kInOrder, m, 2);
  ASSERT_FALSE(s.status);
  EXPECT_EQ(s.status.error().message,
            "in.csv: unknown field 'colour' in the column map (fields: source, ref, text, owner, "
            "made, due, status, response, response_text, theme, url, target)");
  EXPECT_TRUE(s.chunks.empty());
}

}  // namespace
}  // namespace rectrack
