// Whether a JSON text names a key twice in one object.
//
// RFC 8259 leaves such a document's meaning to the reader (Boost.JSON keeps the last value, other
// parsers the first), so a proxy or a validator in front of sbapi could read another request than
// sbapi does (`{"userId":"me","userId":"victim"}`). Request bodies with a repeated key are refused.
#pragma once

#include <string_view>

namespace sbapi {

// True when some object of `json` (at any depth) has a key twice; false for valid JSON without
// repeats and for anything that is not valid JSON (the caller's parser reports that).
bool has_duplicate_keys(std::string_view json);

}  // namespace sbapi
