#include "app/import.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/ledger.h"
#include "fmt/format.h"

namespace rectrack {
namespace {

// Rows per chunk, and chunks parsed ahead of the writer: a few MB in flight.
constexpr size_t kChunkRows = 2048;
constexpr size_t kChunksAhead = 4;

// Chunks from the parsing thread to the writing one. Bounded, so that a slow
// writer holds the parser back instead of letting chunks pile up in memory.
class ChunkQueue {
 public:
  // Parser side. Returns the writer's error once it has stopped taking chunks.
  Status Push(ImportBatch&& chunk) {
    std::vector<ImportBatch> spent;
    {
      std::unique_lock<std::mutex> lock(mu_);
      not_full_.wait(lock, [&] { return queue_.size() < kChunksAhead || stopped_; });
      if (stopped_) return Fail(*error_);
      queue_.push_back(std::move(chunk));
      not_empty_.notify_one();
      spent.swap(spent_);
    }
    return {};  // `spent` is freed here, off the writer's thread
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    not_empty_.notify_one();
  }
  // Writer side: hands a written chunk back, to be freed by the parser.
  void Done(ImportBatch&& chunk) {
    std::lock_guard<std::mutex> lock(mu_);
    spent_.push_back(std::move(chunk));
  }
  // Writer side. Empty once the parser is done and every chunk taken.
  std::optional<ImportBatch> Pop() {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return !queue_.empty() || closed_; });
    if (queue_.empty()) return std::nullopt;
    ImportBatch chunk = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return chunk;
  }
  // The writer failed: the parser's next Push returns `e` (and it goes on only
  // to look for a problem in the rest of the file, which comes first).
  void Stop(Error e) {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    error_ = std::move(e);
    queue_.clear();
    not_full_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<ImportBatch> queue_;
  std::vector<ImportBatch> spent_;
  bool closed_ = false;
  bool stopped_ = false;
  std::optional<Error> error_;
};

}  // namespace

Result<ImportSummary> ImportCsvFile(Store& store, MappedFile& file, const std::string& label,
                                    const CsvMapping& mapping,
                                    const std::vector<std::pair<std::string, std::string>>& aliases,
                                    const Actor& actor) {
  ChunkQueue queue;
  Sha256 digest;
  size_t hashed = 0;
  CsvRepeats repeats;
  CsvChunking chunking;
  chunking.rows = kChunkRows;
  chunking.repeats = &repeats;
  // Parsed bytes are hashed, then let go of, on the parsing thread.
  chunking.consumed = [&](size_t offset) {
    if (offset <= hashed) return;
    digest.Update(file.data().substr(hashed, offset - hashed));
    hashed = offset;
    file.Release(offset);
  };
  Result<bool> parsed;
  std::thread parser([&] {
    parsed = ImportCsvChunked(file.data(), label, mapping, chunking,
                              [&](ImportBatch&& chunk) { return queue.Push(std::move(chunk)); });
    queue.Close();
  });

  // The writer: this thread, which owns the store.
  std::unique_ptr<ImportSession> session;
  std::optional<Error> store_error;
  if (auto s = store.StartImport(actor, label); s) {
    session = std::move(*s);
  } else {
    store_error = s.error();
    queue.Stop(s.error());
  }
  bool first = true;
  while (session) {
    auto chunk = queue.Pop();
    if (!chunk) break;
    if (first) {  // the aliases go first, as Store::Import writes a batch's aliases first
      chunk->aliases.insert(chunk->aliases.begin(), aliases.begin(), aliases.end());
      first = false;
    }
    if (auto s = session->Add(*chunk); !s) {
      store_error = s.error();
      queue.Stop(s.error());
      session.reset();  // rolled back already
    }
    queue.Done(std::move(*chunk));
  }
  parser.join();
  // A problem in the file comes first (the parser returns it rather than the
  // store's error when it finds one after the store failed).
  if (!parsed) return Fail(parsed.error());
  if (!*parsed) {
    // Rows in an order that chunks cannot keep (sources interleaved, or a
    // recommendation taken up again after others): what was written is rolled
    // back and the file imported whole, as ImportCsv and Store::Import do, so
    // that everything is numbered the same. Memory then grows with the file.
    session.reset();
    const std::string_view raw = file.data();
    repeats = {};
    auto batch = ImportCsv(raw, label, mapping, &repeats);
    if (!batch) return Fail(batch.error());
    batch->aliases.insert(batch->aliases.begin(), aliases.begin(), aliases.end());
    auto summary = store.Import(*batch, actor, fmt::format("{} sha256:{}", label, Sha256Hex(raw)));
    if (summary) summary->notes = repeats.Notes(mapping);
    return summary;
  }
  if (store_error) return Fail(*store_error);
  session->SetOrigin(fmt::format("{} sha256:{}", label, digest.HexDigest()));
  auto summary = session->Finish();
  if (summary) summary->notes = repeats.Notes(mapping);
  return summary;
}

Error CsvProblemOr(MappedFile& file, const std::string& label, const CsvMapping& mapping,
                   Error later) {
  CsvChunking chunking;
  chunking.rows = kChunkRows;
  chunking.consumed = [&](size_t offset) { file.Release(offset); };
  auto s = ImportCsvChunked(file.data(), label, mapping, chunking,
                            [&](ImportBatch&&) -> Status { return Fail(later); });
  return s ? later : s.error();
}

}  // namespace rectrack
