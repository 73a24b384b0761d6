/* SPDX-License-Identifier: MIT */
/*
 * list.h - the hub's one list: intrusive, doubly linked, FIFO, with a
 * count. A zeroed list is empty and a zeroed link is on no list, so the
 * structs that hold them need no initialisation beyond calloc or {0}.
 * A link knows its list: removing it needs nothing else, and removing a
 * link that is on no list does nothing.
 */
#ifndef GREEN_HUB_LIST_H
#define GREEN_HUB_LIST_H

#include "base.h"

struct green_hub__list;

struct green_hub__link {
    struct green_hub__link *prev, *next;
    struct green_hub__list *list; /* the list it is on, or NULL */
};

struct green_hub__list {
    struct green_hub__link *head, *tail;
    size_t n; /* HUB_SET: a pool's waiters are counted from any thread */
};

/* Appends e (on no list) to l. */
static inline void green_hub__list_push(struct green_hub__list *l,
                                        struct green_hub__link *e)
{
    e->next = NULL;
    e->prev = l->tail;
    if (l->tail)
        l->tail->next = e;
    else
        l->head = e;
    l->tail = e;
    HUB_SET(l->n, l->n + 1);
    e->list = l;
}

/* Takes e off its list, if it is on one. */
static inline void green_hub__list_remove(struct green_hub__link *e)
{
    struct green_hub__list *l = e->list;
    if (!l)
        return;
    if (e->prev)
        e->prev->next = e->next;
    else
        l->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        l->tail = e->prev;
    HUB_SET(l->n, l->n - 1);
    e->prev = e->next = NULL;
    e->list = NULL;
}

/* Takes the first link off l; NULL if l is empty. */
static inline struct green_hub__link *
green_hub__list_pop(struct green_hub__list *l)
{
    struct green_hub__link *e = l->head;
    if (e)
        green_hub__list_remove(e);
    return e;
}

#endif /* GREEN_HUB_LIST_H */
