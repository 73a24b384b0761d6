/* SPDX-License-Identifier: MIT */
/*
 * hub_echo_server - the libgreen-hub side of the echo benchmark: one OS
 * thread, one hub, one green thread per connection.
 *
 * Usage: hub_echo_server PORT   (listens on 127.0.0.1:PORT until killed)
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "green_hub.h"

static int conn(void *arg, void **out)
{
    (void)out;
    int c = (int)(intptr_t)arg;
    char buf[4096];
    ssize_t n;
    while ((n = green_hub_read(c, buf, sizeof buf, GREEN_HUB_FOREVER)) > 0)
        if (green_hub_write(c, buf, (size_t)n, GREEN_HUB_FOREVER) != n)
            break;
    green_hub_close(c);
    return GREEN_OK;
}

static int acceptor(void *arg, void **out)
{
    (void)out;
    int s = (int)(intptr_t)arg;
    for (;;) {
        int c = green_hub_accept(s, NULL, NULL, GREEN_HUB_FOREVER);
        if (c == GREEN_ECLOSED || c == GREEN_EKILLED)
            return GREEN_OK;
        if (c >= 0 && green_hub_spawn_n(conn, (void *)(intptr_t)c) != GREEN_OK)
            green_hub_close(c);
    }
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 9000;
    if (port <= 0 || port > 65535) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((unsigned short)port);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 1024) < 0) {
        perror("listen");
        return 1;
    }
    printf("listening %d\n", port);
    fflush(stdout);
    green_thread_t *t;
    if (green_hub_spawn(&t, acceptor, (void *)(intptr_t)s) != GREEN_OK)
        return 1;
    int rc = green_thread_wait(t, GREEN_HUB_FOREVER, NULL);
    fprintf(stderr, "acceptor ended: %s\n", green_hub_error_name(rc));
    return 1;
}
