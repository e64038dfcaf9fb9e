// ImportCsvFile (the streamed `import csv`) against ImportCsv + Store::Import:
// the same store, the same ledger origin, the same errors in the same order.
#include "app/import.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/ledger.h"
#include "fmt/format.h"
#include "gtest/gtest.h"
#include "ingest/json_format.h"
#include "nlohmann/json.hpp"
#include "testing/test_store.h"

namespace rectrack {
namespace {

class ImportCsvFileTest : public ::testing::Test {
 protected:
  ImportCsvFileTest() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "rectrack-import-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  ~ImportCsvFileTest() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string Write(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::unique_ptr<Store> OpenDb(const std::string& name) {
    auto s = testing_util::OpenTestStore(dir_ + "/" + name);
    EXPECT_TRUE(s) << s.error().message;
    return s ? std::move(*s) : nullptr;
  }
  static std::string Export(Store& store) {
    auto b = store.ExportAll();
    EXPECT_TRUE(b) << b.error().message;
    return b ? WriteNativeJson(*b) : "";
  }
  static std::string Origin(Store& store) {
    std::string origin;
    EXPECT_TRUE(store.ForEachEvent([&](const LedgerEvent& e) {
      if (e.kind != "import") return true;
      auto about = nlohmann::json::parse(e.payload)["about"];
      if (about.contains("origin")) origin = about["origin"];
      return true;
    }));
    return origin;
  }

