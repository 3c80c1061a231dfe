/* Reference reader for bench/live-rate.sh: reads every CPU's trace_pipe_raw of INSTANCE_DIR page by
 * page (non-blocking, poll every 50 ms like ringside) and throws the pages away, with no decoding:
 * the least work any reader can do. Runs until SIGINT/SIGTERM, then reads what is left and prints
 * the pages read. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    struct pollfd fds[256];
    int n = 0;
    char path[4096];
    DIR *dir;
    snprintf(path, sizeof path, "%s/per_cpu", argv[1]);
    if (!(dir = opendir(path)))
        return 1;
    struct dirent *e;
    while ((e = readdir(dir)) && n < 256) {
        if (strncmp(e->d_name, "cpu", 3))
            continue;
        snprintf(path, sizeof path, "%s/per_cpu/%s/trace_pipe_raw", argv[1], e->d_name);
        fds[n].fd = open(path, O_RDONLY | O_NONBLOCK);
        fds[n].events = POLLIN;
        if (fds[n].fd >= 0)
            n++;
    }
    closedir(dir);
    static char page[4096];
    long pages = 0;
    for (int last = 0; !last;) {
        last = stop;
        poll(fds, n, 50);
        for (int i = 0; i < n; i++)
            while (read(fds[i].fd, page, sizeof page) > 0)
                pages++;
    }
    printf("%ld\n", pages);
    return 0;
}
