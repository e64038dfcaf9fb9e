// rectrack's benchmarks (Google Benchmark). Not part of the test suite: run them
// with scripts/bench.sh, which builds Release in build-bench/, starts a
// throw-away PostgreSQL cluster for the *_Pg cases and prints the summary.
//
// What is measured, in one process run so that the stores and the yardsticks
// compare like with like on a noisy shared machine. Every store case runs on
// SQLite (no suffix) and on PostgreSQL (suffix _Pg), one after the other:
//   BM_ImportUpr[_Pg]                      the four real UPR files (19,891 rows), as
//                                          `rectrack import upr` does it
//   BM_SqliteShellImport1M_Bare            `sqlite3` .import of the generated CSV into
//                                          one flat table: the floor
//   BM_SqliteShellImport1M_WithIndexesFts  the same plus the indexes that matter in our
//                                          schema and an FTS5 index over the text
//   BM_ImportCsv1M[_Pg]                    `rectrack import csv` of the same CSV (on
//                                          PostgreSQL: COPY, through the same code)
//   BM_OwnersTable1M[_Pg]                  RunOwners: `rectrack owners --as-of`
//   BM_Report1M[_Pg]                       RunReport: `rectrack report SLUG --format md`
//   BM_Search1M[_Pg]                       Store::Search, 100 fixed queries, p50/p99
//   BM_Verify1M[_Pg]                       `rectrack verify`
//   BM_VerifyIncrementalAfterOneUpdate1M[_Pg]  a server's check after one write
//
// Environment:
//   RECTRACK_DATA        folder of upr-20{08..11}.csv (default ../shared/data, then
//                        the repository's ../shared/data)
//   RECTRACK_BENCH_ROWS  rows of the generated CSV (default 1000000; 100000 while
//                        iterating)
//   RECTRACK_BENCH_DIR   scratch folder (default $TMPDIR/rectrack-bench-PID); needs
//                        about 2 GB for 1M rows
//   RECTRACK_BENCH_KEEP  set to keep the scratch folder
//   RECTRACK_BENCH_PG_URL  a PostgreSQL URL whose role may create and drop
//                        databases (scripts/bench.sh starts a cluster and sets it);
//                        unset, the *_Pg cases are skipped. The bench makes the
//                        databases rectrack_bench_1m and rectrack_bench_upr in it.
//   RECTRACK_BENCH_PG_PID  the postmaster's pid, to measure the server's memory
//                        (optional)
//   RECTRACK_BENCH_WRITE_CSV=PATH  only write the generated CSV (ROWS rows) to
//                        PATH and exit (scripts/bench_servers.sh uses it)
//
// Each case reports peak_rss_mb: the peak resident set of this process while the
// case ran (VmHWM, reset before each case), or of the sqlite3 child for the shell
// cases. The *_Pg cases also report pg_server_mb: the PostgreSQL server's memory,
// sampled every 50 ms while the case runs (the private memory, RssAnon, of the
// postmaster and all its children added up, plus the largest shared-memory
// residence, RssShmem, of any one of them, counted once): a sample, not a kernel
// peak, so a spike shorter than 50 ms can be missed.
#include <benchmark/benchmark.h>
#include <dirent.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "app/import.h"
#include "app/service.h"
#include "core/ledger.h"
#include "fmt/format.h"
#include "ingest/csv_import.h"
#include "ingest/presets.h"
#include "report/owners_render.h"
#include "report/report_render.h"
#include "store/postgres/pg_db.h"
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

// ---- the two stores ------------------------------------------------------------

enum class Kind { kSqlite, kPg };

std::string PgAdminUrl() { return Env("RECTRACK_BENCH_PG_URL"); }

// The admin URL with its database replaced by `db`:
// postgresql://user@host:port/postgres?x=y -> postgresql://user@host:port/DB?x=y.
std::string PgUrlFor(const std::string& db) {
  std::string url = PgAdminUrl();
  size_t scheme = url.find("://");
  size_t from = scheme == std::string::npos ? 0 : scheme + 3;
  size_t q = url.find('?', from);
  size_t slash = url.find('/', from);
  std::string rest = q == std::string::npos ? "" : url.substr(q);
  std::string base = url.substr(0, slash != std::string::npos && (q == std::string::npos || slash < q)
                                       ? slash
                                       : (q == std::string::npos ? url.size() : q));
  return base + "/" + db + rest;
}

