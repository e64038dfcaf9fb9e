#include "web/document_pages.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <variant>

#include "core/ledger.h"
#include "core/text.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "web/staff_gate.h"

namespace rectrack::web {
namespace {

using json = nlohmann::json;

const std::vector<std::pair<std::string, std::string>> kDecisions = {
    {"", "Not said"},
    {"support", "Supported"},
    {"consider", "To be considered"},
    {"reject", "Not supported"},
    {"implemented", "Already implemented"}};

Response NotOffice(const std::optional<auth::Principal>& who) {
  return Message(403, "Only the tracking office imports reports",
                 "Coordinators and admins upload reports and check their drafts.", who);
}

// Which failures of a write go back to the form beside its fields; the rest
// (the store broke) get the error page.
bool FormFailure(const Error& e) {
  return e.code == Error::Code::kInvalidInput || e.code == Error::Code::kConflict ||
         e.code == Error::Code::kNotFound;
}

Response Stale(const std::optional<auth::Principal>& who, int64_t id) {
  return Message(409, "Someone else changed this draft",
                 "The draft was changed (or confirmed, or discarded) after you opened it, so your "
                 "changes were not saved. Open it again to see it as it is now.",
                 who, fmt::format("/imports/drafts/{}", id), "Open the draft again");
}

std::string UserName(Store& store, int64_t id) {
  auto u = store.GetUserById(id);
  return u ? u->name : fmt::format("user {}", id);
}

// "2026-12-07T10:00:00.000Z" -> "2026-12-07 10:00 UTC".
std::string Shown(const std::string& ts) {
  if (ts.size() < 16) return ts;
  return ts.substr(0, 10) + " " + ts.substr(11, 5) + " UTC";
}

// ---- the upload page ----------------------------------------------------------

Response UploadPage(int status, Store& store, const std::optional<auth::Principal>& who,
                    const std::string& preset, const FormErrors& errors,
                    const std::string& discarded) {
  json view = {{"csrf", auth::MaskCsrf(who->csrf_token)},
               {"max_mb", kMaxDocumentUploadBytes >> 20},
               {"preset_generic", preset != "upr"},
               {"preset_upr", preset == "upr"},
               {"discarded", discarded}};
  errors.Into(view);
  json drafts = json::array();
  auto list = store.ListDocumentDrafts();
  if (!list) return ErrorPage(list.error(), who);
  for (const auto& d : *list)
    drafts.push_back({{"href", fmt::format("/imports/drafts/{}", d.id)},
                      {"file", d.file_name},
                      {"items", d.items},
                      {"preset", d.preset},
                      {"by", UserName(store, d.user_id)},
                      {"updated", Shown(d.updated_at)}});
  view["drafts"] = drafts;
  view["has_drafts"] = !drafts.empty();
  return StaffPage(status, "Import a report", "imports", view, who);
}

// ---- the draft page -------------------------------------------------------------

// A page's text in pieces, the quoted ones marked with the item they belong
// to: what the template shows, escaped as any text.
json MarkedPage(const std::string& text, int page, const Draft& d) {
  struct Span {
    size_t begin, end;
    size_t item;
    size_t n;
  };
  std::vector<Span> spans;
  for (size_t i = 0; i < d.items.size(); ++i)
    for (size_t n = 0; n < d.items[i].quotes.size(); ++n) {
      const Quote& q = d.items[i].quotes[n];
      if (q.page != page || q.begin >= q.end || q.end > text.size()) continue;
      spans.push_back({q.begin, q.end, i, n});
    }
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.begin < b.begin; });
  // Offsets on a character's boundary: a span a person edited by hand may not be.
  auto boundary = [&text](size_t at) {
    while (at > 0 && at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) --at;
    return at;
  };
  json pieces = json::array();
  size_t at = 0;
  for (const auto& s : spans) {
    const size_t begin = boundary(std::max(s.begin, at)), end = boundary(s.end);
    if (begin >= end || begin < at) continue;  // inside one already marked
    if (begin > at) pieces.push_back({{"text", text.substr(at, begin - at)}, {"mark", false}});
    pieces.push_back({{"text", text.substr(begin, end - begin)},
                      {"mark", true},
                      {"id", fmt::format("q{}-{}", s.item + 1, s.n)},
                      {"ref", d.items[s.item].ref}});
    at = end;
  }
  if (at < text.size()) pieces.push_back({{"text", text.substr(at)}, {"mark", false}});
  return pieces;
}

