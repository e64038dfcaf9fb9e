#pragma once
// Owners as a tracking office keeps them tidy (issue 9, item 4): what merging
// one into another would move, undoing a merge, and the names that look like
// one body written several ways, for a person to confirm.

#include <cstdint>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/result.h"
#include "store/store.h"

namespace rectrack {

// What names an owner: the rows a merge moves.
struct OwnerUse {
  int64_t assignments = 0;
  int64_t funding = 0;
  int64_t contacts = 0;
  int64_t aliases = 0;
  int64_t editors = 0;  // accounts scoped to it
};
Result<OwnerUse> UseOfOwner(Store& store, int64_t owner_id);
// "12 assignments, 1 funding line and 2 contacts"; "nothing" when empty.
std::string DescribeUse(const OwnerUse& use);

// Undoes the last merge of the owner once called `name` into another (the
// `alias` event that made it an alias): the owner comes back with its name and
// tier, and the assignments, funding lines, contacts, aliases and editors'
// scopes that the merge moved go back to it, unless they have moved on since
// (those stay, and are named). One event, "unmerge".
struct Unmerged {
  std::string owner;  // the owner restored (named `name`)
  std::string from;   // the owner it had been merged into
  int64_t merge_seq = 0;
  OwnerUse moved_back;
  std::vector<std::string> stayed;  // rows changed since the merge, left where they are
};
Result<Unmerged> UnmergeOwner(Store& store, const std::string& name, const Actor& actor);

// Renames the owner called `old_name` (its own name, not an alias) to
// `new_name`, keeping its id (so its pages keep their addresses), its tier and
// everything it holds; the old name stays as an alias, so that files written
// with it still match. `new_name` may be one of its own aliases (the two swap
// places), but not another owner's name or alias. One event, "owner_rename".
Status RenameOwner(Store& store, const std::string& old_name, const std::string& new_name,
                   const Actor& actor);

// Names that are likely one body: equal once case, "&"/"and", punctuation and
// the words that bodies' names vary in ("the", "NHS", "Foundation", "Trust",
// "Partnership") are set aside. Each group lists its names, the most used
// first (the suggested name to keep), with the assignments each holds.
struct AliasSuggestion {
  struct Name {
    std::string name;
    std::string tier;
    int64_t assignments = 0;
  };
  std::vector<Name> names;
};
std::vector<AliasSuggestion> SuggestAliases(const std::vector<Owner>& owners,
                                            const std::vector<int64_t>& assignments_by_owner_index);
// The key SuggestAliases groups by (for tests): "borders surrey".
std::string OwnerNameKey(std::string_view name);

}  // namespace rectrack
