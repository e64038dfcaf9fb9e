// The projection over SQLite: change sets applied to the tables (live writes,
// rebuild and verify's scratch store all go through Apply), rows read back in
// key order, the ledger append with its signed head, and the checks of what is
// derived from the tables (the search index) or kept beside them (secrets).
#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "core/text.h"
#include "core/ledger.h"
#include "core/signing.h"
#include "fmt/format.h"
#include "store/keyfile.h"
#include "store/sql/sql_store.h"

namespace rectrack::sql {
namespace {

// Columns that the projection leaves out but SQLite's schema requires on
// insert: secrets that the ledger never holds start unset (a rebuilt store's
// users set new passwords; its tokens are made again).
std::string_view ExtraInsertColumn(std::string_view table) {
  if (table == "users") return "password_hash";
  if (table == "api_tokens") return "token_hash";
  return "";
}
// The extra column's value: "" for users; "none:ID" for API tokens, bound as
// one more parameter (PostgreSQL types each parameter once: ?1 is the id).
std::string ExtraInsertValue(std::string_view table, size_t params) {
  if (table == "users") return "''";
  if (table == "api_tokens") return fmt::format("?{}", params + 1);
  return "";
}

std::string InsertSql(const TableDef& t) {
  std::string cols, vals;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (i) {
      cols += ", ";
      vals += ", ";
    }
    cols += t.columns[i].name;
    vals += fmt::format("?{}", i + 1);
  }
  if (!ExtraInsertColumn(t.name).empty()) {
    cols += fmt::format(", {}", ExtraInsertColumn(t.name));
    vals += fmt::format(", {}", ExtraInsertValue(t.name, t.columns.size()));
  }
  return fmt::format("INSERT INTO {}({}) VALUES({})", t.name, cols, vals);
}

std::string KeyWhere(const TableDef& t, int first_param) {
  std::string w;
  for (size_t i = 0; i < t.key_columns; ++i) {
    if (i) w += " AND ";
    w += fmt::format("{} = ?{}", t.columns[i].name, first_param + static_cast<int>(i));
  }
  return w;
}

std::string ColumnList(const TableDef& t) {
  std::string cols;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (i) cols += ", ";
    cols += t.columns[i].name;
  }
  return cols;
}

std::string KeyOrder(const TableDef& t) {
  std::string o;
  for (size_t i = 0; i < t.key_columns; ++i) {
    if (i) o += ", ";
    o += t.columns[i].name;
  }
  return o;
}

void BindValue(Statement* st, int i, const Value& v) {
  switch (v.type) {
    case Value::Type::kNull:
      st->BindNull(i);
      break;
    case Value::Type::kInt:
      st->Bind(i, v.i);
      break;
    case Value::Type::kText:
      st->BindRef(i, v.s);  // the change set outlives the statement's run
      break;
  }
}

Row ReadRow(const Statement* st, const TableDef& t) {
  Row row;
  row.reserve(t.columns.size());
  for (size_t i = 0; i < t.columns.size(); ++i) {
    int c = static_cast<int>(i);
    if (st->IsNull(c)) row.push_back(Value::Null());
    else if (t.columns[i].is_int) row.push_back(Value::Int(st->Int(c)));
    else row.push_back(Value::Text(st->Str(c)));
  }
  return row;
}

const TableChanges* Changes(const ChangeSet& cs, std::string_view table) {
  auto it = cs.tables.find(std::string(table));
  return it == cs.tables.end() || it->second.empty() ? nullptr : &it->second;
}

}  // namespace

// ---- applying ------------------------------------------------------------------

Status SqlStore::InsertRows(const TableDef& t, const std::vector<Row>& rows, ApplyFailure* failure) {
  auto st = db_->Prepare(InsertSql(t));
  if (!st) return Fail(st.error());
  const bool token = t.name == "api_tokens";
  std::string none;
  for (const Row& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) BindValue(*st, static_cast<int>(i) + 1, row[i]);
    if (token) {
      none = fmt::format("none:{}", row[0].i);  // no token until one is made
      (*st)->Bind(static_cast<int>(row.size()) + 1, none);
    }
    if (auto r = (*st)->Run(); !r) {
      Error e = r.error();
      e.message = fmt::format("{} (inserting {} {})", e.message, t.row_name,
                              t.DescribeKey(t.KeyOf(row)));
      if (failure) *failure = {std::string(t.name), row};
      return Fail(std::move(e));
    }
  }
  return {};
}

