// SPDX-License-Identifier: MIT
/// @file
/// Umbrella header: the whole public API of the escrow library.
#pragma once

#include "escrow/core/bech32.hpp"
#include "escrow/core/bytes.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/core/ids.hpp"
#include "escrow/core/io.hpp"
#include "escrow/core/key_info.hpp"
#include "escrow/core/ms_key_blob.hpp"
#include "escrow/core/policy_ids.hpp"
#include "escrow/core/random.hpp"
#include "escrow/core/rsa_key.hpp"
#include "escrow/core/scoped_wipe.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/core/serial_number.hpp"
#include "escrow/core/shamir.hpp"
#include "escrow/core/ssh_key.hpp"
#include "escrow/core/x25519_key.hpp"
#include "escrow/legacy/presets.hpp"
#include "escrow/presets.hpp"
#include "escrow/record.hpp"
#include "escrow/registry.hpp"
#include "escrow/store/age_armor.hpp"
#include "escrow/authority/audit.hpp"
#include "escrow/authority/audit_signing.hpp"
#include "escrow/authority/backup_authority.hpp"
#include "escrow/authority/identity.hpp"
#include "escrow/authority/memory_repository.hpp"
#include "escrow/authority/officer.hpp"
#include "escrow/authority/officer_proof.hpp"
#include "escrow/authority/owner_blob.hpp"
#include "escrow/authority/recovery_request.hpp"
#include "escrow/authority/repository.hpp"

// File I/O on POSIX systems: file sources and sinks, and rewriting an encrypted file in place.
// Elsewhere (Windows) the rest of the library works over core/io.hpp's memory and stream adapters.
#if !defined(_WIN32) && __has_include(<unistd.h>)
#include "escrow/authority/apply_owner_blob.hpp"
#include "escrow/core/mapped_file.hpp"
#include "escrow/core/posix_file.hpp"
#endif
