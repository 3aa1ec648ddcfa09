// SPDX-License-Identifier: MIT
#include "test_support.hpp"
TEST_CASE("placeholder") {}
