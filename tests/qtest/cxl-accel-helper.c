/*
 * QTest helper: run the emulated CXL Type-2 accelerator
 * (contrib/vfio-user-cxl-accel) beside the QEMU under test.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/prctl.h>
#include <sys/wait.h>
#include "cxl-accel-helper.h"

#define CXL_ACCEL_BUILD_PATH "contrib/vfio-user-cxl-accel/vfio-user-cxl-accel"
#define CXL_ACCEL_SOCKET_WAIT_US (5 * G_USEC_PER_SEC)
#define CXL_ACCEL_POLL_US        (10 * 1000)

const char *cxl_accel_binary_or_skip(void)
{
    const char *path = g_getenv("CXL_ACCEL_BINARY");

    path = path ? path : CXL_ACCEL_BUILD_PATH;
    if (!g_file_test(path, G_FILE_TEST_IS_EXECUTABLE)) {
        g_test_skip("vfio-user-cxl-accel not found (set CXL_ACCEL_BINARY)");
        return NULL;
    }
    return path;
}

/* The emulator must not outlive a test that aborts. */
static void cxl_accel_child_setup(gpointer data)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

void cxl_accel_start(CXLAccel *a, const char *args)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *cmd = NULL;
    g_auto(GStrv) argv = NULL;
    gint64 deadline;
    int log_fd;

    a->dir = g_dir_make_tmp("cxl-accel-XXXXXX", &err);
    g_assert_no_error(err);
    a->sock = g_strdup_printf("%s/accel.sock", a->dir);
    a->mem = g_strdup_printf("%s/mem", a->dir);
    a->log = g_strdup_printf("%s/log", a->dir);
    cmd = g_strdup_printf("%s --socket %s --mem-file %s %s",
                          cxl_accel_binary_or_skip(), a->sock, a->mem, args);
    g_shell_parse_argv(cmd, NULL, &argv, &err);
    g_assert_no_error(err);
    log_fd = open(a->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    g_assert_cmpint(log_fd, >=, 0);
    g_spawn_async_with_fds(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                           cxl_accel_child_setup, NULL, &a->pid, -1, -1,
                           log_fd, &err);
    close(log_fd);
    g_assert_no_error(err);
    deadline = g_get_monotonic_time() + CXL_ACCEL_SOCKET_WAIT_US;
    while (!g_file_test(a->sock, G_FILE_TEST_EXISTS) &&
           g_get_monotonic_time() < deadline) {
        g_usleep(CXL_ACCEL_POLL_US);
    }
    g_assert_true(g_file_test(a->sock, G_FILE_TEST_EXISTS));
}

void cxl_accel_stop(CXLAccel *a)
{
    kill(a->pid, SIGTERM);
    waitpid(a->pid, NULL, 0);
    g_spawn_close_pid(a->pid);
    unlink(a->sock);
    unlink(a->mem);
    unlink(a->log);
    rmdir(a->dir);
    g_free(a->sock);
    g_free(a->mem);
    g_free(a->log);
    g_free(a->dir);
}

char *cxl_accel_log(CXLAccel *a)
{
    g_autoptr(GError) err = NULL;
    char *text;

    g_file_get_contents(a->log, &text, NULL, &err);
    g_assert_no_error(err);
    return text;
}
