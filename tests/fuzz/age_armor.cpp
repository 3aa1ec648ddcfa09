// SPDX-License-Identifier: MIT
// Fuzzes age's ASCII armor reader, store::age_dearmor_source, as `escrow decrypt` reads a file that
// does not start with the age version line. Invariants: the result (the bytes, or the error's
// kind) does not depend on how the caller sizes its reads (one read, or reads of 1 and 7 bytes);
// and what de-armors, armored again by age_armor_sink, de-armors to the same bytes.
#include <string>

#include "escrow/store/age_armor.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace escrow_fuzz;

// The outcome of de-armoring: the bytes, or the kind of the error.
struct outcome {
    escrow::bytes plain;
    bool ok = false;
    escrow::errc kind{};
};

// De-armors `in`, reading `step` bytes at a time (0: everything in one read).
outcome dearmor(escrow::byte_view in, std::size_t step) {
    outcome o;
    try {
        escrow::memory_source src(in);
        escrow::store::age_dearmor_source<escrow::memory_source> armor(src);
        if (step == 0) {
            o.plain = escrow::read_all(armor, 16 * 1024 * 1024);
        } else {
            escrow::byte buf[64];
            for (;;) {
                std::size_t n = armor.read(escrow::mutable_byte_view(buf, step));
                o.plain.insert(o.plain.end(), buf, buf + n);
                if (n < step) break;
            }
        }
        o.ok = true;
    } catch (const escrow::error& e) {
        o.kind = e.kind();
    }
    return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    begin_input();
    const escrow::byte_view in = input(data, size);
    outcome whole;
    expect_escrow_errors([&] { whole = dearmor(in, 0); });
    for (std::size_t step : {std::size_t{1}, std::size_t{7}}) {
        outcome part;
        expect_escrow_errors([&] { part = dearmor(in, step); });
        require(part.ok == whole.ok, "de-armoring succeeds or fails depending on the read size");
        if (whole.ok) require(part.plain == whole.plain, "de-armoring gives other bytes depending on the read size");
        else require(part.kind == whole.kind, "de-armoring fails differently depending on the read size");
    }
    if (!whole.ok) {
        require(whole.kind == escrow::errc::malformed_armor, "the armor reader failed with another kind than malformed_armor");
        return 0;
    }
    // Armored again and read back.
    escrow::memory_sink armored;
    expect_escrow_errors([&] {
        escrow::store::age_armor_sink<escrow::memory_sink> sink(armored);
        sink.write(whole.plain);
        sink.finish();
    });
    outcome back;
    expect_escrow_errors([&] { back = dearmor(armored.data(), 0); });
    require(back.ok && back.plain == whole.plain, "armor written by age_armor_sink does not read back");
    return 0;
}
