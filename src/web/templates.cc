#include "web/templates.h"

#include <map>
#include <memory>

#include "fmt/format.h"
#include "web/embedded.h"

namespace rectrack::web {
namespace {

using kainjow::mustache::data;
using kainjow::mustache::mustache;

constexpr std::string_view kDir = "templates/";
constexpr std::string_view kExt = ".mustache";

// Every partial (templates/_*.mustache) by name, as string data: kainjow looks
// partials up in the data and parses a string value as a template.
const data& Partials() {
  static const data partials = [] {
    data d = data::type::object;
    for (std::string_view file : EmbeddedFileNames()) {
      if (file.substr(0, kDir.size()) != kDir) continue;
      std::string_view rest = file.substr(kDir.size());
      if (rest.empty() || rest.front() != '_' || rest.size() <= kExt.size() ||
          rest.substr(rest.size() - kExt.size()) != kExt)
        continue;
      d.set(std::string(rest.substr(0, rest.size() - kExt.size())),
            std::string(EmbeddedFile(file)));
    }
    return d;
  }();
  return partials;
}

}  // namespace

data ToMustacheData(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::object: {
      data d = data::type::object;
      for (auto it = v.begin(); it != v.end(); ++it) d.set(it.key(), ToMustacheData(it.value()));
      return d;
    }
    case nlohmann::json::value_t::array: {
      data d = data::type::list;
      for (const auto& e : v) d.push_back(ToMustacheData(e));
      return d;
    }
    case nlohmann::json::value_t::string:
      // Empty text is false, so {{#x}}...{{/x}} shows only what is there.
      if (v.get_ref<const std::string&>().empty()) return data(false);
      return data(v.get<std::string>());
    case nlohmann::json::value_t::boolean:
      return data(v.get<bool>());
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return data(v.dump());
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
    case nlohmann::json::value_t::binary:
      break;
  }
  return data(false);
}

Result<std::string> RenderTemplate(std::string_view name, const nlohmann::json& view) {
  // kainjow's render is not const (it records errors), so each thread keeps its own.
  thread_local std::map<std::string, std::unique_ptr<mustache>, std::less<>> parsed;
  auto it = parsed.find(name);
  if (it == parsed.end()) {
    std::string file = std::string(kDir) + std::string(name) + std::string(kExt);
    std::string_view text = EmbeddedFile(file);
    if (text.empty()) return Fail(Error::Internal(fmt::format("no template {}", file)));
    auto t = std::make_unique<mustache>(std::string(text));
    if (!t->is_valid())
      return Fail(Error::Internal(fmt::format("template {}: {}", file, t->error_message())));
    it = parsed.emplace(std::string(name), std::move(t)).first;
  }
  // The partials sit beneath the view in the context stack; view keys never
  // start with '_', so none hides a partial.
  kainjow::mustache::context<std::string> ctx(&Partials());
  data d = ToMustacheData(view);
  ctx.push(&d);
  std::string out = it->second->render(ctx);
  if (!it->second->is_valid()) {
    std::string message = it->second->error_message();
    parsed.erase(it);  // the error sticks to the object; parse afresh next time
    return Fail(Error::Internal(fmt::format("template {}: {}", name, message)));
  }
  return out;
}

}  // namespace rectrack::web