Status SqlStore::Apply(const ChangeSet& cs, bool maintain_search) {
  return ApplyTracked(cs, maintain_search, nullptr);
}

Status SqlStore::ApplyTracked(const ChangeSet& cs, bool maintain_search, ApplyFailure* failure) {
  RT_TRY(CheckChangeSet(cs));
  const auto& tables = ProjectedTables();
  const bool search = maintain_search && !scratch_;

  // The search index follows the recommendations' texts and the responses of
  // their assignments and validated updates. A recommendation inserted here
  // together with all its assignments and updates (an import) gets its entry
  // from the change set; any other that this change touches is re-read from
  // the tables afterwards. Either way the entry is what
  // IndexRecommendationText makes of the tables.
  std::set<int64_t> reindex;
  const TableChanges* recs = Changes(cs, "recommendations");
  const TableChanges* asgs = Changes(cs, "assignments");
  const TableChanges* upds = Changes(cs, "updates");
  const bool from_changes = (!asgs || (asgs->updates.empty() && asgs->deletes.empty())) &&
                            (!upds || (upds->updates.empty() && upds->deletes.empty()));
  std::unordered_map<int64_t, std::vector<std::pair<int64_t, const std::string*>>> responses;
  std::unordered_map<int64_t, int64_t> rec_of_new_assignment;
  auto rec_of_assignment = [&](int64_t asg) -> Result<int64_t> {
    auto it = rec_of_new_assignment.find(asg);
    if (it != rec_of_new_assignment.end()) return it->second;
    auto st = db_->Prepare("SELECT recommendation_id FROM assignments WHERE id = ?");
    if (!st) return Fail(st.error());
    (*st)->Bind(1, asg);
    auto r = (*st)->Step();
    if (!r) return Fail(r.error());
    if (!*r) return int64_t{0};
    int64_t id = (*st)->Int(0);
    (*st)->Reset();
    return id;
  };
  if (search) {
    if (recs)
      for (const auto& [key, cols] : recs->updates)
        if (cols.count("text")) reindex.insert(key[0].i);
    if (asgs) {
      // Only updates need to find a new assignment's recommendation.
      if (upds)
        for (const auto& r : asgs->inserts) rec_of_new_assignment[r[0].i] = r[1].i;
      // Before the change: where a changed or deleted assignment was.
      for (const auto& [key, cols] : asgs->updates) {
        if (!cols.count("response_text") && !cols.count("recommendation_id")) continue;
        auto rec = rec_of_assignment(key[0].i);
        if (!rec) return Fail(rec.error());
        reindex.insert(*rec);
        if (auto it = cols.find("recommendation_id"); it != cols.end()) reindex.insert(it->second.i);
      }
      for (const auto& key : asgs->deletes) {
        auto rec = rec_of_assignment(key[0].i);
        if (!rec) return Fail(rec.error());
        reindex.insert(*rec);
      }
    }
    if (upds) {
      auto asg_of_update = [&](int64_t id) -> Result<int64_t> {
        auto st = db_->Prepare("SELECT assignment_id FROM updates WHERE id = ?");
        if (!st) return Fail(st.error());
        (*st)->Bind(1, id);
        auto r = (*st)->Step();
        if (!r) return Fail(r.error());
        if (!*r) return int64_t{0};
        int64_t a = (*st)->Int(0);
        (*st)->Reset();
        return a;
      };
      for (const auto& [key, cols] : upds->updates) {
        auto asg = asg_of_update(key[0].i);
        if (!asg) return Fail(asg.error());
        auto rec = rec_of_assignment(*asg);
        if (!rec) return Fail(rec.error());
        reindex.insert(*rec);
        if (auto it = cols.find("assignment_id"); it != cols.end()) {
          auto moved = rec_of_assignment(it->second.i);
          if (!moved) return Fail(moved.error());
          reindex.insert(*moved);
        }
      }
      for (const auto& key : upds->deletes) {
        auto asg = asg_of_update(key[0].i);
        if (!asg) return Fail(asg.error());
        auto rec = rec_of_assignment(*asg);
        if (!rec) return Fail(rec.error());
        reindex.insert(*rec);
      }
    }
  }

  for (const auto& t : tables) {
    const TableChanges* tc = Changes(cs, t.name);
    if (!tc || tc->inserts.empty()) continue;
    RT_TRY(InsertRows(t, tc->inserts, failure));
  }
  for (const auto& t : tables) {
    const TableChanges* tc = Changes(cs, t.name);
    if (!tc) continue;
    for (const auto& [key, cols] : tc->updates) {
      std::string set;
      int n = 0;
      for (const auto& [col, v] : cols) {
        if (n) set += ", ";
        set += fmt::format("{} = ?{}", col, ++n);
      }
      auto st = db_->Prepare(fmt::format("UPDATE {} SET {} WHERE {}", t.name, set, KeyWhere(t, n + 1)));
      if (!st) return Fail(st.error());
      int i = 0;
      for (const auto& [col, v] : cols) BindValue(*st, ++i, v);
      for (const auto& k : key) BindValue(*st, ++i, k);
      if (auto r = (*st)->Run(); !r) {
        Error e = r.error();
        e.message = fmt::format("{} (updating {} {})", e.message, t.row_name, t.DescribeKey(key));
        return Fail(std::move(e));
      }
      if (db_->Changes() != 1)
        return Fail(Error::Corrupt(fmt::format("there is no {} with {} to update", t.row_name,
                                               t.DescribeKey(key))));
    }
  }
  for (auto it = tables.rbegin(); it != tables.rend(); ++it) {
    const TableDef& t = *it;
    const TableChanges* tc = Changes(cs, t.name);
    if (!tc || tc->deletes.empty()) continue;
    auto st = db_->Prepare(fmt::format("DELETE FROM {} WHERE {}", t.name, KeyWhere(t, 1)));
    if (!st) return Fail(st.error());
    for (const Row& key : tc->deletes) {
      for (size_t i = 0; i < key.size(); ++i) BindValue(*st, static_cast<int>(i) + 1, key[i]);
      if (auto r = (*st)->Run(); !r) {
        Error e = r.error();
        e.message = fmt::format("{} (deleting {} {})", e.message, t.row_name, t.DescribeKey(key));
        return Fail(std::move(e));
      }
      if (db_->Changes() != 1)
        return Fail(Error::Corrupt(fmt::format("there is no {} with {} to delete", t.row_name,
                                               t.DescribeKey(key))));
    }
  }
  if (Changes(cs, "owners") || Changes(cs, "owner_aliases")) owner_cache_loaded_ = false;
  if (!search) return {};

  // Entries of the recommendations inserted here, from the change set.
  std::unordered_set<int64_t> inserted;
  if (recs && !recs->inserts.empty()) {
    if (from_changes) {
      inserted.reserve(recs->inserts.size());
      for (const auto& r : recs->inserts) inserted.insert(r[0].i);
      if (asgs)
        for (const auto& a : asgs->inserts)
          if (!a[5].s.empty() && inserted.count(a[1].i)) responses[a[1].i].push_back({a[0].i, &a[5].s});
      // Updates after every assignment text, each by id: as IndexRecommendationText reads.
      std::unordered_map<int64_t, std::vector<std::pair<int64_t, const std::string*>>> later;
      if (upds)
        for (const auto& u : upds->inserts) {
          if (u[10].s != "validated") continue;
          auto rec = rec_of_new_assignment.find(u[1].i);
          if (rec == rec_of_new_assignment.end()) {
            // An update of an assignment made earlier: the tables tell.
            auto r = rec_of_assignment(u[1].i);
            if (!r) return Fail(r.error());
            reindex.insert(*r);
            continue;
          }
          if (!inserted.count(rec->second)) {
            reindex.insert(rec->second);
            continue;
          }
          for (int c : {4, 7})
            if (!u[static_cast<size_t>(c)].s.empty())
              later[rec->second].push_back({u[0].i, &u[static_cast<size_t>(c)].s});
        }
      std::vector<SearchEntry> entries;
      entries.reserve(recs->inserts.size());
      for (const auto& r : recs->inserts) {
        SearchEntry& entry = entries.emplace_back();
        entry.id = r[0].i;
        entry.text = r[3].s;
        auto add = [&](std::vector<std::pair<int64_t, const std::string*>>* v) {
          std::stable_sort(v->begin(), v->end(),
                           [](const auto& x, const auto& y) { return x.first < y.first; });
          for (const auto& [n, s] : *v) {
            if (!entry.responses.empty()) entry.responses += "\n";
            entry.responses += *s;
          }
        };
        if (auto it = responses.find(entry.id); it != responses.end()) add(&it->second);
        if (auto it = later.find(entry.id); it != later.end()) add(&it->second);
      }
      RT_TRY(InsertSearchEntries(entries));
    } else {
      for (const auto& r : recs->inserts) reindex.insert(r[0].i);
    }
  }
  if (asgs)
    for (const auto& a : asgs->inserts)
      if (!inserted.count(a[1].i)) reindex.insert(a[1].i);
  if (upds && !from_changes)
    for (const auto& u : upds->inserts) {
      auto rec = rec_of_assignment(u[1].i);
      if (!rec) return Fail(rec.error());
      reindex.insert(*rec);
    }
  for (int64_t id : reindex)
    if (id > 0 && !inserted.count(id)) RT_TRY(IndexRecommendationText(id));
  return {};
}

