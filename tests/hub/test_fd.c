/* SPDX-License-Identifier: MIT */
/* File descriptors: waits wake on readiness and on timeout; closing wakes
 * waiters with GREEN_ECLOSED; the socket helpers over loopback. */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The echo test's timeouts: generous, since it also runs under valgrind
 * on shared machines; it checks what is echoed, not how fast. */
#define ECHO_TIMEOUT 60.0

static int wait_reader(void *arg, void **out)
{
    (void)out;
    int fd = (int)(intptr_t)arg;
    return green_hub_wait_read(fd, 5.0);
}

static int writer_later(void *arg, void **out)
{
    (void)out;
    int fd = (int)(intptr_t)arg;
    int rc = green_hub_sleep(0.02);
    if (rc != GREEN_OK)
        return rc;
    return write(fd, "x", 1) == 1 ? GREEN_OK : -1;
}

static void wait_wakes_on_readiness(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    green_thread_t *r, *w;
    assert_int_equal(green_hub_spawn(&r, wait_reader, (void *)(intptr_t)p[0]),
                     GREEN_OK);
    assert_int_equal(green_hub_spawn(&w, writer_later, (void *)(intptr_t)p[1]),
                     GREEN_OK);
    double t0 = green_hub_now();
    assert_int_equal(green_thread_wait(r, 5.0, NULL), GREEN_OK);
    double dt = green_hub_now() - t0;
    assert_true(dt >= 0.019);
    assert_true(dt < 2.0);
    assert_int_equal(green_thread_wait(w, 1.0, NULL), GREEN_OK);
    /* Already readable: returns at once, also with timeout 0. */
    assert_int_equal(green_hub_wait_read(p[0], 0), GREEN_OK);
    assert_int_equal(green_hub_wait_write(p[1], 0), GREEN_OK);
    green_thread_release(r);
    green_thread_release(w);
    assert_int_equal(green_hub_close(p[0]), GREEN_OK);
    assert_int_equal(green_hub_close(p[1]), GREEN_OK);
}

static void wait_times_out(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    double t0 = green_hub_now();
    assert_int_equal(green_hub_wait_read(p[0], 0.03), GREEN_ETIMEDOUT);
    double dt = green_hub_now() - t0;
    assert_true(dt >= 0.03);
    assert_true(dt < 1.0);
    assert_int_equal(green_hub_wait_read(p[0], 0), GREEN_ETIMEDOUT);
    char buf[4];
    assert_int_equal(green_hub_read(p[0], buf, sizeof buf, 0.01),
                     GREEN_ETIMEDOUT);
    /* The timed-out wait left nothing: data now is seen at once. */
    assert_int_equal(write(p[1], "ab", 2), 2);
    assert_int_equal(green_hub_read(p[0], buf, sizeof buf, 1.0), 2);
    assert_memory_equal(buf, "ab", 2);
    green_hub_close(p[0]);
    green_hub_close(p[1]);
}

static int read_one(void *arg, void **out)
{
    (void)out;
    char c;
    ssize_t n = green_hub_read((int)(intptr_t)arg, &c, 1, GREEN_HUB_FOREVER);
    return n < 0 ? (int)n : GREEN_OK;
}

