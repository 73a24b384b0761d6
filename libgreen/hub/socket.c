/* SPDX-License-Identifier: MIT */
/*
 * socket.c - read, write, accept and connect that suspend the calling
 * greenlet instead of the OS thread (see fd.h for how fds are watched).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fd.h"

/* The entry checks (buf may be NULL only if n is 0), and fd made
 * non-blocking; *rp receives its record. */
static int enter(struct hub **hp, struct fdrec **rp, int fd, const void *buf,
                 size_t n, double timeout)
{
    if (!buf && n)
        return GREEN_EINVAL;
    int rc = green_hub__fd_enter(hp, fd, timeout);
    if (rc != GREEN_OK)
        return rc;
    return green_hub__fd_nonblock(*hp, fd, rp);
}

ssize_t green_hub_read(int fd, void *buf, size_t n, double timeout)
{
    struct hub *h;
    struct fdrec *r;
    int rc = enter(&h, &r, fd, buf, n, timeout);
    if (rc != GREEN_OK)
        return rc;
    for (;;) {
        /* A drained stream with no input reported since: do not ask
         * (unless the caller will not wait: epoll may hold news). */
        if (r->rready || !r->registered || timeout == 0) {
            ssize_t got = read(fd, buf, n);
            if (got > 0) {
                if ((size_t)got < n && r->stream && !r->hup)
                    r->rready = 0;
                return got;
            }
            if (got == 0)
                return 0;
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return GREEN_ESYS;
            r->rready = 0;
        }
        rc = green_hub__fd_wait(h, fd, 0, timeout);
        if (rc != GREEN_OK)
            return rc;
    }
}

/* One write attempt: send() with MSG_NOSIGNAL for sockets (*sock: 1 yes,
 * 0 no, -1 not known yet), write() for the rest. */
static ssize_t put_some(int fd, const char *p, size_t left, int *sock)
{
    if (*sock != 0) {
        ssize_t put = send(fd, p, left, MSG_NOSIGNAL);
        if (put >= 0 || errno != ENOTSOCK) {
            *sock = 1;
            return put;
        }
        *sock = 0;
    }
    return write(fd, p, left);
}

ssize_t green_hub_write(int fd, const void *buf, size_t n, double timeout)
{
    struct hub *h;
    struct fdrec *r;
    int rc = enter(&h, &r, fd, buf, n, timeout);
    if (rc != GREEN_OK)
        return rc;
    const char *p = buf;
    size_t left = n;
    int sock = -1;
    while (left > 0) {
        ssize_t put = put_some(fd, p, left, &sock);
        if (put >= 0) {
            p += put;
            left -= (size_t)put;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return GREEN_ESYS;
        rc = green_hub__fd_wait(h, fd, 1, timeout);
        if (rc != GREEN_OK)
            return rc;
    }
    return (ssize_t)n;
}

int green_hub_accept(int fd, struct sockaddr *addr, socklen_t *len,
                     double timeout)
{
    struct hub *h;
    struct fdrec *r;
    int rc = enter(&h, &r, fd, NULL, 0, timeout);
    if (rc != GREEN_OK)
        return rc;
    for (;;) {
        int c = accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c >= 0) {
            struct fdrec *cr = green_hub__fd_fresh(h, c);
            if (!cr) {
                close(c);
                return GREEN_ENOMEM;
            }
            cr->nonblock = 1;
            cr->stream = r->stream;
            return c;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return GREEN_ESYS;
        rc = green_hub__fd_wait(h, fd, 0, timeout);
        if (rc != GREEN_OK)
            return rc;
    }
}

int green_hub_connect(int fd, const struct sockaddr *addr, socklen_t len,
                      double timeout)
{
    if (!addr)
        return GREEN_EINVAL;
    struct hub *h;
    int rc = green_hub__fd_enter(&h, fd, timeout);
    if (rc != GREEN_OK)
        return rc;
    /* A socket about to connect is new to the hub whatever its number. */
    struct fdrec *r = green_hub__fd_fresh(h, fd);
    if (!r)
        return GREEN_ENOMEM;
    if ((rc = green_hub__fd_nonblock(h, fd, &r)) != GREEN_OK)
        return rc;
    if (connect(fd, addr, len) == 0)
        return GREEN_OK;
    if (errno != EINPROGRESS && errno != EINTR)
        return GREEN_ESYS;
    rc = green_hub__fd_wait(h, fd, 1, timeout);
    if (rc != GREEN_OK)
        return rc;
    int err = 0;
    socklen_t el = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
        return GREEN_ESYS;
    if (err) {
        errno = err;
        return GREEN_ESYS;
    }
    return GREEN_OK;
}
