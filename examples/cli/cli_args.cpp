// SPDX-License-Identifier: MIT
/// @file
/// The escrow tool's argument parser.

#include "cli_args.hpp"

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace escrow_cli {

parsed_args parse_args(std::string_view command, std::span<const option_spec> specs, std::span<char* const> args) {
    const std::string hint = " (see 'escrow " + std::string(command) + " --help')";
    parsed_args out;
    auto add = [&](const option_spec& spec, std::string value) {
        auto& slot = out.values_[std::string(spec.long_name)];
        if (!slot.empty() && !spec.repeatable)
            throw usage_error(std::string(command) + ": --" + std::string(spec.long_name) + " given more than once" + hint);
        slot.push_back(std::move(value));
    };
    bool options_done = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (options_done || a == "-" || !a.starts_with('-')) {
            out.operands_.emplace_back(a);
            continue;
        }
        if (a == "--") {
            options_done = true;
            continue;
        }
        const option_spec* spec = nullptr;
        std::optional<std::string> inline_value;
        if (a.starts_with("--")) {
            std::string_view name = a.substr(2);
            if (auto eq = name.find('='); eq != std::string_view::npos) {
                inline_value = std::string(name.substr(eq + 1));
                name = name.substr(0, eq);
            }
            for (const auto& s : specs)
                if (s.long_name == name) spec = &s;
        } else {
            for (const auto& s : specs)
                if (s.short_name != 0 && s.short_name == a[1]) spec = &s;
            if (spec && a.size() > 2) {
                if (!spec->takes_value) spec = nullptr;  // no bundling of flags
                else inline_value = std::string(a.substr(2));
            }
        }
        if (!spec) throw usage_error(std::string(command) + ": unknown option '" + std::string(a) + "'" + hint);
        std::string shown = "--" + std::string(spec->long_name);
        if (!spec->takes_value) {
            if (inline_value) throw usage_error(std::string(command) + ": " + shown + " takes no value" + hint);
            add(*spec, {});
            continue;
        }
        if (!inline_value) {
            if (i + 1 >= args.size()) throw usage_error(std::string(command) + ": " + shown + " needs a value" + hint);
            inline_value = args[++i];
        }
        add(*spec, std::move(*inline_value));
    }
    return out;
}

std::string listed(std::span<const std::string_view> items, std::string_view last) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += i + 1 == items.size() ? last : std::string_view(", ");
        out += items[i];
    }
    return out;
}

unsigned parse_unsigned(std::string_view text, std::string_view what) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || p != text.data() + text.size())
        throw usage_error(std::string(what) + " must be a decimal number, got '" + std::string(text) + "'");
    return v;
}

}  // namespace escrow_cli
