#include "ingest/draft.h"

#include <algorithm>
#include <cctype>

#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/text.h"
#include "core/vocab.h"
#include "ingest/presets.h"
#include "fmt/format.h"

namespace rectrack {

using nlohmann::json;

std::string DraftToJson(const DraftFile& d) {
  json doc = json::object();
  doc["format"] = "rectrack-draft/1";
  doc["preset"] = std::string(PresetName(d.draft.preset));
  doc["document"] = {{"file", d.file},
                     {"sha256", d.sha256},
                     {"pages", d.draft.pages},
                     {"title", d.draft.title},
                     {"symbol", d.draft.symbol},
                     {"state_under_review", d.draft.state_under_review}};
  if (!d.page_texts.empty()) doc["page_texts"] = d.page_texts;
  doc["notes"] = d.draft.notes;
  json items = json::array();
  for (const auto& item : d.draft.items) {
    json quotes = json::array();
    for (const auto& q : item.quotes) quotes.push_back({{"page", q.page}, {"begin", q.begin}, {"end", q.end}});
    items.push_back({{"ref", item.ref},
                     {"text", item.text},
                     {"addressees", item.addressees},
                     {"recommended_by", item.recommended_by},
                     {"decision", item.decision},
                     {"quotes", quotes},
                     {"notes", item.notes}});
  }
  doc["items"] = std::move(items);
  return doc.dump(2, ' ', false, json::error_handler_t::strict) + "\n";
}

namespace {

Result<std::string> Str(const json& o, const char* key, const std::string& where, bool required) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) {
    if (required) return Fail(Error::Invalid(fmt::format("{}: no \"{}\"", where, key)));
    return std::string();
  }
  if (!it->is_string()) return Fail(Error::Invalid(fmt::format("{}: \"{}\" must be a string", where, key)));
  return it->get<std::string>();
}

