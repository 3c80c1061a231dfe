/*
 * Emits ringside's tracepoints from several threads, each pinned to a CPU in turn.
 *
 *   workload all ITERATIONS THREADS    every event type with varied values
 *   workload ticks ITERATIONS THREADS  only the small `tick` event (benchmarks)
 */
#define _GNU_SOURCE
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ringside_tp.h"

static long iterations;
static int ticks_only;

static const char *const texts[] = {
    "plain ascii",
    "escapes: newline\n tab\t backslash\\ quote\" apostrophe' question? bell\a backspace\b esc\x1b formfeed\f cr\r vt\v ctrl\x01 del\x7f end",
    "utf-8: h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac",
    "invalid utf-8: \xff\xfe\xc3 end",
    "a somewhat longer string that goes on for a while to cross word boundaries in the reader",
};

static const float floats[] = {
    0.0f, -0.0f, 1.0f, 3.14159265f, 1e-5f, 123456789.0f, 1.17549435e-38f, 1e-45f, FLT_MAX, 0.1f, 100000.0f, 999999.5f,
};
static const double doubles[] = {
    0.1, 1e100, 2.5e-300, -1234.5678, 1e16, 0.0001, 123456.0, 1234567.0, 5e-324, 1.0 / 3.0, 0.0, -0.0,
};
static const int colors[] = { -1, 0, 1, 3, 5, 6, 9, 10, 11, 100, 255, 2 };
static const int states[] = { -2, -50, -1, 0, 1, 5000, -200, 2, -3, -100, 2147483647, -2147483647 - 1 };

static void emit_all(long i, int cpu)
{
    int64_t seed = (int64_t) i * 7 - 20;
    lttng_ust_tracepoint(ringside, integers, seed);

    size_t k = (size_t) i % (sizeof(floats) / sizeof(floats[0]));
    float f = floats[k];
    double d = doubles[k];
    if (i % 13 == 5) { f = NAN; d = -NAN; }
    if (i % 13 == 6) { f = INFINITY; d = -INFINITY; }
    lttng_ust_tracepoint(ringside, floats, f, d);

    const char *text = texts[(size_t) i % (sizeof(texts) / sizeof(texts[0]))];
    const char *other = texts[(size_t) (i + 2) % (sizeof(texts) / sizeof(texts[0]))];
    lttng_ust_tracepoint(ringside, strings, text, other);

    int32_t values[4] = { (int32_t) seed, (int32_t) -seed, INT32_MAX, INT32_MIN };
    uint8_t bytes[5] = { 0, 0x7f, 0x80, 0xff, (uint8_t) seed };
    const char *arr_text = (i % 2) ? "abc\0defg" : "ABCDEFGH";
    lttng_ust_tracepoint(ringside, arrays, values, bytes, arr_text, (unsigned int) (i % 5));

    size_t e = (size_t) i % (sizeof(colors) / sizeof(colors[0]));
    lttng_ust_tracepoint(ringside, enums, colors[e], states[e]);

    lttng_ust_tracepoint(ringside, annotated, cpu);
    lttng_ust_tracepoint(ringside, tick, (uint64_t) i, cpu, "all");
}

static void *run(void *arg)
{
    int cpu = (int) (intptr_t) arg;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof(set), &set);
    for (long i = 0; i < iterations; i++) {
        if (ticks_only) {
            lttng_ust_tracepoint(ringside, tick, (uint64_t) i, cpu, (i & 1) ? "odd tick" : "even tick");
        } else {
            emit_all(i, cpu);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s all|ticks ITERATIONS THREADS\n", argv[0]);
        return 2;
    }
    ticks_only = strcmp(argv[1], "ticks") == 0;
    iterations = atol(argv[2]);
    int threads = atoi(argv[3]);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1) cpus = 1;
    pthread_t ids[64];
    if (threads < 1 || threads > 64) threads = 1;
    for (int t = 0; t < threads; t++) {
        pthread_create(&ids[t], NULL, run, (void *) (intptr_t) (t % cpus));
    }
    for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
    return 0;
}
