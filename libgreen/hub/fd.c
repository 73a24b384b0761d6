/* SPDX-License-Identifier: MIT */
/* fd.c - the hub's fd records, fd waits, forget and close (see fd.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd.h"

/* The records, indexed by fd number. */
struct green_hub__fds {
    struct fdrec **v;
    size_t n;
};

/* Forgets everything about r (its waiters are woken). */
static void rec_reset(struct hub *h, struct fdrec *r)
{
    green_hub__wake_all(h, &r->readers, GREEN_ECLOSED);
    green_hub__wake_all(h, &r->writers, GREEN_ECLOSED);
    r->registered = 0;
    r->nonblock = 0;
    r->stream = 0;
    r->rready = 1;
    r->hup = 0;
    r->gen++;
}

/* fd's record if the hub has one. */
static struct fdrec *rec_find(const struct hub *h, int fd)
{
    const struct green_hub__fds *t = h->fds;
    if (fd < 0 || !t || (size_t)fd >= t->n)
        return NULL;
    return t->v[fd];
}

/* epoll reported events on fd: wake its waiters. */
static void io_ready(struct hub *h, int fd, uint32_t ev)
{
    struct fdrec *r = rec_find(h, fd);
    if (!r)
        return;
    if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
        r->rready = 1;
        if (ev & (EPOLLERR | EPOLLHUP | EPOLLRDHUP))
            r->hup = 1;
        green_hub__wake_all(h, &r->readers, GREEN_OK);
    }
    if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
        green_hub__wake_all(h, &r->writers, GREEN_OK);
}

struct fdrec *green_hub__fd_rec(struct hub *h, int fd)
{
    struct fdrec *r = rec_find(h, fd);
    if (hub_likely(r != NULL))
        return r;
    struct green_hub__fds *t = h->fds;
    if (!t && !(t = h->fds = calloc(1, sizeof *t)))
        return NULL;
    if ((size_t)fd >= t->n) {
        size_t n = t->n ? t->n : 64;
        while (n <= (size_t)fd)
            n *= 2;
        struct fdrec **v = realloc(t->v, n * sizeof *v);
        if (!v)
            return NULL;
        memset(v + t->n, 0, (n - t->n) * sizeof *v);
        t->v = v;
        t->n = n;
    }
    if ((r = t->v[fd] = calloc(1, sizeof *r)) != NULL)
        r->rready = 1;
    return r;
}

int green_hub__fd_wait(struct hub *h, int fd, int write, double timeout)
{
    int rc = green_hub__can_block(h);
    if (rc != GREEN_OK)
        return rc;
    if (timeout == 0)
        return GREEN_ETIMEDOUT;
    struct fdrec *r = green_hub__fd_rec(h, fd);
    if (!r)
        return GREEN_ENOMEM;
    if (!r->registered) {
        struct epoll_event ev = {0};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        ev.data.fd = fd;
        if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            if (errno != EEXIST)
                return GREEN_ESYS;
            /* Registered under an earlier life of this number: renew. */
            if (epoll_ctl(h->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
                return GREEN_ESYS;
        }
        r->registered = 1;
        h->io_ready = io_ready;
    }
    struct waiter w = {0};
    unsigned gen = r->gen;
    rc = green_hub__wait_io(h, write ? &r->writers : &r->readers, &w,
                            timeout);
    /* Woken ready, but the fd was forgotten or closed before this ran. */
    if (rc == GREEN_OK && r->gen != gen)
        return GREEN_ECLOSED;
    return rc;
}

static int wait_ready(int fd, int write, double timeout)
{
    struct hub *h;
    int rc = green_hub__fd_enter(&h, fd, timeout);
    if (rc != GREEN_OK)
        return rc;
    /* poll(2) reports an fd that cannot be watched (a regular file, a
     * directory) always ready: such a wait ends here, before epoll would
     * refuse the fd with EPERM. */
    struct pollfd p = {.fd = fd, .events = write ? POLLOUT : POLLIN};
    int n = poll(&p, 1, 0);
    if (n < 0)
        return GREEN_ESYS;
    if (n == 0)
        return green_hub__fd_wait(h, fd, write, timeout);
    if (p.revents & POLLNVAL) {
        errno = EBADF;
        return GREEN_ESYS;
    }
    return GREEN_OK;
}

int green_hub_wait_read(int fd, double timeout)
{
    return wait_ready(fd, 0, timeout);
}

int green_hub_wait_write(int fd, double timeout)
{
    return wait_ready(fd, 1, timeout);
}

int green_hub__fd_enter(struct hub **hp, int fd, double timeout)
{
    if (fd < 0)
        return GREEN_EINVAL;
    int rc = green_hub__check_timeout(timeout);
    if (rc != GREEN_OK)
        return rc;
    struct hub *h = green_hub__get();
    if (!h)
        return GREEN_ENOMEM;
    *hp = h;
    return green_hub__killed(h);
}

/* Is fd a byte stream? Asked once per fd, when it is first used. */
static int is_stream(int fd)
{
    int type;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0)
        return type == SOCK_STREAM;
    struct stat st;
    return errno == ENOTSOCK && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

int green_hub__fd_nonblock(struct hub *h, int fd, struct fdrec **rp)
{
    struct fdrec *r = green_hub__fd_rec(h, fd);
    if (!r)
        return GREEN_ENOMEM;
    *rp = r;
    if (hub_likely(r->nonblock))
        return GREEN_OK;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return GREEN_ESYS;
    if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return GREEN_ESYS;
    r->stream = (unsigned char)is_stream(fd);
    r->nonblock = 1;
    return GREEN_OK;
}

struct fdrec *green_hub__fd_fresh(struct hub *h, int fd)
{
    struct fdrec *r = green_hub__fd_rec(h, fd);
    if (r)
        rec_reset(h, r);
    return r;
}

int green_hub_forget(int fd)
{
    if (fd < 0)
        return GREEN_EINVAL;
    struct hub *h = green_hub__peek();
    struct fdrec *r = h ? rec_find(h, fd) : NULL;
    if (!r)
        return GREEN_OK;
    if (r->registered)
        epoll_ctl(h->epfd, EPOLL_CTL_DEL, fd, NULL);
    rec_reset(h, r);
    return GREEN_OK;
}

int green_hub_close(int fd)
{
    int rc = green_hub_forget(fd);
    if (rc != GREEN_OK)
        return rc;
    if (close(fd) < 0 && errno != EINTR)
        return GREEN_ESYS;
    return GREEN_OK;
}

void green_hub__fds_free(struct hub *h)
{
    struct green_hub__fds *t = h->fds;
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i]);
    free(t->v);
    free(t);
    h->fds = NULL;
}
