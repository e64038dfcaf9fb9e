// A document read in a child process under limits (issue 11: "a hostile PDF
// must not take the server down"): the real `rectrack` executable reads the
// repository's PDFs; stand-in programs that never end or spin show the limits.
#include "app/document_extract.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "testing/test_store.h"

namespace rectrack {
namespace {

std::string ReadWhole(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class DocumentInChildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    old_tmp_ = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "";
    ::setenv("TMPDIR", tmp_.path().c_str(), 1);
  }
  void TearDown() override {
    if (old_tmp_.empty()) ::unsetenv("TMPDIR");
    else ::setenv("TMPDIR", old_tmp_.c_str(), 1);
  }
  // Nothing of a reading stays behind in the temporary folder.
  bool TmpIsEmpty() const { return std::filesystem::is_empty(tmp_.path()); }
  std::string Script(const std::string& name, const std::string& body) {
    const std::string path = dir_.File(name);
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    ::chmod(path.c_str(), 0755);
    return path;
  }
  testing_util::TempDir tmp_, dir_;
  std::string old_tmp_;
};

TEST_F(DocumentInChildTest, AReportGivesItsDraftWithThePageTextsItsQuotesIndex) {
  const std::string pdf = ReadWhole("tests/fixtures/documents/andorra2011.pdf");
  ASSERT_FALSE(pdf.empty());
  auto d = ExtractDocumentInChild(RECTRACK_CLI, pdf, "C:\\uploads\\andorra2011.pdf",
                                  DocumentPreset::kUpr);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->file, "andorra2011.pdf");
  EXPECT_EQ(d->draft.preset, DocumentPreset::kUpr);
  EXPECT_GT(d->draft.items.size(), 50u);
  ASSERT_EQ(d->page_texts.size(), static_cast<size_t>(d->draft.pages));
  for (const auto& item : d->draft.items) {
    ASSERT_FALSE(item.quotes.empty()) << item.ref;
    for (const auto& q : item.quotes) {
      ASSERT_GE(q.page, 1);
      ASSERT_LE(static_cast<size_t>(q.page), d->page_texts.size());
      const std::string& page = d->page_texts[q.page - 1];
      ASSERT_LT(q.begin, q.end);
      ASSERT_LE(q.end, page.size());
    }
    // The first quote starts where the text does.
    const Quote& q = item.quotes.front();
    const std::string quoted = d->page_texts[q.page - 1].substr(q.begin, q.end - q.begin);
    EXPECT_EQ(NormalizeForComparison(quoted).substr(0, 12), NormalizeForComparison(item.text).substr(0, 12))
        << item.ref;
  }
  EXPECT_TRUE(TmpIsEmpty());
}

TEST_F(DocumentInChildTest, WhatIsNoDocumentGetsTheReadersOwnErrorNamingTheUpload) {
  auto d = ExtractDocumentInChild(RECTRACK_CLI, std::string("\x89PNG\r\n\x1a\n\0\0", 10),
                                  "../../etc/photo of me.png", DocumentPreset::kGeneric);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Error::Code::kInvalidInput);
  EXPECT_NE(d.error().message.find("photo_of_me.png"), std::string::npos) << d.error().message;
  EXPECT_EQ(d.error().message.find("rectrack-extract-"), std::string::npos) << d.error().message;
  EXPECT_EQ(d.error().message.find("rectrack: error"), std::string::npos) << d.error().message;
  EXPECT_TRUE(TmpIsEmpty());
}

TEST_F(DocumentInChildTest, AReaderThatNeverEndsIsStoppedAtItsTime) {
  ExtractLimits limits;
  limits.wall = std::chrono::milliseconds(300);
  auto d = ExtractDocumentInChild(Script("stuck", "exec sleep 600"), "%PDF-1.4", "r.pdf",
                                  DocumentPreset::kGeneric, limits);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("took longer than"), std::string::npos) << d.error().message;
  EXPECT_TRUE(TmpIsEmpty());
}

TEST_F(DocumentInChildTest, AReaderThatSpinsIsStoppedAtItsProcessorTime) {
  ExtractLimits limits;
  limits.cpu_seconds = 1;
  auto d = ExtractDocumentInChild(Script("spin", "while :; do :; done"), "%PDF-1.4", "r.pdf",
                                  DocumentPreset::kGeneric, limits);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("processor time"), std::string::npos) << d.error().message;
}

TEST_F(DocumentInChildTest, AReaderOutOfMemoryFailsClearlyAndTheNextReadingStillWorks) {
  const std::string pdf = ReadWhole("tests/fixtures/documents/kenya2010.pdf");
  ExtractLimits tight;
  tight.memory_bytes = size_t{24} << 20;
  auto d = ExtractDocumentInChild(RECTRACK_CLI, pdf, "kenya2010.pdf", DocumentPreset::kUpr, tight);
  ASSERT_FALSE(d);
  // So little that the program cannot even be loaded: said so, not as the document's fault.
  EXPECT_NE(d.error().message.find("could not be started"), std::string::npos) << d.error().message;
  auto again = ExtractDocumentInChild(RECTRACK_CLI, pdf, "kenya2010.pdf", DocumentPreset::kUpr);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_FALSE(again->draft.items.empty());
}

TEST_F(DocumentInChildTest, AProgramThatCannotBeStartedIsAnError) {
  auto d = ExtractDocumentInChild(dir_.File("no-such-program"), "%PDF-1.4", "r.pdf",
                                  DocumentPreset::kGeneric);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("could not be started"), std::string::npos) << d.error().message;
}

}  // namespace
}  // namespace rectrack
