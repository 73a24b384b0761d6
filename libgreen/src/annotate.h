/*
 * annotate.h - tells valgrind about greenlet stacks.
 *
 * Valgrind sees a jump of the stack pointer into another mapping as a stack
 * switch only if the mapping is registered as a stack; otherwise it reports
 * bogus invalid reads and writes. The annotations cost nothing outside
 * valgrind (a few no-op instructions) and compile away without its header.
 */
#ifndef GREEN_ANNOTATE_H
#define GREEN_ANNOTATE_H

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define GREEN_HAVE_VALGRIND 1
#endif
#endif

#ifdef GREEN_HAVE_VALGRIND
#define GREEN_ANNOTATE_FIELDS unsigned valgrind_stack_id;
#define green_annotate_stack_new(g)                                           \
    ((g)->valgrind_stack_id = VALGRIND_STACK_REGISTER(                        \
         (char *)(g)->stack.base, (char *)(g)->stack.base + (g)->stack.size))
#define green_annotate_stack_free(g)                                          \
    VALGRIND_STACK_DEREGISTER((g)->valgrind_stack_id)
#else
#define GREEN_ANNOTATE_FIELDS
#define green_annotate_stack_new(g) ((void)(g))
#define green_annotate_stack_free(g) ((void)(g))
#endif

#endif /* GREEN_ANNOTATE_H */