Status SqlStore::InsertSearchEntries(const std::vector<SearchEntry>& entries) {
  const SearchTable names = search_table();
  auto ins = db_->Prepare(
      fmt::format("INSERT INTO {}({}, text, responses) VALUES(?,?,?)", names.table, names.id));
  if (!ins) return Fail(ins.error());
  for (const auto& e : entries) {
    (*ins)->Bind(1, e.id).BindRef(2, e.text).BindRef(3, e.responses);
    RT_TRY((*ins)->Run());
  }
  return {};
}

Status SqlStore::IndexRecommendationText(int64_t rec_id) {
  // Responses: the assignments' own, then every validated update's response
  // text and narrative, each in id order.
  std::string responses;
  auto a = db_->Prepare(
      "SELECT response_text FROM assignments WHERE recommendation_id = ? AND response_text <> '' "
      "ORDER BY id");
  if (!a) return Fail(a.error());
  (*a)->Bind(1, rec_id);
  while (true) {
    auto r = (*a)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    if (!responses.empty()) responses += "\n";
    responses += (*a)->Text(0);
  }
  auto u = db_->Prepare(
      "SELECT u.response_text, u.narrative FROM updates u JOIN assignments a "
      "ON a.id = u.assignment_id WHERE a.recommendation_id = ? AND u.state = 'validated' "
      "ORDER BY u.id");
  if (!u) return Fail(u.error());
  (*u)->Bind(1, rec_id);
  while (true) {
    auto r = (*u)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    for (int c = 0; c < 2; ++c) {
      if ((*u)->Text(c).empty()) continue;
      if (!responses.empty()) responses += "\n";
      responses += (*u)->Text(c);
    }
  }
  const SearchTable names = search_table();
  auto del = db_->Prepare(fmt::format("DELETE FROM {} WHERE {} = ?", names.table, names.id));
  if (!del) return Fail(del.error());
  (*del)->Bind(1, rec_id);
  RT_TRY((*del)->Run());
  auto ins = db_->Prepare(fmt::format(
      "INSERT INTO {}({}, text, responses) SELECT id, text, ? FROM recommendations WHERE id = ?",
      names.table, names.id));
  if (!ins) return Fail(ins.error());
  (*ins)->Bind(1, responses).Bind(2, rec_id);
  return (*ins)->Run();
}

