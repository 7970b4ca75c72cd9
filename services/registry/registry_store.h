// The registry's SQLite schema, as numbered migrations applied at start.
#pragma once

#include "common/sqlite.h"
#include "common/store_schema.h"

namespace netra::registry {

inline const Migration kMigrations[] = {
    {1, "request ids", kRequestIdsSql},
};

}  // namespace netra::registry
