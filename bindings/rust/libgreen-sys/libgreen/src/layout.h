/* SPDX-License-Identifier: MIT */
/*
 * layout.h - offsets of the fields that green_switch()'s fast path in the
 * machine layer reads and writes. Included by the .S files and by green.c,
 * which checks every value against the C structs at compile time.
 */
#ifndef GREEN_LAYOUT_H
#define GREEN_LAYOUT_H

/* struct green */
#define GREEN_G_THREAD 8
#define GREEN_G_SP 24
#define GREEN_G_RUN 32 /* shares its slot with result_out */
#define GREEN_G_RESULT_OUT 32
#define GREEN_G_API_SUSPENDED 40 /* bytes */
#define GREEN_G_STATE 41
#define GREEN_G_MODE 42

/* struct green_thread */
#define GREEN_T_CURRENT 0
#define GREEN_T_SLOW 8
#define GREEN_T_PENDING 12
#define GREEN_T_DISCARD 16

/* green.h's GREEN_STATE_RUNNING and GREEN_STATE_SUSPENDED */
#define GREEN_S_RUNNING 2
#define GREEN_S_SUSPENDED 3

/* green.h's GREEN_STACK_COPY */
#define GREEN_M_COPY 2

#endif /* GREEN_LAYOUT_H */
