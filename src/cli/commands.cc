#include "cli/commands.h"

#include <functional>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

#include "app/import.h"
#include "app/service.h"
#include "app/owners.h"
#include "app/updates.h"
#include "app/views.h"
#include "cli/auth_commands.h"
#include "cli/backup_commands.h"
#include "cli/chase_commands.h"
#include "cli/common.h"
#include "cli/serve_command.h"
#include "cli/trust_commands.h"
#include "core/ledger.h"
#include "core/markdown.h"
#include "core/status.h"
#include "core/text.h"
#include "core/vocab.h"
#include "fmt/format.h"
#include "ingest/csv_import.h"
#include "ingest/csv_reader.h"
#include "ingest/json_format.h"
#include "ingest/presets.h"
#include "ingest/document.h"
#include "ingest/draft.h"
#include "ingest/pdf_text.h"
#include "store/verify.h"
#include "nlohmann/json.hpp"
#include "report/owners_render.h"
#include "report/report_render.h"
#include "web/static_site.h"

namespace rectrack::cli {
namespace {

using json = nlohmann::json;


Result<std::string> ReadFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Fail(Error::Io(fmt::format("{}: no such file", path)));
  if (S_ISDIR(st.st_mode)) return Fail(Error::Io(fmt::format("{}: is a directory", path)));
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Error::Io(fmt::format("{}: cannot be read", path)));
  std::string data;
  data.resize(static_cast<size_t>(st.st_size));
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (!in && !in.eof()) return Fail(Error::Io(fmt::format("{}: read failed", path)));
  data.resize(static_cast<size_t>(in.gcount()));
  return data;
}

// Whether PATH is a device or a pipe (-o /dev/null, -o /dev/stdout, a FIFO),
// written as it is: renaming a temporary file over it would replace it.
Result<bool> WrittenInPlace(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return false;
  if (S_ISDIR(st.st_mode)) return Fail(Error::Io(fmt::format("{}: is a directory", path)));
  return true;
}

// Like WriteOutput, for output written a piece at a time by `write`: to
// stdout, to a device or pipe as it is, or to PATH through a temporary file
// that replaces it only when whole.
Status WriteStreamed(const std::string& path, const std::function<Status(std::FILE*)>& write) {
  if (path.empty() || path == "-") {
    Status s = write(stdout);
    std::fflush(stdout);
    return s;
  }
  auto in_place = WrittenInPlace(path);
  if (!in_place) return Fail(in_place.error());
  const std::string target = *in_place ? path : path + ".tmp";
  std::FILE* file = std::fopen(target.c_str(), "wb");
  if (!file) return Fail(Error::Io(fmt::format("{}: cannot be written", path)));
  Status s = write(file);
  if (std::fclose(file) != 0 && s) s = Fail(Error::Io(fmt::format("{}: write failed", path)));
  if (*in_place) return s;
  if (!s) {
    std::remove(target.c_str());
    return s;
  }
  if (std::rename(target.c_str(), path.c_str()) != 0)
    return Fail(Error::Io(fmt::format("{}: cannot be replaced", path)));
  return {};
}

// Writes to stdout, or atomically to `path` (a temporary file renamed over
// it), or to a device or pipe as it is.
Status WriteOutput(const std::string& path, const std::string& data) {
  return WriteStreamed(path, [&](std::FILE* out) -> Status {
    if (std::fwrite(data.data(), 1, data.size(), out) != data.size())
      return Fail(Error::Io(fmt::format("{}: write failed", path.empty() ? "standard output" : path)));
    return {};
  });
}

// "; did you mean X?" when one of `candidates` is close to `word`, else "".
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string guess = ClosestMatch(word, candidates);
  return guess.empty() ? std::string() : fmt::format("; did you mean {}?", guess);
}

// `kind` is one of the store's sources' kinds (or empty): else an error that
// names them, with a guess at the one meant.
Status CheckKindInStore(Store& store, const std::string& option, const std::string& kind) {
  if (kind.empty()) return {};
  auto known = KindsInStore(store);
  if (!known) return Fail(known.error());
  if (std::binary_search(known->begin(), known->end(), kind)) return {};
  return Fail(Error::NotFound(fmt::format(
      "{} '{}': no source of that kind in this store (its kinds: {}){}", option, kind,
      known->empty() ? std::string("none yet") : Join(*known, ", "), DidYouMean(kind, *known))));
}


Result<std::vector<std::pair<std::string, std::string>>> ReadAliasesFile(const std::string& path) {
  auto raw = ReadFile(path);
  if (!raw) return Fail(raw.error());
  auto text = ToUtf8(*raw, Encoding::kUtf8, path);
  if (!text) return Fail(text.error());
  CsvReader reader(*text, path);
  std::vector<CsvField> fields;
  std::vector<std::pair<std::string, std::string>> out;
  bool header = true;
  while (true) {
    auto more = reader.Next(&fields);
    if (!more) return Fail(more.error());
    if (!*more) break;
    if (header) {
      header = false;
      if (fields.size() != 2 || ToLowerAscii(Trim(fields[0].value)) != "alias" ||
          ToLowerAscii(Trim(fields[1].value)) != "owner")
        return Fail(Error::Invalid(fmt::format(
            "{}:1:1: an aliases file is a CSV with the header 'alias,owner'", path)));
      continue;
    }
    if (fields.size() != 2)
      return Fail(Error::Invalid(fmt::format("{}:{}:1: expected 2 fields (alias,owner), got {}",
                                             path, fields[0].line, fields.size())));
    std::string alias(Trim(fields[0].value)), owner(Trim(fields[1].value));
    if (alias.empty() || owner.empty())
      return Fail(Error::Invalid(
          fmt::format("{}:{}:1: empty alias or owner", path, fields[0].line)));
    out.emplace_back(alias, owner);
  }
  return out;
}

// A command line that does not parse: CLI11's message, a guess at what a
// misspelt option or command meant, and exit code 2 (--help and --version: 0).
int UsageError(CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
  if (e.get_exit_code() == 0) return app.exit(e);
  app.exit(e);  // prints the message and "Run with --help"
  // The deepest command given, whose options and commands were expected.
  CLI::App* at = &app;
  std::set<std::string> path;
  while (true) {
    auto subs = at->get_subcommands();
    if (subs.empty()) break;
    at = subs.front();
    path.insert(at->get_name());
  }
  std::vector<std::string> options;
  for (const CLI::App* a : {static_cast<const CLI::App*>(&app), static_cast<const CLI::App*>(at)})
    for (const CLI::Option* o : a->get_options())
      for (const auto& n : o->get_lnames()) options.push_back("--" + n);
  std::vector<std::string> commands;
  for (const CLI::App* s : at->get_subcommands(std::function<bool(CLI::App*)>()))
    commands.push_back(s->get_name());
  std::string guess;
  bool after_option = false;  // the word may be that option's value
  for (int i = 1; i < argc && guess.empty(); ++i) {
    std::string word = argv[i];
    if (word.rfind("--", 0) == 0 && word.size() > 2) {
      std::string name = word.substr(0, word.find('='));
      after_option = word.find('=') == std::string::npos;
      if (std::find(options.begin(), options.end(), name) == options.end())
        guess = ClosestMatch(name, options);
    } else if (!word.empty() && word[0] != '-' && !after_option && !commands.empty() &&
               !path.count(word)) {
      guess = ClosestMatch(word, commands);
      after_option = false;
    } else {
      after_option = false;
    }
  }
  if (!guess.empty()) std::fprintf(stderr, "Did you mean %s?\n", guess.c_str());
  return kUsage;
}

struct Globals {
  std::string db;
  std::string key_file;
  bool create = false;  // --create: make the store if there is none (as init does)
};

std::string DbPath(const Globals& g) {
  if (!g.db.empty()) return g.db;
  const char* env = std::getenv("RECTRACK_DB");
  return env && *env ? env : "rectrack.db";
}

// The signing key: --key-file, else $RECTRACK_KEY_FILE, else beside the store;
// $RECTRACK_SIGNING_KEY (the seed itself, for containers) before any file.
KeyOptions Keys(const Globals& g) {
  KeyOptions k;
  k.key_file = g.key_file;
  if (k.key_file.empty())
    if (const char* env = std::getenv("RECTRACK_KEY_FILE"); env && *env) k.key_file = env;
  if (const char* env = std::getenv("RECTRACK_SIGNING_KEY"); env && *env) k.seed_hex = env;
  return k;
}

// The store at --db. Only `init` and --create make one: any other command on
// a missing store (a mistyped path) says so instead of starting an empty one.
Result<std::unique_ptr<Store>> Open(const Globals& g) {
  auto store = g.create ? OpenStore(DbPath(g), Keys(g)) : OpenExistingStore(DbPath(g), Keys(g));
  if (store)
    for (const auto& notice : (*store)->TakeNotices())
      std::fprintf(stderr, "rectrack: %s\n", notice.c_str());
  return store;
}

