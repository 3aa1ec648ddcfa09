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
#include "escrow/core/random.hpp"
#include "escrow/core/rsa_key.hpp"
#include "escrow/core/secret.hpp"
#include "escrow/core/ssh_key.hpp"
#include "escrow/core/x25519_key.hpp"
#include "escrow/presets.hpp"
#include "escrow/record.hpp"
#include "escrow/store/age_armor.hpp"
