#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/date.h"
#include "core/result.h"
#include "store/store.h"

namespace rectrack::web {

// Atom 1.0 feeds (RFC 4287) of validated updates, newest first: what changed,
// dated by the update. Ids are tag: URIs (RFC 4151) built from store ids, so a
// reader sees the same entry under the same id on every fetch. Links are
// root-relative ("/recommendations/5"), resolved against the feed's address.

// The validated updates on every recommendation of source `slug`.
Result<std::string> SourceFeed(Store& store, const std::string& slug);
// The validated updates on everything owner `owner_id` holds, across sources.
Result<std::string> OwnerFeed(Store& store, int64_t owner_id);

// Overdue responses as of `as_of` (of sources of `kind`, or all), the most
// recently overdue first: an entry per response when it became overdue, so a
// reader learns of each new one. kInvalidInput for a kind the store lacks.
Result<std::string> NonResponsesFeed(Store& store, Date as_of, const std::string& kind);

// Escapes text for XML 1.0 content and attributes: & < > " ' as entities;
// characters XML forbids (controls other than tab, LF, CR) are dropped and
// invalid UTF-8 becomes U+FFFD, so the feed stays well-formed whatever the data.
std::string XmlEscape(std::string_view s);

}  // namespace rectrack::web