// ---- reading rows --------------------------------------------------------------

namespace {

class RowsCursor : public RowCursor {
 public:
  RowsCursor(std::unique_ptr<Statement> st, const TableDef& t) : st_(std::move(st)), table_(t) {}
  Result<bool> Next(Row* row) override {
    if (done_) return false;
    auto r = st_->Step();
    if (!r) return Fail(r.error());
    if (!*r) {
      done_ = true;
      return false;
    }
    *row = ReadRow(st_.get(), table_);
    return true;
  }

 private:
  std::unique_ptr<Statement> st_;
  const TableDef& table_;
  bool done_ = false;
};

}  // namespace

Result<std::unique_ptr<RowCursor>> SqlStore::ScanRows(const TableDef& t) {
  auto st = db_->PrepareScan(
      fmt::format("SELECT {} FROM {} ORDER BY {}", ColumnList(t), t.name, KeyOrder(t)));
  if (!st) return Fail(st.error());
  return std::unique_ptr<RowCursor>(new RowsCursor(std::move(*st), t));
}

Result<std::unique_ptr<RowCursor>> SqlStore::ScanRowsWhere(const TableDef& t,
                                                            std::string_view column,
                                                            const Value& value) {
  int i = t.ColumnIndex(column);
  if (i < 0) return Fail(Error::Invalid(fmt::format("{} has no column '{}'", t.name, column)));
  RT_TRY(CheckValue(t, t.columns[static_cast<size_t>(i)], value));
  auto st = db_->PrepareScan(fmt::format("SELECT {} FROM {} WHERE {} = ? ORDER BY {}",
                                         ColumnList(t), t.name, column, KeyOrder(t)));
  if (!st) return Fail(st.error());
  BindValue(st->get(), 1, value);
  return std::unique_ptr<RowCursor>(new RowsCursor(std::move(*st), t));
}

