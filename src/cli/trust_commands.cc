#include "cli/trust_commands.h"

#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "app/checkpoints.h"
#include "app/service.h"
#include "cli/common.h"
#include "cli/http_get.h"
#include "core/text.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "store/keyfile.h"
#include "store/rebuild.h"
#include "store/verify.h"

namespace rectrack::cli {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

Result<std::string> Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Error::Io(fmt::format("{}: cannot be read", path)));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<Checkpoint> ReadCheckpointFile(const std::string& path) {
  auto text = Slurp(path);
  if (!text) return Fail(text.error());
  json doc = json::parse(*text, nullptr, false);
  if (doc.is_discarded()) return Fail(Error::Invalid(fmt::format("{}: not JSON", path)));
  auto c = ParseCheckpointDoc(doc);
  if (!c) return Fail(Error{c.error().code, fmt::format("{}: {}", path, c.error().message)});
  return c;
}

// Writes `text` to `path` through a temporary file, or to stdout for "" or "-".
Status WriteText(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return {};
  }
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Fail(Error::Io(fmt::format("{}: cannot be written", path)));
    out << text;
    out.flush();
    if (!out) return Fail(Error::Io(fmt::format("{}: write failed", path)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return Fail(Error::Io(fmt::format("{}: cannot be replaced", path)));
  return {};
}

std::string Short(const std::string& hash) { return hash.size() > 16 ? hash.substr(0, 16) + "…" : hash; }

// The one line `verify` prints when everything holds.
std::string Summary(const VerifyReport& r, const VerifyOptions& o) {
  int64_t rows = 0;
  for (const auto& [t, n] : r.rows_checked) rows += n;
  std::string line = fmt::format("ledger OK: {} event(s), head {} {}; the tables match the ledger "
                                 "replayed from event {} ({} rows in {} tables)",
                                 r.events, r.head.seq, r.head.hash, r.full_from, WithThousands(rows),
                                 r.rows_checked.size());
  line += fmt::format("; {} publication(s), {} checkpoint(s) and {} key(s) verified", r.publications,
                      r.checkpoints, r.keys);
  if (o.check_derived) line += "; search index and secrets checked";
  if (!o.operator_key.empty()) line += "; signed by the key file's key";
  if (!o.checkpoints.empty())
    line += fmt::format("; extends {} kept checkpoint(s)", o.checkpoints.size());
  line += fmt::format("; state {}", r.state_digest);
  return line;
}

int PrintBroken(const VerifyReport& r) {
  std::fprintf(stderr, "ledger BROKEN:\n");
  for (const auto& p : r.problems) std::fprintf(stderr, "  %s\n", p.c_str());
  std::fprintf(stderr, "checked %lld event(s); the chain is intact up to event %lld\n",
               static_cast<long long>(r.events), static_cast<long long>(r.head.seq));
  return kVerifyFailed;
}

// The public half of the operator's key, when a key file or RECTRACK_SIGNING_KEY
// gives one ("" otherwise, with why on stderr when it is not simply absent).
std::string OperatorKey(const StoreAccess& access) {
  auto key = LoadKey(access.db_path(), access.keys());
  if (key) return key->public_key_hex;
  if (key.error().code != Error::Code::kNotFound)
    std::fprintf(stderr, "rectrack: note: the key was not read (%s)\n", key.error().message.c_str());
  return "";
}

int VerifyCommand(const StoreAccess& access, const std::vector<std::string>& files,
                  const std::string& trusted) {
  VerifyOptions o;
  for (const auto& f : files) {
    auto c = ReadCheckpointFile(f);
    if (!c) return Report(c.error());
    o.checkpoints.push_back(*c);
  }
  o.trusted_key = ToLowerAscii(trusted);
  auto store = access.open();
  if (!store) return Report(store.error());
  o.operator_key = OperatorKey(access);
  auto rep = VerifyStore(**store, o);
  if (!rep) return Report(rep.error());
  if (!rep->ok) return PrintBroken(*rep);
  std::printf("%s\n", Summary(*rep, o).c_str());
  return kOk;
}

// Removes what a failed rebuild or copy made: an SQLite store's files (a
// PostgreSQL target's transaction was rolled back: nothing to remove).
void RemoveStoreFiles(const std::string& location) {
  if (IsPostgresUrl(location)) return;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"})
    std::remove((location + suffix).c_str());
}

// A progress bar on standard error when it is a terminal; nothing otherwise.
class ProgressBar {
 public:
  explicit ProgressBar(std::string what) : what_(std::move(what)), tty_(isatty(2) == 1) {}
  ~ProgressBar() { Done(); }
  void Update(int64_t done, int64_t total) {
    if (!tty_ || total <= 0) return;
    int percent = static_cast<int>(done * 100 / total);
    if (percent == last_) return;
    last_ = percent;
    constexpr int kWidth = 30;
    int filled = percent * kWidth / 100;
    std::fprintf(stderr, "\r%s [%s%s] %3d%%  %lld/%lld events", what_.c_str(),
                 std::string(static_cast<size_t>(filled), '#').c_str(),
                 std::string(static_cast<size_t>(kWidth - filled), '-').c_str(), percent,
                 static_cast<long long>(done), static_cast<long long>(total));
    std::fflush(stderr);
    shown_ = true;
  }
  void Done() {
    if (shown_) std::fprintf(stderr, "\n");
    shown_ = false;
  }

 private:
  std::string what_;
  bool tty_;
  bool shown_ = false;
  int last_ = -1;
};

std::string Shown(const std::string& location) { return DisplayLocation(location); }

// rebuild (the ledger alone) and copy (the tracker whole: its secrets too) of
// the store `source` into the new store `target`, which is then verified.
int TransferCommand(const std::string& source_location, const KeyOptions& source_keys,
                    const std::string& target_location, bool copy) {
  const char* verb = copy ? "copy" : "rebuild";
  if (!IsPostgresUrl(target_location) && fs::exists(target_location) &&
      fs::file_size(target_location) > 0)
    return Report(Error::Conflict(fmt::format("'{}' exists already: give a new file", target_location)));
  auto source = OpenExistingStore(source_location, source_keys);
  if (!source) return Report(source.error());
  // The target signs its head with the source's key, wherever that is: it is
  // the same tracker.
  KeyOptions keys = source_keys;
  std::string key_file = KeyFileFor(source_location, keys);
  if (keys.seed_hex.empty()) keys.key_file = key_file;
  auto key = LoadKey(source_location, keys);
  if (!key) return Report(key.error());
  auto target = CreateEmptyStore(target_location, keys);
  if (!target) return Report(target.error());
  RebuildOptions options;
  options.copy_secrets = copy;
  ProgressBar bar(copy ? "copying" : "rebuilding");
  options.progress = [&](int64_t done, int64_t total) { bar.Update(done, total); };
  auto sum = Rebuild(**source, **target, options);
  bar.Done();
  if (!sum) {
    target->reset();
    RemoveStoreFiles(target_location);
    return Report(Error{sum.error().code, fmt::format("{}: {}", verb, sum.error().message)});
  }
  // An SQLite target gets its key beside it, as any SQLite store, unless one
  // is there already; a PostgreSQL one is used with the same key file.
  bool copied = false;
  if (!IsPostgresUrl(target_location) && keys.seed_hex.empty()) {
    std::string target_key = DefaultKeyFile(target_location);
    if (!fs::exists(target_key) && fs::absolute(target_key) != fs::absolute(key_file)) {
      auto w = WriteKeyFile(target_key, *key, true);
      if (!w) return Report(w.error());
      copied = true;
    }
  }
  VerifyOptions o;
  o.operator_key = key->public_key_hex;
  auto rep = VerifyStore(**target, o);
  if (!rep) return Report(rep.error());
  if (copy) {
    std::printf("copied %s to %s: %lld event(s), %lld replayed (%lld row changes), %lld secret(s)\n",
                Shown(source_location).c_str(), Shown(target_location).c_str(),
                static_cast<long long>(sum->events), static_cast<long long>(sum->replayed),
                static_cast<long long>(sum->rows), static_cast<long long>(sum->secrets));
  } else {
    std::printf(
        "rebuilt %s from the ledger of %s alone: %lld event(s), %lld replayed (%lld row changes)\n",
        Shown(target_location).c_str(), Shown(source_location).c_str(),
        static_cast<long long>(sum->events), static_cast<long long>(sum->replayed),
        static_cast<long long>(sum->rows));
  }
  if (copied) {
    std::printf("its key: %s (a copy of %s, mode 0600)\n",
                DefaultKeyFile(target_location).c_str(), key_file.c_str());
  } else if (IsPostgresUrl(target_location) && keys.seed_hex.empty()) {
    std::printf("its key: %s (give it with --key-file to every server that writes)\n",
                key_file.c_str());
  }
  if (!copy)
    std::printf(
        "the ledger holds digests of secrets, not the secrets: users set new passwords (rectrack "
        "user password NAME) and API tokens are made anew\n");
  if (!rep->ok) return PrintBroken(*rep);
  std::printf("%s\n", Summary(*rep, o).c_str());
  return kOk;
}

int RebuildCommand(const StoreAccess& access, const std::string& target) {
  return TransferCommand(access.db_path(), access.keys(), target, false);
}

int KeyRotateCommand(const StoreAccess& access) {
  auto store = access.open();
  if (!store) return Report(store.error());
  auto old = (*store)->CurrentPublicKey();
  if (!old) return Report(old.error());
  SigningKeyPair fresh = GenerateSigningKey();
  auto k = (*store)->RotateKey(fresh, CliActor());
  if (!k) return Report(k.error());
  std::printf("the tracker's key is now %s, endorsed by the previous key %s in ledger event %lld\n",
              k->public_key.c_str(), old->c_str(), static_cast<long long>(k->first_seq));
  std::printf("the key file %s holds it; publications keep verifying with the key that signed "
              "them, and witnesses follow the endorsement\n",
              KeyFileFor(access.db_path(), access.keys()).c_str());
  return kOk;
}

int KeyShowCommand(const StoreAccess& access) {
  auto store = access.open();
  if (!store) return Report(store.error());
  auto keys = (*store)->TrackerKeys();
  if (!keys) return Report(keys.error());
  for (const auto& k : *keys)
    std::printf("%s  from event %lld  made %s%s\n", k.public_key.c_str(),
                static_cast<long long>(k.first_seq), k.created_at.c_str(),
                k.previous_key.empty() ? "" : fmt::format("  endorsed by {}", Short(k.previous_key)).c_str());
  return kOk;
}

int CheckpointCommand(const StoreAccess& access, const std::string& out) {
  auto store = access.open();
  if (!store) return Report(store.error());
  auto cps = (*store)->Checkpoints();
  if (!cps) return Report(cps.error());
  auto head = (*store)->Head();
  if (!head) return Report(head.error());
  Checkpoint c;
  if (!cps->empty() && head->seq <= cps->back().ledger_seq + 1) {
    c = cps->back();
    std::fprintf(stderr, "the latest checkpoint (event %lld) is the ledger's head\n",
                 static_cast<long long>(c.ledger_seq));
  } else {
    auto made = MakeCheckpoint(**store, CliActor());
    if (!made) return made.error().code == Error::Code::kCorrupt ? (Report(made.error()), kVerifyFailed)
                                                                 : Report(made.error());
    c = *made;
    std::fprintf(stderr, "made a checkpoint of event %lld\n", static_cast<long long>(c.ledger_seq));
  }
  auto w = WriteText(out, CheckpointDoc(c).dump(2) + "\n");
  return w ? kOk : Report(w.error());
}

// ---- witness ---------------------------------------------------------------------

std::string Trimmed(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

Result<json> GetJson(const std::string& url) {
  auto body = HttpGet(url);
  if (!body) return Fail(body.error());
  json doc = json::parse(*body, nullptr, false);
  if (doc.is_discarded()) return Fail(Error::Invalid(fmt::format("{}: the answer is not JSON", url)));
  return doc;
}

std::string KeptName(int64_t seq) { return fmt::format("{:012d}.json", seq); }

int WitnessCommand(const std::string& url_in, const std::string& dir, const std::string& key_in) {
  const std::string url = Trimmed(url_in);
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "checkpoints", ec);
  if (ec) return Report(Error::Io(fmt::format("{}: {}", dir, ec.message())));
  // What this witness knows of the tracker: its address and the key it trusts.
  fs::path state_file = fs::path(dir) / "tracker.json";
  json state = json::object();
  if (fs::exists(state_file)) {
    auto text = Slurp(state_file.string());
    if (!text) return Report(text.error());
    state = json::parse(*text, nullptr, false);
    if (!state.is_object()) return Report(Error::Invalid(fmt::format("{}: unreadable", state_file.string())));
    if (state.value("url", url) != url)
      return Report(Error::Invalid(fmt::format("{} keeps checkpoints of {}, not of {}", dir,
                                               state.value("url", ""), url)));
  }
  auto served = GetJson(url + "/api/v1/checkpoints");
  if (!served) return Report(served.error());
  auto fork = [&](const std::string& why) {
    std::fprintf(stderr, "witness: FORK or ROLLBACK at %s: %s\n", url.c_str(), why.c_str());
    return kVerifyFailed;
  };
  if (!served->is_object() || !served->contains("keys") || !served->contains("checkpoints") ||
      !(*served)["checkpoints"].is_array())
    return Report(Error::Invalid(fmt::format("{}/api/v1/checkpoints is not a checkpoint list", url)));
  auto keys = ParseKeysDoc((*served)["keys"]);
  if (!keys) return fork(keys.error().message);
  // The key trusted: given, else the one kept, else the tracker's first (trust on first use).
  std::string trusted = ToLowerAscii(key_in);
  if (trusted.empty()) trusted = state.value("trusted_key", "");
  bool first_use = trusted.empty();
  if (first_use) trusted = keys->front().public_key;
  auto from = std::find_if(keys->begin(), keys->end(),
                           [&](const TrackerKey& k) { return k.public_key == trusted; });
  if (from == keys->end())
    return fork(fmt::format("the tracker's keys no longer include the trusted key {}: its history "
                            "is signed by someone else",
                            trusted));
  std::map<std::string, bool> accepted;  // the trusted key and those it endorsed, in turn
  for (auto it = from; it != keys->end(); ++it) accepted[it->public_key] = true;
  // The checkpoints served, each signed by an accepted key.
  std::vector<Checkpoint> list;
  for (const auto& doc : (*served)["checkpoints"]) {
    auto c = ParseCheckpointDoc(doc);
    if (!c) return fork(c.error().message);
    if (!accepted.count(c->public_key))
      return fork(fmt::format("the checkpoint at event {} is signed by key {}, which the trusted "
                              "key did not endorse",
                              c->ledger_seq, c->public_key));
    list.push_back(*c);
  }
  std::sort(list.begin(), list.end(),
            [](const Checkpoint& a, const Checkpoint& b) { return a.ledger_seq < b.ledger_seq; });
  // What was kept before.
  std::map<int64_t, Checkpoint> kept;
  for (const auto& entry : fs::directory_iterator(fs::path(dir) / "checkpoints")) {
    if (entry.path().extension() != ".json") continue;
    auto c = ReadCheckpointFile(entry.path().string());
    if (!c) return Report(c.error());
    kept[c->ledger_seq] = *c;
  }
  std::map<int64_t, const Checkpoint*> by_seq;
  for (const auto& c : list) by_seq[c.ledger_seq] = &c;
  for (const auto& [seq, k] : kept) {
    auto it = by_seq.find(seq);
    if (it == by_seq.end())
      return fork(fmt::format("the tracker no longer serves its checkpoint at event {} (kept since "
                              "{}): its history was cut back or replaced",
                              seq, k.time));
    if (it->second->ledger_hash != k.ledger_hash || it->second->state_digest != k.state_digest)
      return fork(fmt::format("its checkpoint at event {} now says hash {}, but the one kept says {}",
                              seq, it->second->ledger_hash, k.ledger_hash));
  }
  // Each new checkpoint must extend the last one kept: a consistency proof.
  const Checkpoint* last = kept.empty() ? nullptr : &kept.rbegin()->second;
  int added = 0;
  for (const auto& c : list) {
    if (last && c.ledger_seq <= last->ledger_seq) continue;
    if (last) {
      int64_t at = last->ledger_seq;
      std::string at_hash = last->ledger_hash;
      while (at < c.ledger_seq) {
        int64_t to = std::min(c.ledger_seq, at + kMaxProofLinks);
        auto proof = GetJson(fmt::format("{}/api/v1/ledger/proof?from={}&to={}", url, at, to));
        if (!proof) return Report(proof.error());
        // The last link of this piece is checked against the chain, not a checkpoint.
        std::string to_hash = to == c.ledger_seq ? c.ledger_hash : "";
        if (to_hash.empty()) {
          const json& links = (*proof)["links"];
          if (!links.is_array() || links.empty() || !links.back().is_array() || links.back().size() != 3)
            return fork("a proof is malformed");
          to_hash = links.back()[2].get<std::string>();
        }
        if (auto s = CheckProof(*proof, at, at_hash, to, to_hash); !s) return fork(s.error().message);
        at = to;
        at_hash = to_hash;
      }
    }
    auto w = WriteText((fs::path(dir) / "checkpoints" / KeptName(c.ledger_seq)).string(),
                       CheckpointDoc(c).dump(2) + "\n");
    if (!w) return Report(w.error());
    kept[c.ledger_seq] = c;
    last = &kept[c.ledger_seq];
    ++added;
  }
  state["url"] = url;
  state["trusted_key"] = trusted;
  state["keys"] = KeysDoc(*keys);
  if (auto w = WriteText(state_file.string(), state.dump(2) + "\n"); !w) return Report(w.error());
  if (!last) {
    std::printf("witness: %s has made no checkpoint yet; trusting key %s\n", url.c_str(), trusted.c_str());
    return kOk;
  }
  std::printf("witness OK: %s: %d new checkpoint(s), %zu kept, up to event %lld (%s); every one "
              "extends the one before%s\n",
              url.c_str(), added, kept.size(), static_cast<long long>(last->ledger_seq),
              last->time.c_str(),
              first_use ? fmt::format("; trusting key {} from now on", trusted).c_str() : "");
  return kOk;
}

}  // namespace

