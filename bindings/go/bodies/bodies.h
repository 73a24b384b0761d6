/* SPDX-License-Identifier: MIT */
/* bodies.h - small greenlet bodies in C for the tests and examples. */
#ifndef GB_BODIES_H
#define GB_BODIES_H

#include <stdint.h>
#include <stdlib.h>

#include <green.h>

int gb_counter(green_t *self, void *in, void **out);
int gb_echo(green_t *self, void *in, void **out);
int gb_accumulator(green_t *self, void *in, void **out);
int gb_catcher(green_t *self, void *in, void **out);
int gb_doubler(green_t *self, void *in, void **out);
int gb_thrower(green_t *self, void *in, void **out);
int gb_words(green_t *self, void *in, void **out);

long gb_cleanups(void);
long gb_cleanup_tid(void);
void *gb_cell(void);
void *gb_hook_counter(int i);
void gb_counting_hook(void *data, int event, int phase, green_t *origin,
                      green_t *target);

#endif