Result<int64_t> SqlStore::NextRowId(const TableDef& t) {
  if (t.columns.empty() || t.columns[0].name != "id" || !t.columns[0].is_int)
    return Fail(Error::Invalid(fmt::format("{} has no numeric id", t.name)));
  return NextId(t.name);
}

Result<LedgerEvent> SqlStore::RecordChange(const Actor& actor, std::string_view kind,
                                           const EventPayload& payload) {
  RT_TRY(CheckChangeSet(payload.changes));
  return InTransaction([&]() -> Result<LedgerEvent> { return Record(actor, kind, payload); });
}

Result<std::optional<Row>> SqlStore::GetRow(const TableDef& t, const Row& key) {
  RT_TRY(CheckKey(t, key));
  auto st = db_->Prepare(fmt::format("SELECT {} FROM {} WHERE {}", ColumnList(t), t.name, KeyWhere(t, 1)));
  if (!st) return Fail(st.error());
  for (size_t i = 0; i < key.size(); ++i) BindValue(*st, static_cast<int>(i) + 1, key[i]);
  auto r = (*st)->Step();
  if (!r) return Fail(r.error());
  if (!*r) return std::optional<Row>();
  Row row = ReadRow(*st, t);
  (*st)->Reset();
  return std::optional<Row>(std::move(row));
}

Result<int64_t> SqlStore::NextId(std::string_view table, std::string_view column) {
  auto st = db_->Prepare(fmt::format("SELECT coalesce(max({}), 0) + 1 FROM {}", column, table));
  if (!st) return Fail(st.error());
  auto r = (*st)->Step();
  if (!r) return Fail(r.error());
  int64_t id = (*st)->Int(0);
  (*st)->Reset();
  return id;
}

// ---- the ledger ------------------------------------------------------------------

Result<const SigningKeyPair*> SqlStore::WriteKey() {
  if (key_) return &*key_;
  auto key = LoadKey(path_, keys_);
  // Not the caller's mistake (no "not found" for a missing key file): the
  // store cannot be written here until the key is given.
  if (!key)
    return Fail(Error::Io(fmt::format("writing to the store needs the tracker's signing key: {} "
                                      "(--key-file, RECTRACK_KEY_FILE or RECTRACK_SIGNING_KEY)",
                                      key.error().message)));
  auto current = CurrentPublicKey();
  if (!current) return Fail(current.error());
  if (!current->empty() && *current != key->public_key_hex) {
    // A rotation that committed but did not get to rename its new key file.
    std::string file = KeyFileFor(path_, keys_);
    if (keys_.seed_hex.empty() && !file.empty()) {
      auto pending = ReadKeyFile(file + ".new");
      if (pending && pending->public_key_hex == *current) {
        if (std::rename((file + ".new").c_str(), file.c_str()) == 0) {
          notices_.push_back(fmt::format("finished a key rotation: '{}' now holds the new key", file));
          key = std::move(pending);
        }
      }
    }
    if (key->public_key_hex != *current)
      return Fail(Error::Io(fmt::format(
          "the signing key given (public key {}) is not this store's key ({}); writing is "
          "refused so that nothing is signed by the wrong key",
          key->public_key_hex, *current)));
  }
  key_ = std::move(*key);
  return &*key_;
}

Result<std::string> SqlStore::CurrentPublicKey() {
  auto st = db_->Prepare("SELECT public_key FROM tracker_keys ORDER BY first_seq DESC, id DESC LIMIT 1");
  if (!st) return Fail(st.error());
  auto r = (*st)->Step();
  if (!r) return Fail(r.error());
  if (!*r) return std::string();
  std::string k = (*st)->Str(0);
  (*st)->Reset();
  return k;
}