  std::string dir_;
  const Actor actor_{"cli:test"};
};

CsvMapping Mapping() {
  CsvMapping m;
  m.columns = {{"source", "review"}, {"ref", "ref"},       {"text", "text"},
               {"owner", "owner"},   {"status", "status"}, {"response_text", "notes"},
               {"theme", "themes"}};
  m.owner_sep = ";";
  m.vocabulary = "uk_gov";
  return m;
}

// Several thousand rows (several chunks), two sources, multi-owner cells,
// recommendations over several rows (one per owner; some cut by a chunk's end),
// notes with commas and newlines. `interleaved`: the sources' rows alternate,
// and refs come back thousands of rows later, which chunks cannot number as the
// whole batch (the import then falls back to it).
std::string BigCsv(bool interleaved) {
  std::string csv = "review,ref,text,owner,status,notes,themes\n";
  const char* owners[] = {"Home Office", "City Hall", "Met Police", "Fire Service; NHS England"};
  const char* statuses[] = {"accepted", "implemented", "in progress", "rejected"};
  auto row = [&](int i, int ref, const char* review, const std::string& owner) {
    std::string notes = i % 97 == 0 ? fmt::format("\"Agreed, see\nletter {}\"", i) : "";
    csv += fmt::format("{},R{},Recommendation number {} about safety,{},{},{},{}\n", review, ref,
                       ref, owner, statuses[i % 4], notes,
                       i % 5 == 0 ? "safety;theme " + std::to_string(i % 3) : "");
  };
  if (interleaved) {
    for (int i = 0; i < 7000; ++i) {
      int ref = i % 5000;  // refs 0..1999 come back 5000 rows later, with another owner
      row(i, ref, ref % 3 ? "Review A" : "Review B", i < 5000 ? owners[i % 4] : "Treasury");
    }
  } else {
    int i = 0;
    for (const char* review : {"Review A", "Review B"})
      for (int ref = 0; ref < 2500; ++ref)
        for (int k = 0; k <= ref % 3; ++k, ++i)  // one to three rows (owners) each
          row(i, ref, review, k == 0 ? owners[ref % 4] : k == 1 ? "Treasury" : "CO");
  }
  return csv;
}

class ImportCsvFileSameTest : public ImportCsvFileTest,
                              public ::testing::WithParamInterface<bool> {};

TEST_P(ImportCsvFileSameTest, SameStoreAsImportCsvThenImport) {
  const std::string csv = BigCsv(GetParam());
  const std::string path = Write("big.csv", csv);
  const CsvMapping m = Mapping();
  const std::vector<std::pair<std::string, std::string>> aliases = {{"CO", "Cabinet Office"}};

  auto whole_store = OpenDb("whole.db");
  auto batch = ImportCsv(csv, path, m);
  ASSERT_TRUE(batch) << batch.error().message;
  batch->aliases = aliases;
  auto whole = whole_store->Import(*batch, actor_, fmt::format("{} sha256:{}", path, Sha256Hex(csv)));
  ASSERT_TRUE(whole) << whole.error().message;

  auto streamed_store = OpenDb("streamed.db");
  auto file = MappedFile::Open(path);
  ASSERT_TRUE(file);
  auto streamed = ImportCsvFile(*streamed_store, **file, path, m, aliases, actor_);
  ASSERT_TRUE(streamed) << streamed.error().message;

  EXPECT_EQ(streamed->sources, whole->sources);
  EXPECT_EQ(streamed->recommendations, whole->recommendations);
  EXPECT_EQ(streamed->assignments, whole->assignments);
  EXPECT_EQ(streamed->owners_created, whole->owners_created);
  EXPECT_EQ(streamed->ledger_seq, 2);  // after the store's key
  EXPECT_EQ(Export(*streamed_store), Export(*whole_store));
  EXPECT_EQ(Origin(*streamed_store), Origin(*whole_store));
  // Full-text search agrees too (responses of rows far apart included).
  for (const char* q : {"letter", "safety", "\"letter 5044\""}) {
    auto a = whole_store->Search(q, 50);
    auto b = streamed_store->Search(q, 50);
    ASSERT_TRUE(a && b);
    ASSERT_EQ(a->size(), b->size()) << q;
    for (size_t i = 0; i < a->size(); ++i) {
      EXPECT_EQ((*a)[i].ref, (*b)[i].ref) << q;
      EXPECT_EQ((*a)[i].snippet, (*b)[i].snippet) << q;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(InOrderAndInterleaved, ImportCsvFileSameTest, ::testing::Bool());

TEST_F(ImportCsvFileTest, AProblemInTheFileComesBeforeTheStoresError) {
  auto store = OpenDb("s.db");
  const CsvMapping m = Mapping();
  std::string csv = BigCsv(false);
  auto first = MappedFile::Open(Write("first.csv", csv));
  ASSERT_TRUE(ImportCsvFile(*store, **first, "first.csv", m, {}, actor_));
  const std::string before = Export(*store);

  // Importing it again conflicts in the first chunk, but a bad row at the end
  // is what the user must fix first, as with ImportCsv then Import.
  auto again = MappedFile::Open(Write("again.csv", csv + "Review B,R9,,Home Office,,,\n"));
  auto r = ImportCsvFile(*store, **again, "again.csv", m, {}, actor_);
  ASSERT_FALSE(r);
  const std::string bad_row = fmt::format("again.csv:{}:13: empty recommendation text",
                                          std::count(csv.begin(), csv.end(), '\n') + 1);
  EXPECT_EQ(r.error().message, bad_row);
  EXPECT_EQ(Export(*store), before);

  // Without the bad row, the store's error.
  auto same = MappedFile::Open(Write("same.csv", csv));
  r = ImportCsvFile(*store, **same, "same.csv", m, {}, actor_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Error::Code::kConflict);
  EXPECT_NE(r.error().message.find("source 'review-a' is already in the store"),
            std::string::npos)
      << r.error().message;
  EXPECT_EQ(Export(*store), before);
  auto head = store->Head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->seq, 2);

  // CsvProblemOr: the same order for failures found before the import starts.
  EXPECT_EQ(CsvProblemOr(**again, "again.csv", m, Error::Io("cannot open the store")).message,
            bad_row);
  EXPECT_EQ(CsvProblemOr(**same, "same.csv", m, Error::Io("cannot open the store")).message,
            "cannot open the store");
}

// Issue 9, item 6: a copy of a recommendation whose text differs trivially is
// the same recommendation, in whichever chunk it falls, and the summary says so.
TEST_F(ImportCsvFileTest, TrivialCopiesAreOneRecommendationAndTheSummarySaysSo) {
  const CsvMapping m = Mapping();
  std::string csv = BigCsv(false) +
                    "Review B,R2499,\"Recommendation number 2499  about safety (R2499)\",Treasury,"
                    ",,\n";
  auto file = MappedFile::Open(Write("copies.csv", csv));
  ASSERT_TRUE(file) << file.error().message;
  auto streamed_store = OpenDb("streamed.db");
  auto r = ImportCsvFile(*streamed_store, **file, "copies.csv", m, {}, actor_);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_NE(r->notes[0].find("1 row repeated a recommendation"), std::string::npos) << r->notes[0];
  EXPECT_NE(r->notes[0].find("ref 'R2499'"), std::string::npos) << r->notes[0];
  // As ImportCsv and Store::Import would have it: one recommendation, the
  // first row's text, one more owner.
  auto batch = ImportCsv(csv, "copies.csv", m);
  ASSERT_TRUE(batch) << batch.error().message;
  auto whole_store = OpenDb("whole.db");
  ASSERT_TRUE(whole_store->Import(*batch, actor_, "x"));
  EXPECT_EQ(Export(*streamed_store), Export(*whole_store));
  const auto& last = batch->sources[1].recommendations.back();
  EXPECT_EQ(last.recommendation.ref, "R2499");
  EXPECT_EQ(last.recommendation.text, "Recommendation number 2499 about safety");
  EXPECT_EQ(last.assignments.size(), 3u);  // Fire Service, NHS England, Treasury
}

TEST_F(ImportCsvFileTest, AStoreErrorInTheLastChunkIsReported) {
  auto store = OpenDb("s.db");
  const CsvMapping m = Mapping();
  // Two names of one owner on one recommendation, in the file's last rows.
  std::string csv = BigCsv(false) + "Review B,R9999,Last,HO,,,\nReview B,R9999,Last,Home Office,,,\n";
  auto file = MappedFile::Open(Write("dup.csv", csv));
  auto r = ImportCsvFile(*store, **file, "dup.csv", m, {{"HO", "Home Office"}}, actor_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Error::Code::kConflict);
  EXPECT_NE(r.error().message.find("assigned to owner 'Home Office' twice"), std::string::npos)
      << r.error().message;
  auto head = store->Head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->seq, 1);  // its key alone
  EXPECT_EQ(Export(*store), Export(*OpenDb("empty.db")));
}

TEST_F(ImportCsvFileTest, FileErrors) {
  EXPECT_EQ(MappedFile::Open(dir_ + "/nope.csv").error().message, dir_ + "/nope.csv: no such file");
  EXPECT_EQ(MappedFile::Open(dir_).error().message, dir_ + ": is a directory");
  auto empty = MappedFile::Open(Write("empty.csv", ""));
  ASSERT_TRUE(empty);
  EXPECT_TRUE((*empty)->data().empty());
  auto store = OpenDb("s.db");
  auto r = ImportCsvFile(*store, **empty, "empty.csv", Mapping(), {}, actor_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "empty.csv: empty file");
}

}  // namespace
}  // namespace rectrack
