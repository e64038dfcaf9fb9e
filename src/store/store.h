#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/ledger.h"
#include "core/metrics.h"
#include "core/model.h"
#include "core/result.h"

namespace rectrack {

// Who makes a change; recorded in every ledger event.
struct Actor {
  std::string name;  // "cli:root", "user:alice"
};

struct ImportSummary {
  int sources = 0;
  int recommendations = 0;
  int assignments = 0;
  int owners_created = 0;
  int updates = 0;
  int funding_lines = 0;
  int64_t ledger_seq = 0;
};

// Which part of the store to load. Empty fields select everything.
struct FactsFilter {
  std::string source_slug;
  std::string source_kind;
  bool with_text = false;          // recommendation and response texts
  bool with_publications = false;  // publication snapshots
};

// A recommendation with everything about it, for `show` and the web.
struct RecommendationView {
  Source source;
  Recommendation recommendation;
  struct AssignmentView {
    Assignment assignment;
    Owner owner;
    std::vector<Update> updates;  // every state, oldest first
  };
  std::vector<AssignmentView> assignments;
};

struct SearchHit {
  std::string source_slug;
  std::string ref;
  int64_t recommendation_id = 0;
  std::string field;    // "text" or "response"
  std::string snippet;  // matched terms wrapped in [ and ]
  double rank = 0;      // lower is better (bm25)
};

struct LedgerHead {
  int64_t seq = 0;
  std::string hash;  // kGenesisHash when empty
};

struct VerifyReport {
  bool ok = true;
  int64_t events = 0;
  LedgerHead head;
  std::vector<std::string> problems;  // the first broken link first
};

// Writes one import in parts (a large file is parsed and written in chunks), as
// one transaction with one ledger event. Destroying it unfinished rolls back.
class ImportSession {
 public:
  virtual ~ImportSession() = default;
  // Writes a chunk. Sources created earlier in this session may get more
  // recommendations; any other existing slug is a conflict. A recommendation
  // marked `continued` adds to the one of its source and ref written by an
  // earlier chunk (see ImportBatch). On error the whole session is rolled back
  // and further calls fail.
  virtual Status Add(const ImportBatch& chunk) = 0;
  // Replaces the `origin` given to StartImport: for an input whose name in the
  // ledger (its digest) is only known once it has been read, as it was written.
  virtual void SetOrigin(std::string origin) = 0;
  // Appends the import's ledger event and commits (or releases, inside Begin()).
  virtual Result<ImportSummary> Finish() = 0;
};

// The tracker's storage. Every write is one transaction that also appends its
// ledger event; a failed write changes nothing. Implementations: SQLite (the
// default, embedded) and later PostgreSQL, behind this interface only.
class Store {
 public:
  virtual ~Store() = default;

  // Groups several writes into one transaction: all of them or none.
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;

  // Writes `batch` whole, or nothing. Owners resolve through the alias list;
  // unknown owners are created as written. Fails if a source slug exists.
  virtual Result<ImportSummary> Import(const ImportBatch& batch, const Actor& actor,
                                       const std::string& origin) = 0;
  // The same, in chunks. `origin` names the input (file, digest) in the ledger.
  virtual Result<std::unique_ptr<ImportSession>> StartImport(const Actor& actor,
                                                             const std::string& origin) = 0;
  // Everything in the store as one batch, in a stable order (for export).
  virtual Result<ImportBatch> ExportAll() = 0;

  virtual Result<Facts> LoadFacts(const FactsFilter& filter) = 0;
  virtual Result<std::vector<Source>> ListSources() = 0;
  virtual Result<Source> GetSource(const std::string& slug) = 0;
  virtual Result<std::vector<Owner>> ListOwners() = 0;
  virtual Result<RecommendationView> GetRecommendation(const std::string& source_slug,
                                                       const std::string& ref) = 0;
  virtual Result<RecommendationView> GetRecommendationById(int64_t id) = 0;

  // Records a dated update on an assignment (response, status change, note,
  // evidence). Returns its id.
  virtual Result<int64_t> AddUpdate(int64_t assignment_id, const Update& update,
                                    const Actor& actor) = 0;
  // Makes `alias` another name of the owner `canonical`, merging their
  // assignments if `alias` already exists as an owner of its own.
  virtual Status SetAlias(const std::string& alias, const std::string& canonical,
                          const Actor& actor) = 0;
  virtual Status SetOwnerTier(const std::string& owner, const std::string& tier,
                              const Actor& actor) = 0;

  // Freezes a publication pinned to the current ledger head, which it reports.
  virtual Result<Publication> AddPublication(const Publication& pub, const Actor& actor) = 0;
  virtual Result<Publication> GetPublication(int64_t id) = 0;
  virtual Result<std::vector<Publication>> ListPublications(const std::string& source_slug) = 0;

  // Full-text search over recommendation texts and responses, best first.
  virtual Result<std::vector<SearchHit>> Search(const std::string& query, int limit) = 0;

  virtual Result<LedgerHead> Head() = 0;
  // Recomputes the hash chain and checks publications' pins against it.
  virtual Result<VerifyReport> Verify() = 0;
  virtual Status ForEachEvent(const std::function<bool(const LedgerEvent&)>& fn) = 0;
};

// Opens (creating if need be) the SQLite store at `path` and applies migrations.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

// Opens a store by URL-ish name: a file path, or later "postgresql://...".
Result<std::unique_ptr<Store>> OpenStore(const std::string& location);

}  // namespace rectrack