Result<LedgerEvent> SqlStore::AppendEvent(const Actor& actor, std::string_view kind,
                                             const std::string& payload,
                                             const SigningKeyPair* signer) {
  if (scratch_) return Fail(Error::Internal("a scratch store keeps no ledger"));
  if (!signer) {
    auto k = WriteKey();
    if (!k) return Fail(k.error());
    signer = *k;
  }
  auto head = Head();
  if (!head) return Fail(head.error());
  LedgerEvent e;
  e.seq = head->seq + 1;
  e.ts = NowUtc();
  e.actor = actor.name;
  e.kind = std::string(kind);
  e.payload = payload;
  e.prev_hash = head->hash;
  e.scheme = 2;
  e.hash = EventHash(e);
  auto st = db_->Prepare(
      "INSERT INTO ledger(seq, ts, actor, kind, payload, prev_hash, hash, scheme) "
      "VALUES(?,?,?,?,?,?,?,?)");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, e.seq).Bind(2, e.ts).Bind(3, e.actor).Bind(4, e.kind).BindRef(5, e.payload)
      .Bind(6, e.prev_hash).Bind(7, e.hash).Bind(8, e.scheme);
  RT_TRY((*st)->Run());
  RT_TRY(WriteHead({e.seq, e.hash}, *signer));
  RT_TRY(AfterAppend(e));
  return e;
}

Status SqlStore::SignHead(const LedgerHead& head) {
  auto k = WriteKey();
  if (!k) return Fail(k.error());
  return WriteHead(head, **k);
}

Status SqlStore::WriteHead(const LedgerHead& head, const SigningKeyPair& key) {
  auto sig = SignMessage(key.seed_hex, HeadSigningMessage(head.seq, head.hash));
  if (!sig) return Fail(sig.error());
  auto meta = db_->Prepare(
      "INSERT INTO meta(key, value) VALUES(?, ?) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!meta) return Fail(meta.error());
  (*meta)->Bind(1, "ledger_head").Bind(2, fmt::format("{} {}", head.seq, head.hash));
  RT_TRY((*meta)->Run());
  (*meta)->Bind(1, "ledger_head_signature").Bind(2, *sig);
  return (*meta)->Run();
}

Status RefuseControls(const ChangeSet& cs) {
  auto has_nul = [](const Value& v) {
    return v.type == Value::Type::kText && FindControlCharacter(v.s) != std::string::npos;
  };
  for (const auto& [name, tc] : cs.tables) {
    const TableDef* t = FindProjectedTable(name);
    if (!t) continue;  // CheckChangeSet names it
    auto refuse = [&](const Row& key, std::string_view column, const std::string& text) {
      const std::string code = CodePointAt(text, FindControlCharacter(text));
      return Fail(Error::Invalid(fmt::format(
          "{} {}: its {} holds a control character ({}), which no text in rectrack may hold{}",
          t->row_name, t->DescribeKey(key), column, code,
          code == "U+0000" ? " (is the input binary, or UTF-16?)" : "")));
    };
    for (const Row& row : tc.inserts)
      for (size_t i = 0; i < row.size() && i < t->columns.size(); ++i)
        if (has_nul(row[i])) return refuse(t->KeyOf(row), t->columns[i].name, row[i].s);
    for (const auto& [key, cols] : tc.updates)
      for (const auto& [col, v] : cols)
        if (has_nul(v)) return refuse(key, col, v.s);
  }
  return {};
}

Result<LedgerEvent> SqlStore::Record(const Actor& actor, std::string_view kind,
                                        const EventPayload& payload) {
  RT_TRY(RefuseControls(payload.changes));
  auto text = SerializePayload(payload);
  if (!text) return Fail(text.error());
  RT_TRY(Apply(payload.changes, true));
  return AppendEvent(actor, kind, *text);
}

Status SqlStore::CopyEvent(const LedgerEvent& e) {
  auto st = db_->Prepare(
      "INSERT INTO ledger(seq, ts, actor, kind, payload, prev_hash, hash, scheme) "
      "VALUES(?,?,?,?,?,?,?,?)");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, e.seq).Bind(2, e.ts).Bind(3, e.actor).Bind(4, e.kind).BindRef(5, e.payload)
      .Bind(6, e.prev_hash).Bind(7, e.hash).Bind(8, e.scheme);
  return (*st)->Run();
}

Result<LedgerHead> SqlStore::Head() { return HeadOn(*db_); }

