// rectrack's benchmarks (Google Benchmark). Not part of the test suite: run them
// with scripts/bench.sh, which builds Release in build-bench/ and prints the ratios.
//
// What is measured, in one process run so that the ratios compare like with like
// on a noisy shared machine:
//   BM_ImportUpr                           the four real UPR files (19,891 rows), as
//                                          `rectrack import upr` does it
//   BM_SqliteShellImport1M_Bare            `sqlite3` .import of the generated CSV into
//                                          one flat table: the floor
//   BM_SqliteShellImport1M_WithIndexesFts  the same plus the indexes that matter in our
//                                          schema and an FTS5 index over the text
//   BM_ImportCsv1M                         `rectrack import csv` of the same CSV
//   BM_OwnersTable1M                       LoadFacts + OwnersTable over the 1M store
//   BM_Report1M                            LiveReport + RenderReport(md) of its source
//
// Environment:
//   RECTRACK_DATA        folder of upr-20{08..11}.csv (default ../shared/data, then
//                        the repository's ../shared/data)
//   RECTRACK_BENCH_ROWS  rows of the generated CSV (default 1000000; 100000 while
//                        iterating)
//   RECTRACK_BENCH_DIR   scratch folder (default $TMPDIR/rectrack-bench-PID); needs
//                        about 2 GB for 1M rows
//   RECTRACK_BENCH_KEEP  set to keep the scratch folder
//
// Each case reports peak_rss_mb: the peak resident set of this process while the
// case ran (VmHWM, reset before each case), or of the sqlite3 child for the shell
// cases.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "app/import.h"
#include "app/service.h"
#include "core/ledger.h"
#include "fmt/format.h"
#include "ingest/csv_import.h"
#include "ingest/presets.h"
#include "report/owners_render.h"
#include "report/report_render.h"
#include "store/store.h"
#include "store/verify.h"

namespace fs = std::filesystem;

