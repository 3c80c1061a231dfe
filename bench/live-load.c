/* Load for bench/live-rate.sh: THREADS threads call getppid() at RATE calls per second in total
 * for SECONDS seconds (each call makes two events when syscalls:sys_{enter,exit}_getppid are
 * enabled). Prints the calls made. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double rate_per_thread, seconds;
static long made[64];

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
    long id = (long)arg, n = 0;
    double start = now(), t;
    while ((t = now()) - start < seconds) {
        long due = (long)((t - start) * rate_per_thread);
        if (n >= due) {
            struct timespec pause = {0, 200000};
            nanosleep(&pause, NULL);
            continue;
        }
        long batch = due - n > 2000 ? 2000 : due - n;
        for (long i = 0; i < batch; i++)
            syscall(SYS_getppid);
        n += batch;
    }
    made[id] = n;
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    double rate = argc > 2 ? atof(argv[2]) : 500000;
    seconds = argc > 3 ? atof(argv[3]) : 5;
    if (threads < 1 || threads > 64)
        return 2;
    rate_per_thread = rate / threads;
    pthread_t t[64];
    for (long i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    long total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        total += made[i];
    }
    printf("%ld\n", total);
    return 0;
}
