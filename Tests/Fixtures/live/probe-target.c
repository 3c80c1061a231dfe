/* A tiny program for uprobe tests: calls probe_target(n, "text") COUNT times (argv[1], default 3)
 * and, with a second argument, sleeps that many milliseconds between calls. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) long probe_target(long value, const char *text)
{
    return value * 2 + text[0];
}

__attribute__((noinline)) static long local_helper(long x) { return x + 1; }

int main(int argc, char **argv)
{
    int count = argc > 1 ? atoi(argv[1]) : 3;
    int pause_ms = argc > 2 ? atoi(argv[2]) : 0;
    long total = 0;
    for (int i = 0; i < count; i++) {
        total += probe_target(40 + i, "hello");
        if (pause_ms > 0)
            usleep(pause_ms * 1000);
    }
    printf("%ld\n", local_helper(total));
    return 0;
}