Result<RecordedHead> SqlStore::GetRecordedHead() {
  RecordedHead h;
  auto st = db_->Prepare("SELECT key, value FROM meta WHERE key IN ('ledger_head', 'ledger_head_signature')");
  if (!st) return Fail(st.error());
  while (true) {
    auto r = (*st)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    if ((*st)->Text(0) == "ledger_head") {
      h.present = true;
      h.value = (*st)->Str(1);
    } else {
      h.signature = (*st)->Str(1);
    }
  }
  return h;
}

Status SqlStore::ForEachEvent(const std::function<bool(const LedgerEvent&)>& fn) {
  return ForEachEventFrom(1, fn);
}

Status SqlStore::ForEachEventFrom(int64_t first_seq,
                                     const std::function<bool(const LedgerEvent&)>& fn) {
  // Its own statement: the callback may call back into the store.
  auto scan = db_->PrepareScan(
      "SELECT seq, ts, actor, kind, payload, prev_hash, hash, scheme FROM ledger WHERE seq >= ? "
      "ORDER BY seq");
  if (!scan) return Fail(scan.error());
  Statement& st = **scan;
  st.Bind(1, first_seq);
  LedgerEvent e;
  while (true) {
    auto r = st.Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    e.seq = st.Int(0);
    e.ts = st.Str(1);
    e.actor = st.Str(2);
    e.kind = st.Str(3);
    e.payload = st.Str(4);
    e.prev_hash = st.Str(5);
    e.hash = st.Str(6);
    e.scheme = static_cast<int>(st.Int(7));
    if (!fn(e)) {
      st.Reset();
      break;
    }
  }
  return {};
}

Result<std::optional<LedgerEvent>> SqlStore::GetEvent(int64_t seq) {
  std::optional<LedgerEvent> out;
  RT_TRY(ForEachEventFrom(seq, [&](const LedgerEvent& e) {
    if (e.seq == seq) out = e;
    return false;
  }));
  return out;
}

// ---- keys and checkpoints ----------------------------------------------------------

Result<std::vector<TrackerKey>> SqlStore::TrackerKeys() {
  auto st = db_->Prepare(
      "SELECT id, public_key, created_at, first_seq, previous_key, endorsement FROM tracker_keys "
      "ORDER BY first_seq, id");
  if (!st) return Fail(st.error());
  std::vector<TrackerKey> out;
  while (true) {
    auto r = (*st)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    Statement* s = *st;
    out.push_back({s->Int(0), s->Str(1), s->Str(2), s->Int(3), s->Str(4), s->Str(5)});
  }
  return out;
}

Result<std::vector<Checkpoint>> SqlStore::Checkpoints() {
  auto st = db_->Prepare(
      "SELECT ledger_seq, ledger_hash, state_digest, time, public_key, signature FROM checkpoints "
      "ORDER BY ledger_seq");
  if (!st) return Fail(st.error());
  std::vector<Checkpoint> out;
  while (true) {
    auto r = (*st)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    Statement* s = *st;
    out.push_back({s->Int(0), s->Str(1), s->Str(2), s->Str(3), s->Str(4), s->Str(5)});
  }
  return out;
}

// ---- derived data and secrets ------------------------------------------------------

Status SqlStore::CheckDerived(std::vector<std::string>* problems) {
  RT_TRY(CheckSecrets(problems));
  if (!scratch_) RT_TRY(CheckSearchIndex(problems));
  return {};
}

Status SqlStore::CheckSecrets(std::vector<std::string>* problems) {
  auto users = db_->Prepare("SELECT id, name, password_hash, password_sha256 FROM users ORDER BY id");
  if (!users) return Fail(users.error());
  while (true) {
    auto r = (*users)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    Statement* s = *users;
    if (s->Text(2).empty() || Sha256Hex(s->Text(2)) == s->Text(3)) continue;
    problems->push_back(fmt::format(
        "users: user {} ('{}'): the password hash was replaced behind rectrack's back (it does "
        "not match the digest the ledger holds)",
        s->Int(0), s->Text(1)));
  }
  auto tokens = db_->Prepare("SELECT id, token_hash, token_sha256 FROM api_tokens ORDER BY id");
  if (!tokens) return Fail(tokens.error());
  while (true) {
    auto r = (*tokens)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    Statement* s = *tokens;
    if (s->Text(1) == fmt::format("none:{}", s->Int(0)) || Sha256Hex(s->Text(1)) == s->Text(2))
      continue;
    problems->push_back(fmt::format(
        "api_tokens: token {}: its hash was replaced behind rectrack's back (it does not match "
        "the digest the ledger holds)",
        s->Int(0)));
  }
  return {};
}

