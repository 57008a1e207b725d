/*
 * QTest helper: run the emulated CXL Type-2 accelerator
 * (contrib/vfio-user-cxl-accel) beside the QEMU under test.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QTEST_CXL_ACCEL_HELPER_H
#define QTEST_CXL_ACCEL_HELPER_H

typedef struct CXLAccel {
    GPid pid;
    char *dir;
    char *sock;     /* the vfio-user socket QEMU connects to */
    char *mem;      /* the emulator's device memory file */
    char *log;      /* its log: one line per request */
} CXLAccel;

/*
 * The emulator: $CXL_ACCEL_BINARY, or the build tree's. NULL when there is
 * none, after marking the running test skipped.
 */
const char *cxl_accel_binary_or_skip(void);

/* Start the emulator with @args (space separated); wait for its socket. */
void cxl_accel_start(CXLAccel *a, const char *args);

/* Stop it and remove its files. */
void cxl_accel_stop(CXLAccel *a);

/* What the emulator logged so far (g_free() it). */
char *cxl_accel_log(CXLAccel *a);

#endif