// ---- import ----------------------------------------------------------------

struct ImportArgs {
  std::string file;
  std::vector<std::string> maps;
  std::string owner_sep;
  std::string theme_sep = ";";
  std::string date_format = "%Y-%m-%d";
  std::string source_kind = "review";
  bool new_kind = false;  // --new-kind: a --source-kind neither known nor in the store
  std::string source_title;
  std::string encoding;
  std::string vocabulary = "canonical";
  std::vector<std::string> status_maps;
  std::string recorded_on;
  int response_days = 0;
  std::string aliases_file;
  std::string repeated_text;  // first | longest; empty: stop on a different text
};

// The slugs an import made, for the commands that come next: all of a few,
// else the first and last few with a count between.
std::string SlugList(const std::vector<std::string>& slugs) {
  constexpr size_t kAll = 8, kEnds = 3;
  if (slugs.size() <= kAll) return Join(slugs, ", ");
  std::vector<std::string> first(slugs.begin(), slugs.begin() + kEnds);
  std::vector<std::string> last(slugs.end() - kEnds, slugs.end());
  return fmt::format("{}, ... ({} more) ..., {}", Join(first, ", "), slugs.size() - 2 * kEnds,
                     Join(last, ", "));
}

int Imported(const ImportArgs& a, const ImportSummary& summary) {
  std::printf(
      "imported %s: %d source(s), %d recommendation(s), %d assignment(s), %d update(s), %d "
      "funding line(s), %d new owner(s); %s\n",
      a.file.c_str(), summary.sources, summary.recommendations, summary.assignments,
      summary.updates, summary.funding_lines, summary.owners_created,
      summary.first_ledger_seq && summary.first_ledger_seq != summary.ledger_seq
          ? fmt::format("ledger events {}-{}", summary.first_ledger_seq, summary.ledger_seq).c_str()
          : fmt::format("ledger event {}", summary.ledger_seq).c_str());
  if (!summary.source_slugs.empty())
    std::printf("source%s: %s\n", summary.source_slugs.size() == 1 ? "" : "s",
                SlugList(summary.source_slugs).c_str());
  for (const auto& note : summary.notes) std::printf("note: %s\n", note.c_str());
  return kOk;
}

int FinishImport(const Globals& g, ImportBatch batch, const ImportArgs& a,
                 const std::string& raw) {
  if (!a.aliases_file.empty()) {
    auto aliases = ReadAliasesFile(a.aliases_file);
    if (!aliases) return Report(aliases.error());
    for (auto& p : *aliases) batch.aliases.push_back(std::move(p));
  }
  auto store = Open(g);
  if (!store) return Report(store.error());
  std::string origin = fmt::format("{} sha256:{}", a.file, Sha256Hex(raw));
  auto summary = ImportWithPublications(**store, batch, CliActor(), origin);
  if (!summary) return Report(summary.error());
  return Imported(a, *summary);
}

int ImportCsvCommand(const Globals& g, const ImportArgs& a) {
  CsvMapping m;
  for (const auto& spec : a.maps) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      return Report(Error::Invalid(fmt::format("--map '{}' must be FIELD=COLUMN", spec)));
    std::string field = spec.substr(0, eq);
    if (!IsCsvField(field))
      return Report(Error::Invalid(fmt::format(
          "--map '{}': unknown field '{}' (fields: source, ref, text, owner, made, due, status, "
          "response, response_text, theme, url, target)",
          spec, field)));
    m.columns[field] = spec.substr(eq + 1);
  }
  m.owner_sep = a.owner_sep;
  m.theme_sep = a.theme_sep;
  m.date_format = a.date_format;
  m.source_kind = a.source_kind;
  m.source_title = a.source_title;
  m.vocabulary = a.vocabulary;
  if (!IsVocabulary(m.vocabulary))
    return Report(Error::Invalid(fmt::format("--vocabulary: unknown vocabulary '{}' (known: {})",
                                             m.vocabulary, Join(VocabularyNames(), ", "))));
  for (const auto& s : a.status_maps) {
    auto r = AddUserMapping(s, &m.user_words);
    if (!r) return Report(r.error());
  }
  if (!a.encoding.empty()) {
    auto e = ParseEncoding(a.encoding);
    if (!e) return Report(e.error());
    m.encoding = *e;
  }
  if (!a.recorded_on.empty()) {
    auto d = Date::ParseIso(a.recorded_on);
    if (!d) return Report(Error::Invalid("--recorded-on: " + d.error().message));
    m.recorded_on = *d;
  }
  if (a.response_days > 0) m.response_days = a.response_days;
  if (a.repeated_text == "first") {
    m.repeated_text = RepeatedText::kFirst;
  } else if (a.repeated_text == "longest") {
    m.repeated_text = RepeatedText::kLongest;
  } else if (!a.repeated_text.empty()) {
    return Report(Error::Invalid(fmt::format(
        "--repeated-text '{}': say first or longest{}", a.repeated_text,
        DidYouMean(a.repeated_text, {"first", "longest"}))));
  }
  // Streamed: parsed in chunks on a second thread while this one writes, so a
  // file of millions of rows needs no more memory than a small one. A problem in
  // the file is reported before the aliases file's or the store's.
  auto file = MappedFile::Open(a.file);
  if (!file) return Report(file.error());
  std::vector<std::pair<std::string, std::string>> aliases;
  if (!a.aliases_file.empty()) {
    auto read = ReadAliasesFile(a.aliases_file);
    if (!read) return Report(CsvProblemOr(**file, a.file, m, read.error()));
    aliases = std::move(*read);
  }
  auto store = Open(g);
  if (!store) return Report(CsvProblemOr(**file, a.file, m, store.error()));
  if (!a.new_kind) {
    // A kind rectrack has words for, or one the store has: a typo is not a new kind.
    auto in_store = KindsInStore(**store);
    if (!in_store) return Report(in_store.error());
    std::set<std::string> known(std::begin(kSourceKinds), std::end(kSourceKinds));
    known.insert(in_store->begin(), in_store->end());
    if (!known.count(a.source_kind)) {
      std::vector<std::string> kinds(known.begin(), known.end());
      return Report(Error::Invalid(fmt::format(
          "--source-kind '{}' is not a kind rectrack knows or this store has ({}){}; give "
          "--new-kind to start a kind of its own",
          a.source_kind, Join(kinds, ", "), DidYouMean(a.source_kind, kinds))));
    }
  }
  auto summary = ImportCsvFile(**store, **file, a.file, m, aliases, CliActor());
  if (!summary) return Report(summary.error());
  return Imported(a, *summary);
}

int ImportJsonCommand(const Globals& g, const ImportArgs& a) {
  auto raw = ReadFile(a.file);
  if (!raw) return Report(raw.error());
  auto text = ToUtf8(*raw, Encoding::kUtf8, a.file);
  if (!text) return Report(text.error());
  auto batch = ReadNativeJson(*text, a.file);
  if (!batch) return Report(batch.error());
  return FinishImport(g, std::move(*batch), a, *raw);
}

int ImportPresetCommand(const Globals& g, const ImportArgs& a, bool pfd) {
  PresetOptions o;
  if (!a.encoding.empty()) {
    auto e = ParseEncoding(a.encoding);
    if (!e) return Report(e.error());
    o.encoding = *e;
  }
  if (!a.recorded_on.empty()) {
    auto d = Date::ParseIso(a.recorded_on);
    if (!d) return Report(Error::Invalid("--recorded-on: " + d.error().message));
    o.recorded_on = *d;
  }
  auto raw = ReadFile(a.file);
  if (!raw) return Report(raw.error());
  auto batch = pfd ? ImportPfd(*raw, a.file, o) : ImportUpr(*raw, a.file, o);
  if (!batch) return Report(batch.error());
  return FinishImport(g, std::move(*batch), a, *raw);
}

// ---- import document / import draft ------------------------------------------

struct DocumentArgs {
  std::vector<std::string> files;
  std::string preset = "generic";
  std::string draft_out;
  std::string draft_dir;
  bool with_pages = false;
};

// One document's draft, and a line on it for standard error.
Result<DraftFile> ReadDocument(const std::string& path, DocumentPreset preset, bool with_pages) {
  auto raw = ReadFile(path);
  if (!raw) return Fail(raw.error());
  auto pages = DocumentPageTexts(*raw, path);
  if (!pages) return Fail(pages.error());
  ExtractOptions options;
  options.preset = preset;
  auto draft = ExtractRecommendations(*pages, options);
  if (!draft) return Fail(Error::Invalid(fmt::format("{}: {}", path, draft.error().message)));
  DraftFile file;
  file.draft = std::move(*draft);
  file.file = std::filesystem::path(path).filename().string();
  file.sha256 = Sha256Hex(*raw);
  if (with_pages) file.page_texts = std::move(*pages);
  return file;
}

