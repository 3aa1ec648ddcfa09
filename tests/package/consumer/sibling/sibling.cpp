// SPDX-License-Identifier: MIT
/// @file
/// Links escrow::escrow from a second directory; uses a small header so that it builds quickly.
#include <escrow/core/ids.hpp>

int main() { return escrow::ids::is_user_defined(escrow::ids::user_first) && !escrow::ids::is_user_defined(0x0301) ? 0 : 1; }
