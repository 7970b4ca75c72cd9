// The complaint test fixtures moved to tests/services/complaint/; the
// integration tests include them from here.
#pragma once

#include "tests/services/complaint/complaint_test_support.h"