static void close_wakes_waiters(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    green_thread_t *t[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(
            green_hub_spawn(&t[i], read_one, (void *)(intptr_t)p[0]),
            GREEN_OK);
    assert_int_equal(green_hub_yield(), GREEN_OK); /* all three block */
    for (int i = 0; i < 3; i++)
        assert_int_equal(green_thread_done(t[i]), 0);
    assert_int_equal(green_hub_close(p[0]), GREEN_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(green_thread_wait(t[i], 1.0, NULL), GREEN_THROWN);
        green_thread_release(t[i]);
    }
    /* Operations on the closed number fail. */
    char c;
    errno = 0;
    assert_int_equal(green_hub_read(p[0], &c, 1, 0.1), GREEN_ESYS);
    assert_int_equal(errno, EBADF);
    assert_int_equal(green_hub_wait_read(p[0], 0.1), GREEN_ESYS);
    assert_int_equal(errno, EBADF);
    green_hub_close(p[1]);
}

/* The exact error a read blocked on a closed fd receives. */
static int read_rc;
static int read_record(void *arg, void **out)
{
    (void)out;
    char c;
    read_rc = (int)green_hub_read((int)(intptr_t)arg, &c, 1, 5.0);
    return GREEN_OK;
}

static void close_error_code(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    green_thread_t *t;
    assert_int_equal(green_hub_spawn(&t, read_record, (void *)(intptr_t)sv[0]),
                     GREEN_OK);
    assert_int_equal(green_hub_yield(), GREEN_OK);
    assert_int_equal(green_hub_close(sv[0]), GREEN_OK);
    assert_int_equal(green_thread_wait(t, 1.0, NULL), GREEN_OK);
    assert_int_equal(read_rc, GREEN_ECLOSED);
    green_thread_release(t);
    green_hub_close(sv[1]);
}

/* A killed reader leaves the fd's waiter list: closing later is fine and
 * a new reader works. */
static void kill_fd_waiter(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    green_thread_t *t;
    assert_int_equal(green_hub_spawn(&t, read_one, (void *)(intptr_t)p[0]),
                     GREEN_OK);
    assert_int_equal(green_hub_yield(), GREEN_OK);
    assert_int_equal(green_thread_kill(t), GREEN_OK);
    assert_int_equal(green_thread_wait(t, 0, NULL), GREEN_EXIT);
    green_thread_release(t);
    assert_int_equal(write(p[1], "z", 1), 1);
    char c = 0;
    assert_int_equal(green_hub_read(p[0], &c, 1, 1.0), 1);
    assert_int_equal(c, 'z');
    green_hub_close(p[0]);
    green_hub_close(p[1]);
}

/* ---- loopback echo ---- */

static int listen_loopback(unsigned short *port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 128) < 0)
        return -1;
    socklen_t len = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    return s;
}

static int echo_conn(void *arg, void **out)
{
    (void)out;
    int c = (int)(intptr_t)arg;
    char buf[256];
    for (;;) {
        ssize_t n = green_hub_read(c, buf, sizeof buf, ECHO_TIMEOUT);
        if (n <= 0) {
            green_hub_close(c);
            return n == 0 ? GREEN_OK : (int)n;
        }
        if (green_hub_write(c, buf, (size_t)n, ECHO_TIMEOUT) != n) {
            green_hub_close(c);
            return -1;
        }
    }
}

static int server(void *arg, void **out)
{
    (void)out;
    int s = (int)(intptr_t)arg;
    for (;;) {
        int c = green_hub_accept(s, NULL, NULL, GREEN_HUB_FOREVER);
        if (c < 0)
            return c == GREEN_ECLOSED ? GREEN_OK : c;
        if (green_hub_spawn_n(echo_conn, (void *)(intptr_t)c) != GREEN_OK)
            return -1;
    }
}

static unsigned short port;

static int client(void *arg, void **out)
{
    (void)out;
    int id = (int)(intptr_t)arg;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    int rc = green_hub_connect(s, (struct sockaddr *)&a, sizeof a,
                               ECHO_TIMEOUT);
    if (rc != GREEN_OK) {
        green_hub_close(s);
        return rc;
    }
    for (int i = 0; i < 20; i++) {
        char msg[32], back[32];
        int len = snprintf(msg, sizeof msg, "%d:%d", id, i);
        if (green_hub_write(s, msg, (size_t)len, ECHO_TIMEOUT) != len)
            return -1;
        size_t got = 0;
        while (got < (size_t)len) {
            ssize_t n = green_hub_read(s, back + got, (size_t)len - got,
                                       ECHO_TIMEOUT);
            if (n <= 0)
                return -2;
            got += (size_t)n;
        }
        if (memcmp(msg, back, (size_t)len) != 0)
            return -3;
    }
    green_hub_close(s);
    return GREEN_OK;
}

static void echo_many_clients(void **state)
{
    (void)state;
    int s = listen_loopback(&port);
    assert_true(s >= 0);
    green_thread_t *srv;
    assert_int_equal(green_hub_spawn(&srv, server, (void *)(intptr_t)s),
                     GREEN_OK);
    enum { N = 200 };
    static green_thread_t *c[N];
    for (int i = 0; i < N; i++)
        assert_int_equal(green_hub_spawn(&c[i], client, (void *)(intptr_t)i),
                         GREEN_OK);
    for (int i = 0; i < N; i++) {
        assert_int_equal(green_thread_wait(c[i], 2 * ECHO_TIMEOUT, NULL),
                         GREEN_OK);
        green_thread_release(c[i]);
    }
    /* Closing the listening socket ends the accept loop. */
    assert_int_equal(green_hub_close(s), GREEN_OK);
    assert_int_equal(green_thread_wait(srv, 1.0, NULL), GREEN_OK);
    green_thread_release(srv);
}

