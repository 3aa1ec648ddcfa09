// SPDX-License-Identifier: MIT
/// @file
/// Deposits record files with the authority service over CONNECTIONS concurrent connections (one
/// `authority_client` and one thread each), for the fault tests (tests/cli/cases/service.sh) and
/// the load benchmark (benchmarks/bench_service.sh):
///
///     escrow_test_deposit_load URL CA.pem CONNECTIONS RECORD...
///
/// Each outcome is one line on stdout as soon as it is known: "ack SERIAL" once the server
/// answered the deposit with success, "fail SERIAL REASON" otherwise (never both). At the end, one
/// line on stderr: "deposits N acknowledged A failed F seconds S per_second R p50_ms P p99_ms Q".

#include <escrow/service/authority_client.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

escrow::bytes read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw escrow::error(escrow::errc::not_found, "cannot read " + path);
    return escrow::bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::mutex out_mutex;

void say(const std::string& line) {
    std::lock_guard lock(out_mutex);
    std::fputs(line.c_str(), stdout);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: %s URL CA.pem CONNECTIONS RECORD...\n", argv[0]);
        return 2;
    }
    const std::string url = argv[1], ca = argv[2];
    const std::size_t connections = std::stoul(argv[3]);
    std::vector<escrow::escrow_record> records;
    try {
        for (int i = 4; i < argc; ++i) records.push_back(escrow::escrow_record::decode(read_file(argv[i])));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "escrow_test_deposit_load: %s\n", e.what());
        return 1;
    }
    std::vector<std::vector<double>> latencies(connections);
    std::vector<std::size_t> acked(connections, 0);
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (std::size_t c = 0; c < connections; ++c) {
        threads.emplace_back([&, c] {
            escrow::service::client_options o;
            o.url = url;
            o.ca_file = ca;
            o.timeout = std::chrono::seconds(20);
            escrow::service::authority_client client(o);
            for (std::size_t i = c; i < records.size(); i += connections) {
                const auto& serial = records[i].info.serial;
                const auto t0 = std::chrono::steady_clock::now();
                try {
                    (void)client.deposit(records[i]);
                    latencies[c].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
                    ++acked[c];
                    say("ack " + serial + "\n");
                } catch (const std::exception& e) {
                    std::string why = e.what();
                    std::replace(why.begin(), why.end(), '\n', ' ');
                    say("fail " + serial + " " + why + "\n");
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a server down is not hammered
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<double> all;
    std::size_t ok = 0;
    for (std::size_t c = 0; c < connections; ++c) {
        all.insert(all.end(), latencies[c].begin(), latencies[c].end());
        ok += acked[c];
    }
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<std::size_t>(p * all.size()))]; };
    std::fprintf(stderr, "deposits %zu acknowledged %zu failed %zu seconds %.2f per_second %.0f p50_ms %.2f p99_ms %.2f\n",
                 records.size(), ok, records.size() - ok, seconds, static_cast<double>(ok) / seconds, pct(0.50), pct(0.99));
    return 0;
}
