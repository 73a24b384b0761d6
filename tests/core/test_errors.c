/* SPDX-License-Identifier: MIT */
/*
 * test_errors.c - return code names and descriptions, library version.
 */
#include "common.h"

static const struct {
    int code;
    const char *name;
} known[] = {
    {GREEN_OK, "GREEN_OK"},           {GREEN_THROWN, "GREEN_THROWN"},
    {GREEN_EXIT, "GREEN_EXIT"},       {GREEN_EINVAL, "GREEN_EINVAL"},
    {GREEN_ENOMEM, "GREEN_ENOMEM"},   {GREEN_EDEAD, "GREEN_EDEAD"},
    {GREEN_ETHREAD, "GREEN_ETHREAD"}, {GREEN_ECYCLE, "GREEN_ECYCLE"},
    {GREEN_EMAIN, "GREEN_EMAIN"},     {GREEN_ENOSTACK, "GREEN_ENOSTACK"},
    {GREEN_EBUSY, "GREEN_EBUSY"},
};
#define NKNOWN (sizeof known / sizeof known[0])

static const int unknown[] = {3, 4, 100, -9, -10, -100, 0x7fffffff,
                              -0x7fffffff - 1};
#define NUNKNOWN (sizeof unknown / sizeof unknown[0])

static void test_error_names(void **state)
{
    (void)state;
    for (size_t i = 0; i < NKNOWN; i++)
        assert_string_equal(green_error_name(known[i].code), known[i].name);
}

static void test_error_name_unknown(void **state)
{
    (void)state;
    for (size_t i = 0; i < NUNKNOWN; i++)
        assert_string_equal(green_error_name(unknown[i]), "GREEN_E?");
}

static void test_strerror_known(void **state)
{
    (void)state;
    for (size_t i = 0; i < NKNOWN; i++) {
        const char *s = green_strerror(known[i].code);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        /* one line */
        assert_null(strchr(s, '\n'));
        /* each code has its own description */
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(s, green_strerror(known[j].code));
    }
}

static void test_strerror_unknown(void **state)
{
    (void)state;
    for (size_t i = 0; i < NUNKNOWN; i++) {
        const char *s = green_strerror(unknown[i]);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        assert_null(strchr(s, '\n'));
        /* an unknown code is not described as a known one */
        for (size_t j = 0; j < NKNOWN; j++)
            assert_string_not_equal(s, green_strerror(known[j].code));
    }
}

static void test_codes_signs(void **state)
{
    (void)state;
    /* Success codes are >= 0, errors < 0, as the header promises. */
    for (size_t i = 0; i < NKNOWN; i++) {
        if (strncmp(known[i].name, "GREEN_E", 7) == 0 &&
            strcmp(known[i].name, "GREEN_EXIT") != 0)
            assert_true(known[i].code < 0);
        else
            assert_true(known[i].code >= 0);
    }
}

static void test_version(void **state)
{
    (void)state;
    assert_int_equal(green_version(), GREEN_VERSION);
    assert_int_equal(GREEN_VERSION, GREEN_VERSION_MAJOR * 10000 +
                                        GREEN_VERSION_MINOR * 100 +
                                        GREEN_VERSION_PATCH);
    assert_non_null(green_version_string());
    assert_string_equal(green_version_string(), GREEN_VERSION_STRING);
}

static void test_version_string_matches_number(void **state)
{
    (void)state;
    unsigned maj = 99, min = 99, pat = 99;
    char tail = 0;
    int n = sscanf(green_version_string(), "%u.%u.%u%c", &maj, &min, &pat,
                   &tail);
    assert_int_equal(n, 3);
    assert_int_equal((int)(maj * 10000 + min * 100 + pat), green_version());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_names),
        cmocka_unit_test(test_error_name_unknown),
        cmocka_unit_test(test_strerror_known),
        cmocka_unit_test(test_strerror_unknown),
        cmocka_unit_test(test_codes_signs),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_version_string_matches_number),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
