/* SPDX-License-Identifier: MIT */
/* LD_PRELOAD shim for test_fork_random: every clock the C library offers reads one fixed instant,
 * so a generator that mixes only the time into a pool copied by fork() would give parent and
 * child the same bytes. Only the fork test loads it. */
#define _GNU_SOURCE
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

static const time_t frozen_seconds = 1700000000;

time_t time(time_t* t) {
    if (t) *t = frozen_seconds;
    return frozen_seconds;
}

int gettimeofday(struct timeval* tv, void* tz) {
    (void)tz;
    if (tv) {
        tv->tv_sec = frozen_seconds;
        tv->tv_usec = 0;
    }
    return 0;
}

int clock_gettime(clockid_t id, struct timespec* ts) {
    (void)id;
    if (ts) {
        ts->tv_sec = frozen_seconds;
        ts->tv_nsec = 0;
    }
    return 0;
}

clock_t clock(void) { return 0; }

clock_t times(struct tms* buf) {
    if (buf) buf->tms_utime = buf->tms_stime = buf->tms_cutime = buf->tms_cstime = 0;
    return 0;
}