// `import document`: the draft of each PDF's (or text's) recommendations, for
// a person to check; nothing is written to the store. Several documents go to
// --draft-dir, one draft each (NAME.json); one that cannot be read is
// reported and the others are still read.
int ImportDocumentCommand(const Globals& g, const DocumentArgs& a) {
  auto preset = ParseDocumentPreset(a.preset);
  if (!preset) return Report(Error::Invalid("--preset: " + preset.error().message));
  // The owners of the store the draft will go to, when there is one, to
  // check the addressees against; without one the draft is made all the same.
  std::optional<std::vector<Owner>> owners;
  if (auto store = OpenExistingStore(DbPath(g), Keys(g))) {
    auto list = (*store)->ListOwners();
    if (!list) return Report(list.error());
    owners = std::move(*list);
  } else if (store.error().code != Error::Code::kNotFound) {
    return Report(store.error());
  }
  if (a.files.size() > 1 && a.draft_dir.empty())
    return Report(Error::Invalid("several documents need --draft-dir DIR (a draft each)"));
  if (!a.draft_dir.empty() && !a.draft_out.empty())
    return Report(Error::Invalid("--draft and --draft-dir: give one"));
  if (!a.draft_dir.empty()) {  // made if it is not there, as -o makes its file
    std::error_code ec;
    std::filesystem::create_directories(a.draft_dir, ec);
    if (ec || !std::filesystem::is_directory(a.draft_dir))
      return Report(Error::Io(fmt::format("--draft-dir {}: not a folder that can be made ({})",
                                          a.draft_dir, ec ? ec.message() : "a file is there")));
  }
  int rc = kOk;
  for (const auto& path : a.files) {
    auto file = ReadDocument(path, *preset, a.with_pages);
    if (!file) {
      rc = Report(file.error());
      continue;
    }
    if (owners) MapAddressees(&file->draft, *owners);
    std::string out = a.draft_out;
    if (!a.draft_dir.empty())
      out = (std::filesystem::path(a.draft_dir) / std::filesystem::path(path).stem()).string() + ".json";
    if (auto w = WriteOutput(out, DraftToJson(*file)); !w) {
      rc = Report(w.error());
      continue;
    }
    size_t noted = 0;
    for (const auto& item : file->draft.items) noted += item.notes.empty() ? 0 : 1;
    std::fprintf(stderr, "%s: %zu recommendation(s) from %d page(s); %zu with a note to check%s\n",
                 path.c_str(), file->draft.items.size(), file->draft.pages, noted,
                 out.empty() ? "" : fmt::format("; draft in {}", out).c_str());
  }
  return rc;
}

struct DraftArgs {
  ImportArgs import;
  std::string slug, title, kind, date;
  std::string existing;  // --source: add to this source
};

// `import draft`: a checked draft through the normal import path, all or nothing.
int ImportDraftCommand(const Globals& g, const DraftArgs& a) {
  auto raw = ReadFile(a.import.file);
  if (!raw) return Report(raw.error());
  auto draft = DraftFromJson(*raw, a.import.file);
  if (!draft) return Report(draft.error());
  if (!a.existing.empty() &&
      (!a.slug.empty() || !a.title.empty() || !a.kind.empty() || !a.date.empty()))
    return Report(Error::Invalid(
        "--source adds to a source already there: --new-source, --source-title, --source-kind "
        "and --date are for a new one"));
  DraftSource source;
  source.slug = a.existing.empty() ? a.slug : a.existing;
  source.existing = !a.existing.empty();
  source.title = a.title;
  source.kind = a.kind;
  if (!a.date.empty()) {
    auto d = Date::ParseIso(a.date);
    if (!d) return Report(Error::Invalid("--date: " + d.error().message));
    source.date = *d;
  }
  auto batch = DraftToBatch(*draft, source);
  if (!batch) return Report(batch.error());
  return FinishImport(g, std::move(*batch), a.import, *raw);
}

// ---- list / show -------------------------------------------------------------

struct ListArgs {
  std::string source, kind, owner, tier, status, as_of, format = "table";
  bool overdue = false;
  bool past_target = false;
  int limit = 0;
};

int ListCommand(const Globals& g, const ListArgs& a) {
  auto as_of = AsOf(a.as_of);
  if (!as_of) return Report(as_of.error());
  auto store = Open(g);
  if (!store) return Report(store.error());
  if (auto k = CheckKindInStore(**store, "--kind", a.kind); !k) return Report(k.error());
  std::optional<ResponseStatus> want_status;
  std::optional<Implementation> want_impl;
  if (!a.status.empty()) {
    if (auto s = ParseResponseStatus(a.status)) want_status = *s;
    else if (auto i = ParseImplementation(a.status)) want_impl = *i;
    else
      return Report(Error::Invalid(fmt::format(
          "--status '{}' is neither a response status (pending, overdue, partial, responded) "
          "nor an implementation status (not_started, in_progress, partially_implemented, "
          "implemented, not_implemented, superseded, unknown)",
          a.status)));
  }
  if (!a.tier.empty() && !IsTier(a.tier))
    return Report(Error::Invalid(fmt::format("--tier: unknown tier '{}'", a.tier)));
  auto fmt_ok = a.format == "table" || a.format == "csv" || a.format == "json";
  if (!fmt_ok) return Report(Error::Invalid("--format must be table, csv or json"));
  FactsFilter filter;
  filter.source_slug = a.source;
  filter.source_kind = a.kind;
  filter.with_text = true;
  auto facts = (*store)->LoadFacts(filter);
  if (!facts) return Report(facts.error());
  int64_t owner_id = -1;
  std::unordered_map<int64_t, const Owner*> owners;
  for (const auto& o : facts->owners) {
    owners[o.id] = &o;
    if (!a.owner.empty()) {
      if (o.name == a.owner) owner_id = o.id;
      for (const auto& al : o.aliases)
        if (al == a.owner) owner_id = o.id;
    }
  }
  if (!a.owner.empty() && owner_id < 0)
    return Report(Error::NotFound(fmt::format("no owner '{}' (see `rectrack owners`)", a.owner)));
  std::unordered_map<int64_t, const Source*> sources;
  for (const auto& s : facts->sources) sources[s.id] = &s;
  std::unordered_map<int64_t, const Recommendation*> recs;
  for (const auto& r : facts->recommendations) recs[r.id] = &r;
  std::unordered_map<int64_t, std::vector<const Update*>> updates;
  for (const auto& u : facts->updates) updates[u.assignment_id].push_back(&u);

  std::vector<std::string> header = {"source", "ref",            "owner", "tier",
                                     "response_status", "implementation", "due", "days_overdue",
                                     "target", "days_past_target", "text"};
  std::vector<std::vector<std::string>> rows;
  json out = json::array();
  for (const auto& asg : facts->assignments) {
    if (owner_id >= 0 && asg.owner_id != owner_id) continue;
    const Recommendation* r = recs[asg.recommendation_id];
    const Source* s = sources[r->source_id];
    const Owner* o = owners[asg.owner_id];
    if (!a.tier.empty() && o->tier != a.tier) continue;
    auto due = DueDate(*s, asg);
    auto st = StateAt(asg, due, updates[asg.id], *as_of, s->recorded_on);
    if (a.overdue && st.response_status != ResponseStatus::kOverdue) continue;
    if (want_status && st.response_status != *want_status) continue;
    if (want_impl && st.implementation != *want_impl) continue;
    const auto target = EffectiveTarget(*r, asg);
    const auto past = DaysPastTarget(st.implementation, target, *as_of);
    if (a.past_target && !past) continue;
    std::string days = st.response_status == ResponseStatus::kOverdue && due
                           ? std::to_string(*as_of - *due)
                           : "";
    if (a.format == "json") {
      json row = {{"source", s->slug},
                  {"ref", r->ref},
                  {"owner", o->name},
                  {"tier", o->tier},
                  {"response", Name(st.response)},
                  {"response_status", Name(st.response_status)},
                  {"implementation", Name(st.implementation)},
                  {"due", due ? json(due->ToIso()) : json(nullptr)},
                  {"days_overdue", days.empty() ? json(nullptr) : json(std::stoi(days))},
                  {"target", target ? json(target->ToIso()) : json(nullptr)},
                  {"days_past_target", past ? json(*past) : json(nullptr)},
                  {"raw_status", asg.raw_status},
                  {"text", r->text}};
      out.push_back(std::move(row));
    } else {
      rows.push_back({s->slug, r->ref, o->name, o->tier, std::string(Name(st.response_status)),
                      std::string(Name(st.implementation)), OptionalIso(due), days,
                      OptionalIso(target), past ? std::to_string(*past) : "",
                      a.format == "table" ? Cell(r->text, 60) : r->text});
    }
    if (a.limit > 0 && static_cast<int>(a.format == "json" ? out.size() : rows.size()) >= a.limit)
      break;
  }
  std::string text;
  if (a.format == "json") text = out.dump(2) + "\n";
  else if (a.format == "csv") text = CsvTable(header, rows);
  else text = TextTable(header, rows) + fmt::format("{} assignment(s) as of {}\n", rows.size(), as_of->ToIso());
  auto w = WriteOutput("", text);
  return w ? kOk : Report(w.error());
}

