// SPDX-License-Identifier: MIT
/// @file
/// Links escrow::escrow from a second directory; uses a small header so that it builds quickly.
#include <escrow/core/ids.hpp>

int main() { return escrow::ids::name_of("store", escrow::ids::store::native) == "native" ? 0 : 1; }
