// SPDX-License-Identifier: MIT
/// @file
/// libpq, loaded the first time the tool talks to PostgreSQL (dlopen) instead of when it starts.
///
/// libpq and the libraries it needs (Kerberos, LDAP, SASL, GnuTLS and theirs: 17 shared objects on
/// Debian 12) cost about 3.8 MiB of resident memory in every process that links them, before a
/// line of the program runs: more than the margin `encrypt` and `decrypt` have under issue 19's
/// 16 MiB budget (docs/performance.md, "Peak RSS"), for commands that never touch a database. So
/// the tool is not linked with libpq: this file defines each libpq function the tool calls, with the
/// signature libpq-fe.h declares (the compiler checks it), and forwards it to libpq's own, looked
/// up on first use. Only `authority --db` with a PostgreSQL connection string loads the library.
///
/// A system without libpq.so.5 gets an `escrow::error` (`io_error`) that names the library and the
/// Debian package, at the first PostgreSQL command; everything else works without it.
#include <dlfcn.h>
#include <libpq-fe.h>

#include <string>

#include "escrow/core/error.hpp"

namespace {

// libpq's soname (the ABI this header is for); RTLD_LOCAL keeps its symbols out of the global scope.
constexpr const char* libpq_soname = "libpq.so.5";

void* libpq() {
    static void* const handle = [] {
        void* h = ::dlopen(libpq_soname, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            const char* why = ::dlerror();
            throw escrow::error(escrow::errc::io_error, std::string("PostgreSQL needs libpq (") + libpq_soname +
                                                            ", Debian package libpq5), which could not be loaded: " +
                                                            (why ? why : "no reason given"));
        }
        return h;
    }();
    return handle;
}

template <class Function>
Function resolve(const char* name) {
    void* symbol = ::dlsym(libpq(), name);
    if (!symbol)
        throw escrow::error(escrow::errc::io_error, std::string(libpq_soname) + " has no function " + name + ": too old a libpq");
    return reinterpret_cast<Function>(symbol);
}

}  // namespace

// Each forwarder resolves its function once (a function-local static: thread-safe) and calls it.
#define ESCROW_CLI_LIBPQ(ret, name, params, args)                   \
    extern "C" ret name params {                                   \
        static const auto real = resolve<decltype(&name)>(#name); \
        return real args;                                          \
    }

ESCROW_CLI_LIBPQ(PGconn*, PQconnectdbParams, (const char* const* keywords, const char* const* values, int expand_dbname),
                 (keywords, values, expand_dbname))
ESCROW_CLI_LIBPQ(ConnStatusType, PQstatus, (const PGconn* conn), (conn))
ESCROW_CLI_LIBPQ(char*, PQerrorMessage, (const PGconn* conn), (conn))
ESCROW_CLI_LIBPQ(char*, PQdb, (const PGconn* conn), (conn))
ESCROW_CLI_LIBPQ(char*, PQhost, (const PGconn* conn), (conn))
ESCROW_CLI_LIBPQ(char*, PQport, (const PGconn* conn), (conn))
ESCROW_CLI_LIBPQ(char*, PQuser, (const PGconn* conn), (conn))
ESCROW_CLI_LIBPQ(PQnoticeProcessor, PQsetNoticeProcessor, (PGconn * conn, PQnoticeProcessor proc, void* arg),
                 (conn, proc, arg))
ESCROW_CLI_LIBPQ(PQconninfoOption*, PQconndefaults, (void), ())
ESCROW_CLI_LIBPQ(PQconninfoOption*, PQconninfoParse, (const char* conninfo, char** errmsg), (conninfo, errmsg))
ESCROW_CLI_LIBPQ(PGresult*, PQexec, (PGconn * conn, const char* query), (conn, query))
ESCROW_CLI_LIBPQ(PGresult*, PQprepare,
                 (PGconn * conn, const char* stmtName, const char* query, int nParams, const Oid* paramTypes),
                 (conn, stmtName, query, nParams, paramTypes))
ESCROW_CLI_LIBPQ(PGresult*, PQexecPrepared,
                 (PGconn * conn, const char* stmtName, int nParams, const char* const* paramValues,
                  const int* paramLengths, const int* paramFormats, int resultFormat),
                 (conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat))
ESCROW_CLI_LIBPQ(ExecStatusType, PQresultStatus, (const PGresult* res), (res))
ESCROW_CLI_LIBPQ(char*, PQresultErrorMessage, (const PGresult* res), (res))
ESCROW_CLI_LIBPQ(char*, PQresultErrorField, (const PGresult* res, int fieldcode), (res, fieldcode))
ESCROW_CLI_LIBPQ(char*, PQcmdStatus, (PGresult * res), (res))
ESCROW_CLI_LIBPQ(char*, PQcmdTuples, (PGresult * res), (res))
ESCROW_CLI_LIBPQ(int, PQntuples, (const PGresult* res), (res))
ESCROW_CLI_LIBPQ(char*, PQgetvalue, (const PGresult* res, int tup_num, int field_num), (res, tup_num, field_num))
ESCROW_CLI_LIBPQ(int, PQgetlength, (const PGresult* res, int tup_num, int field_num), (res, tup_num, field_num))

#undef ESCROW_CLI_LIBPQ

// The releasing functions run in destructors and deleters, which must not throw: a null argument
// is a no-op for libpq too, and anything else came from libpq, so it is loaded already.
#define ESCROW_CLI_LIBPQ_RELEASE(type, name)                      \
    extern "C" void name(type* object) {                          \
        if (!object) return;                                      \
        static const auto real = resolve<decltype(&name)>(#name); \
        real(object);                                             \
    }

ESCROW_CLI_LIBPQ_RELEASE(PGresult, PQclear)
ESCROW_CLI_LIBPQ_RELEASE(PGconn, PQfinish)
ESCROW_CLI_LIBPQ_RELEASE(PQconninfoOption, PQconninfoFree)
ESCROW_CLI_LIBPQ_RELEASE(void, PQfreemem)

#undef ESCROW_CLI_LIBPQ_RELEASE