int ShowCommand(const Globals& g, const std::string& slug, const std::string& ref,
                const std::string& as_of_s, const std::string& format) {
  auto as_of = AsOf(as_of_s);
  if (!as_of) return Report(as_of.error());
  auto store = Open(g);
  if (!store) return Report(store.error());
  auto v = (*store)->GetRecommendation(slug, ref);
  if (!v) return Report(v.error());
  const auto& r = v->recommendation;
  json j = {{"source", v->source.slug}, {"source_title", v->source.title}, {"ref", r.ref},
            {"text", r.text},            {"themes", r.themes},              {"made", OptionalIso(r.made)},
            {"url", r.url},              {"as_of", as_of->ToIso()}};
  std::string text = fmt::format("{} {} — {}\n\n{}\n\n", v->source.slug, r.ref, v->source.title, r.text);
  if (!r.themes.empty()) text += fmt::format("Themes: {}\n", Join(r.themes, "; "));
  if (r.made) text += fmt::format("Made: {}\n", r.made->ToIso());
  if (!r.made_by.empty()) text += fmt::format("Made by: {}\n", r.made_by);
  if (!r.url.empty()) text += fmt::format("Link: {}\n", r.url);
  text += fmt::format("\nAs of {}:\n", as_of->ToIso());
  json assigns = json::array();
  for (const auto& av : v->assignments) {
    std::vector<const Update*> ups;
    for (const auto& u : av.updates) ups.push_back(&u);
    auto due = DueDate(v->source, av.assignment);
    auto st = StateAt(av.assignment, due, ups, *as_of, v->source.recorded_on);
    text += fmt::format("\n  {} ({})  [assignment {}]\n", av.owner.name, TierLabel(av.owner.tier),
                        av.assignment.id);
    text += fmt::format("    response: {}   response status: {}   implementation: {}\n",
                        Label(st.response), Label(st.response_status), Label(st.implementation));
    if (due) text += fmt::format("    due: {}\n", due->ToIso());
    if (!av.assignment.raw_status.empty())
      text += fmt::format("    recorded wording: \"{}\"\n", av.assignment.raw_status);
    if (!av.assignment.initial.response_text.empty())
      text += fmt::format("    response text: {}\n", av.assignment.initial.response_text);
    json ja = {{"assignment_id", av.assignment.id},
               {"owner", av.owner.name},
               {"tier", av.owner.tier},
               {"response", Name(st.response)},
               {"response_status", Name(st.response_status)},
               {"implementation", Name(st.implementation)},
               {"due", OptionalIso(due)},
               {"raw_status", av.assignment.raw_status},
               {"response_text", av.assignment.initial.response_text}};
    json ju = json::array();
    for (const auto& u : av.updates) {
      std::vector<std::string> what;
      if (u.response) what.push_back(fmt::format("response {}", Label(*u.response)));
      if (u.response_status) what.push_back(fmt::format("status {}", Label(*u.response_status)));
      if (u.implementation) what.push_back(fmt::format("implementation {}", Label(*u.implementation)));
      text += fmt::format("    {} [{}] {}{}{}\n", u.date.ToIso(), Name(u.state), Join(what, ", "),
                          u.narrative.empty() ? "" : " — ", u.narrative);
      for (const auto& e : u.evidence) text += fmt::format("        evidence: {}\n", e);
      if (!u.author.empty()) text += fmt::format("        by: {}\n", u.author);
      json x = {{"date", u.date.ToIso()}, {"state", Name(u.state)}, {"narrative", u.narrative},
                {"evidence", u.evidence}, {"author", u.author}};
      if (u.response) x["response"] = Name(*u.response);
      if (u.response_status) x["response_status"] = Name(*u.response_status);
      if (u.implementation) x["implementation"] = Name(*u.implementation);
      ju.push_back(std::move(x));
    }
    ja["updates"] = std::move(ju);
    assigns.push_back(std::move(ja));
  }
  j["assignments"] = std::move(assigns);
  auto w = WriteOutput("", format == "json" ? j.dump(2) + "\n" : text);
  return w ? kOk : Report(w.error());
}

// ---- sources ---------------------------------------------------------------

// Every source, as the site's sources list has them: slug, kind, date, title,
// recommendations and how many are implemented, overdue assignments.
int SourcesCommand(const Globals& g, const std::string& kind, const std::string& as_of_s,
                   const std::string& format) {
  auto f = ParseTableFormat(format);
  if (!f) return Report(f.error());
  auto as_of = AsOf(as_of_s);
  if (!as_of) return Report(as_of.error());
  auto store = Open(g);
  if (!store) return Report(store.error());
  if (auto k = CheckKindInStore(**store, "--kind", kind); !k) return Report(k.error());
  auto doc = SourcesDoc(**store, *as_of, kind, Page{"", std::numeric_limits<int>::max()});
  if (!doc) return Report(doc.error());
  const json& items = (*doc)["sources"];
  std::string text;
  if (*f == TableFormat::kJson) {
    json out = json::array();
    for (const auto& s : items) {
      json x = s;
      x.erase("links");
      out.push_back(std::move(x));
    }
    text = out.dump(2) + "\n";
  } else {
    std::vector<std::string> header = {"slug", "kind", "date", "recommendations", "implemented",
                                       "overdue", "title"};
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : items)
      rows.push_back({s["slug"].get<std::string>(), s["kind"].get<std::string>(),
                      s["date"].is_null() ? std::string() : s["date"].get<std::string>(),
                      std::to_string(s["recommendations"].get<int>()),
                      std::to_string(s["implemented"].get<int>()),
                      std::to_string(s["overdue_assignments"].get<int>()),
                      *f == TableFormat::kTable ? Cell(s["title"].get<std::string>(), 60)
                                        : s["title"].get<std::string>()});
    text = *f == TableFormat::kCsv ? CsvTable(header, rows)
                           : TextTable(header, rows) + fmt::format("{} source(s) as of {}\n",
                                                                   rows.size(), as_of->ToIso());
  }
  auto w = WriteOutput("", text);
  return w ? kOk : Report(w.error());
}

// ---- update ----------------------------------------------------------------

struct UpdateArgs {
  std::string source, ref, owner, date, response, response_text, status, note, author, target;
  std::vector<std::string> evidence;
};