Result<std::vector<std::string>> Strings(const json& o, const char* key, const std::string& where) {
  std::vector<std::string> out;
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return out;
  if (!it->is_array()) return Fail(Error::Invalid(fmt::format("{}: \"{}\" must be a list of strings", where, key)));
  for (const auto& v : *it) {
    if (!v.is_string()) return Fail(Error::Invalid(fmt::format("{}: \"{}\" must be a list of strings", where, key)));
    std::string s(Trim(v.get<std::string>()));
    if (!s.empty()) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

namespace {

Result<DraftFile> ReadDraft(std::string_view text, const std::string& label) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return Fail(Error::Invalid(fmt::format("{}: not JSON", label)));
  if (!doc.is_object() || doc.value("format", "") != "rectrack-draft/1")
    return Fail(Error::Invalid(fmt::format("{}: not a draft (\"format\": \"rectrack-draft/1\" expected)", label)));
  DraftFile d;
  auto preset = ParseDocumentPreset(doc.value("preset", "generic"));
  if (!preset) return Fail(Error::Invalid(fmt::format("{}: {}", label, preset.error().message)));
  d.draft.preset = *preset;
  if (auto it = doc.find("document"); it != doc.end() && it->is_object()) {
    const json& m = *it;
    auto get = [&](const char* k, std::string* out) -> Status {
      auto v = Str(m, k, label + ": document", false);
      if (!v) return Fail(v.error());
      *out = std::move(*v);
      return {};
    };
    RT_TRY(get("file", &d.file));
    RT_TRY(get("sha256", &d.sha256));
    RT_TRY(get("title", &d.draft.title));
    RT_TRY(get("symbol", &d.draft.symbol));
    RT_TRY(get("state_under_review", &d.draft.state_under_review));
    if (auto p = m.find("pages"); p != m.end() && p->is_number_integer()) d.draft.pages = p->get<int>();
  }
  auto notes = Strings(doc, "notes", label);
  if (!notes) return Fail(notes.error());
  d.draft.notes = std::move(*notes);
  if (auto it = doc.find("page_texts"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return Fail(Error::Invalid(label + ": \"page_texts\" must be a list of strings"));
    for (const auto& v : *it) {
      if (!v.is_string()) return Fail(Error::Invalid(label + ": \"page_texts\" must be a list of strings"));
      d.page_texts.push_back(v.get<std::string>());  // as extracted: the quotes index it
    }
  }
  auto items = doc.find("items");
  if (items == doc.end() || !items->is_array())
    return Fail(Error::Invalid(fmt::format("{}: no \"items\" list", label)));
  std::unordered_set<std::string> refs;
  size_t n = 0;
  for (const auto& v : *items) {
    ++n;
    std::string where = fmt::format("{}: item {}", label, n);
    if (!v.is_object()) return Fail(Error::Invalid(where + ": must be an object"));
    DraftItem item;
    auto ref = Str(v, "ref", where, true);
    if (!ref) return Fail(ref.error());
    item.ref = std::string(Trim(*ref));
    if (item.ref.empty()) return Fail(Error::Invalid(where + ": empty \"ref\""));
    where = fmt::format("{}: item {} (ref {})", label, n, item.ref);
    if (!refs.insert(item.ref).second) return Fail(Error::Invalid(where + ": the ref is repeated"));
    auto t = Str(v, "text", where, true);
    if (!t) return Fail(t.error());
    item.text = std::string(Trim(*t));
    if (item.text.empty()) return Fail(Error::Invalid(where + ": empty \"text\""));
    auto to = Strings(v, "addressees", where);
    if (!to) return Fail(to.error());
    item.addressees = std::move(*to);
    auto by = Strings(v, "recommended_by", where);
    if (!by) return Fail(by.error());
    item.recommended_by = std::move(*by);
    auto dec = Str(v, "decision", where, false);
    if (!dec) return Fail(dec.error());
    item.decision = std::string(Trim(*dec));
    if (!item.decision.empty() && !MapStatusWord("upr", item.decision))
      return Fail(Error::Invalid(fmt::format(
          "{}: unknown decision '{}' (support, consider, reject, implemented, or empty)", where,
          item.decision)));
    auto inotes = Strings(v, "notes", where);
    if (!inotes) return Fail(inotes.error());
    item.notes = std::move(*inotes);
    if (auto q = v.find("quotes"); q != v.end() && q->is_array())
      for (const auto& x : *q)
        if (x.is_object() && x.value("page", 0) > 0)
          item.quotes.push_back({x.value("page", 0), x.value<size_t>("begin", 0), x.value<size_t>("end", 0)});
    d.draft.items.push_back(std::move(item));
  }
  if (d.draft.items.empty()) return Fail(Error::Invalid(fmt::format("{}: the draft has no items", label)));
  return d;
}

}  // namespace

Result<DraftFile> DraftFromJson(std::string_view text, const std::string& label) {
  // A person edits drafts: a value of the wrong type anywhere ("page": "two")
  // is a clear error, never an exception out of the command.
  try {
    return ReadDraft(text, label);
  } catch (const json::exception& e) {
    return Fail(Error::Invalid(fmt::format("{}: not a valid draft: {}", label, e.what())));
  }
}

Status MergeDraftItems(Draft* d, const std::vector<size_t>& positions) {
  if (positions.size() < 2) return Fail(Error::Invalid("choose two items or more to merge"));
  for (size_t i = 0; i < positions.size(); ++i)
    if (positions[i] >= d->items.size() || (i > 0 && positions[i] <= positions[i - 1]))
      return Fail(Error::Invalid("the items to merge must be distinct items of the draft, in order"));
  auto add_new = [](std::vector<std::string>* to, const std::vector<std::string>& from) {
    for (const auto& v : from)
      if (std::find(to->begin(), to->end(), v) == to->end()) to->push_back(v);
  };
  DraftItem& first = d->items[positions[0]];
  std::vector<std::string> decisions;
  if (!first.decision.empty()) decisions.push_back(first.decision);
  for (size_t i = 1; i < positions.size(); ++i) {
    const DraftItem& other = d->items[positions[i]];
    first.text += " " + other.text;
    for (const auto& q : other.quotes)
      if (std::find(first.quotes.begin(), first.quotes.end(), q) == first.quotes.end())
        first.quotes.push_back(q);
    add_new(&first.addressees, other.addressees);
    add_new(&first.recommended_by, other.recommended_by);
    add_new(&first.notes, other.notes);
    if (!other.decision.empty()) {
      if (first.decision.empty()) first.decision = other.decision;
      if (std::find(decisions.begin(), decisions.end(), other.decision) == decisions.end())
        decisions.push_back(other.decision);
    }
  }
  if (decisions.size() > 1)
    first.notes.push_back(fmt::format("merged items had different decisions ({}); kept {}",
                                      Join(decisions, ", "), first.decision));
  for (size_t i = positions.size() - 1; i >= 1; --i)
    d->items.erase(d->items.begin() + static_cast<std::ptrdiff_t>(positions[i]));
  return {};
}

namespace {
// Lower case, runs of white space as one space, trimmed: how names are
// compared loosely.
std::string LooseName(std::string_view name) {
  std::string out;
  for (char c : name) {
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}
}  // namespace

void MapAddressees(Draft* d, const std::vector<Owner>& owners) {
  std::unordered_set<std::string> exact;
  std::unordered_map<std::string, std::string> loose;  // loose name -> owner's name
  for (const auto& o : owners) {
    exact.insert(o.name);
    loose.emplace(LooseName(o.name), o.name);
    for (const auto& a : o.aliases) {
      exact.insert(a);
      loose.emplace(LooseName(a), o.name);
    }
  }
  auto note = [](DraftItem* item, std::string text) {
    if (std::find(item->notes.begin(), item->notes.end(), text) == item->notes.end())
      item->notes.push_back(std::move(text));
  };
  for (auto& item : d->items) {
    for (auto& to : item.addressees) {
      if (exact.count(to)) continue;
      if (auto it = loose.find(LooseName(to)); it != loose.end()) {
        note(&item, fmt::format("addressee '{}' read as the owner '{}'", to, it->second));
        to = it->second;
        continue;
      }
      note(&item, fmt::format("addressee '{}' is not an owner yet: importing makes it one (or make "
                              "it an alias of one first)",
                              to));
    }
    // Two addressees that are now one owner: once.
    std::vector<std::string> once;
    for (auto& to : item.addressees)
      if (std::find(once.begin(), once.end(), to) == once.end()) once.push_back(std::move(to));
    item.addressees = std::move(once);
  }
}

Result<ImportBatch> DraftToBatch(const DraftFile& d, const DraftSource& options) {
  const bool upr = d.draft.preset == DocumentPreset::kUpr;
  ImportBatch batch;
  ImportBatch::SourceIn in;
  in.existing = options.existing;
  if (options.existing && options.slug.empty())
    return Fail(Error::Invalid("the source to add to needs its short name (slug)"));
  Source& s = in.source;
  s.kind = !options.kind.empty() ? options.kind : upr ? "upr" : "report";
  s.title = !options.title.empty() ? options.title : d.draft.title;
  if (s.title.empty()) s.title = d.file;
  if (!options.slug.empty()) s.slug = options.slug;
  else if (upr && !d.draft.state_under_review.empty())
    s.slug = Slugify(fmt::format("upr {} {}", d.draft.symbol, d.draft.state_under_review));
  else s.slug = Slugify(s.title);
  s.date = options.date;
  if (upr) s.vocabulary = "upr";
  std::unordered_set<std::string> owners;
  for (const auto& item : d.draft.items) {
    ImportBatch::RecommendationIn rec;
    rec.recommendation.ref = item.ref;
    rec.recommendation.text = item.text;
    rec.recommendation.made_by = Join(item.recommended_by, ", ");
    for (const auto& to : item.addressees) {
      ImportBatch::AssignmentIn a;
      a.owner = to;
      if (!item.decision.empty()) {
        auto m = MapStatusWord("upr", item.decision);
        if (!m) return Fail(m.error());
        SetUprDecision(*m, item.decision, &a.assignment);
      }
      rec.assignments.push_back(std::move(a));
      if (owners.insert(to).second && upr) {
        Owner o;
        o.name = to;
        o.tier = "national_government";
        batch.owners.push_back(std::move(o));
      }
    }
    in.recommendations.push_back(std::move(rec));
  }
  batch.sources.push_back(std::move(in));
  return batch;
}

}  // namespace rectrack
