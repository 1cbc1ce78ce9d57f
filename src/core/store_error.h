// `StoreError`: the error value every storage port returns (`Table`, `ObjectStore`), as the
// error of a `std::expected` (`StoreResult<T>`), never as an exception. It means the storage
// itself is in trouble; a failed condition (an existing key, a missing item) is a normal result.
#pragma once

#include <expected>
#include <string>

namespace sbapi {

struct StoreError {
  enum class Kind {
    kUnavailable,  // storage unreachable, busy or throttled after its own retries → 503
    kInternal,     // anything else (corrupt data, a bug) → 500
  };
  Kind kind = Kind::kInternal;
  std::string detail;  // for logs only; never sent to a client
};

template <typename T>
using StoreResult = std::expected<T, StoreError>;

}  // namespace sbapi