int UpdateCommand(const Globals& g, const UpdateArgs& a) {
  auto store = Open(g);
  if (!store) return Report(store.error());
  auto v = (*store)->GetRecommendation(a.source, a.ref);
  if (!v) return Report(v.error());
  const RecommendationView::AssignmentView* target = nullptr;
  std::vector<std::string> names;
  auto owners = (*store)->ListOwners();
  if (!owners) return Report(owners.error());
  int64_t wanted = 0;
  for (const auto& o : *owners) {
    if (o.name == a.owner) wanted = o.id;
    for (const auto& al : o.aliases)
      if (al == a.owner) wanted = o.id;
  }
  for (const auto& av : v->assignments) {
    names.push_back(av.owner.name);
    if (av.owner.id == wanted) target = &av;
  }
  if (!target) {
    if (a.owner.empty() && v->assignments.size() == 1) {
      target = &v->assignments.front();
    } else if (a.owner.empty()) {
      return Report(Error::Invalid(fmt::format(
          "recommendation {} of {} has {} owners: say which with --owner (one of: {})", a.ref,
          a.source, names.size(), Join(names, "; "))));
    } else {
      return Report(Error::NotFound(fmt::format(
          "recommendation {} of {} is not assigned to '{}'; its owners: {}", a.ref, a.source,
          a.owner, names.empty() ? "none" : Join(names, "; "))));
    }
  }
  Update u;
  auto date = AsOf(a.date, "--date");
  if (!date) return Report(date.error());
  u.date = *date;
  std::string vocab = v->source.vocabulary.empty() ? "canonical" : v->source.vocabulary;
  for (const auto& [option, word] : {std::pair<std::string_view, const std::string&>{"--response", a.response},
                                     {"--status", a.status}}) {
    if (word.empty()) continue;
    auto m = MapStatusWord(vocab, word);
    if (!m) {
      // (import's --status-map is not an option of update: name the words there are.)
      std::vector<std::string> words = CanonicalWords();
      for (const auto& [w, mapping] : VocabularyTable(vocab)) words.push_back(w);
      return Report(Error::Invalid(fmt::format(
          "{} '{}' is neither a word of this source's vocabulary ({}) nor one of rectrack's "
          "own ({}){}; `rectrack vocab {}` lists the source's words",
          option, word, vocab, Join(CanonicalWords(), ", "), DidYouMean(word, words), vocab)));
    }
    if (m->response) u.response = m->response;
    if (m->response_status) u.response_status = m->response_status;
    if (m->implementation) u.implementation = m->implementation;
  }
  u.response_text = a.response_text;
  u.narrative = a.note;
  u.evidence = a.evidence;
  u.author = a.author.empty() ? CliActor().name : a.author;
  u.state = UpdateState::kValidated;
  // The checks the form and the API make (app/updates.h), with the option at fault.
  static const std::map<std::string, std::string> kOptionOf = {
      {"date", "--date"},         {"evidence", "--evidence"}, {"narrative", "--note"},
      {"response_text", "--response-text"}, {"response", "--response"}, {"implementation", "--status"}};
  const bool has_update = u.response || u.response_status || u.implementation ||
                          !u.narrative.empty() || !u.response_text.empty() || !u.evidence.empty();
  std::string field;
  Status fits;
  if (has_update) fits = CheckUpdate(u, TodayInLondon(), &field);
  if (fits && has_update) fits = CheckUpdateAgainst(*v, *target, u, &field);
  if (!fits) {
    auto o = kOptionOf.find(field);
    return Report(Error::Invalid(fmt::format(
        "{}: {}", o == kOptionOf.end() ? field : o->second, fits.error().message)));
  }
  if (!has_update && a.target.empty())
    return Report(Error::Invalid(
        "nothing to record: give --response, --status, --response-text, --note, --evidence or "
        "--target"));
  if (!u.response_text.empty() && !u.response)
    return Report(Error::Invalid("--response-text needs --response (the kind of answer)"));
  std::optional<std::optional<Date>> new_target;
  if (!a.target.empty()) {
    auto t = ParseTarget(*v, a.target);
    if (!t) return Report(Error::Invalid("--target: " + t.error().message));
    new_target = *t;
  }
  if (has_update) {
    auto id = (*store)->AddUpdate(target->assignment.id, u, CliActor());
    if (!id) return Report(id.error());
    std::printf("recorded update %lld on %s %s for %s\n", static_cast<long long>(*id),
                a.source.c_str(), a.ref.c_str(), target->owner.name.c_str());
  }
  if (new_target) {
    if (!*new_target && !target->assignment.target) {
      std::printf("%s %s for %s has no target of its own; nothing to clear\n", a.source.c_str(),
                  a.ref.c_str(), target->owner.name.c_str());
    } else {
      auto set = (*store)->SetAssignmentTarget(target->assignment.id, *new_target, std::nullopt,
                                               CliActor());
      if (!set) return Report(set.error());
      const auto effective = *new_target ? *new_target : v->recommendation.target;
      std::printf("implementation target of %s %s for %s: %s%s\n", a.source.c_str(),
                  a.ref.c_str(), target->owner.name.c_str(),
                  effective ? effective->ToIso().c_str() : "none",
                  *new_target ? "" : " (the recommendation's)");
    }
  }
  return kOk;
}

// ---- owner alias / rename / unmerge / tier / suggest-aliases ------------------

// The owner called `name`, by its name or an alias; nullptr if none.
const Owner* FindOwner(const std::vector<Owner>& owners, const std::string& name) {
  for (const auto& o : owners)
    if (o.name == name) return &o;
  for (const auto& o : owners)
    if (std::find(o.aliases.begin(), o.aliases.end(), name) != o.aliases.end()) return &o;
  return nullptr;
}

int OwnerAliasCommand(const Globals& g, const std::string& name, const std::string& canonical,
                      bool merge) {
  auto store = Open(g);
  if (!store) return Report(store.error());
  auto owners = (*store)->ListOwners();
  if (!owners) return Report(owners.error());
  const Owner* self = nullptr;
  for (const auto& o : *owners)
    if (o.name == name) self = &o;
  const Owner* into = FindOwner(*owners, canonical);
  std::string moved;
  if (self && into && self->id != into->id) {
    auto use = UseOfOwner(**store, self->id);
    if (!use) return Report(use.error());
    moved = DescribeUse(*use);
    if (!merge)
      return Report(Error::Invalid(fmt::format(
          "'{}' is an owner of its own ({}): making it an alias of '{}' merges the two. Say so "
          "with --merge; `rectrack owner unmerge \"{}\"` undoes it",
          name, moved, into->name, name)));
  }
  auto r = (*store)->SetAlias(name, canonical, CliActor());
  if (!r) return Report(r.error());
  if (!moved.empty())
    std::printf("merged '%s' into '%s': %s moved; '%s' is now an alias\n", name.c_str(),
                into->name.c_str(), moved.c_str(), name.c_str());
  else
    std::printf("'%s' is now an alias of '%s'\n", name.c_str(), canonical.c_str());
  return kOk;
}

int OwnerRenameCommand(const Globals& g, const std::string& old_name, const std::string& new_name) {
  auto store = Open(g);
  if (!store) return Report(store.error());
  auto r = RenameOwner(**store, old_name, new_name, CliActor());
  if (!r) return Report(r.error());
  std::printf("renamed '%s' to '%s'; '%s' stays an alias, so files that use it still match\n",
              old_name.c_str(), new_name.c_str(), old_name.c_str());
  return kOk;
}

int OwnerUnmergeCommand(const Globals& g, const std::string& name) {
  auto store = Open(g);
  if (!store) return Report(store.error());
  auto u = UnmergeOwner(**store, name, CliActor());
  if (!u) return Report(u.error());
  std::printf("'%s' is an owner of its own again (merged into '%s' by ledger event %lld): %s "
              "moved back\n",
              u->owner.c_str(), u->from.c_str(), static_cast<long long>(u->merge_seq),
              DescribeUse(u->moved_back).c_str());
  if (!u->stayed.empty())
    std::printf("changed since the merge, so left with '%s': %s\n", u->from.c_str(),
                Join(u->stayed, "; ").c_str());
  return kOk;
}

int OwnerTierCommand(const Globals& g, const std::string& name, const std::string& tier) {
  auto store = Open(g);
  if (!store) return Report(store.error());
  auto owners = (*store)->ListOwners();
  if (!owners) return Report(owners.error());
  const Owner* o = FindOwner(*owners, name);
  if (!o) return Report(Error::NotFound(fmt::format("no owner '{}' (see `rectrack owner list`)", name)));
  if (!IsTier(tier)) {
    std::vector<std::string> tiers(std::begin(kTiers), std::end(kTiers));
    return Report(Error::Invalid(fmt::format("unknown tier '{}' (tiers: {}){}", tier,
                                             Join(tiers, ", "), DidYouMean(tier, tiers))));
  }
  const std::string who = o->name == name ? fmt::format("'{}'", o->name)
                                          : fmt::format("'{}' (the owner '{}' names)", o->name, name);
  if (o->tier == tier) {
    std::printf("%s is already in tier %s; nothing changed\n", who.c_str(), tier.c_str());
    return kOk;
  }
  auto r = (*store)->SetOwnerTier(o->name, tier, CliActor());
  if (!r) return Report(r.error());
  std::printf("%s: tier %s (was %s)\n", who.c_str(), tier.c_str(), o->tier.c_str());
  return kOk;
}

