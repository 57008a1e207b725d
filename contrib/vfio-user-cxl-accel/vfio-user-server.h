/*
 * Emulated CXL Type-2 accelerator: vfio-user transport
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VFIO_USER_CXL_ACCEL_SERVER_H
#define VFIO_USER_CXL_ACCEL_SERVER_H

#include "accel-model.h"

/* Largest REGION_READ/WRITE payload, advertised as max_data_xfer_size */
#define ACCEL_MAX_XFER          (1 * MiB)
/* Most fds accepted with one message (advertised as max_msg_fds) */
#define ACCEL_MAX_FDS           8

/*
 * Listen on the UNIX socket path and serve one client at a time until
 * *stop becomes true (set from a signal handler installed without
 * SA_RESTART, so that it interrupts a session too). Each new client gets a
 * fresh open-time snapshot of the device. Returns false with errp set if
 * the socket cannot be set up.
 */
bool vfu_server_run(CXLAccel *a, const char *path, bool quiet,
                    volatile sig_atomic_t *stop, GError **errp);

/* Serve one connected client until it goes away */
void vfu_server_serve_client(CXLAccel *a, int fd, bool quiet);

#endif