void AddTrustCommands(CLI::App& app, StoreAccess access,
                      const std::function<void(CLI::App*)>& add_db, int* rc) {
  auto a = std::make_shared<StoreAccess>(std::move(access));

  auto files = std::make_shared<std::vector<std::string>>();
  auto key = std::make_shared<std::string>();
  auto* verify = app.add_subcommand(
      "verify",
      "Check the store against its ledger: the hash chain, every table against the replayed "
      "ledger, signatures, publications, checkpoints, the search index");
  add_db(verify);
  verify->add_option("--checkpoint", *files,
                     "A checkpoint kept outside (rectrack checkpoint -o, or a witness's): the ledger "
                     "must extend it (repeatable)");
  verify->add_option("--key", *key, "A public key (hex) you trust: it must be one of the tracker's");
  verify->callback([=]() { *rc = VerifyCommand(*a, *files, *key); });

  auto target = std::make_shared<std::string>();
  auto* rebuild = app.add_subcommand(
      "rebuild", "Build a new store at TARGET from this store's ledger alone, and verify it");
  add_db(rebuild);
  rebuild->add_option("TARGET", *target,
                      "The new store: a file that does not exist, or an empty PostgreSQL "
                      "database (postgresql://...)")
      ->required();
  rebuild->callback([=]() { *rc = RebuildCommand(*a, *target); });

  auto from = std::make_shared<std::string>();
  auto to = std::make_shared<std::string>();
  auto* copy = app.add_subcommand(
      "copy",
      "Copy a whole tracker to a new store (SQLite to PostgreSQL or back): its ledger, event for "
      "event, the tables replayed from it, users' password and token hashes; then verify it");
  copy->add_option("--from", *from, "The store to copy: a file or postgresql://... (default: --db)");
  copy->add_option("--to", *to,
                   "The new store: a file that does not exist, or a PostgreSQL database that "
                   "holds no tracker")
      ->required();
  add_db(copy);
  copy->callback([=]() {
    *rc = TransferCommand(from->empty() ? a->db_path() : *from, a->keys(), *to, true);
  });

  auto* keycmd = app.add_subcommand("key", "The tracker's signing key");
  keycmd->require_subcommand(1);
  auto* rotate = keycmd->add_subcommand(
      "rotate", "Make a new key: endorsed by the old one in the ledger; the key file is replaced");
  add_db(rotate);
  rotate->callback([=]() { *rc = KeyRotateCommand(*a); });
  auto* show = keycmd->add_subcommand("show", "The tracker's public keys, oldest first");
  add_db(show);
  show->callback([=]() { *rc = KeyShowCommand(*a); });

  auto out = std::make_shared<std::string>();
  auto* checkpoint = app.add_subcommand(
      "checkpoint",
      "Write the latest signed checkpoint (made now if the ledger moved since) for outsiders to keep");
  add_db(checkpoint);
  checkpoint->add_option("--out,-o", *out, "Write to a file instead of standard output");
  checkpoint->callback([=]() { *rc = CheckpointCommand(*a, *out); });

  auto url = std::make_shared<std::string>();
  auto dir = std::make_shared<std::string>();
  auto wkey = std::make_shared<std::string>();
  auto* witness = app.add_subcommand(
      "witness",
      "An outsider's check of a tracker: fetch its signed checkpoints, check each extends the last "
      "one kept, keep them; exit 3 on a fork or rollback");
  witness->add_option("URL", *url, "The tracker's address, e.g. https://tracker.example")->required();
  witness->add_option("--keep", *dir, "Directory of the checkpoints kept")->required();
  witness->add_option("--key", *wkey, "The tracker's public key (hex), if known; else the first seen");
  witness->callback([=]() { *rc = WitnessCommand(*url, *dir, *wkey); });
}

}  // namespace rectrack::cli
