#pragma once

#include <string>

#include <vector>

#include <optional>

#include "web/context.h"
#include "web/http.h"

namespace rectrack::web {

// JSON API v1 (read side): sources, a source, its recommendations (filters,
// cursor pages, CSV/JSON/XLSX downloads), a recommendation, owners, an owner,
// search, publications; /api/openapi.json describes them.
void RegisterReadApi(Router& router, AppContext& ctx);

// Maps an expected failure to its RFC 9457 problem response.
Response ProblemFor(const Error& e);

// The route parameter `name` as a positive id; not one: a not-found error
// naming it ("no such id: 'x'"), as for an id that names nothing.
Result<int64_t> IdParam(const Request& req, std::string_view name);
// A 400 problem naming a query parameter this address does not take (with a
// guess and the ones it does), or nullopt: every API read refuses what it
// would otherwise ignore.
std::optional<Response> UnknownQueryProblem(const Request& req, std::vector<std::string> known);

}  // namespace rectrack::web
