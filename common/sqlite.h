// The SQLite backend's own piece of the store interface (common/store.h):
// its result codes as StoreErrors, for store code that raises one itself.
#pragma once

#include <string>

#include "common/store.h"

namespace netra {

// A failed SQLite call as a StoreError: `code` is SQLite's extended result
// code (e.g. SQLITE_CONSTRAINT_UNIQUE), classified into StoreError::Kind.
StoreError SqliteError(int code, const std::string& message);

}  // namespace netra