static void connect_refused(void **state)
{
    (void)state;
    unsigned short p;
    int l = listen_loopback(&p);
    assert_true(l >= 0);
    close(l); /* nobody listens on p now */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(p);
    errno = 0;
    assert_int_equal(green_hub_connect(s, (struct sockaddr *)&a, sizeof a, 1.0),
                     GREEN_ESYS);
    assert_int_equal(errno, ECONNREFUSED);
    green_hub_close(s);
}

static void accept_timeout(void **state)
{
    (void)state;
    unsigned short p;
    int l = listen_loopback(&p);
    assert_true(l >= 0);
    double t0 = green_hub_now();
    assert_int_equal(green_hub_accept(l, NULL, NULL, 0.02), GREEN_ETIMEDOUT);
    assert_true(green_hub_now() - t0 >= 0.02);
    green_hub_close(l);
}

static void write_to_gone_peer(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    close(sv[1]);
    errno = 0;
    assert_int_equal(green_hub_write(sv[0], "abc", 3, 1.0), GREEN_ESYS);
    assert_int_equal(errno, EPIPE);
    char c;
    assert_int_equal(green_hub_read(sv[0], &c, 1, 1.0), 0); /* EOF */
    green_hub_close(sv[0]);
}

/* Data and end of file reported in one epoll event: the short read of the
 * data must not make the next read wait for news that already came. */
static int read_all(void *arg, void **out)
{
    (void)out;
    int fd = (int)(intptr_t)arg;
    char buf[64];
    ssize_t total = 0, n;
    while ((n = green_hub_read(fd, buf, sizeof buf, 1.0)) > 0)
        total += n;
    if (n < 0)
        return (int)n;
    *out = (void *)(intptr_t)total;
    return GREEN_OK;
}

static void eof_after_short_read(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    green_thread_t *t;
    assert_int_equal(green_hub_spawn(&t, read_all, (void *)(intptr_t)sv[0]),
                     GREEN_OK);
    assert_int_equal(green_hub_yield(), GREEN_OK); /* it waits */
    assert_int_equal(write(sv[1], "abc", 3), 3);
    assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
    void *res = NULL;
    assert_int_equal(green_thread_wait(t, 5.0, &res), GREEN_OK);
    assert_int_equal((intptr_t)res, 3);
    green_thread_release(t);
    green_hub_close(sv[0]);
    green_hub_close(sv[1]);
}

/* Reads of exactly the buffer size, then a drained stream, then data that
 * arrives later: every byte is seen. */
static int read_exact(void *arg, void **out)
{
    int fd = (int)(intptr_t)arg;
    char buf[4];
    long sum = 0;
    for (int got = 0; got < 12;) {
        ssize_t n = green_hub_read(fd, buf, sizeof buf, 2.0);
        if (n <= 0)
            return n == 0 ? -1 : (int)n;
        for (ssize_t j = 0; j < n; j++)
            sum += buf[j] - '0';
        got += (int)n;
    }
    *out = (void *)(intptr_t)sum;
    return GREEN_OK;
}

static int trickle(void *arg, void **out)
{
    (void)out;
    int fd = (int)(intptr_t)arg;
    const char *parts[] = {"1111", "22", "2", "3333", "4"};
    for (int i = 0; i < 5; i++) {
        if (write(fd, parts[i], strlen(parts[i])) < 0)
            return -1;
        int rc = green_hub_sleep(0.002);
        if (rc != GREEN_OK)
            return rc;
    }
    return GREEN_OK;
}

static void reads_see_every_byte(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    green_thread_t *r, *w;
    assert_int_equal(green_hub_spawn(&r, read_exact, (void *)(intptr_t)sv[0]),
                     GREEN_OK);
    assert_int_equal(green_hub_spawn(&w, trickle, (void *)(intptr_t)sv[1]),
                     GREEN_OK);
    void *res = NULL;
    assert_int_equal(green_thread_wait(w, 2.0, NULL), GREEN_OK);
    int rc = green_thread_wait(r, 2.0, &res);
    assert_int_equal(rc, GREEN_OK);
    assert_int_equal((intptr_t)res, 4 * 1 + 3 * 2 + 4 * 3 + 4);
    green_thread_release(r);
    green_thread_release(w);
    green_hub_close(sv[0]);
    green_hub_close(sv[1]);
}

