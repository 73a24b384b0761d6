/* SPDX-License-Identifier: MIT */
/*
 * hub_demo - eventlet's agent model in C on libgreen-hub.
 *
 * Part 1, the agent: router updates arrive on a bounded queue; a dispatcher
 * takes them one by one and hands each to a GreenPool of 8 workers. An
 * update either waits on a timer (a delayed retry) or on a socket (a reply
 * from a "neighbour" green thread at the other end of a socketpair). The
 * demo counts how many workers run at once and checks it never exceeds 8.
 *
 * Part 2, the server: a green TCP echo server on 127.0.0.1 serves many
 * clients, which are green threads of the same program.
 *
 * Run: ./hub_demo [updates] [clients]   (defaults 200 and 1000)
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "green_hub.h"

#define POOL_SIZE 8

#define CHECK(call)                                                           \
    do {                                                                      \
        int rc_ = (call);                                                     \
        if (rc_ < 0) {                                                        \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,     \
                    green_hub_error_name(rc_));                               \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

/* ---- part 1: the agent ----------------------------------------------- */

struct update {
    int router;
    int via_socket; /* else via a timer */
    double delay;   /* seconds */
};

static int nupdates = 200;
static int running, max_running, done_timer, done_socket, failed;

/* The neighbour answers on its end of the socketpair after a delay. */
static int neighbour(void *arg, void **out)
{
    (void)out;
    struct update *u = arg;
    int fd = u->router; /* stashed by the worker: see process() */
    int rc = green_hub_sleep(u->delay);
    if (rc != GREEN_OK)
        return rc;
    char ack[32];
    int n = snprintf(ack, sizeof ack, "ack");
    return green_hub_write(fd, ack, (size_t)n, 1.0) == n ? GREEN_OK : -1;
}

static int process(void *arg, void **out)
{
    (void)out;
    struct update *u = arg;
    running++;
    if (running > max_running)
        max_running = running;
    int rc = GREEN_OK;
    if (u->via_socket) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
            rc = GREEN_ESYS;
        } else {
            struct update peer = *u;
            peer.router = sv[1];
            green_thread_t *nb;
            rc = green_hub_spawn(&nb, neighbour, &peer);
            if (rc == GREEN_OK) {
                char buf[32];
                ssize_t n = green_hub_read(sv[0], buf, sizeof buf, 2.0);
                if (n != 3 || memcmp(buf, "ack", 3) != 0)
                    rc = n < 0 ? (int)n : -1;
                green_thread_wait(nb, 1.0, NULL);
                green_thread_release(nb);
            }
            green_hub_close(sv[0]);
            green_hub_close(sv[1]);
            if (rc == GREEN_OK)
                done_socket++;
        }
    } else {
        rc = green_hub_sleep(u->delay);
        if (rc == GREEN_OK)
            done_timer++;
    }
    if (rc != GREEN_OK)
        failed++;
    running--;
    free(u);
    return rc;
}

/* Produces the updates, as the agent's RPC side would. */
static int producer(void *arg, void **out)
{
    (void)out;
    green_queue_t *q = arg;
    unsigned seed = 7;
    for (int i = 0; i < nupdates; i++) {
        struct update *u = malloc(sizeof *u);
        if (!u)
            return GREEN_ENOMEM;
        seed = seed * 1103515245u + 12345u;
        u->router = i;
        u->via_socket = (seed >> 16) & 1;
        u->delay = 0.002 + (double)((seed >> 8) % 20) / 1000.0;
        int rc = green_queue_put(q, u, GREEN_HUB_FOREVER);
        if (rc != GREEN_OK) {
            free(u);
            return rc;
        }
    }
    return green_queue_close(q);
}

static void agent(void)
{
    double t0 = green_hub_now();
    green_queue_t *q;
    green_pool_t *pool;
    CHECK(green_queue_create(&q, 16));
    CHECK(green_pool_create(&pool, POOL_SIZE));
    green_thread_t *prod;
    CHECK(green_hub_spawn(&prod, producer, q));
    long min_free = POOL_SIZE;
    for (;;) {
        void *u;
        int rc = green_queue_get(q, &u, 5.0);
        if (rc == GREEN_ECLOSED)
            break;
        CHECK(rc);
        /* Blocks this dispatcher while all 8 workers are busy. */
        CHECK(green_pool_spawn_n(pool, process, u));
        if (green_pool_free(pool) < min_free)
            min_free = green_pool_free(pool);
        if (green_pool_running(pool) > POOL_SIZE) {
            fprintf(stderr, "pool bound exceeded\n");
            exit(1);
        }
    }
    CHECK(green_pool_waitall(pool, 30.0));
    CHECK(green_thread_wait(prod, 1.0, NULL));
    green_thread_release(prod);
    CHECK(green_pool_destroy(pool));
    CHECK(green_queue_destroy(q));
    printf("agent: %d router updates (%d timer, %d socket, %d failed) in "
           "%.3f s\n",
           done_timer + done_socket + failed, done_timer, done_socket, failed,
           green_hub_now() - t0);
    printf("agent: pool size %d, at most %d workers ran at once, free slots "
           "went down to %ld\n",
           POOL_SIZE, max_running, min_free);
    if (max_running > POOL_SIZE || failed ||
        done_timer + done_socket != nupdates) {
        printf("agent: FAILED\n");
        exit(1);
    }
}

