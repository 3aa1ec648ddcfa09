# SPDX-License-Identifier: MIT
# The escrow library's dependencies, found the same way by the build tree and by the installed
# escrowConfig.cmake. Crypto++ ships no CMake config on Debian: it is found through pkg-config and
# wrapped as the imported target cryptopp::cryptopp.
# Imported targets are visible only in the directory that creates them (and below), so a consumer
# calling find_package(escrow) in two sibling directories needs them created in each: the guard is
# per directory, and the body is safe to run again (it creates a target only when it is missing).
include_guard(DIRECTORY)
include(CMakeFindDependencyMacro)

find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(ESCROW_CRYPTOPP QUIET IMPORTED_TARGET libcrypto++)
endif()
if(NOT TARGET cryptopp::cryptopp)
  if(ESCROW_CRYPTOPP_FOUND)
    add_library(cryptopp::cryptopp INTERFACE IMPORTED)
    # A program whose property ESCROW_CRYPTOPP_STATIC is true links Crypto++'s archive (Debian
    # ships libcryptopp.a in libcrypto++-dev) instead of the shared library: only the code it uses
    # is then mapped, and the loader has none of the shared library's relocations and symbol
    # tables to touch (2.4 MiB of the escrow tool's peak RSS, docs/performance.md). Every other
    # target, and every consumer of the installed package, links the shared library as before.
    find_library(ESCROW_CRYPTOPP_ARCHIVE NAMES libcryptopp.a libcrypto++.a HINTS ${ESCROW_CRYPTOPP_LIBRARY_DIRS})
    mark_as_advanced(ESCROW_CRYPTOPP_ARCHIVE)
    if(ESCROW_CRYPTOPP_ARCHIVE)
      set(escrow_static "$<BOOL:$<TARGET_PROPERTY:ESCROW_CRYPTOPP_STATIC>>")
      target_include_directories(cryptopp::cryptopp INTERFACE ${ESCROW_CRYPTOPP_INCLUDE_DIRS})
      target_compile_options(cryptopp::cryptopp INTERFACE ${ESCROW_CRYPTOPP_CFLAGS_OTHER})
      target_link_libraries(cryptopp::cryptopp INTERFACE
        "$<$<NOT:${escrow_static}>:PkgConfig::ESCROW_CRYPTOPP>" "$<${escrow_static}:${ESCROW_CRYPTOPP_ARCHIVE}>")
      unset(escrow_static)
    else()
      target_link_libraries(cryptopp::cryptopp INTERFACE PkgConfig::ESCROW_CRYPTOPP)
    endif()
  else()
    message(FATAL_ERROR "escrow needs Crypto++ 8.x: install the Debian package libcrypto++-dev "
                        "(and pkg-config), e.g. 'apt-get install libcrypto++-dev pkg-config'")
  endif()
endif()

find_package(Boost 1.74 QUIET)
if(NOT TARGET Boost::headers)
  message(FATAL_ERROR "escrow needs Boost.Hana (Boost >= 1.74): install the Debian package libboost-dev")
endif()

# SQLite, for escrow::sqlite (the backup authority's sqlite_repository): optional for the library,
# required by the target that uses it. CMake's FindSQLite3 makes SQLite::SQLite3.
if(NOT TARGET SQLite::SQLite3)
  find_package(SQLite3 QUIET)
endif()

# libpq, for escrow::postgres (the backup authority's postgres_repository): optional like SQLite.
# CMake's FindPostgreSQL makes PostgreSQL::PostgreSQL; where it is not found (it wants headers
# some packagings split off), pkg-config's libpq is wrapped under the same name.
if(NOT TARGET PostgreSQL::PostgreSQL)
  find_package(PostgreSQL QUIET)
endif()
if(NOT TARGET PostgreSQL::PostgreSQL AND PkgConfig_FOUND)
  pkg_check_modules(ESCROW_LIBPQ QUIET IMPORTED_TARGET libpq)
  if(ESCROW_LIBPQ_FOUND)
    add_library(PostgreSQL::PostgreSQL INTERFACE IMPORTED)
    target_link_libraries(PostgreSQL::PostgreSQL INTERFACE PkgConfig::ESCROW_LIBPQ)
  endif()
endif()

# The standard Cryptoki header pkcs11.h, for escrow::pkcs11 (escrow/wrap/pkcs11.hpp): optional for
# the library. Debian's libp11-kit-dev installs it as p11-kit-1/p11-kit/pkcs11.h; modules are
# loaded with dlopen at run time, so no library is linked but the system's dl.
if(NOT TARGET escrow_deps::pkcs11_headers)
  find_path(ESCROW_PKCS11_INCLUDE_DIR p11-kit/pkcs11.h PATH_SUFFIXES p11-kit-1)
  if(ESCROW_PKCS11_INCLUDE_DIR)
    add_library(escrow_deps::pkcs11_headers INTERFACE IMPORTED)
    set_target_properties(escrow_deps::pkcs11_headers PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${ESCROW_PKCS11_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "${CMAKE_DL_LIBS}")
  endif()
endif()

# OpenSSL (TLS) and nlohmann/json, for escrow::authority_service (escrow/service/: the authority as
# an HTTPS service with Boost.Beast, and its client): optional like SQLite. They are gathered in
# one imported target, escrow_deps::service, which exists only when all are found.
if(NOT TARGET escrow_deps::service)
  find_package(OpenSSL 1.1.1 QUIET COMPONENTS SSL Crypto)
  find_package(nlohmann_json 3 QUIET)
  find_package(Threads QUIET)
  if(TARGET OpenSSL::SSL AND TARGET nlohmann_json::nlohmann_json AND TARGET Threads::Threads)
    add_library(escrow_deps::service INTERFACE IMPORTED)
    set_target_properties(escrow_deps::service PROPERTIES
      INTERFACE_LINK_LIBRARIES "OpenSSL::SSL;OpenSSL::Crypto;nlohmann_json::nlohmann_json;Threads::Threads")
  endif()
endif()

# OpenSSL's libcrypto alone, for escrow::openssl_cipher (escrow/cipher/openssl_chacha20_poly1305.hpp:
# age's payload cipher with OpenSSL's ChaCha20): optional, like the backends above.
if(NOT TARGET OpenSSL::Crypto)
  find_package(OpenSSL 1.1.1 QUIET COMPONENTS Crypto)
endif()