static void fd_misuse(void **state)
{
    (void)state;
    char c;
    assert_int_equal(green_hub_wait_read(-1, 1.0), GREEN_EINVAL);
    assert_int_equal(green_hub_wait_write(-5, 1.0), GREEN_EINVAL);
    assert_int_equal(green_hub_read(-1, &c, 1, 1.0), GREEN_EINVAL);
    assert_int_equal(green_hub_read(0, NULL, 1, 1.0), GREEN_EINVAL);
    assert_int_equal(green_hub_write(-1, &c, 1, 1.0), GREEN_EINVAL);
    assert_int_equal(green_hub_accept(-1, NULL, NULL, 1.0), GREEN_EINVAL);
    assert_int_equal(green_hub_connect(-1, NULL, 0, 1.0), GREEN_EINVAL);
    assert_int_equal(green_hub_close(-1), GREEN_EINVAL);
    assert_int_equal(green_hub_forget(-1), GREEN_EINVAL);
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(green_hub_wait_read(p[0], 0.0 / 0.0), GREEN_EINVAL);
    green_hub_close(p[0]);
    green_hub_close(p[1]);
}

/* A regular file is always ready, as poll(2) reports it (epoll cannot
 * watch it): a green thread's waits return at once, and so do its reads. */
static int file_reader(void *arg, void **out)
{
    int fd = (int)(intptr_t)arg;
    static char buf[8];
    int rc = green_hub_wait_read(fd, GREEN_HUB_FOREVER);
    if (rc != GREEN_OK)
        return rc;
    if ((rc = green_hub_wait_write(fd, GREEN_HUB_FOREVER)) != GREEN_OK)
        return rc;
    ssize_t n = green_hub_read(fd, buf, sizeof buf, GREEN_HUB_FOREVER);
    if (n != 5)
        return n < 0 ? (int)n : -1;
    if (green_hub_read(fd, buf + 5, 3, GREEN_HUB_FOREVER) != 0)
        return -2; /* end of file */
    *out = buf;
    return GREEN_OK;
}

static void regular_file_is_always_ready(void **state)
{
    (void)state;
    char path[] = "/tmp/green_hub_fileXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    /* On the main greenlet with nothing else that could wake it: a wait
     * that blocked would return GREEN_EDEADLK. */
    assert_int_equal(green_hub_wait_read(fd, GREEN_HUB_FOREVER), GREEN_OK);
    assert_int_equal(green_hub_wait_write(fd, GREEN_HUB_FOREVER), GREEN_OK);
    assert_int_equal(green_hub_wait_read(fd, 0), GREEN_OK);
    assert_int_equal(green_hub_wait_write(fd, 0), GREEN_OK);
    assert_int_equal(green_hub_write(fd, "hello", 5, GREEN_HUB_FOREVER), 5);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    green_thread_t *t;
    assert_int_equal(green_hub_spawn(&t, file_reader, (void *)(intptr_t)fd),
                     GREEN_OK);
    void *res = NULL;
    assert_int_equal(green_thread_wait(t, 5.0, &res), GREEN_OK);
    assert_memory_equal(res, "hello", 5);
    green_thread_release(t);
    assert_int_equal(green_hub_close(fd), GREEN_OK);

    /* A directory too. */
    int dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dir >= 0);
    assert_int_equal(green_hub_wait_read(dir, GREEN_HUB_FOREVER), GREEN_OK);
    assert_int_equal(green_hub_wait_write(dir, 0), GREEN_OK);
    assert_int_equal(green_hub_close(dir), GREEN_OK);

    /* A closed fd is an error, not a wait. */
    errno = 0;
    assert_int_equal(green_hub_wait_read(dir, GREEN_HUB_FOREVER), GREEN_ESYS);
    assert_int_equal(errno, EBADF);
    errno = 0;
    assert_int_equal(green_hub_wait_write(dir, 0), GREEN_ESYS);
    assert_int_equal(errno, EBADF);
    assert_int_equal(green_hub_count(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        HUB_TEST(wait_wakes_on_readiness), HUB_TEST(wait_times_out),
        HUB_TEST(close_wakes_waiters),     HUB_TEST(close_error_code),
        HUB_TEST(kill_fd_waiter),          HUB_TEST(echo_many_clients),
        HUB_TEST(connect_refused),         HUB_TEST(accept_timeout),
        HUB_TEST(write_to_gone_peer),      HUB_TEST(eof_after_short_read),
        HUB_TEST(reads_see_every_byte),    HUB_TEST(fd_misuse),
        HUB_TEST(regular_file_is_always_ready),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
