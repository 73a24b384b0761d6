/* SPDX-License-Identifier: MIT */
/*
 * regress_hub_close_woken_reader.c - found by fuzz_hub.
 *
 * A green thread waits in green_hub_read() on an empty pipe. Data arrives
 * and the hub moves the reader to its run queue; before the reader runs,
 * another greenlet closes the fd with green_hub_close(). green_hub.h:
 * green_hub_read() returns GREEN_ECLOSED when the fd was "closed with
 * green_hub_close() meanwhile", and green_hub_close() wakes "every green
 * thread waiting on it ... with GREEN_ECLOSED". The reader, once it runs,
 * calls read(2) on the closed number instead: GREEN_ESYS with errno EBADF,
 * or, if the number was reused meanwhile (here by a new pipe), it reads
 * the new file's bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>
#include <green_hub.h>

static int old_pipe[2];
static ssize_t got = 12345;
static char byte;

static int reader(void *arg, void **out)
{
    (void)arg;
    got = green_hub_read(old_pipe[0], &byte, 1, GREEN_HUB_FOREVER);
    *out = NULL;
    return GREEN_OK;
}

static void test_close_while_reader_is_woken(void **state)
{
    (void)state;
    assert_int_equal(pipe(old_pipe), 0);
    green_thread_t *t = NULL;
    assert_int_equal(green_hub_spawn(&t, reader, NULL), GREEN_OK);
    assert_int_equal(green_hub_sleep(0), GREEN_OK); /* it waits for data */
    assert_int_equal(got, 12345);
    assert_int_equal(write(old_pipe[1], "x", 1), 1);
    assert_int_equal(green_hub_sleep(0), GREEN_OK); /* the hub wakes it */
    assert_int_equal(green_thread_done(t), 0);

    assert_int_equal(green_hub_close(old_pipe[0]), GREEN_OK);
    int new_pipe[2];
    assert_int_equal(pipe(new_pipe), 0); /* likely the same number */
    assert_int_equal(write(new_pipe[1], "y", 1), 1);

    assert_int_equal(green_thread_wait(t, GREEN_HUB_FOREVER, NULL),
                     GREEN_OK);
    assert_int_equal(got, GREEN_ECLOSED);
    char c = 0;
    assert_int_equal(read(new_pipe[0], &c, 1), 1); /* still there */
    assert_int_equal(c, 'y');

    assert_int_equal(green_thread_release(t), GREEN_OK);
    close(new_pipe[0]);
    close(new_pipe[1]);
    assert_int_equal(green_hub_close(old_pipe[1]), GREEN_OK);
    assert_int_equal(green_hub_destroy(), GREEN_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_close_while_reader_is_woken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