struct ItemErrors {
  std::map<std::string, std::string> by_field;  // "ref", "text", "decision"
};

Response DraftPage(int status, const DocumentDraftRecord& rec, const DraftFile& file,
                   const std::optional<auth::Principal>& who, const std::vector<ItemErrors>& item_errors,
                   const FormErrors& errors, const json& confirm, const std::string& done,
                   const std::set<size_t>& picked) {
  const Draft& d = file.draft;
  json items = json::array();
  for (size_t i = 0; i < d.items.size(); ++i) {
    const DraftItem& it = d.items[i];
    json decisions = json::array();
    for (const auto& [value, label] : kDecisions)
      decisions.push_back({{"value", value}, {"label", label}, {"selected", value == it.decision}});
    json pages = json::array();
    for (size_t n = 0; n < it.quotes.size(); ++n)
      pages.push_back({{"page", it.quotes[n].page}, {"href", fmt::format("#q{}-{}", i + 1, n)}});
    json item = {{"n", i + 1},
                 {"ref", it.ref},
                 {"text", it.text},
                 {"addressees", Join(it.addressees, "\n")},
                 {"by", Join(it.recommended_by, "\n")},
                 {"decisions", decisions},
                 {"notes", it.notes},
                 {"has_notes", !it.notes.empty()},
                 {"pages", pages},
                 {"picked", picked.count(i) > 0},
                 {"rows", std::clamp<size_t>(it.text.size() / 60 + 1, 2, 12)}};
    if (i < item_errors.size())
      for (const auto& [field, text] : item_errors[i].by_field) item["error_" + field] = text;
    items.push_back(std::move(item));
  }
  json pages = json::array();
  for (size_t p = 0; p < file.page_texts.size(); ++p)
    pages.push_back({{"page", p + 1},
                     {"id", fmt::format("page-{}", p + 1)},
                     {"pieces", MarkedPage(file.page_texts[p], static_cast<int>(p + 1), d)}});
  json view = {{"csrf", auth::MaskCsrf(who->csrf_token)},
               {"id", rec.id},
               {"action", fmt::format("/imports/drafts/{}", rec.id)},
               {"version", rec.version},
               {"file", rec.file_name},
               {"sha256", rec.file_sha256},
               {"preset", rec.preset},
               {"page_count", d.pages},
               {"item_count", d.items.size()},
               {"updated", Shown(rec.updated_at)},
               {"notes", d.notes},
               {"has_notes", !d.notes.empty()},
               {"items", items},
               {"pages", pages},
               {"has_pages", !pages.empty()},
               {"done", done},
               {"confirm", confirm}};
  errors.Into(view);
  return StaffPage(status, "Check the draft of " + rec.file_name, "import_draft", view, who);
}

// What the confirm form shows first: the source the draft would make.
json ConfirmDefaults(const DraftFile& file) {
  auto batch = DraftToBatch(file, {});
  if (!batch || batch->sources.empty())
    return {{"slug", ""}, {"title", ""}, {"kind", ""}, {"date", ""}, {"existing", ""},
            {"target_existing", false}};
  const Source& s = batch->sources.front().source;
  return {{"slug", s.slug}, {"title", s.title}, {"kind", s.kind}, {"date", ""}, {"existing", ""},
          {"target_existing", false}};
}

struct Loaded {
  DocumentDraftRecord rec;
  DraftFile file;
};

// The draft `id` as kept, or the page that says why not.
std::variant<Loaded, Response> Load(Store& store, const std::string& param,
                                    const std::optional<auth::Principal>& who) {
  auto id = PositiveId(param);
  if (!id) return Message(404, "There is no such draft", "Check the address.", who, "/imports", "Every draft");
  auto rec = store.GetDocumentDraft(*id);
  if (!rec) return ErrorPage(rec.error(), who);
  if (!*rec)
    return Message(404, "There is no such draft",
                   "It may have been confirmed or discarded already.", who, "/imports", "Every draft");
  auto file = DraftFromJson((*rec)->draft, (*rec)->file_name);
  if (!file) return ErrorPage(file.error(), who);
  return Loaded{std::move(**rec), std::move(*file)};
}