namespace {

// One statement stepped alongside others: its current row, or done.
struct Cursor {
  Statement* st;
  bool row = false;
  Status Next() {
    auto r = st->Step();
    if (!r) return Fail(r.error());
    row = *r;
    return {};
  }
};

}  // namespace

Status SqlStore::CheckSearchIndex(std::vector<std::string>* problems) {
  // Four readers in recommendation order: the recommendations, the assignments'
  // response texts, the validated updates' texts, and the index's own rows. The
  // index must hold exactly what IndexRecommendationText makes of the first three.
  const SearchTable names = search_table();
  auto p_rec = db_->PrepareScan("SELECT id, text FROM recommendations ORDER BY id");
  auto p_asg = db_->PrepareScan(
      "SELECT recommendation_id, id, response_text FROM assignments WHERE response_text <> '' "
      "ORDER BY recommendation_id, id");
  auto p_upd = db_->PrepareScan(
      "SELECT a.recommendation_id, u.id, u.response_text, u.narrative FROM updates u "
      "JOIN assignments a ON a.id = u.assignment_id WHERE u.state = 'validated' "
      "AND (u.response_text <> '' OR u.narrative <> '') ORDER BY a.recommendation_id, u.id");
  auto p_fts = db_->PrepareScan(fmt::format("SELECT {0}, text, responses FROM {1} ORDER BY {0}",
                                            names.id, names.table));
  for (auto* p : {&p_rec, &p_asg, &p_upd, &p_fts})
    if (!*p) return Fail(p->error());
  Cursor rec{p_rec->get()}, asg{p_asg->get()}, upd{p_upd->get()}, fts{p_fts->get()};
  for (Cursor* c : {&rec, &asg, &upd, &fts}) RT_TRY(c->Next());
  auto stop = [&]() {
    for (Cursor* c : {&rec, &asg, &upd, &fts})
      if (c->row) c->st->Reset();
  };
  std::string expect;
  while (rec.row || fts.row) {
    int64_t rid = rec.row ? rec.st->Int(0) : INT64_MAX;
    int64_t fid = fts.row ? fts.st->Int(0) : INT64_MAX;
    if (fid < rid) {
      problems->push_back(fmt::format(
          "{}: {} {}: a search entry for no recommendation (text {})", names.table, names.id, fid,
          Value::Text(fts.st->Str(1)).Describe()));
      stop();
      return {};
    }
    expect.clear();
    while (asg.row && asg.st->Int(0) < rid) RT_TRY(asg.Next());
    while (asg.row && asg.st->Int(0) == rid) {
      if (!expect.empty()) expect += "\n";
      expect += asg.st->Text(2);
      RT_TRY(asg.Next());
    }
    while (upd.row && upd.st->Int(0) < rid) RT_TRY(upd.Next());
    while (upd.row && upd.st->Int(0) == rid) {
      for (int c : {2, 3}) {
        if (upd.st->Text(c).empty()) continue;
        if (!expect.empty()) expect += "\n";
        expect += upd.st->Text(c);
      }
      RT_TRY(upd.Next());
    }
    if (fid > rid) {
      problems->push_back(fmt::format(
          "{}: {} {}: recommendation {} has no search entry", names.table, names.id, rid, rid));
      stop();
      return {};
    }
    if (fts.st->Text(1) != rec.st->Text(1)) {
      problems->push_back(fmt::format(
          "{}: {} {}, column text: the recommendation says {}, the search "
          "index says {}",
          names.table, names.id, rid, Value::Text(rec.st->Str(1)).Describe(),
          Value::Text(fts.st->Str(1)).Describe()));
      stop();
      return {};
    }
    if (fts.st->Text(2) != expect) {
      problems->push_back(fmt::format(
          "{}: {} {}, column responses: the responses say {}, the search "
          "index says {}",
          names.table, names.id, rid, Value::Text(expect).Describe(),
          Value::Text(fts.st->Str(2)).Describe()));
      stop();
      return {};
    }
    RT_TRY(rec.Next());
    RT_TRY(fts.Next());
  }
  stop();
  return CheckSearchStructure(problems);
}


}  // namespace rectrack::sql
