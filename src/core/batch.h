#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/model.h"

namespace rectrack {

// A self-contained set of domain records that refer to each other by natural
// key (source slug, recommendation ref, owner name), not by store id. Importers
// produce it; Store::Import writes it in one transaction; export produces it.
struct ImportBatch {
  struct AssignmentIn {
    std::string owner;      // as written; resolved through the alias list
    Assignment assignment;  // ids ignored
    std::vector<Update> updates;
  };
  struct RecommendationIn {
    Recommendation recommendation;  // ids ignored
    std::vector<AssignmentIn> assignments;
    // Set only in a later chunk of an import written in chunks (ImportSession):
    // more rows of a recommendation that an earlier chunk of the same import
    // wrote. Its assignments are added to it, its themes appended where new, its
    // made date and url filled in where still empty; its text must be the same.
    bool continued = false;
  };
  struct FundingIn {
    std::string owner;
    FundingLine line;  // ids ignored
  };
  struct PublicationIn {
    std::string title;
    Date as_of;
    std::optional<Date> published = std::nullopt;  // when first published, if the file says
  };
  struct SourceIn {
    Source source;  // id ignored
    // Add the recommendations to the source of this slug, already in the
    // store, rather than make it: its other fields are then ignored.
    bool existing = false;
    std::vector<RecommendationIn> recommendations;
    std::vector<FundingIn> funding;
    std::vector<PublicationIn> publications;  // frozen after the import
  };

  std::vector<Owner> owners;  // declared owners (tier, aliases); others are created as written
  std::vector<std::pair<std::string, std::string>> aliases;  // alias -> canonical name
  std::vector<SourceIn> sources;

  size_t RecommendationCount() const {
    size_t n = 0;
    for (const auto& s : sources) n += s.recommendations.size();
    return n;
  }
};

}  // namespace rectrack
