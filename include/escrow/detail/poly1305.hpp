// SPDX-License-Identifier: MIT
/// @file
/// Chooses, at compile time, the Poly1305 behind `detail::chacha20_poly1305`. Not public API.
///
/// `detail::poly1305` is the library's own code on 64-bit limbs (`poly1305_limb64`, about twice as
/// fast) when the compiler has `unsigned __int128` (GCC and Clang on 64-bit targets define
/// `__SIZEOF_INT128__`), and Crypto++'s `Poly1305TLS` (`poly1305_cryptopp`) otherwise, e.g. under
/// MSVC. Both give the same tags, so the choice changes no file format.
///
/// On x86-64 with GCC or Clang, `poly1305_limb64` takes runs of full blocks four at a time through
/// AVX2 (`poly1305_avx2.hpp`) when the processor has it, asked once at run time; the build needs no
/// `-mavx2`. Define `ESCROW_POLY1305_NO_AVX2` to leave that code out (the scalar code everywhere).
///
/// Define `ESCROW_POLY1305_PORTABLE` to take Crypto++'s code even where `unsigned __int128` exists
/// (the tests build the age known-answer tests that way, so the fallback is tested where the
/// 64-bit code is the default). Define it, or leave it, alike in every translation unit of a
/// program: the classes built on `detail::poly1305` differ between the two choices.
#pragma once

#if defined(__SIZEOF_INT128__) && !defined(ESCROW_POLY1305_PORTABLE)
#include "escrow/detail/poly1305_limb64.hpp"
namespace escrow::detail {
using poly1305 = poly1305_limb64;
}
#else
#include "escrow/detail/poly1305_cryptopp.hpp"
namespace escrow::detail {
using poly1305 = poly1305_cryptopp;
}
#endif