// Runs `sql` on the admin database; the first column of the first row, if any.
Result<std::string> PgAdmin(const std::string& sql, const std::string& url = PgAdminUrl()) {
  auto conn = pg::PgConnection::Open(url);
  if (!conn) return Fail(conn.error());
  PGresult* r = PQexec((*conn)->raw(), sql.c_str());
  pg::PgResult res(r);
  auto status = PQresultStatus(r);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    return Fail((*conn)->ErrorOf(r, sql));
  if (status == PGRES_TUPLES_OK && PQntuples(r) > 0 && PQnfields(r) > 0)
    return std::string(PQgetvalue(r, 0, 0));
  return std::string();
}

// Where a store of `name` ("1m", "upr") is, and its key.
struct StoreLoc {
  std::string location;  // SQLite file or PostgreSQL URL
  KeyOptions keys;
};

StoreLoc LocFor(Kind kind, const std::string& name) {
  if (kind == Kind::kSqlite)
    return {(ScratchDir() / (name == "1m" ? std::string("store-1m.db") : name + ".db")).string(), {}};
  StoreLoc loc{PgUrlFor("rectrack_bench_" + name), {}};
  loc.keys.key_file = (ScratchDir() / ("pg-" + name + ".key")).string();
  return loc;
}

// Makes the store of `name` empty (no database at all): SQLite's file removed,
// PostgreSQL's database dropped and made anew, the key file removed; then every
// dirty page written back (sync; CHECKPOINT on PostgreSQL), so that no case
// pays for the previous one's writes.
Status ResetStore(Kind kind, const std::string& name) {
  StoreLoc loc = LocFor(kind, name);
  if (kind == Kind::kSqlite) {
    RemoveDb(loc.location);
    return {};
  }
  std::error_code ec;
  fs::remove(loc.keys.key_file, ec);
  const std::string db = "rectrack_bench_" + name;
  RT_TRY(PgAdmin(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", db)));
  RT_TRY(PgAdmin(fmt::format("CREATE DATABASE {}", db)));
  RT_TRY(PgAdmin("CHECKPOINT"));
  sync();
  return {};
}

Result<std::unique_ptr<Store>> OpenAt(Kind kind, const std::string& name) {
  StoreLoc loc = LocFor(kind, name);
  return OpenStore(loc.location, loc.keys);
}

// ---- the PostgreSQL server's memory ------------------------------------------------

// Samples the memory of the postmaster (RECTRACK_BENCH_PG_PID) and its children
// every 50 ms while it lives: the sum of their RssAnon plus the largest RssShmem.
class PgServerMemory {
 public:
  // Samples only for a PostgreSQL case (no thread beside an SQLite one).
  explicit PgServerMemory(Kind kind) {
    if (kind != Kind::kPg) return;
    pid_ = std::atoi(Env("RECTRACK_BENCH_PG_PID", "0").c_str());
    if (pid_ <= 0) return;
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        double mb = SampleMb();
        double peak = peak_.load();
        while (mb > peak && !peak_.compare_exchange_weak(peak, mb)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  ~PgServerMemory() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  bool measured() const { return pid_ > 0; }
  double PeakMb() const { return peak_.load(); }

 private:
  static int64_t StatusKb(const std::string& status, const char* key) {
    size_t p = status.find(key);
    return p == std::string::npos ? 0 : std::strtoll(status.c_str() + p + std::strlen(key), nullptr, 10);
  }
  double SampleMb() const {
    int64_t anon = 0, shmem = 0;
    DIR* d = opendir("/proc");
    if (!d) return 0;
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      int pid = std::atoi(e->d_name);
      std::ifstream stat(fmt::format("/proc/{}/stat", pid));
      std::string s((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
      size_t rp = s.rfind(')');
      if (rp == std::string::npos) continue;
      int ppid = 0;
      char state = 0;
      if (std::sscanf(s.c_str() + rp + 1, " %c %d", &state, &ppid) != 2) continue;
      if (pid != pid_ && ppid != pid_) continue;
      std::ifstream st(fmt::format("/proc/{}/status", pid));
      std::string t((std::istreambuf_iterator<char>(st)), std::istreambuf_iterator<char>());
      anon += StatusKb(t, "RssAnon:");
      shmem = std::max(shmem, StatusKb(t, "RssShmem:"));
    }
    closedir(d);
    return static_cast<double>(anon + shmem) / 1024.0;
  }

  int pid_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<double> peak_{0};
  std::thread thread_;
};

// What every case reports of memory: this process's peak since ResetPeakRss,
// and for PostgreSQL the server's (sampled while `mem` lived).
void SetMemory(benchmark::State& state, Kind kind, const PgServerMemory* mem) {
  state.counters["peak_rss_mb"] = PeakRssMb();
  if (kind == Kind::kPg && mem && mem->measured()) state.counters["pg_server_mb"] = mem->PeakMb();
}

void SetRows(benchmark::State& state, double rows) {
  state.counters["rows"] = rows;
  state.counters["rows_per_s"] = benchmark::Counter(rows, benchmark::Counter::kIsRate);
}

// Skips a PostgreSQL case when no server was given; true if skipped.
bool SkipWithoutPg(benchmark::State& state, Kind kind) {
  if (kind == Kind::kPg && PgAdminUrl().empty()) {
    state.SkipWithError("no PostgreSQL: set RECTRACK_BENCH_PG_URL (scripts/bench.sh does)");
    return true;
  }
  return false;
}

// ---- the generated store (BM_ImportCsv1M leaves it for the cases after) ---------

bool& StoreReady(Kind kind) {
  static bool ready[2] = {false, false};
  return ready[kind == Kind::kPg];
}

// The mark of a finished import, for a store left by an earlier run in
// RECTRACK_BENCH_DIR (when the read cases are run alone, while iterating).
fs::path StoreDoneMark(Kind kind) {
  return ScratchDir() / fmt::format("store-1m.{}.{}.done", kind == Kind::kPg ? "pg" : "sqlite",
                                    GeneratedRows());
}

// As `rectrack import csv FILE --map ...` does, into an empty store.
Status ImportGenerated(Kind kind) {
  auto store = OpenAt(kind, "1m");
  if (!store) return Fail(store.error());
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

// After a PostgreSQL import, outside the timing: VACUUM ANALYZE (what autovacuum
// would do within a minute or so), so that the read cases neither pay for
// setting hint bits on a million fresh rows nor run beside autovacuum.
// Returns its seconds.
Result<double> SettlePg() {
  auto t0 = std::chrono::steady_clock::now();
  RT_TRY(PgAdmin("VACUUM (ANALYZE)", LocFor(Kind::kPg, "1m").location));
  RT_TRY(PgAdmin("CHECKPOINT"));
  sync();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Status EnsureStore(Kind kind) {
  if (StoreReady(kind)) return {};
  if (!OwnScratchDir() && fs::exists(StoreDoneMark(kind))) {
    StoreReady(kind) = true;
    return {};
  }
  RT_TRY(ResetStore(kind, "1m"));
  RT_TRY(ImportGenerated(kind));
  if (kind == Kind::kPg) RT_TRY(SettlePg());
  std::ofstream(StoreDoneMark(kind)) << "ok\n";
  StoreReady(kind) = true;
  return {};
}

// The generated store, made first if need be; null (the benchmark marked
// skipped, with the reason) when it cannot be.
std::unique_ptr<Store> OpenGeneratedStore(benchmark::State& state, Kind kind) {
  if (SkipWithoutPg(state, kind)) return nullptr;
  if (auto s = EnsureStore(kind); !s) {
    state.SkipWithError(s.error().message.c_str());
    return nullptr;
  }
  auto store = OpenAt(kind, "1m");
  if (!store) {
    state.SkipWithError(store.error().message.c_str());
    return nullptr;
  }
  return std::move(*store);
}

// ---- the work of the read cases ---------------------------------------------------
// The owners and report cases call these and nothing else, so that a new way of
// producing the output (a streamed report) changes only their bodies.

// `rectrack owners --as-of AS_OF`: the owners table as text. Returns the bytes
// of output.
Result<size_t> RunOwners(Store& store, Date as_of) {
  // As the command does: the recommendations a part at a time.
  auto rows = LiveOwnersTable(store, FactsFilter{}, as_of);
  if (!rows) return Fail(rows.error());
  std::string out = RenderOwners(*rows, TableFormat::kTable);
  benchmark::DoNotOptimize(out.data());
  return out.size();
}

// Written to a stream that counts the bytes and drops them, as the command
// writes to its standard output.
Result<size_t> RunReport(Store& store, const char* slug, Date as_of) {
  size_t bytes = 0;
  cookie_io_functions_t counting{};
  counting.write = [](void* cookie, const char*, size_t n) -> ssize_t {
    *static_cast<size_t*>(cookie) += n;
    return static_cast<ssize_t>(n);
  };
  std::FILE* sink = fopencookie(&bytes, "w", counting);
  if (!sink) return Fail(Error::Io("cannot make the output stream"));
  Status s = WriteLiveReport(store, slug, as_of, ReportFormat::kMarkdown, sink);
  std::fclose(sink);
  if (!s) return Fail(s.error());
  return bytes;
}

// The same two the way they were made before (the whole facts, then the whole
// report data and document in memory), for the comparison in the same run.
Result<size_t> RunOwnersWhole(Store& store, Date as_of) {
  auto facts = store.LoadFacts(FactsFilter{});
  if (!facts) return Fail(facts.error());
  std::string out = RenderOwners(OwnersTable(*facts, as_of), TableFormat::kTable);
  benchmark::DoNotOptimize(out.data());
  return out.size();
}
Result<size_t> RunReportWhole(Store& store, const char* slug, Date as_of) {
  auto data = LiveReport(store, slug, as_of);
  if (!data) return Fail(data.error());
  std::string out = RenderReport(*data, ReportFormat::kMarkdown);
  benchmark::DoNotOptimize(out.data());
  return out.size();
}

// The 100 search queries: the same every run, from the generator's word list.
// 94 of one to three words (about a third each) and 6 phrases in quotes. Both
// stores split a query on spaces and quotes and ask for every term (SQLite's
// FTS5 each as a quoted term, PostgreSQL's plainto_tsquery), so a "phrase" is
// its words ANDed on both, not an exact phrase.
std::vector<std::string> SearchQueries() {
  std::vector<std::string> out;
  Rng rng(100);
  while (out.size() < 94) {
    size_t n = 1 + rng.Below(3);
    std::string q;
    for (size_t i = 0; i < n; ++i) {
      if (i) q += ' ';
      q += kWords[rng.Below(std::size(kWords))];
    }
    out.push_back(q);
  }
  for (const char* p : {"\"national human rights institution\"", "\"Paris Principles\"",
                        "\"death penalty\"", "\"freedom of expression\"",
                        "\"birth registration\"", "\"domestic violence\""})
    out.emplace_back(p);
  return out;
}

constexpr int kSearchLimit = 20;  // what GET /api/v1/search gives by default

// ---- cases -------------------------------------------------------------------

void BM_ImportUpr(benchmark::State& state, Kind kind) {
  if (SkipWithoutPg(state, kind)) return;
  fs::path data = DataDir();
  if (data.empty()) {
    state.SkipWithError("no upr-20{08..11}.csv: set RECTRACK_DATA");
    return;
  }
  int recs = 0;
  ResetPeakRss();
  PgServerMemory mem(kind);
  for (auto _ : state) {
    state.PauseTiming();
    if (auto s = ResetStore(kind, "upr"); !s) {
      state.SkipWithError(s.error().message.c_str());
      return;
    }
    state.ResumeTiming();
    auto store = OpenAt(kind, "upr");
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
  SetRows(state, recs);
  SetMemory(state, kind, &mem);
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
  SetRows(state, static_cast<double>(GeneratedRows()));
  state.counters["peak_rss_mb"] = ru.ru_maxrss / 1024.0;
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

void BM_ImportCsv1M(benchmark::State& state, Kind kind) {
  if (SkipWithoutPg(state, kind)) return;
  GeneratedCsv();
  ResetPeakRss();
  PgServerMemory mem(kind);
  for (auto _ : state) {
    StoreReady(kind) = false;
    state.PauseTiming();
    std::error_code ec;
    fs::remove(StoreDoneMark(kind), ec);
    if (auto s = ResetStore(kind, "1m"); !s) {
      state.SkipWithError(s.error().message.c_str());
      return;
    }
    state.ResumeTiming();
    if (auto s = ImportGenerated(kind); !s) {
      state.SkipWithError(s.error().message.c_str());
      return;
    }
    state.PauseTiming();
    std::ofstream(StoreDoneMark(kind)) << "ok\n";
    state.ResumeTiming();
    StoreReady(kind) = true;
  }
  SetRows(state, static_cast<double>(GeneratedRows()));
  SetMemory(state, kind, &mem);
  if (kind == Kind::kPg) {
    // Not timed: see SettlePg.
    auto settle = SettlePg();
    if (settle) state.counters["vacuum_analyze_s"] = *settle;
    auto size = PgAdmin("SELECT pg_database_size(current_database())", LocFor(kind, "1m").location);
    if (size) state.counters["store_mb"] = std::strtod(size->c_str(), nullptr) / 1e6;
  } else {
    std::error_code ec;
    state.counters["store_mb"] = static_cast<double>(fs::file_size(LocFor(kind, "1m").location, ec)) / 1e6;
  }
}

using OwnersRunner = Result<size_t> (*)(Store&, Date);
using ReportRunner = Result<size_t> (*)(Store&, const char*, Date);

void OwnersCase(benchmark::State& state, Kind kind, OwnersRunner run);
void ReportCase(benchmark::State& state, Kind kind, ReportRunner run);
void BM_OwnersTable1M(benchmark::State& state, Kind kind) { OwnersCase(state, kind, RunOwners); }
void BM_Report1M(benchmark::State& state, Kind kind) { ReportCase(state, kind, RunReport); }
// The whole-facts path of before, on SQLite, for the comparison in the same run.
void BM_OwnersTable1M_Whole(benchmark::State& state) {
  OwnersCase(state, Kind::kSqlite, RunOwnersWhole);
}
void BM_Report1M_Whole(benchmark::State& state) {
  ReportCase(state, Kind::kSqlite, RunReportWhole);
}

void OwnersCase(benchmark::State& state, Kind kind, OwnersRunner run) {
  auto store = OpenGeneratedStore(state, kind);
  if (!store) return;
  const Date as_of = *Date::ParseIso("2012-01-01");
  size_t bytes = 0;
  ResetPeakRss();
  PgServerMemory mem(kind);
  for (auto _ : state) {
    auto out = run(*store, as_of);
    if (!out) {
      state.SkipWithError(out.error().message.c_str());
      return;
    }
    bytes = *out;
  }
  state.counters["output_bytes"] = static_cast<double>(bytes);
  SetRows(state, static_cast<double>(GeneratedRows()));
  SetMemory(state, kind, &mem);
}

void ReportCase(benchmark::State& state, Kind kind, ReportRunner run) {
  auto store = OpenGeneratedStore(state, kind);
  if (!store) return;
  const Date as_of = *Date::ParseIso("2012-01-01");
  size_t bytes = 0;
  ResetPeakRss();
  PgServerMemory mem(kind);
  for (auto _ : state) {
    auto out = run(*store, kSlug, as_of);
    if (!out) {
      state.SkipWithError(out.error().message.c_str());
      return;
    }
    bytes = *out;
  }
  state.counters["output_bytes"] = static_cast<double>(bytes);
  SetRows(state, static_cast<double>(GeneratedRows()));
  SetMemory(state, kind, &mem);
}

// Store::Search over the generated store: the 100 queries of SearchQueries,
// each timed alone; p50 and p99 (nearest rank) in ms as counters. The time of
// the case is the 100 queries together.
void BM_Search1M(benchmark::State& state, Kind kind) {
  auto store = OpenGeneratedStore(state, kind);
  if (!store) return;
  const auto queries = SearchQueries();
  std::vector<double> ms;
  int64_t hits = 0, empty = 0;
  ResetPeakRss();
  PgServerMemory mem(kind);
  for (auto _ : state) {
    ms.clear();
    hits = empty = 0;
    for (const auto& q : queries) {
      auto t0 = std::chrono::steady_clock::now();
      auto r = store->Search(q, kSearchLimit);
      auto t1 = std::chrono::steady_clock::now();
      if (!r) {
        state.SkipWithError(fmt::format("search '{}': {}", q, r.error().message).c_str());
        return;
      }
      hits += static_cast<int64_t>(r->size());
      if (r->empty()) ++empty;
      ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
  }
  std::sort(ms.begin(), ms.end());
  auto rank = [&](double p) {  // nearest rank
    size_t i = static_cast<size_t>(std::ceil(p * ms.size()));
    return ms[std::min(ms.size(), std::max<size_t>(i, 1)) - 1];
  };
  state.counters["queries"] = static_cast<double>(ms.size());
  state.counters["p50_ms"] = rank(0.50);
  state.counters["p99_ms"] = rank(0.99);
  state.counters["max_ms"] = ms.back();
  state.counters["hits"] = static_cast<double>(hits);
  state.counters["no_hit_queries"] = static_cast<double>(empty);
  SetMemory(state, kind, &mem);
}

// `rectrack verify` over the generated store: the chain, the replay of every
// event into a scratch store, every table compared row by row, the search
// index and its integrity check. Also reports the store's size and how much of
// it the ledger's contents are.
void BM_Verify1M(benchmark::State& state, Kind kind) {
  auto store = OpenGeneratedStore(state, kind);
  if (!store) return;
  ResetPeakRss();
  PgServerMemory mem(kind);
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
  SetRows(state, static_cast<double>(rows));
  SetMemory(state, kind, &mem);
  if (kind == Kind::kPg) {
    auto size = PgAdmin("SELECT pg_database_size(current_database())", LocFor(kind, "1m").location);
    if (size) state.counters["store_mb"] = std::strtod(size->c_str(), nullptr) / 1e6;
  } else {
    std::error_code ec;
    state.counters["store_mb"] =
        static_cast<double>(fs::file_size(LocFor(kind, "1m").location, ec)) / 1e6;
  }
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
void BM_VerifyIncrementalAfterOneUpdate1M(benchmark::State& state, Kind kind) {
  auto store = OpenGeneratedStore(state, kind);
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

// Every case, in the order they run: each store case on SQLite, then at once
// on PostgreSQL, so that the two see about the same machine. Long cases: few
// iterations, wall-clock time (sqlite3 and PostgreSQL run in other processes).
void RegisterAll() {
  using Fn = void (*)(benchmark::State&, Kind);
  auto both = [](const char* name, Fn fn, int iterations) {
    for (Kind k : {Kind::kSqlite, Kind::kPg}) {
      std::string n = std::string(name) + (k == Kind::kPg ? "_Pg" : "");
      benchmark::RegisterBenchmark(n.c_str(), fn, k)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->Iterations(iterations);
    }
  };
  both("BM_ImportUpr", BM_ImportUpr, 3);
  benchmark::RegisterBenchmark("BM_SqliteShellImport1M_Bare", BM_SqliteShellImport1M_Bare)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->Iterations(1);
  benchmark::RegisterBenchmark("BM_SqliteShellImport1M_WithIndexesFts",
                               BM_SqliteShellImport1M_WithIndexesFts)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->Iterations(1);
  both("BM_ImportCsv1M", BM_ImportCsv1M, 1);
  both("BM_OwnersTable1M", BM_OwnersTable1M, 3);
  both("BM_Report1M", BM_Report1M, 3);
  using Case = void (*)(benchmark::State&);
  for (auto [name, fn] : {std::pair<const char*, Case>{"BM_OwnersTable1M_Whole", BM_OwnersTable1M_Whole},
                          std::pair<const char*, Case>{"BM_Report1M_Whole", BM_Report1M_Whole}})
    benchmark::RegisterBenchmark(name, fn)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(1);
  both("BM_Search1M", BM_Search1M, 1);
  both("BM_Verify1M", BM_Verify1M, 1);
  both("BM_VerifyIncrementalAfterOneUpdate1M", BM_VerifyIncrementalAfterOneUpdate1M, 20);
}

}  // namespace
}  // namespace rectrack::bench

int main(int argc, char** argv) {
  using namespace rectrack::bench;
  if (auto path = Env("RECTRACK_BENCH_WRITE_CSV"); !path.empty()) {
    GenerateCsv(path, GeneratedRows());
    return 0;
  }
  RegisterAll();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("rows", std::to_string(GeneratedRows()));
  benchmark::AddCustomContext("postgresql", PgAdminUrl().empty() ? "none" : PgAdminUrl());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (OwnScratchDir() && Env("RECTRACK_BENCH_KEEP").empty()) {
    std::error_code ec;
    fs::remove_all(ScratchDir(), ec);
  }
  return 0;
}
