/*
 * Strata bench: minimal stand-in for librdkafka's internal src/rd.h, so that the
 * rdkafka_performance.c example shipped by Debian's librdkafka-dev
 * (/usr/share/doc/librdkafka-dev/examples/) builds against the installed library alone.
 * The example only uses rd_ts_t, rd_clock(), rd_snprintf, RD_MAX and RD_MIN from it.
 * Built by bench/lib/rdkafka-build.mjs, which copies this file to <cache>/src/rd.h.
 */
#pragma once
#include <stdio.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/time.h>
#include <time.h>

typedef int64_t rd_ts_t;

/* Monotonic clock in microseconds (librdkafka's rd_clock()). */
static inline rd_ts_t rd_clock(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ((rd_ts_t)ts.tv_sec * 1000000LL) + ((rd_ts_t)ts.tv_nsec / 1000);
}

#define rd_snprintf snprintf
#define RD_MAX(a, b) ((a) > (b) ? (a) : (b))
#define RD_MIN(a, b) ((a) < (b) ? (a) : (b))