namespace rectrack::bench {
namespace {

// ---- environment -------------------------------------------------------------

std::string Env(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

size_t GeneratedRows() {
  static const size_t rows = [] {
    std::string v = Env("RECTRACK_BENCH_ROWS", "1000000");
    size_t n = std::strtoull(v.c_str(), nullptr, 10);
    return n > 0 ? n : size_t{1000000};
  }();
  return rows;
}

// Whether the scratch folder is ours to delete at the end.
bool& OwnScratchDir() {
  static bool own = false;
  return own;
}

const fs::path& ScratchDir() {
  static const fs::path dir = [] {
    fs::path d = Env("RECTRACK_BENCH_DIR");
    if (d.empty()) {
      d = fs::temp_directory_path() / fmt::format("rectrack-bench-{}", getpid());
      OwnScratchDir() = true;
    }
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// The folder with the real UPR files, or empty.
fs::path DataDir() {
  std::vector<fs::path> candidates;
  if (auto d = Env("RECTRACK_DATA"); !d.empty()) candidates.emplace_back(d);
  candidates.emplace_back("../shared/data");
  candidates.emplace_back(fs::path(RECTRACK_SOURCE_DIR) / ".." / "shared" / "data");
  for (const auto& c : candidates)
    if (fs::exists(c / "upr-2011.csv")) return c;
  return {};
}

// Deletes the database and writes back every dirty page of the machine, so that
// no case pays for the previous one's writes (ext4 flushes them along with the
// next fsync).
void RemoveDb(const fs::path& db) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::error_code ec;
    fs::remove(db.string() + suffix, ec);
  }
  sync();
}

// ---- peak memory -------------------------------------------------------------

// Resets the kernel's peak-RSS mark of this process (Linux 4.0+), so that VmHWM
// then reports the peak of what runs after. Memory the allocator kept from the
// cases before is handed back first, so that it does not count.
void ResetPeakRss() {
  malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";
}

double PeakRssMb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

// ---- the generated UPR-like CSV -------------------------------------------------

// SplitMix64: deterministic on every platform, unlike std::*_distribution.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  uint64_t s_;
};

constexpr std::string_view kWords[] = {
    "ensure", "the", "rights", "of", "women", "and", "children", "continue", "efforts",
    "to", "combat", "discrimination", "ratify", "Convention", "against", "Torture",
    "Optional", "Protocol", "implement", "measures", "strengthen", "national", "human",
    "institution", "independent", "in", "line", "with", "Paris", "Principles", "take",
    "all", "necessary", "steps", "eliminate", "violence", "domestic", "trafficking",
    "persons", "protect", "freedom", "expression", "assembly", "association", "media",
    "journalists", "defenders", "guarantee", "access", "justice", "fair", "trial",
    "detention", "conditions", "prisons", "police", "training", "officials", "education",
    "health", "care", "poverty", "reduction", "programmes", "minorities", "indigenous",
    "peoples", "migrants", "refugees", "asylum", "seekers", "death", "penalty", "abolish",
    "moratorium", "executions", "cooperate", "special", "procedures", "standing",
    "invitation", "treaty", "bodies", "reports", "overdue", "submit", "legislation",
    "review", "criminal", "code", "corporal", "punishment", "prohibit", "settings",
    "birth", "registration", "labour", "child", "employment", "equal", "pay", "gender",
    "equality", "participation", "public", "life", "disabilities", "inclusive", "rural",
    "areas", "water", "sanitation", "housing", "adequate", "food", "security", "climate",
    "change", "environment", "sustainable", "development", "cooperation", "international",
    "assistance", "technical", "capacity", "building", "civil", "society", "organizations",
    "consultation", "follow-up", "universal", "periodic", "recommendations", "accepted",
    "state", "party", "obligations", "under", "Covenant", "Economic", "Social", "Cultural",
    "Rights", "Political", "Elimination", "Racial", "Discrimination", "Against", "Women",
    "enforced", "disappearances", "investigate", "allegations", "prosecute", "perpetrators",
    "impunity", "victims", "remedies", "compensation", "judiciary", "independence", "rule",
    "law", "corruption", "transparency", "accountability", "elections", "free", "religion",
    "belief", "sexual", "orientation", "identity", "decriminalize", "same-sex", "relations",
    "hate", "crimes", "speech", "incitement", "torture", "ill-treatment", "custody",
    "juvenile", "justice", "system", "age", "responsibility", "raise", "minimum", "marriage",
};

// 190 states, as the `to` column writes them in the real data (lower case, no spaces).
std::vector<std::string> States() {
  constexpr std::string_view kStates[] = {
      "afghanistan", "albania", "algeria", "andorra", "angola", "antiguaandbarbuda",
      "argentina", "armenia", "australia", "austria", "azerbaijan", "bahamas", "bahrain",
      "bangladesh", "barbados", "belarus", "belgium", "belize", "benin", "bhutan", "bolivia",
      "bosniaandherzegovina", "botswana", "brazil", "bruneidarussalam", "bulgaria",
      "burkinafaso", "burundi", "cambodia", "cameroon", "canada", "capeverde",
      "centralafricanrepublic", "chad", "chile", "china", "colombia", "comoros", "congo",
      "costarica", "cotedivoire", "croatia", "cuba", "cyprus", "czechrepublic",
      "democraticrepublicofthecongo", "denmark", "djibouti", "dominica", "dominicanrepublic",
      "ecuador", "egypt", "elsalvador", "equatorialguinea", "eritrea", "estonia", "ethiopia",
      "fiji", "finland", "france", "gabon", "gambia", "georgia", "germany", "ghana", "greece",
      "grenada", "guatemala", "guinea", "guineabissau", "guyana", "haiti", "honduras",
      "hungary", "iceland", "india", "indonesia", "iran", "iraq", "ireland", "israel", "italy",
      "jamaica", "japan", "jordan", "kazakhstan", "kenya", "kiribati", "kuwait", "kyrgyzstan",
      "laos", "latvia", "lebanon", "lesotho", "liberia", "libya", "liechtenstein", "lithuania",
      "luxembourg", "madagascar", "malawi", "malaysia", "maldives", "mali", "malta",
      "marshallislands", "mauritania", "mauritius", "mexico", "micronesia", "moldova",
      "monaco", "mongolia", "montenegro", "morocco", "mozambique", "myanmar", "namibia",
      "nauru", "nepal", "netherlands", "newzealand", "nicaragua", "niger", "nigeria",
      "northkorea", "norway", "oman", "pakistan", "palau", "panama", "papuanewguinea",
      "paraguay", "peru", "philippines", "poland", "portugal", "qatar", "romania", "russia",
      "rwanda", "saintkittsandnevis", "saintlucia", "saintvincent", "samoa", "sanmarino",
      "saotomeandprincipe", "saudiarabia", "senegal", "serbia", "seychelles", "sierraleone",
      "singapore", "slovakia", "slovenia", "solomonislands", "somalia", "southafrica",
      "southkorea", "southsudan", "spain", "srilanka", "sudan", "suriname", "swaziland",
      "sweden", "switzerland", "syria", "tajikistan", "tanzania", "thailand", "macedonia",
      "timorleste", "togo", "tonga", "trinidadandtobago", "tunisia", "turkey", "turkmenistan",
      "tuvalu", "uganda", "ukraine", "unitedarabemirates", "unitedkingdom", "unitedstates",
      "uruguay", "uzbekistan", "vanuatu", "venezuela", "vietnam", "yemen", "zambia",
      "zimbabwe"};
  return {std::begin(kStates), std::end(kStates)};
}

constexpr char kReviewTitle[] = "Universal Periodic Review (generated)";

std::string CsvCell(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

// Writes `rows` UPR-like rows: review,ref,text,to,decision,From,year,notes. One
// source (the review), unique refs, one owner per row; texts of about 150
// characters, a few with commas or quotes; notes on about 1% of rows, some over
// two lines. The same rows every time.
void GenerateCsv(const fs::path& path, size_t rows) {
  Rng rng(20240317);
  const auto states = States();
  constexpr std::string_view kDecisions[] = {"consider", "support", "implemented", "reject",
                                             "unknown"};
  constexpr int kDecisionWeights[] = {40, 38, 10, 8, 4};  // percent, as in the real files
  std::string buf;
  buf.reserve(1 << 22);
  std::FILE* out = std::fopen(path.c_str(), "wb");
  if (!out) throw std::runtime_error("cannot write " + path.string());
  buf += "review,ref,text,to,decision,From,year,notes\n";
  std::string text, notes;
  for (size_t i = 0; i < rows; ++i) {
    const std::string& to = states[rng.Below(states.size())];
    const std::string& from = states[rng.Below(states.size())];
    text.clear();
    size_t want = 120 + rng.Below(60);
    bool capital = true;
    while (text.size() < want) {
      std::string_view w = kWords[rng.Below(std::size(kWords))];
      if (!text.empty()) text += rng.Below(12) == 0 ? ", " : " ";
      if (capital && w[0] >= 'a' && w[0] <= 'z') {
        text += static_cast<char>(w[0] - 'a' + 'A');
        text += w.substr(1);
      } else {
        text += w;
      }
      capital = false;
    }
    if (rng.Below(100) == 0) text += " (\"the plan\")";
    text += " (" + from + ");";
    int pick = static_cast<int>(rng.Below(100));
    size_t d = 0;
    while (pick >= kDecisionWeights[d]) pick -= kDecisionWeights[d++];
    notes.clear();
    if (rng.Below(100) == 0) {
      notes = fmt::format("The Government of {} notes the recommendation", to);
      if (rng.Below(2)) notes += ",\nand will report on it at the next review";
      notes += '.';
    }
    buf += kReviewTitle;
    buf += ',';
    buf += fmt::format("{}.{}", i / 1000 + 1, i % 1000 + 1);
    buf += ',';
    buf += CsvCell(text);
    buf += ',';
    buf += to;
    buf += ',';
    buf += kDecisions[d];
    buf += ',';
    buf += from;
    buf += ',';
    buf += std::to_string(2008 + i % 4);
    buf += ',';
    buf += CsvCell(notes);
    buf += '\n';
    if (buf.size() > (1 << 22) - 4096) {
      std::fwrite(buf.data(), 1, buf.size(), out);
      buf.clear();
    }
  }
  std::fwrite(buf.data(), 1, buf.size(), out);
  std::fclose(out);
}

const fs::path& GeneratedCsv() {
  static const fs::path path = [] {
    fs::path p = ScratchDir() / fmt::format("upr-like-{}.csv", GeneratedRows());
    GenerateCsv(p, GeneratedRows());
    return p;
  }();
  return path;
}

// What `rectrack import csv FILE --map review... --vocabulary upr` is given.
CsvMapping GeneratedMapping() {
  CsvMapping m;
  m.columns = {{"source", "review"}, {"ref", "ref"},       {"text", "text"},
               {"owner", "to"},      {"status", "decision"}, {"response_text", "notes"}};
  m.source_kind = "upr";
  m.vocabulary = "upr";
  return m;
}

const char kSlug[] = "universal-periodic-review-generated";

// The store BM_ImportCsv1M leaves behind, for the owners and report cases.
fs::path StorePath() { return ScratchDir() / "store-1m.db"; }
bool& StoreReady() {
  static bool ready = false;
  return ready;
}

Status ImportGenerated(const fs::path& db) {
  RemoveDb(db);
  auto store = OpenStore(db.string());
  if (!store) return Fail(store.error());
  // As `rectrack import csv FILE --map ...` does.
  const std::string path = GeneratedCsv().string();
  auto file = MappedFile::Open(path);
  if (!file) return Fail(file.error());
  auto summary = ImportCsvFile(**store, **file, path, GeneratedMapping(), {}, Actor{"bench"});
  if (!summary) return Fail(summary.error());
  if (static_cast<size_t>(summary->recommendations) != GeneratedRows())
    return Fail(Error::Internal(fmt::format("imported {} recommendations, expected {}",
                                            summary->recommendations, GeneratedRows())));
  return {};
}

// A store left by an earlier run in RECTRACK_BENCH_DIR is reused (when the
// owners and report cases are run alone, while iterating on them).
fs::path StoreDoneMark() { return StorePath().string() + fmt::format(".{}.done", GeneratedRows()); }

Status EnsureStore() {
  if (StoreReady()) return {};
  if (!OwnScratchDir() && fs::exists(StoreDoneMark()) && fs::exists(StorePath())) {
    StoreReady() = true;
    return {};
  }
  RT_TRY(ImportGenerated(StorePath()));
  std::ofstream(StoreDoneMark()) << "ok\n";
  StoreReady() = true;
  return {};
}

void SetRows(benchmark::State& state, double rows, double peak_mb) {
  state.counters["rows"] = rows;
  state.counters["rows_per_s"] = benchmark::Counter(rows, benchmark::Counter::kIsRate);
  state.counters["peak_rss_mb"] = peak_mb;
}

// ---- cases -------------------------------------------------------------------

void BM_ImportUpr(benchmark::State& state) {
  fs::path data = DataDir();
  if (data.empty()) {
    state.SkipWithError("no upr-20{08..11}.csv: set RECTRACK_DATA");
    return;
  }
  fs::path db = ScratchDir() / "upr.db";
  int recs = 0;
  ResetPeakRss();
  for (auto _ : state) {
    state.PauseTiming();
    RemoveDb(db);
    state.ResumeTiming();
    auto store = OpenStore(db.string());
    if (!store) {
      state.SkipWithError(store.error().message.c_str());
      return;
    }
    recs = 0;
    for (int year = 2008; year <= 2011; ++year) {
      // As `rectrack import upr FILE` does.
      std::string path = (data / fmt::format("upr-{}.csv", year)).string();
      std::ifstream in(path, std::ios::binary);
      std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      auto batch = ImportUpr(raw, path, PresetOptions{});
      if (!batch) {
        state.SkipWithError(batch.error().message.c_str());
        return;
      }
      auto summary = ImportWithPublications(**store, *batch, Actor{"bench"},
                                            fmt::format("{} sha256:{}", path, Sha256Hex(raw)));
      if (!summary) {
        state.SkipWithError(summary.error().message.c_str());
        return;
      }
      recs += summary->recommendations;
    }
  }
  SetRows(state, recs, PeakRssMb());
}

// Runs the sqlite3 shell on `script` (fed on stdin) against a fresh database.
void RunShell(benchmark::State& state, const std::string& script) {
  fs::path db = ScratchDir() / "shell.db";
  fs::path sql = ScratchDir() / "shell.sql";
  {
    std::ofstream(sql) << script;
  }
  std::string cmd = fmt::format("sqlite3 -bail '{}' < '{}' > /dev/null", db.string(),
                                sql.string());
  for (auto _ : state) {
    state.PauseTiming();
    RemoveDb(db);
    state.ResumeTiming();
    int rc = std::system(cmd.c_str());
    if (rc != 0) {
      state.SkipWithError(fmt::format("`{}` failed ({})", cmd, rc).c_str());
      return;
    }
  }
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);  // the largest child so far
  SetRows(state, static_cast<double>(GeneratedRows()), ru.ru_maxrss / 1024.0);
  RemoveDb(db);
}

std::string ShellImport() {
  return fmt::format(".mode csv\n.import '{}' t\n", GeneratedCsv().string());
}

void BM_SqliteShellImport1M_Bare(benchmark::State& state) {
  GeneratedCsv();  // generated outside the timing
  RunShell(state, ShellImport());
}

// The indexes of our schema that an import maintains: recommendations UNIQUE
// (source_id, ref), assignments UNIQUE (recommendation_id, owner_id) and
// assignments(owner_id); and the FTS5 index over the text, with our tokenizer.
void BM_SqliteShellImport1M_WithIndexesFts(benchmark::State& state) {
  GeneratedCsv();
  RunShell(state, ShellImport() +
                      "CREATE UNIQUE INDEX t_source_ref ON t(review, ref);\n"
                      "CREATE UNIQUE INDEX t_rec_owner ON t(review, ref, \"to\");\n"
                      "CREATE INDEX t_owner ON t(\"to\");\n"
                      "CREATE VIRTUAL TABLE t_fts USING fts5(text, tokenize = 'porter "
                      "unicode61 remove_diacritics 2');\n"
                      "INSERT INTO t_fts(rowid, text) SELECT rowid, text FROM t;\n");
}

void BM_ImportCsv1M(benchmark::State& state) {
  GeneratedCsv();
  ResetPeakRss();
  for (auto _ : state) {
    StoreReady() = false;
    state.PauseTiming();
    std::error_code ec;
    fs::remove(StoreDoneMark(), ec);
    RemoveDb(StorePath());
    state.ResumeTiming();
    if (auto s = ImportGenerated(StorePath()); !s) {
      state.SkipWithError(s.error().message.c_str());
      return;
    }
    state.PauseTiming();
    std::ofstream(StoreDoneMark()) << "ok\n";
    state.ResumeTiming();
    StoreReady() = true;
  }
  SetRows(state, static_cast<double>(GeneratedRows()), PeakRssMb());
}

// The generated store, made first if need be; null (the benchmark marked
// skipped, with the reason) when it cannot be.
std::unique_ptr<Store> OpenGeneratedStore(benchmark::State& state) {
  if (auto s = EnsureStore(); !s) {
    state.SkipWithError(s.error().message.c_str());
    return nullptr;
  }
  auto store = OpenStore(StorePath().string());
  if (!store) {
    state.SkipWithError(store.error().message.c_str());
    return nullptr;
  }
  return std::move(*store);
}

void BM_OwnersTable1M(benchmark::State& state) {
  auto store = OpenGeneratedStore(state);
  if (!store) return;
  const Date as_of = *Date::ParseIso("2012-01-01");
  size_t bytes = 0;
  ResetPeakRss();
  for (auto _ : state) {
    // As `rectrack owners --as-of 2012-01-01` does.
    auto facts = store->LoadFacts(FactsFilter{});
    if (!facts) {
      state.SkipWithError(facts.error().message.c_str());
      return;
    }
    auto rows = OwnersTable(*facts, as_of);
    std::string out = RenderOwners(rows, TableFormat::kTable);
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["output_bytes"] = static_cast<double>(bytes);
  SetRows(state, static_cast<double>(GeneratedRows()), PeakRssMb());
}

void BM_Report1M(benchmark::State& state) {
  auto store = OpenGeneratedStore(state);
  if (!store) return;
  const Date as_of = *Date::ParseIso("2012-01-01");
  size_t bytes = 0;
  ResetPeakRss();
  for (auto _ : state) {
    // As `rectrack report SLUG --as-of 2012-01-01 --format md` does.
    auto data = LiveReport(*store, kSlug, as_of);
    if (!data) {
      state.SkipWithError(data.error().message.c_str());
      return;
    }
    std::string out = RenderReport(*data, ReportFormat::kMarkdown);
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["output_bytes"] = static_cast<double>(bytes);
  SetRows(state, static_cast<double>(GeneratedRows()), PeakRssMb());
}

// `rectrack verify` over the generated store: the chain, the replay of every
// event into a scratch store, every table compared row by row, the search
// index and its integrity check. Also reports the store's size and how much of
// it the ledger's contents are.
void BM_Verify1M(benchmark::State& state) {
  auto store = OpenGeneratedStore(state);
  if (!store) return;
  ResetPeakRss();
  int64_t rows = 0;
  for (auto _ : state) {
    auto rep = VerifyStore(*store, VerifyOptions{});
    if (!rep || !rep->ok) {
      state.SkipWithError(rep ? rep->problems.front().c_str() : rep.error().message.c_str());
      return;
    }
    rows = 0;
    for (const auto& [t, n] : rep->rows_checked) rows += n;
  }
  SetRows(state, static_cast<double>(rows), PeakRssMb());
  std::error_code ec;
  state.counters["store_mb"] = static_cast<double>(fs::file_size(StorePath(), ec)) / 1e6;
  int64_t payload = 0;
  (void)store->ForEachEvent([&](const LedgerEvent& e) {
    payload += static_cast<int64_t>(e.payload.size());
    return true;
  });
  state.counters["ledger_payload_mb"] = static_cast<double>(payload) / 1e6;
}

// The check a server makes after one write: replay what is new, compare the
// rows it changed, the head and its signature. Each iteration is one update
// (not timed) and the check after it (timed).
void BM_VerifyIncrementalAfterOneUpdate1M(benchmark::State& state) {
  auto store = OpenGeneratedStore(state);
  if (!store) return;
  auto verifier = Verifier::Create();
  if (!verifier) {
    state.SkipWithError(verifier.error().message.c_str());
    return;
  }
  auto first = (*verifier)->Full(*store, VerifyOptions{});  // the server's check at start
  if (!first || !first->ok) {
    state.SkipWithError("the generated store does not verify");
    return;
  }
  int64_t assignment = 1000;
  for (auto _ : state) {
    state.PauseTiming();
    Update u;
    u.date = *Date::ParseIso("2012-06-01");
    u.implementation = Implementation::kInProgress;
    u.narrative = "Work has begun";
    u.author = "bench";
    if (auto id = store->AddUpdate(assignment++, u, Actor{"bench"}); !id) {
      state.SkipWithError(id.error().message.c_str());
      return;
    }
    state.ResumeTiming();
    auto rep = (*verifier)->Incremental(*store, VerifyOptions{});
    if (!rep || !rep->ok) {
      state.SkipWithError("the incremental check failed");
      return;
    }
  }
}

// Long cases: few iterations, wall-clock time (sqlite3 runs in a child process).
BENCHMARK(BM_ImportUpr)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_SqliteShellImport1M_Bare)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_SqliteShellImport1M_WithIndexesFts)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK(BM_ImportCsv1M)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_OwnersTable1M)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_Report1M)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_Verify1M)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_VerifyIncrementalAfterOneUpdate1M)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(20);

}  // namespace
}  // namespace rectrack::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("rows", std::to_string(rectrack::bench::GeneratedRows()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (rectrack::bench::OwnScratchDir() && rectrack::bench::Env("RECTRACK_BENCH_KEEP").empty()) {
    std::error_code ec;
    fs::remove_all(rectrack::bench::ScratchDir(), ec);
  }
  return 0;
}