std::optional<int64_t> Int(const std::string& s) {
  if (s == "0") return 0;
  return PositiveId(s);
}

// What every page of one draft does first: who asks (the office only), the
// store, and the draft as kept; or the page that says why not.
struct DraftRequest {
  PageGate g;
  Store* store = nullptr;
  Loaded draft;
};
std::variant<DraftRequest, Response> OpenDraft(WebAuth& auth, AppContext& ctx, const Request& req) {
  PageGate g = Gate(auth, req);
  if (g.refusal) return *g.refusal;
  if (!auth::CanValidate(*g.who)) return NotOffice(g.who);
  auto store = ctx.stores->Get();
  if (!store) return ErrorPage(store.error(), g.who);
  auto loaded = Load(**store, req.Param("id"), g.who);
  if (auto* r = std::get_if<Response>(&loaded)) return *r;
  return DraftRequest{std::move(g), *store, std::move(std::get<Loaded>(loaded))};
}

}  // namespace

void RegisterDocumentPages(Router& router, WebAuth& auth, DocumentPagesOptions options) {
  AppContext& ctx = auth.ctx();
  auto readers = std::make_shared<std::atomic<int>>(0);

  router.Add("GET", "/imports", [&auth, &ctx](Request& req) {
    PageGate g = Gate(auth, req);
    if (g.refusal) return *g.refusal;
    if (!auth::CanValidate(*g.who)) return NotOffice(g.who);
    auto store = ctx.stores->Get();
    if (!store) return ErrorPage(store.error(), g.who);
    return UploadPage(200, **store, g.who, req.Query("preset"), {}, req.Query("discarded"));
  });

  router.Add("POST", kDocumentUploadPath, [&auth, &ctx, options, readers](Request& req) {
    PageGate g = Gate(auth, req, /*uploads=*/true);
    if (g.refusal) return *g.refusal;
    if (!auth::CanValidate(*g.who)) return NotOffice(g.who);
    auto store = ctx.stores->Get();
    if (!store) return ErrorPage(store.error(), g.who);
    const std::string preset_name = FormValue(g.form, "preset");
    FormErrors errors;
    auto preset = ParseDocumentPreset(preset_name.empty() ? "generic" : preset_name);
    if (!preset) errors.Add("preset", "Choose how the report numbers its recommendations");
    const FormPart* file = nullptr;
    for (const auto& f : g.files)
      if (f.name == "document") file = &f;
    if (!file || (file->filename.empty() && file->value.empty()))
      errors.Add("document", "Choose the report's file (a PDF, or text with a form feed after each page)");
    else if (file->value.empty())
      errors.Add("document", "The file " + file->filename + " is empty");
    if (!errors.empty()) return UploadPage(422, **store, g.who, preset_name, errors, "");
    // Each reading is a process of its own: a few at a time.
    if (readers->fetch_add(1) >= options.max_readers) {
      readers->fetch_sub(1);
      Response r = Message(503, "Too many reports are being read",
                           fmt::format("Try again in {} seconds.", kRetryAfterSeconds), g.who,
                           "/imports", "Back to the upload");
      r.Set("Retry-After", std::to_string(kRetryAfterSeconds));
      return r;
    }
    const std::string name = file->filename.empty() ? "document" : file->filename;
    auto draft = ExtractDocumentInChild(options.reader, file->value, name, *preset, options.limits);
    readers->fetch_sub(1);
    if (!draft) {
      if (draft.error().code != Error::Code::kInvalidInput) {
        LogServerError("reading an uploaded document: " + draft.error().message);
        return ErrorPage(draft.error(), g.who);
      }
      errors.Add("document", draft.error().message);  // starts with the file's name, as it is
      return UploadPage(422, **store, g.who, preset_name, errors, "");
    }
    // The addressees against the owners they would go to, for the checker.
    auto owners = (*store)->ListOwners();
    if (!owners) return ErrorPage(owners.error(), g.who);
    MapAddressees(&draft->draft, *owners);
    DocumentDraftRecord rec;
    rec.user_id = g.who->user_id;
    rec.file_name = draft->file;
    rec.file_sha256 = Sha256Hex(file->value);
    rec.preset = std::string(PresetName(*preset));
    rec.created_at = UtcTimestamp(UnixMillisNow());
    rec.items = static_cast<int64_t>(draft->draft.items.size());
    rec.draft = DraftToJson(*draft);
    auto id = (*store)->AddDocumentDraft(rec);
    if (!id) return ErrorPage(id.error(), g.who);
    return Done(fmt::format("/imports/drafts/{}", *id));
  });

  router.Add("GET", "/imports/drafts/{id}", [&auth, &ctx](Request& req) {
    auto opened = OpenDraft(auth, ctx, req);
    if (auto* r = std::get_if<Response>(&opened)) return *r;
    auto& [g, store, l] = std::get<DraftRequest>(opened);
    return DraftPage(200, l.rec, l.file, g.who, {}, {}, ConfirmDefaults(l.file), req.Query("done"), {});
  });

  // Edits, and dropping or merging the picked items.
  router.Add("POST", "/imports/drafts/{id}", [&auth, &ctx](Request& req) {
    auto opened = OpenDraft(auth, ctx, req);
    if (auto* r = std::get_if<Response>(&opened)) return *r;
    auto& [g, store, l] = std::get<DraftRequest>(opened);
    const auto version = Int(FormValue(g.form, "version"));
    const auto count = Int(FormValue(g.form, "items"));
    if (!version || *version != l.rec.version || !count ||
        static_cast<size_t>(*count) != l.file.draft.items.size())
      return Stale(g.who, l.rec.id);
    DraftFile edited = l.file;
    std::vector<ItemErrors> item_errors(edited.draft.items.size());
    FormErrors errors;
    std::set<std::string> refs;
    std::set<size_t> picked;
    for (size_t i = 0; i < edited.draft.items.size(); ++i) {
      DraftItem& it = edited.draft.items[i];
      const std::string n = std::to_string(i + 1);
      it.ref = std::string(Trim(FormValue(g.form, "ref." + n)));
      it.text = std::string(Trim(FormValue(g.form, "text." + n)));
      it.addressees = FormLines(FormValue(g.form, "addressees." + n));
      it.recommended_by = FormLines(FormValue(g.form, "by." + n));
      it.decision = FormValue(g.form, "decision." + n);
      if (FormValue(g.form, "pick." + n) == "on") picked.insert(i);
      auto add = [&](const std::string& field, const std::string& text) {
        item_errors[i].by_field.emplace(field, text);
        errors.Add(field + "-" + n, fmt::format("Item {}: {}", n, text));
      };
      if (it.ref.empty()) add("ref", "Enter the recommendation's number");
      else if (!refs.insert(it.ref).second) add("ref", "Another item has the number " + it.ref);
      if (it.text.empty()) add("text", "Enter the recommendation's text");
      if (std::none_of(kDecisions.begin(), kDecisions.end(),
                       [&](const auto& d) { return d.first == it.decision; }))
        add("decision", "Choose a decision from the list");
    }
    const std::string action = FormValue(g.form, "action");
    std::string done = "saved";
    if (errors.empty()) {
      if (action == "drop") {
        if (picked.empty()) errors.Add("pick-1", "Tick the items to drop");
        else if (picked.size() == edited.draft.items.size())
          errors.Add("pick-1", "A draft keeps one item at least: discard the draft instead");
        else {
          for (auto it = picked.rbegin(); it != picked.rend(); ++it)
            edited.draft.items.erase(edited.draft.items.begin() + static_cast<std::ptrdiff_t>(*it));
          done = fmt::format("dropped-{}", picked.size());
          picked.clear();
        }
      } else if (action == "merge") {
        auto m = MergeDraftItems(&edited.draft, std::vector<size_t>(picked.begin(), picked.end()));
        if (!m) errors.Add("pick-1", "Tick two items or more to merge");
        else {
          done = fmt::format("merged-{}", picked.size());
          picked.clear();
        }
      } else if (action != "save") {
        errors.Add("pick-1", "Choose what to do: save, drop or merge");
      }
    }
    if (!errors.empty())
      return DraftPage(422, l.rec, edited, g.who, item_errors, errors, ConfirmDefaults(l.file), "",
                       picked);
    auto s = store->UpdateDocumentDraft(l.rec.id, l.rec.version, DraftToJson(edited),
                                           static_cast<int64_t>(edited.draft.items.size()),
                                           UtcTimestamp(UnixMillisNow()));
    if (!s && s.error().code == Error::Code::kPrecondition) return Stale(g.who, l.rec.id);
    if (!s) return ErrorPage(s.error(), g.who);
    return Done(fmt::format("/imports/drafts/{}?done={}", l.rec.id, done));
  });

  router.Add("POST", "/imports/drafts/{id}/confirm", [&auth, &ctx](Request& req) {
    auto opened = OpenDraft(auth, ctx, req);
    if (auto* r = std::get_if<Response>(&opened)) return *r;
    auto& [g, store, l] = std::get<DraftRequest>(opened);
    const auto version = Int(FormValue(g.form, "version"));
    if (!version || *version != l.rec.version) return Stale(g.who, l.rec.id);
    const bool existing = FormValue(g.form, "target") == "existing";
    json confirm = {{"slug", std::string(Trim(FormValue(g.form, "slug")))},
                    {"title", std::string(Trim(FormValue(g.form, "title")))},
                    {"kind", std::string(Trim(FormValue(g.form, "kind")))},
                    {"date", std::string(Trim(FormValue(g.form, "date")))},
                    {"existing", std::string(Trim(FormValue(g.form, "existing")))},
                    {"target_existing", existing}};
    FormErrors errors;
    DraftSource source;
    if (existing) {
      source.existing = true;
      source.slug = confirm["existing"];
      if (source.slug.empty())
        errors.Add("existing", "Enter the short name of the source to add these to");
    } else {
      source.slug = confirm["slug"];
      source.title = confirm["title"];
      source.kind = confirm["kind"];
      if (source.slug.empty()) errors.Add("slug", "Enter a short name for the source's address");
      else if (Slugify(source.slug) != source.slug)
        errors.Add("slug", "Use lower-case letters, digits and hyphens only, such as " +
                               Slugify(source.slug));
      if (source.title.empty()) errors.Add("title", "Enter the source's title");
      if (source.kind.empty()) errors.Add("kind", "Enter the kind of source, such as report or upr");
      if (const std::string date = confirm["date"]; !date.empty()) {
        if (auto d = Date::ParseIso(date)) source.date = *d;
        else errors.Add("date", "Enter the report's date as YYYY-MM-DD, such as 2016-10-07");
      }
    }
    if (errors.empty()) {
      auto summary = ConfirmDocumentDraft(*store, l.rec.id, l.rec.version, source, g.who->actor());
      if (summary) return Done("/sources/" + PercentEncode(source.slug) + "?imported=1");
      if (summary.error().code == Error::Code::kPrecondition) return Stale(g.who, l.rec.id);
      if (!FormFailure(summary.error())) return ErrorPage(summary.error(), g.who);
      errors.Add(existing ? "existing" : "slug", SentenceCase(summary.error().message));
    }
    return DraftPage(422, l.rec, l.file, g.who, {}, errors, confirm, "", {});
  });

  router.Add("POST", "/imports/drafts/{id}/discard", [&auth, &ctx](Request& req) {
    auto opened = OpenDraft(auth, ctx, req);
    if (auto* r = std::get_if<Response>(&opened)) return *r;
    auto& [g, store, l] = std::get<DraftRequest>(opened);
    const auto version = Int(FormValue(g.form, "version"));
    if (!version) return Stale(g.who, l.rec.id);
    auto s = store->DeleteDocumentDraft(l.rec.id, *version);
    if (!s && s.error().code == Error::Code::kPrecondition) return Stale(g.who, l.rec.id);
    if (!s) return ErrorPage(s.error(), g.who);
    return Done("/imports?discarded=" + PercentEncode(l.rec.file_name));
  });
}

}  // namespace rectrack::web
