// SPDX-License-Identifier: MIT
/// @file
/// Reading the public test vectors in tests/vectors (ESCROW_VECTORS_DIR): JSON files, Wycheproof
/// files, hex fields. Shared by the known-answer programs (test_known_answers, test_age, test_mlkem).
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "escrow/core/bytes.hpp"
#include "escrow/core/encoding.hpp"

#ifndef ESCROW_VECTORS_DIR
#error "ESCROW_VECTORS_DIR must name the public test-vector folder"
#endif

namespace vectors {

using json = nlohmann::json;

/// A file of the vector folder, by its path relative to the folder.
inline std::filesystem::path path(const std::string& relative) {
    return std::filesystem::path(ESCROW_VECTORS_DIR) / relative;
}

/// A JSON file of the vector folder, parsed.
inline json load_json(const std::string& relative) {
    const auto file = path(relative);
    INFO("reading " << file.string());
    std::ifstream in(file);
    REQUIRE(in.good());
    return json::parse(in);
}

/// A Wycheproof file (`wycheproof/<name>`), which must hold a `testGroups` array.
inline json load_wycheproof(const std::string& name) {
    json j = load_json("wycheproof/" + name);
    REQUIRE(j.at("testGroups").is_array());
    return j;
}

/// The hex string field `name` of a test, decoded.
inline escrow::bytes hex_field(const json& t, const char* name) { return escrow::hex::decode(t.at(name).get<std::string>()); }

/// Byte-for-byte equality of public test data (never of a secret outside a test).
inline bool same(escrow::byte_view a, escrow::byte_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace vectors