/* ---- part 2: the green TCP echo server ------------------------------- */

static unsigned short port;
static long served_conns, round_trips, client_errors;

static int echo_conn(void *arg, void **out)
{
    (void)out;
    int c = (int)(intptr_t)arg;
    char buf[1024];
    ssize_t n;
    while ((n = green_hub_read(c, buf, sizeof buf, 10.0)) > 0)
        if (green_hub_write(c, buf, (size_t)n, 10.0) != n)
            break;
    green_hub_close(c);
    served_conns++;
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
        if (c < 0)
            continue; /* e.g. EMFILE: keep serving the others */
        if (green_hub_spawn_n(echo_conn, (void *)(intptr_t)c) != GREEN_OK)
            green_hub_close(c);
    }
}

#define ROUNDS 20

static int client(void *arg, void **out)
{
    (void)out;
    int id = (int)(intptr_t)arg;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) {
        client_errors++;
        return GREEN_ESYS;
    }
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    int rc = green_hub_connect(s, (struct sockaddr *)&a, sizeof a, 10.0);
    for (int i = 0; rc == GREEN_OK && i < ROUNDS; i++) {
        char msg[64], back[64];
        int len = snprintf(msg, sizeof msg, "update %d.%d", id, i);
        if (green_hub_write(s, msg, (size_t)len, 10.0) != len) {
            rc = -1;
            break;
        }
        int got = 0;
        while (got < len) {
            ssize_t n = green_hub_read(s, back + got, (size_t)(len - got), 10.0);
            if (n <= 0) {
                rc = -1;
                break;
            }
            got += (int)n;
        }
        if (rc == GREEN_OK && memcmp(msg, back, (size_t)len) != 0)
            rc = -1;
        if (rc == GREEN_OK)
            round_trips++;
    }
    green_hub_close(s);
    if (rc != GREEN_OK)
        client_errors++;
    return rc;
}

static void echo(int nclients)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 1024) < 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) < 0) {
        perror("listen");
        exit(1);
    }
    port = ntohs(a.sin_port);
    double t0 = green_hub_now();
    green_thread_t *srv;
    CHECK(green_hub_spawn(&srv, acceptor, (void *)(intptr_t)s));
    green_pool_t *clients;
    CHECK(green_pool_create(&clients, (size_t)nclients));
    for (int i = 0; i < nclients; i++)
        CHECK(green_pool_spawn_n(clients, client, (void *)(intptr_t)i));
    CHECK(green_pool_waitall(clients, 30.0));
    CHECK(green_pool_destroy(clients));
    /* Let the servers see the last EOFs, then stop accepting. */
    while (served_conns < nclients && green_hub_now() - t0 < 30.0)
        CHECK(green_hub_sleep(0.001));
    CHECK(green_hub_close(s));
    CHECK(green_thread_wait(srv, 1.0, NULL));
    green_thread_release(srv);
    double dt = green_hub_now() - t0;
    printf("echo: %d green clients on 127.0.0.1:%u, %ld round trips, %ld "
           "connections served, %ld client errors, %.3f s (%.0f round "
           "trips/s)\n",
           nclients, port, round_trips, served_conns, client_errors, dt,
           (double)round_trips / dt);
    if (client_errors || round_trips != (long)nclients * ROUNDS) {
        printf("echo: FAILED\n");
        exit(1);
    }
}

int main(int argc, char **argv)
{
    int nclients = 1000;
    if (argc > 1)
        nupdates = atoi(argv[1]);
    if (argc > 2)
        nclients = atoi(argv[2]);
    if (nupdates < 1 || nclients < 1 || nclients > 20000) {
        fprintf(stderr, "usage: %s [updates >= 1] [clients 1..20000]\n",
                argv[0]);
        return 2;
    }
    /* Two fds per client (both ends live in this process). */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    agent();
    echo(nclients);
    CHECK(green_hub_destroy());
    printf("ok\n");
    return 0;
}
