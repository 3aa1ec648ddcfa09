// SPDX-License-Identifier: MIT
/// @file
/// The translation unit of the compile-fail cases' precompiled header (escrow/escrow.hpp): it
/// compiles, so the header is built once and every case reuses it.
