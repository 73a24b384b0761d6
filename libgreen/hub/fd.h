/* SPDX-License-Identifier: MIT */
/*
 * fd.h - what the hub knows about file descriptors, and fd waits.
 *
 * Fds are registered once with epoll, edge-triggered, for both directions;
 * a wait is only started after an attempt showed the fd not ready (EAGAIN,
 * or a zero-timeout poll()), so an edge can never be missed.
 */
#ifndef GREEN_HUB_FD_H
#define GREEN_HUB_FD_H

#include "loop.h"

struct fdrec {
    struct green_hub__list readers, writers;
    unsigned char registered; /* in the epoll set */
    unsigned char nonblock;   /* O_NONBLOCK known to be set */
    /* A byte stream (TCP or unix stream socket, pipe): a read shorter than
     * asked for means the fd was drained at that moment. */
    unsigned char stream;
    /* 0 only if the fd is registered, was drained, and epoll has reported
     * no input since: green_hub_read() then waits without trying read(). */
    unsigned char rready;
    /* epoll reported a hang-up or an error: a short read may be followed
     * by end of file or an error, so it no longer clears rready. */
    unsigned char hup;
    /* Counts forgets and closes: a waiter woken before one, but run after
     * it, learns that its fd is gone (GREEN_ECLOSED). */
    unsigned gen;
};

/* The checks every fd call starts with: a valid fd and timeout, this
 * thread's hub (created if needed: *hp), and a caller that was not
 * killed. */
HUB_HIDDEN int green_hub__fd_enter(struct hub **hp, int fd, double timeout);

/* fd's record (created if needed); NULL if out of memory. */
HUB_HIDDEN struct fdrec *green_hub__fd_rec(struct hub *h, int fd);

/* Makes sure fd is non-blocking; *rp receives its record. GREEN_OK,
 * GREEN_ENOMEM or GREEN_ESYS. */
HUB_HIDDEN int green_hub__fd_nonblock(struct hub *h, int fd,
                                      struct fdrec **rp);

/* A fresh fd number: wakes its waiters with GREEN_ECLOSED and forgets
 * what the hub knew about it (it stays in the epoll set if it was: the
 * next wait renews the registration). NULL if out of memory. */
HUB_HIDDEN struct fdrec *green_hub__fd_fresh(struct hub *h, int fd);

/* Waits for one direction of fd (write: 1); the caller knows it is not
 * ready. Returns as green_hub__wait(), or GREEN_ESYS (epoll refused fd). */
HUB_HIDDEN int green_hub__fd_wait(struct hub *h, int fd, int write,
                                  double timeout);

/* Frees the hub's fd records (green_hub_destroy). */
HUB_HIDDEN void green_hub__fds_free(struct hub *h);

#endif /* GREEN_HUB_FD_H */
