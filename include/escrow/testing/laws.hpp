// SPDX-License-Identifier: MIT
/// @file
/// The law suite: every law of the cipher, wrap and store concepts, as functions that throw
/// `escrow::testing::law_violation`. The library runs it over its registry (tests/laws, ctest label
/// `laws`); run it over your own policy the same way (docs/policies.md, "Laws").
#pragma once

#include "escrow/testing/cipher_laws.hpp"
#include "escrow/testing/law_violation.hpp"
#include "escrow/testing/store_laws.hpp"
#include "escrow/testing/wrap_laws.hpp"
