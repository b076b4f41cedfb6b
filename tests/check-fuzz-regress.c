/*
 * check-fuzz-regress.c - replay every saved fuzzer input through the
 * same entry points, in the normal build: a crash a fuzzer once found
 * stays fixed.
 *
 * Each harness in tests/fuzz/ is included here with its libFuzzer entry
 * point renamed, and every file in tests/fuzz/regress/<harness>/ is fed
 * to it (paths from the top of the tree, where run-all.sh runs us). A
 * harness aborts on what it checks (a domain left behind, a round trip
 * that fails), so a regression fails its test with a signal; in the
 * sanitized build (make check-asan) the sanitizers catch the rest.
 * $XENMIG_TEST_VERBOSE=1 names each file as it is replayed.
 *
 * core    one test per harness; each must find at least one input
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#define LLVMFuzzerTestOneInput fuzz_stream_one
#include "fuzz/fuzz-stream.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_delta_one
#include "fuzz/fuzz-delta.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_lz4_one
#include "fuzz/fuzz-lz4.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_zstd_one
#include "fuzz/fuzz-zstd.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_parsers_one
#include "fuzz/fuzz-parsers.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_xl_one
#include "fuzz/fuzz-xl.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_receive_one
#define LLVMFuzzerInitialize fuzz_receive_init
#include "fuzz/fuzz-receive.c"
#undef LLVMFuzzerTestOneInput
#undef LLVMFuzzerInitialize

#define REGRESS_DIR "tests/fuzz/regress"

/* Feed every file of REGRESS_DIR/@harness to @one; how many there were. */
static unsigned replay(const char *harness,
                       int (*one)(const uint8_t *, size_t))
{
    char dir[256], path[512];
    struct dirent *de;
    unsigned n = 0;
    DIR *d;

    snprintf(dir, sizeof(dir), "%s/%s", REGRESS_DIR, harness);
    d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    while ((de = readdir(d))) {
        uint8_t *buf;
        long len;
        FILE *f;

        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (getenv("XENMIG_TEST_VERBOSE"))
            fprintf(stderr, "replaying %s\n", path);
        f = fopen(path, "rb");
        ck_assert_msg(f != NULL, "cannot open %s", path);
        ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
        len = ftell(f);
        ck_assert_int_ge(len, 0);
        rewind(f);
        buf = malloc(len ? (size_t)len : 1);
        ck_assert_ptr_nonnull(buf);
        ck_assert_int_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
        fclose(f);
        ck_assert_int_eq(one(buf, (size_t)len), 0);
        free(buf);
        n++;
    }
    closedir(d);
    ck_assert_msg(n > 0, "%s holds no inputs", dir);
    return n;
}

START_TEST(replays_stream)
{
    replay("fuzz-stream", fuzz_stream_one);
}
END_TEST

START_TEST(replays_delta)
{
    replay("fuzz-delta", fuzz_delta_one);
}
END_TEST

START_TEST(replays_lz4)
{
    replay("fuzz-lz4", fuzz_lz4_one);
}
END_TEST

START_TEST(replays_zstd)
{
    replay("fuzz-zstd", fuzz_zstd_one);
}
END_TEST

START_TEST(replays_parsers)
{
    replay("fuzz-parsers", fuzz_parsers_one);
}
END_TEST

START_TEST(replays_xl)
{
    replay("fuzz-xl", fuzz_xl_one);
}
END_TEST

static void receive_setup(void)
{
    ck_assert_int_eq(fuzz_receive_setup(), 0);
}

START_TEST(replays_receive)
{
    replay("fuzz-receive", fuzz_receive_one);
}
END_TEST

static Suite *fuzz_regress_suite(void)
{
    Suite *s = suite_create("fuzz-regress");
    TCase *core = tcase_create("core");
    TCase *receive = tcase_create("receive");

    tcase_set_timeout(core, 60);
    tcase_add_test(core, replays_stream);
    tcase_add_test(core, replays_delta);
    tcase_add_test(core, replays_lz4);
    tcase_add_test(core, replays_zstd);
    tcase_add_test(core, replays_parsers);
    tcase_add_test(core, replays_xl);
    /* The receiver's inputs go to a real sim host, started per test. */
    tcase_add_checked_fixture(receive, receive_setup, fuzz_receive_teardown);
    tcase_set_timeout(receive, 60);
    tcase_add_test(receive, replays_receive);
    suite_add_tcase(s, core);
    suite_add_tcase(s, receive);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fuzz_regress_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