int SuggestAliasesCommand(const Globals& g, const std::string& format) {
  if (format != "table" && format != "json")
    return Report(Error::Invalid("--format must be table or json"));
  auto store = Open(g);
  if (!store) return Report(store.error());
  FactsFilter f;
  auto facts = (*store)->LoadFacts(f);
  if (!facts) return Report(facts.error());
  std::unordered_map<int64_t, int64_t> held;
  for (const auto& a : facts->assignments) ++held[a.owner_id];
  std::vector<int64_t> counts;
  for (const auto& o : facts->owners) counts.push_back(held[o.id]);
  auto groups = SuggestAliases(facts->owners, counts);
  if (format == "json") {
    json out = json::array();
    for (const auto& s : groups) {
      json names = json::array();
      for (const auto& n : s.names)
        names.push_back({{"name", n.name}, {"tier", n.tier}, {"assignments", n.assignments}});
      out.push_back({{"keep", s.names.front().name}, {"names", names}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return kOk;
  }
  if (groups.empty()) {
    std::printf("no owners look like one body written several ways\n");
    return kOk;
  }
  for (const auto& s : groups) {
    std::printf("likely one body (keep '%s'):\n", s.names.front().name.c_str());
    for (const auto& n : s.names)
      std::printf("  %-60s %-20s %lld assignment(s)\n", n.name.c_str(), n.tier.c_str(),
                  static_cast<long long>(n.assignments));
    for (size_t i = 1; i < s.names.size(); ++i)
      std::printf("  to merge: rectrack owner alias \"%s\" \"%s\" --merge\n",
                  s.names[i].name.c_str(), s.names.front().name.c_str());
  }
  std::printf("%zu group(s); nothing was merged: check each, then run the commands you agree "
              "with\n",
              groups.size());
  return kOk;
}

// ---- owners / report / publish / verify / search / export ---------------------

int OwnersCommand(const Globals& g, const std::string& source, const std::string& kind,
                  const std::string& as_of_s, const std::string& format) {
  auto f = ParseTableFormat(format);
  if (!f) return Report(f.error());
  auto as_of = AsOf(as_of_s);
  if (!as_of) return Report(as_of.error());
  auto store = Open(g);
  if (!store) return Report(store.error());
  if (auto k = CheckKindInStore(**store, "--kind", kind); !k) return Report(k.error());
  FactsFilter filter;
  filter.source_slug = source;
  filter.source_kind = kind;
  auto rows = LiveOwnersTable(**store, filter, *as_of);
  if (!rows) return Report(rows.error());
  auto w = WriteOutput("", RenderOwners(*rows, *f, CliCsvFormulas()));
  return w ? kOk : Report(w.error());
}

int ReportCommand(const Globals& g, const std::string& source, const std::string& as_of_s,
                  const std::string& format, int64_t publication, const std::string& out) {
  auto f = ParseReportFormat(format);
  if (!f) return Report(f.error());
  auto store = Open(g);
  if (!store) return Report(store.error());
  Result<ReportData> data;
  if (publication > 0) {
    data = PublishedReport(**store, publication);
    if (data && !source.empty() && data->slug != source)
      return Report(Error::Invalid(fmt::format("publication {} is of source '{}', not '{}'",
                                               publication, data->slug, source)));
  } else {
    if (source.empty()) return Report(Error::Invalid("give a SOURCE or --publication ID"));
    auto as_of = AsOf(as_of_s);
    if (!as_of) return Report(as_of.error());
    // Rendered as it is read: a source of a million recommendations is never
    // whole in memory.
    auto w = WriteStreamed(out, [&](std::FILE* file) {
      return WriteLiveReport(**store, source, *as_of, *f, file);
    });
    return w ? kOk : ReportCheck(w.error());
  }
  if (!data) return ReportCheck(data.error());
  auto w = WriteOutput(out, RenderReport(*data, *f));
  return w ? kOk : Report(w.error());
}

struct PublishArgs {
  std::string source, as_of, title, commentary_file, reason;
  int64_t corrects = 0;
  bool preview = false;
};

int PublishCommand(const Globals& g, const PublishArgs& a) {
  auto as_of = AsOf(a.as_of);
  if (!as_of) return Report(as_of.error());
  PublishRequest r;
  r.title = a.title;
  r.reason = a.reason;
  r.corrects = a.corrects;
  if (!a.commentary_file.empty()) {
    auto text = ReadFile(a.commentary_file);
    if (!text) return Report(text.error());
    r.commentary = *text;
    if (auto c = CheckCommentary(r.commentary); !c)
      return Report(Error::Invalid(fmt::format("--commentary {}: {}", a.commentary_file, c.error().message)));
  }
  auto store = Open(g);
  if (!store) return Report(store.error());
  if (a.preview) {
    auto data = PreviewPublication(**store, a.source, *as_of, r);
    if (!data) return ReportCheck(data.error());
    std::string md = RenderReport(*data, ReportFormat::kMarkdown);
    std::fwrite(md.data(), 1, md.size(), stdout);
    std::fprintf(stderr,
                 "rectrack: a preview, pinned to ledger event %lld: nothing was published (the "
                 "same command without --preview publishes it)\n",
                 static_cast<long long>(data->ledger_seq));
    return kOk;
  }
  auto pub = PublishSource(**store, a.source, *as_of, r, CliActor());
  if (!pub) return ReportCheck(pub.error());
  std::printf(
      "published %lld: \"%s\" of %s as of %s%s\npinned to ledger event %lld %s\nsnapshot sha256 "
      "%s\nreproduce with: rectrack report --publication %lld --format md|html|json\n",
      static_cast<long long>(pub->id), pub->title.c_str(), a.source.c_str(),
      pub->as_of.ToIso().c_str(),
      a.corrects ? fmt::format(", correcting publication {}", a.corrects).c_str() : "",
      static_cast<long long>(pub->ledger_seq), pub->ledger_hash.c_str(),
      pub->snapshot_sha256.c_str(), static_cast<long long>(pub->id));
  return kOk;
}

int SearchCommand(const Globals& g, const std::string& query, int limit,
                  const std::string& format) {
  auto store = Open(g);
  if (!store) return Report(store.error());
  auto hits = (*store)->Search(query, limit);
  if (!hits) return Report(hits.error());
  auto total = (*store)->SearchCount(query);
  if (!total) return Report(total.error());
  std::string text;
  if (format == "json") {
    json out = json::array();
    for (const auto& h : *hits)
      out.push_back({{"source", h.source_slug}, {"ref", h.ref}, {"field", h.field},
                     {"snippet", h.snippet}, {"rank", h.rank}});
    text = out.dump(2) + "\n";
  } else {
    for (const auto& h : *hits)
      text += fmt::format("{} {} ({})\n    {}\n", h.source_slug, h.ref, h.field,
                          Cell(h.snippet, 200));
    if (static_cast<int64_t>(hits->size()) < *total)
      text += fmt::format("{} of {} results, best first (--limit shows more)\n", hits->size(),
                          *total);
    else
      text += fmt::format("{} result(s)\n", hits->size());
  }
  auto w = WriteOutput("", text);
  return w ? kOk : Report(w.error());
}

int ExportCommand(const Globals& g, const std::string& format, const std::string& out,
                  const std::string& as_of_s) {
  if (format != "json" && format != "csv")
    return Report(Error::Invalid("export format must be json or csv"));
  if (format == "json" && !as_of_s.empty())
    return Report(Error::Invalid("--as-of is for export csv: export json holds every update"));
  auto as_of = AsOf(as_of_s);
  if (!as_of) return Report(as_of.error());
  auto store = Open(g);
  if (!store) return Report(store.error());
  auto batch = (*store)->ExportAll();
  if (!batch) return Report(batch.error());
  auto w = WriteOutput(out, format == "json" ? WriteNativeJson(*batch) : WriteFlatCsv(*batch, *as_of, CliCsvFormulas()));
  return w ? kOk : Report(w.error());
}

// ---- export-site -------------------------------------------------------------

int ExportSiteCommand(const Globals& g, const std::string& dir, const std::string& as_of_s,
                      bool force) {
  auto as_of = AsOf(as_of_s);
  if (!as_of) return Report(as_of.error());
  // Files in DIR would be overwritten or left beside the new site: only when asked.
  {
    std::error_code ec;
    std::filesystem::directory_iterator it(dir, ec);
    if (!ec && it != std::filesystem::directory_iterator() && !force)
      return Report(Error::Conflict(fmt::format(
          "'{}' is not empty: give an empty or new folder, or --force to write over what is there",
          dir)));
    if (ec && std::filesystem::exists(dir))
      return Report(Error::Io(fmt::format("'{}' cannot be read: {}", dir, ec.message())));
  }
  auto store = Open(g);  // reports a store that cannot be opened before any file is written
  if (!store) return Report(store.error());
  // A static copy is the site served elsewhere: nothing forged goes into it.
  auto check = VerifyStore(**store, VerifyOptions{});
  if (!check) return Report(check.error());
  if (!check->ok)
    return ReportCheck(Error::Corrupt(fmt::format(
        "the store does not match its ledger, so no copy of the site was written: {} (run "
        "`rectrack verify`)",
        check->problems.front())));
  store->reset();
  auto summary = web::ExportSite(DbPath(g), dir, *as_of);
  if (!summary) return Report(summary.error());
  std::printf("wrote %d file(s), %lld bytes, to %s (as of %s); open %s/index.html\n",
              summary->files, static_cast<long long>(summary->bytes), dir.c_str(),
              as_of->ToIso().c_str(), dir.c_str());
  return kOk;
}

int VocabCommand(const std::string& name) {
  std::vector<std::string> names = name.empty() ? VocabularyNames() : std::vector<std::string>{name};
  if (!name.empty() && !IsVocabulary(name))
    return Report(Error::Invalid(fmt::format("unknown vocabulary '{}' (known: {})", name,
                                             Join(VocabularyNames(), ", "))));
  std::string text;
  for (const auto& n : names) {
    text += fmt::format("{}:\n", n);
    std::vector<std::vector<std::string>> rows;
    for (const auto& [word, m] : VocabularyTable(n))
      rows.push_back({word, m.response ? std::string(Name(*m.response)) : "",
                      m.response_status ? std::string(Name(*m.response_status)) : "",
                      m.implementation ? std::string(Name(*m.implementation)) : ""});
    text += TextTable({"word", "response", "response_status", "implementation"}, rows) + "\n";
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  return kOk;
}

}  // namespace

int Run(int argc, char** argv) {
  CLI::App app{
      "rectrack: track whether the recommendations of reviews, inquiries, audits and coroners' "
      "reports are carried out"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "rectrack 0.1.0");
  Globals g;
  auto add_db = [&](CLI::App* c) {
    c->add_option("--db", g.db,
                  "The store: an SQLite file or a postgresql:// URL (default: $RECTRACK_DB, else "
                  "./rectrack.db)");
    c->add_flag("--create", g.create, "Make the store if there is none (as `init` does)");
    c->add_flag("--keep-formulas", KeepFormulasFlag(),
                "CSV output: keep cells that start with = + - @ as stored (for machines); by "
                "default they get a leading ' so that a spreadsheet does not run them");
    c->add_option("--key-file", g.key_file,
                  "The tracker's signing key (default: $RECTRACK_KEY_FILE, else the store's path "
                  "with .key; $RECTRACK_SIGNING_KEY holds the key itself)");
  };
  add_db(&app);
  int rc = kOk;

  auto* init = app.add_subcommand("init", "Create (or upgrade) the store");
  add_db(init);
  init->callback([&]() {
    g.create = true;
    auto store = Open(g);
    if (!store) {
      rc = Report(store.error());
      return;
    }
    auto head = (*store)->Head();
    if (!head) {
      rc = Report(head.error());
      return;
    }
    std::printf("store ready; ledger head %lld\n", static_cast<long long>(head->seq));
  });

  // import
  auto* import = app.add_subcommand("import", "Import recommendations from a file");
  import->require_subcommand(1);
  ImportArgs ia;
  auto common_import = [&](CLI::App* c) {
    add_db(c);
    c->add_option("FILE", ia.file, "File to import")->required();
    c->add_option("--aliases", ia.aliases_file, "CSV of owner aliases (header: alias,owner)");
  };
  auto* icsv = import->add_subcommand("csv", "Import a CSV with a column mapping");
  common_import(icsv);
  icsv->add_option("--map", ia.maps,
                   "FIELD=COLUMN; FIELD is source, ref, text, owner, made, due, status, "
                   "response, response_text, theme, url or target (implementation target date)")
      ->required();
  icsv->add_option("--owner-sep", ia.owner_sep, "Separator between owners in one cell");
  icsv->add_option("--theme-sep", ia.theme_sep, "Separator between themes (default ;)");
  icsv->add_option("--date-format", ia.date_format, "Date format, e.g. %d/%m/%Y (default ISO)");
  icsv->add_option("--source-kind", ia.source_kind,
                   "Kind of the sources (default review; known: review, inquiry, inquest, audit, "
                   "report, pfd, upr, and those the store has)");
  icsv->add_flag("--new-kind", ia.new_kind, "Allow a --source-kind of a new name");
  icsv->add_option("--source-title", ia.source_title, "Source title when no source column");
  icsv->add_option("--encoding", ia.encoding,
                   "utf-8 (default), windows-1252, latin1 or mac-roman");
  icsv->add_option("--vocabulary", ia.vocabulary,
                   "How to read status words: canonical, gao, uk_gov, pfd, upr, taic, inquest, "
                   "harris");
  icsv->add_option("--status-map", ia.status_maps, "WORD=CANONICAL[+CANONICAL] for other words");
  icsv->add_option("--recorded-on", ia.recorded_on, "Date the statuses in the file were true");
  icsv->add_option("--response-days", ia.response_days, "Response duty in days from the date");
  icsv->add_option("--repeated-text", ia.repeated_text,
                   "When rows repeat a recommendation with a really different text: keep the "
                   "first or the longest (default: stop with an error; copies that differ only "
                   "in spacing, quotes or an echo of the ref are always one)");
  icsv->callback([&]() { rc = ImportCsvCommand(g, ia); });
  auto* ijson = import->add_subcommand("json", "Import the native rectrack/1 JSON format");
  common_import(ijson);
  ijson->callback([&]() { rc = ImportJsonCommand(g, ia); });
  auto* ipfd = import->add_subcommand("pfd", "Import coroners' Prevention of Future Deaths reports");
  common_import(ipfd);
  ipfd->add_option("--recorded-on", ia.recorded_on,
                   "Date the recorded statuses were true (default 2024-03-17)");
  ipfd->callback([&]() { rc = ImportPresetCommand(g, ia, true); });
  auto* iupr = import->add_subcommand("upr", "Import UN Universal Periodic Review recommendations");
  common_import(iupr);
  iupr->add_option("--encoding", ia.encoding, "Default mac-roman");
  iupr->add_option("--recorded-on", ia.recorded_on, "Date the decisions were true");
  iupr->callback([&]() { rc = ImportPresetCommand(g, ia, false); });
  DocumentArgs da;
  auto* idoc = import->add_subcommand(
      "document", "Read a report (PDF or text) into a draft of its recommendations to check; "
                  "writes nothing to the store (whose owners, if there is one, the addressees "
                  "are checked against)");
  idoc->add_option("FILE", da.files,
                   "The report(s): PDF, or text with pages ended by form feeds")
      ->required();
  idoc->add_option("--preset", da.preset,
                   "generic (numbered recommendations in recommendations sections, default) or "
                   "upr (UN Universal Periodic Review working-group reports)");
  idoc->add_option("--draft,-o", da.draft_out, "Write the draft here (default: standard output)");
  idoc->add_flag("--with-pages", da.with_pages,
                 "Put each page's text in the draft too (what the quotes' spans point into)");
  idoc->add_option("--draft-dir", da.draft_dir,
                   "Write each document's draft into this folder, as NAME.json (for several)");
  add_db(idoc);
  idoc->callback([&]() { rc = ImportDocumentCommand(g, da); });
  DraftArgs dra;
  auto* idraft = import->add_subcommand(
      "draft", "Import a checked draft (from import document) as a new source, or into one "
               "(--source), all or nothing");
  add_db(idraft);
  idraft->add_option("FILE", dra.import.file, "The draft (rectrack-draft/1 JSON)")->required();
  idraft->add_option("--aliases", dra.import.aliases_file, "CSV of owner aliases (header: alias,owner)");
  idraft->add_option("--new-source", dra.slug,
                     "Slug of the new source (default: from the document's symbol and state, or title)");
  idraft->add_option("--source-title", dra.title, "Title of the new source (default: the document's)");
  idraft->add_option("--source-kind", dra.kind, "Kind of the new source (default: upr or report)");
  idraft->add_option("--date", dra.date, "Date of the document (YYYY-MM-DD)");
  idraft->add_option("--source", dra.existing,
                     "Add the draft's items to this source, already in the store, instead of "
                     "making a new one");
  idraft->callback([&]() { rc = ImportDraftCommand(g, dra); });

  // export
  auto* exp = app.add_subcommand("export", "Export everything, losslessly");
  add_db(exp);
  std::string exp_format, exp_out, exp_as_of;
  exp->add_option("FORMAT", exp_format,
                  "json (lossless: every update) or csv (one row per assignment: its state as of "
                  "--as-of, its number of validated updates, the last one's date and note)")
      ->required();
  exp->add_option("--out,-o", exp_out, "Write to a file instead of standard output");
  exp->add_option("--as-of", exp_as_of, "csv: the date the states are as of (default today)");
  exp->callback([&]() { rc = ExportCommand(g, exp_format, exp_out, exp_as_of); });

  // sources
  auto* sources = app.add_subcommand("sources", "List the sources: reviews, inquiries, reports");
  add_db(sources);
  std::string src_kind, src_as_of, src_format = "table";
  sources->add_option("--kind", src_kind, "Only sources of this kind");
  sources->add_option("--as-of", src_as_of, "Date (default today in Europe/London)");
  sources->add_option("--format", src_format, "table, csv or json");
  sources->callback([&]() { rc = SourcesCommand(g, src_kind, src_as_of, src_format); });

  // list / show
  auto* list = app.add_subcommand("list", "List assignments (recommendation x owner)");
  add_db(list);
  ListArgs la;
  list->add_option("--source", la.source, "Source slug");
  list->add_option("--kind", la.kind, "Source kind (review, pfd, upr, ...)");
  list->add_option("--owner", la.owner, "Owner name or alias");
  list->add_option("--tier", la.tier, "Owner tier");
  list->add_option("--status", la.status, "Response or implementation status");
  list->add_flag("--overdue", la.overdue, "Only overdue responses");
  list->add_flag("--past-target", la.past_target,
                 "Only assignments whose implementation is past its target date");
  list->add_option("--as-of", la.as_of, "Date (default today in Europe/London)");
  list->add_option("--format", la.format, "table, csv or json");
  list->add_option("--limit", la.limit, "At most this many rows")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()));
  list->callback([&]() { rc = ListCommand(g, la); });

  auto* show = app.add_subcommand("show", "Show one recommendation with its owners and history");
  add_db(show);
  std::string show_source, show_ref, show_as_of, show_format = "text";
  show->add_option("SOURCE", show_source, "Source slug")->required();
  show->add_option("REF", show_ref, "Recommendation reference")->required();
  show->add_option("--as-of", show_as_of, "Date (default today)");
  show->add_option("--format", show_format, "text or json");
  show->callback([&]() { rc = ShowCommand(g, show_source, show_ref, show_as_of, show_format); });

  // update
  auto* upd = app.add_subcommand("update", "Record a response or status change on an assignment");
  add_db(upd);
  UpdateArgs ua;
  upd->add_option("SOURCE", ua.source, "Source slug")->required();
  upd->add_option("REF", ua.ref, "Recommendation reference")->required();
  upd->add_option("--owner", ua.owner, "Owner (name or alias); optional if only one");
  upd->add_option("--date", ua.date, "Date of the change (default today)");
  upd->add_option("--response", ua.response, "Response: accepted, rejected, ... or a source word");
  upd->add_option("--response-text", ua.response_text, "Text of the response");
  upd->add_option("--status", ua.status,
                  "Implementation or response status, canonical or in the source's vocabulary");
  upd->add_option("--note", ua.note, "Narrative");
  upd->add_option("--evidence", ua.evidence, "Evidence URL (repeatable)");
  upd->add_option("--author", ua.author, "Who reported it");
  upd->add_option("--target", ua.target,
                  "Implementation target agreed with this owner (YYYY-MM-DD), or none to fall "
                  "back on the recommendation's");
  upd->callback([&]() { rc = UpdateCommand(g, ua); });

  // owner
  auto* owner = app.add_subcommand("owner", "Manage owners: aliases and tiers");
  owner->require_subcommand(1);
  auto* alias = owner->add_subcommand("alias", "Make NAME another name of CANONICAL");
  add_db(alias);
  std::string alias_name, alias_canonical;
  bool alias_merge = false;
  alias->add_option("NAME", alias_name)->required();
  alias->add_option("CANONICAL", alias_canonical)->required();
  alias->add_flag("--merge", alias_merge,
                  "NAME is an owner of its own: merge it into CANONICAL (its assignments, "
                  "funding, contacts, aliases and editors move; `owner unmerge` undoes it)");
  alias->callback([&]() { rc = OwnerAliasCommand(g, alias_name, alias_canonical, alias_merge); });
  auto* rename = owner->add_subcommand("rename", "Give an owner a new name (the old one stays an alias)");
  add_db(rename);
  std::string rename_old, rename_new;
  rename->add_option("OLD", rename_old)->required();
  rename->add_option("NEW", rename_new)->required();
  rename->callback([&]() { rc = OwnerRenameCommand(g, rename_old, rename_new); });
  auto* unmerge = owner->add_subcommand("unmerge", "Undo the merge of NAME into another owner");
  add_db(unmerge);
  std::string unmerge_name;
  unmerge->add_option("NAME", unmerge_name)->required();
  unmerge->callback([&]() { rc = OwnerUnmergeCommand(g, unmerge_name); });
  auto* suggest = owner->add_subcommand(
      "suggest-aliases", "List owners that are likely one body written several ways (merges nothing)");
  add_db(suggest);
  std::string suggest_format = "table";
  suggest->add_option("--format", suggest_format, "table or json");
  suggest->callback([&]() { rc = SuggestAliasesCommand(g, suggest_format); });
  auto* tier = owner->add_subcommand("tier", "Set the tier of an owner");
  add_db(tier);
  std::string tier_owner, tier_value;
  tier->add_option("NAME", tier_owner)->required();
  tier->add_option("TIER", tier_value)->required();
  tier->callback([&]() { rc = OwnerTierCommand(g, tier_owner, tier_value); });
  auto* olist = owner->add_subcommand("list", "List owners with tiers and aliases");
  add_db(olist);
  olist->callback([&]() {
    auto store = Open(g);
    if (!store) {
      rc = Report(store.error());
      return;
    }
    auto owners = (*store)->ListOwners();
    if (!owners) {
      rc = Report(owners.error());
      return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& o : *owners) rows.push_back({o.name, o.tier, Join(o.aliases, "; ")});
    std::string t = TextTable({"owner", "tier", "aliases"}, rows);
    std::fwrite(t.data(), 1, t.size(), stdout);
  });
  AddContactCommands(owner, [&g] { return Open(g); }, add_db, &rc);

  // owners
  auto* owners = app.add_subcommand("owners", "The accountability table, one row per owner");
  add_db(owners);
  std::string ow_source, ow_kind, ow_as_of, ow_format = "table";
  auto* ow_src_opt = owners->add_option("--source", ow_source, "Source slug");
  owners->add_option("--kind", ow_kind, "Source kind")->excludes(ow_src_opt);
  owners->add_option("--as-of", ow_as_of, "Date (default today in Europe/London)");
  owners->add_option("--format", ow_format, "table, csv or json");
  owners->callback([&]() { rc = OwnersCommand(g, ow_source, ow_kind, ow_as_of, ow_format); });

  // report
  auto* report = app.add_subcommand("report", "The official progress update of a source");
  add_db(report);
  std::string rep_source, rep_as_of, rep_format = "md", rep_out;
  int64_t rep_pub = 0;
  report->add_option("SOURCE", rep_source, "Source slug");
  auto* rep_as_of_opt =
      report->add_option("--as-of", rep_as_of, "Date (default today in Europe/London)");
  report->add_option("--format", rep_format, "md, html or json");
  // A publication speaks for its own date: --as-of with it would be ignored.
  report->add_option("--publication", rep_pub, "Reproduce a frozen publication")
      ->excludes(rep_as_of_opt);
  report->add_option("--out,-o", rep_out, "Write to a file");
  report->callback(
      [&]() { rc = ReportCommand(g, rep_source, rep_as_of, rep_format, rep_pub, rep_out); });

  // publish
  auto* publish = app.add_subcommand("publish", "Freeze an official update, pinned to the ledger");
  add_db(publish);
  PublishArgs pa;
  publish->add_option("SOURCE", pa.source, "Source slug")->required();
  publish->add_option("--as-of", pa.as_of, "Date the update speaks for (from the source's date to today)")
      ->required();
  publish->add_option("--title", pa.title, "Title")->required();
  publish->add_option("--commentary", pa.commentary_file,
                      "A Markdown file: the office's own words, published with it");
  publish->add_option("--corrects", pa.corrects,
                      "The publication this one corrects (it stays, marked as corrected)");
  publish->add_option("--reason", pa.reason,
                      "Why: for a correction, or a second update as of the same day");
  publish->add_flag("--preview", pa.preview,
                    "Print exactly what would be frozen and signed (Markdown); publish nothing");
  publish->callback([&]() { rc = PublishCommand(g, pa); });

  // search / vocab
  auto* search = app.add_subcommand("search", "Full-text search of recommendations and responses");
  add_db(search);
  std::string query, search_format = "text";
  int limit = 20;
  search->add_option("QUERY", query)->required();
  search->add_option("--limit", limit, "At most this many results (default 20)")
      ->check(CLI::Range(1, 1000));
  search->add_option("--format", search_format, "text or json");
  search->callback([&]() { rc = SearchCommand(g, query, limit, search_format); });

  auto* vocab = app.add_subcommand("vocab", "Show how outside status words map to rectrack's");
  std::string vocab_name;
  vocab->add_option("NAME", vocab_name, "Vocabulary (default: all)");
  vocab->callback([&]() { rc = VocabCommand(vocab_name); });

  auto* export_site = app.add_subcommand(
      "export-site", "Write the public site as static files, for any static host");
  add_db(export_site);
  std::string site_dir, site_as_of;
  export_site->add_option("DIR", site_dir, "Directory to write (created if need be)")->required();
  export_site->add_option("--as-of", site_as_of, "Date the site speaks for (default today)");
  bool site_force = false;
  export_site->add_flag("--force", site_force, "Write into a folder that is not empty");
  export_site->callback([&]() { rc = ExportSiteCommand(g, site_dir, site_as_of, site_force); });

  // user add|list|disable|token, verify-publication (cli/auth_commands.cc)
  AddAuthCommands(app, [&g] { return Open(g); }, add_db, &rc);
  AddChaseCommands(app, [&g] { return Open(g); }, add_db, &rc);
  AddServeCommand(app, [&g] { return DbPath(g); }, [&g] { return Keys(g); },
                  [&g] { return g.create; }, [&g] { return Open(g); }, add_db, &rc);
  // verify, rebuild, key, checkpoint, witness (cli/trust_commands.cc)
  AddTrustCommands(app, StoreAccess{[&g] { return DbPath(g); }, [&g] { return Keys(g); },
                                    [&g] { return Open(g); }},
                   add_db, &rc);
  // backup, restore (cli/backup_commands.cc)
  AddBackupCommands(app, StoreAccess{[&g] { return DbPath(g); }, [&g] { return Keys(g); },
                                     [&g] { return Open(g); }},
                    add_db, &rc);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return UsageError(app, e, argc, argv);
  }
  return rc;
}

}  // namespace rectrack::cli
