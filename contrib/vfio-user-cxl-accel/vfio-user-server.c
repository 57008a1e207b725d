/*
 * Emulated CXL Type-2 accelerator: vfio-user transport
 *
 * The server half of the vfio-user protocol (docs/interop/vfio-user.rst)
 * as far as QEMU's vfio-user-pci client uses it, plus the device-info
 * capability chain of docs/interop/vfio-user-cxl.rst. One client at a
 * time; every message gets one log line; bad input gets an error reply
 * and never ends the server.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "hw/vfio-user/protocol.h"
#include "accel-vfio.h"
#include "vfio-user-server.h"

/*
 * Largest message we read in full: a REGION_WRITE of ACCEL_MAX_XFER plus
 * headers. Bigger ones are drained and refused; absurd sizes mean the
 * stream cannot be trusted and end the connection.
 */
#define VFU_MAX_MSG             (ACCEL_MAX_XFER + 4096)
#define VFU_MAX_DRAIN           (64 * MiB)

#define VFU_CAPS_JSON \
    "{\"capabilities\":{\"max_msg_fds\":%u,\"max_data_xfer_size\":%u," \
    "\"pgsizes\":%u,\"max_dma_maps\":%u}}"
#define VFU_PGSIZE              4096
#define VFU_MAX_DMA_MAPS        65535

typedef struct VfuMsg {
    VFIOUserHdr hdr;
    uint8_t *data;              /* payload after the header */
    size_t len;
    int fds[ACCEL_MAX_FDS];
    unsigned nfds;
} VfuMsg;

typedef struct VfuReply {
    GByteArray *data;
    int fd;                     /* fd passed with the reply, or -1 */
    GString *log;               /* details for the log line */
} VfuReply;

static const char *const command_names[VFIO_USER_MAX] = {
    [VFIO_USER_VERSION] = "VERSION",
    [VFIO_USER_DMA_MAP] = "DMA_MAP",
    [VFIO_USER_DMA_UNMAP] = "DMA_UNMAP",
    [VFIO_USER_DEVICE_GET_INFO] = "DEVICE_GET_INFO",
    [VFIO_USER_DEVICE_GET_REGION_INFO] = "DEVICE_GET_REGION_INFO",
    [VFIO_USER_DEVICE_GET_REGION_IO_FDS] = "DEVICE_GET_REGION_IO_FDS",
    [VFIO_USER_DEVICE_GET_IRQ_INFO] = "DEVICE_GET_IRQ_INFO",
    [VFIO_USER_DEVICE_SET_IRQS] = "DEVICE_SET_IRQS",
    [VFIO_USER_REGION_READ] = "REGION_READ",
    [VFIO_USER_REGION_WRITE] = "REGION_WRITE",
    [VFIO_USER_DMA_READ] = "DMA_READ",
    [VFIO_USER_DMA_WRITE] = "DMA_WRITE",
    [VFIO_USER_DEVICE_RESET] = "DEVICE_RESET",
    [VFIO_USER_DIRTY_PAGES] = "DIRTY_PAGES",
    [VFIO_USER_REGION_WRITE_MULTI] = "REGION_WRITE_MULTI",
};

/* Set by a signal: stop serving, even in the middle of a session */
static volatile sig_atomic_t *vfu_stop;

static bool interrupted(void)
{
    return errno == EINTR && !(vfu_stop && *vfu_stop);
}

static const char *command_name(unsigned cmd)
{
    return cmd < VFIO_USER_MAX && command_names[cmd] ? command_names[cmd] :
           "UNKNOWN";
}

/* Read exactly len bytes; false on EOF or error */
static bool read_full(int fd, void *buf, size_t len)
{
    uint8_t *p = buf;

    while (len) {
        ssize_t n = read(fd, p, len);

        if (n < 0 && interrupted()) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        p += n;
        len -= n;
    }
    return true;
}

/* The header, with the fds that came along with its first byte */
static bool recv_header(int fd, VfuMsg *m)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * ACCEL_MAX_FDS)];
    } control;
    struct iovec iov = { .iov_base = &m->hdr, .iov_len = sizeof(m->hdr) };
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = control.buf, .msg_controllen = sizeof(control.buf),
    };
    struct cmsghdr *c;
    ssize_t n;

    do {
        n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && interrupted());
    if (n <= 0) {
        return false;
    }
    for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        unsigned i, count;

        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (i = 0; i < count; i++) {
            int rfd;

            memcpy(&rfd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (m->nfds < ACCEL_MAX_FDS) {
                m->fds[m->nfds++] = rfd;
            } else {
                close(rfd);
            }
        }
    }
    return read_full(fd, (uint8_t *)&m->hdr + n, sizeof(m->hdr) - n);
}

static void msg_close_fds(VfuMsg *m)
{
    unsigned i;

    for (i = 0; i < m->nfds; i++) {
        close(m->fds[i]);
    }
    m->nfds = 0;
}

static bool send_all(int fd, const VFIOUserHdr *hdr, const void *data,
                     size_t len, int sendfd)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct iovec iov[2] = {
        { .iov_base = (void *)hdr, .iov_len = sizeof(*hdr) },
        { .iov_base = (void *)data, .iov_len = len },
    };
    struct msghdr msg = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
    ssize_t n;

    if (sendfd >= 0) {
        struct cmsghdr *c;

        memset(&control, 0, sizeof(control));
        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof(control.buf);
        c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &sendfd, sizeof(int));
    }
    do {
        n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return false;
    }
    /* A short write: send the rest without the fd */
    if ((size_t)n < sizeof(*hdr) + len) {
        const uint8_t *rest;
        size_t left = sizeof(*hdr) + len - n;

        if ((size_t)n < sizeof(*hdr)) {
            if (write(fd, (const uint8_t *)hdr + n, sizeof(*hdr) - n) !=
                (ssize_t)(sizeof(*hdr) - n)) {
                return false;
            }
            left = len;
            rest = data;
        } else {
            rest = (const uint8_t *)data + (n - sizeof(*hdr));
        }
        while (left) {
            n = write(fd, rest, left);
            if (n <= 0) {
                return false;
            }
            rest += n;
            left -= n;
        }
    }
    return true;
}

static int need(const VfuMsg *m, size_t len)
{
    return m->len < len ? -EINVAL : 0;
}

static int handle_version(CXLAccel *a, VfuMsg *m, VfuReply *r)
{
    VFIOUserVersion v = { 0 };
    g_autofree char *caps = NULL;
    int ret = need(m, sizeof(v) - sizeof(v.hdr));

    if (ret) {
        return ret;
    }
    memcpy(&v.major, m->data, sizeof(v) - sizeof(v.hdr));
    g_string_append_printf(r->log, "client %u.%u", v.major, v.minor);
    if (v.major != VFIO_USER_MAJOR_VER) {
        return -ENOTSUP;
    }
    /*
     * write_multiple is not offered: every write then comes as its own
     * REGION_WRITE, which keeps the register rules simple to follow.
     */
    caps = g_strdup_printf(VFU_CAPS_JSON, ACCEL_MAX_FDS,
                           (unsigned)ACCEL_MAX_XFER,
                           VFU_PGSIZE, VFU_MAX_DMA_MAPS);
    v.major = VFIO_USER_MAJOR_VER;
    v.minor = VFIO_USER_MINOR_VER;
    g_byte_array_append(r->data, (uint8_t *)&v.major,
                        sizeof(v) - sizeof(v.hdr));
    g_byte_array_append(r->data, (uint8_t *)caps, strlen(caps) + 1);
    return 0;
}

static int handle_dma_map(CXLAccel *a, VfuMsg *m, VfuReply *r)
{
    VFIOUserDMAMap d;
    int ret = need(m, sizeof(d) - sizeof(d.hdr));

    if (ret) {
        return ret;
    }
    memcpy(&d.argsz, m->data, sizeof(d) - sizeof(d.hdr));
    g_string_append_printf(r->log, "iova 0x%" PRIx64 " size 0x%" PRIx64
                           " fds %u", d.iova, d.size, m->nfds);
    /* The copy engine's to use; the fd (if any) is mapped, then closed. */
    return accel_dma_map(a, d.iova, d.size, m->nfds ? m->fds[0] : -1,
                         d.offset, d.flags & VFIO_DMA_MAP_FLAG_WRITE);
}

static int handle_dma_unmap(CXLAccel *a, VfuMsg *m, VfuReply *r)
{
    VFIOUserDMAUnmap d;
    int ret = need(m, sizeof(d) - sizeof(d.hdr));

    if (ret) {
        return ret;
    }
    memcpy(&d.argsz, m->data, sizeof(d) - sizeof(d.hdr));
    g_string_append_printf(r->log, "iova 0x%" PRIx64 " size 0x%" PRIx64
                           "%s", d.iova, d.size,
                           d.flags & VFIO_DMA_UNMAP_FLAG_ALL ? " all" : "");
    /* QEMU unmaps everything at once when a container goes away. */
    if (d.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
        accel_dma_unmap_all(a);
    } else {
        ret = accel_dma_unmap(a, d.iova, d.size);
        if (ret) {
            return ret;
        }
    }
    g_byte_array_append(r->data, (uint8_t *)&d.argsz,
                        sizeof(d) - sizeof(d.hdr));
    return 0;
}

static int handle_get_info(CXLAccel *a, VfuMsg *m, VfuReply *r)
{
    uint32_t argsz;
    int ret = need(m, sizeof(argsz));

    if (ret) {
        return ret;
    }
    memcpy(&argsz, m->data, sizeof(argsz));
    g_string_append_printf(r->log, "argsz %u", argsz);
    ret = accel_vfio_device_info(a, argsz, r->data);
    if (!ret) {
        g_string_append_printf(r->log, " reply %u bytes", r->data->len);
    }
    return ret;
}

static int handle_region_info(CXLAccel *a, VfuMsg *m, VfuReply *r)
{
    struct vfio_region_info req;
    int ret = need(m, offsetof(struct vfio_region_info, cap_offset));

    if (ret) {
        return ret;
    }
    memset(&req, 0, sizeof(req));
    memcpy(&req, m->data, MIN(m->len, sizeof(req)));
    g_string_append_printf(r->log, "index %u argsz %u", req.index,
                           req.argsz);
    ret = accel_vfio_region_info(a, req.index, req.argsz, r->data, &r->fd);
    if (!ret) {
        g_string_append_printf(r->log, " reply %u bytes%s", r->data->len,
                               r->fd >= 0 ? " +fd" : "");
    }
    return ret;
}

static int handle_irq_info(CXLAccel *a, VfuMsg *m, VfuReply *r)
{
    struct vfio_irq_info info;
    int ret = need(m, offsetof(struct vfio_irq_info, count));

    if (ret) {
        return ret;
    }
    memcpy(&info, m->data, offsetof(struct vfio_irq_info, count));
    g_string_append_printf(r->log, "index %u", info.index);
    ret = accel_vfio_irq_info(a, info.index, &info);
    if (!ret) {
        g_byte_array_append(r->data, (uint8_t *)&info, sizeof(info));
    }
    return ret;
}

static int handle_set_irqs(CXLAccel *a, VfuMsg *m, VfuReply *r)
{
    struct vfio_irq_set s;
    int ret = need(m, sizeof(s));

    if (ret) {
        return ret;
    }
    memcpy(&s, m->data, sizeof(s));
    g_string_append_printf(r->log, "index %u start %u count %u flags 0x%x"
                           " fds %u", s.index, s.start, s.count, s.flags,
                           m->nfds);
    /* Accepted; the device never signals, so the eventfds are closed */
    return s.index < VFIO_PCI_NUM_IRQS ? 0 : -EINVAL;
}

static int handle_region_read(CXLAccel *a, VfuMsg *m, VfuReply *r)
{
    VFIOUserRegionRW rw;
    const size_t fixed = sizeof(rw) - sizeof(rw.hdr);
    int ret = need(m, fixed);

    if (ret) {
        return ret;
    }
    memcpy(&rw.offset, m->data, fixed);
    g_string_append_printf(r->log, "region %u offset 0x%" PRIx64
                           " count %u", rw.region, rw.offset, rw.count);
    if (rw.count > ACCEL_MAX_XFER) {
        return -EINVAL;
    }
    g_byte_array_set_size(r->data, fixed + rw.count);
    memcpy(r->data->data, &rw.offset, fixed);
    ret = accel_vfio_region_read(a, rw.region, rw.offset,
                                 r->data->data + fixed, rw.count);
    if (!ret && rw.count <= sizeof(uint64_t)) {
        uint64_t v = 0;

        memcpy(&v, r->data->data + fixed, rw.count);
        g_string_append_printf(r->log, " -> 0x%" PRIx64, v);
    }
    return ret;
}

static int handle_region_write(CXLAccel *a, VfuMsg *m, VfuReply *r)
{
    VFIOUserRegionRW rw;
    const size_t fixed = sizeof(rw) - sizeof(rw.hdr);
    int ret = need(m, fixed);

    if (ret) {
        return ret;
    }
    memcpy(&rw.offset, m->data, fixed);
    g_string_append_printf(r->log, "region %u offset 0x%" PRIx64
                           " count %u", rw.region, rw.offset, rw.count);
    if (rw.count != m->len - fixed) {
        return -EINVAL;
    }
    if (rw.count <= sizeof(uint64_t)) {
        uint64_t v = 0;

        memcpy(&v, m->data + fixed, rw.count);
        g_string_append_printf(r->log, " <- 0x%" PRIx64, v);
    }
    ret = accel_vfio_region_write(a, rw.region, rw.offset, m->data + fixed,
                                  rw.count);
    if (!ret) {
        g_byte_array_append(r->data, (uint8_t *)&rw.offset, fixed);
    }
    return ret;
}

static int handle_write_multi(CXLAccel *a, VfuMsg *m, VfuReply *r)
{
    uint64_t count, i;
    int ret = need(m, sizeof(count));

    if (ret) {
        return ret;
    }
    memcpy(&count, m->data, sizeof(count));
    g_string_append_printf(r->log, "writes %" PRIu64, count);
    if (count > VFIO_USER_MULTI_MAX ||
        m->len < sizeof(count) + count * sizeof(VFIOUserWROne)) {
        return -EINVAL;
    }
    for (i = 0; i < count; i++) {
        VFIOUserWROne w;

        memcpy(&w, m->data + sizeof(count) + i * sizeof(w), sizeof(w));
        if (w.count > sizeof(w.data)) {
            return -EINVAL;
        }
        ret = accel_vfio_region_write(a, w.region, w.offset, w.data,
                                      w.count);
        if (ret) {
            return ret;
        }
    }
    return 0;
}

static int handle_reset(CXLAccel *a, VfuMsg *m, VfuReply *r)
{
    accel_reset(a);
    return 0;
}

typedef int (*VfuHandler)(CXLAccel *a, VfuMsg *m, VfuReply *r);

static const VfuHandler handlers[VFIO_USER_MAX] = {
    [VFIO_USER_VERSION] = handle_version,
    [VFIO_USER_DMA_MAP] = handle_dma_map,
    [VFIO_USER_DMA_UNMAP] = handle_dma_unmap,
    [VFIO_USER_DEVICE_GET_INFO] = handle_get_info,
    [VFIO_USER_DEVICE_GET_REGION_INFO] = handle_region_info,
    [VFIO_USER_DEVICE_GET_IRQ_INFO] = handle_irq_info,
    [VFIO_USER_DEVICE_SET_IRQS] = handle_set_irqs,
    [VFIO_USER_REGION_READ] = handle_region_read,
    [VFIO_USER_REGION_WRITE] = handle_region_write,
    [VFIO_USER_DEVICE_RESET] = handle_reset,
    [VFIO_USER_REGION_WRITE_MULTI] = handle_write_multi,
};

/* One connected client */
typedef struct VfuSession {
    CXLAccel *a;
    int fd;
    bool quiet;
    uint16_t next_id;           /* of the requests the device sends */
} VfuSession;

/* Read one message, header and payload; false if the client is lost */
static bool recv_msg(VfuSession *s, VfuMsg *m)
{
    if (!recv_header(s->fd, m)) {
        return false;
    }
    if (m->hdr.size < sizeof(m->hdr) || m->hdr.size > VFU_MAX_DRAIN) {
        /* Cannot find the next message boundary: give up on the client */
        if (!s->quiet) {
            fprintf(stderr, "vfio-user-cxl-accel: message size %u: "
                    "dropping the client\n", m->hdr.size);
        }
        return false;
    }
    m->len = m->hdr.size - sizeof(m->hdr);
    m->data = g_malloc(m->len ? m->len : 1);
    return read_full(s->fd, m->data, m->len);
}

static void msg_free(VfuMsg *m)
{
    msg_close_fds(m);
    g_free(m->data);
    m->data = NULL;
}

/* Serve a request of the client; false if the connection must be dropped */
static bool handle_request(VfuSession *s, VfuMsg *m)
{
    VfuReply r = { .fd = -1 };
    VFIOUserHdr reply = { 0 };
    bool ok = true;
    int extra_fd = -1;
    int ret;

    r.data = g_byte_array_new();
    r.log = g_string_new(NULL);
    if (m->hdr.size > VFU_MAX_MSG) {
        ret = -E2BIG;
    } else if (m->hdr.command < VFIO_USER_MAX && handlers[m->hdr.command]) {
        ret = handlers[m->hdr.command](s->a, m, &r);
    } else {
        ret = -ENOSYS;
    }

    if (s->a->fuzz) {
        uint32_t region = 0;

        if (m->hdr.command == VFIO_USER_REGION_READ && m->len >= 12) {
            memcpy(&region, m->data + 8, sizeof(region));
        }
        ok = accel_fuzz_reply(s->a->fuzz, m->hdr.command, region, r.data,
                              &r.fd, &ret, r.log);
        if (r.fd == -2) {
            r.fd = extra_fd = memfd_create("fuzz-extra", MFD_CLOEXEC);
        }
    }
    if (s->a->opts.fault == ACCEL_FAULT_CLOSE_UNREAD &&
        m->hdr.command == VFIO_USER_DMA_MAP) {
        /* Let the client's next requests arrive, then leave them unread */
        g_usleep(ACCEL_CLOSE_UNREAD_DELAY_US);
        g_string_append(r.log, " (fault: closing, requests unread)");
        ok = false;
    }
    if (!s->quiet) {
        fprintf(stderr, "vfio-user-cxl-accel: #%u %s %s%s%s\n", m->hdr.id,
                command_name(m->hdr.command), r.log->str,
                ret ? " -> error " : "", ret ? strerror(-ret) : "");
    }
    if (ok && !(m->hdr.flags & VFIO_USER_NO_REPLY)) {
        reply.id = m->hdr.id;
        reply.command = m->hdr.command;
        reply.flags = VFIO_USER_REPLY;
        if (ret) {
            reply.flags |= VFIO_USER_ERROR;
            reply.error_reply = -ret;
            g_byte_array_set_size(r.data, 0);
            r.fd = -1;
        }
        reply.size = sizeof(reply) + r.data->len;
        ok = send_all(s->fd, &reply, r.data->data, r.data->len, r.fd);
    }
    if (extra_fd >= 0) {
        close(extra_fd);
    }
    g_byte_array_free(r.data, true);
    g_string_free(r.log, true);
    return ok;
}

/* Handle one message; false if the connection must be dropped */
static bool serve_one(VfuSession *s)
{
    VfuMsg m = { 0 };
    bool ok = recv_msg(s, &m);

    if (ok && (m.hdr.flags & VFIO_USER_TYPE) == VFIO_USER_REQUEST) {
        ok = handle_request(s, &m);
    } else if (ok && !s->quiet) {
        /* We wait for our own replies in dma_rw(); this one is stray. */
        fprintf(stderr, "vfio-user-cxl-accel: #%u %s: unexpected reply, "
                "ignored\n", m.hdr.id, command_name(m.hdr.command));
    }
    msg_free(&m);
    return ok;
}

/*
 * The copy engine's way to the client's memory: a DMA_READ or DMA_WRITE
 * request, then the client's requests served until its reply comes.
 */
static int dma_rw(void *opaque, bool write, uint64_t iova, void *buf,
                  size_t len)
{
    VfuSession *s = opaque;
    VFIOUserDMARW req = { 0 };
    uint16_t id = s->next_id++;
    /*
     * As QEMU has it: the data starts at offsetof(data), and the message
     * size counts sizeof() of the struct, padding included, plus the data.
     */
    size_t header = sizeof(req) - sizeof(req.hdr);
    size_t at = offsetof(VFIOUserDMARW, data) - sizeof(req.hdr);

    req.hdr.id = id;
    req.hdr.command = write ? VFIO_USER_DMA_WRITE : VFIO_USER_DMA_READ;
    req.hdr.flags = VFIO_USER_REQUEST;
    req.hdr.size = sizeof(req) + (write ? len : 0);
    req.offset = iova;
    req.count = len;
    if (write) {
        g_autofree uint8_t *payload = g_malloc0(header + len);

        memcpy(payload, &req.offset, header);
        memcpy(payload + at, buf, len);
        if (!send_all(s->fd, &req.hdr, payload, header + len, -1)) {
            return -ECONNRESET;
        }
    } else if (!send_all(s->fd, &req.hdr, &req.offset, header, -1)) {
        return -ECONNRESET;
    }

    for (;;) {
        VfuMsg m = { 0 };
        int ret = 0;

        if (!recv_msg(s, &m)) {
            msg_free(&m);
            return -ECONNRESET;
        }
        if ((m.hdr.flags & VFIO_USER_TYPE) == VFIO_USER_REQUEST) {
            bool ok = handle_request(s, &m);

            msg_free(&m);
            if (!ok) {
                return -ECONNRESET;
            }
            continue;
        }
        if (m.hdr.id != id || m.hdr.command != req.hdr.command) {
            msg_free(&m);
            continue;           /* a stray reply */
        }
        if (m.hdr.flags & VFIO_USER_ERROR) {
            ret = -(int)(m.hdr.error_reply ? m.hdr.error_reply : EIO);
        } else if (!write && (m.len < at + len)) {
            ret = -EIO;         /* a short DMA_READ reply */
        } else if (!write) {
            memcpy(buf, m.data + at, len);
        }
        msg_free(&m);
        return ret;
    }
}

/*
 * How often the server looks at the copy engine's doorbell: every
 * millisecond while the client is busy, every 50 ms once it has been
 * quiet for 100 looks, so that idle emulators cost next to nothing.
 */
#define VFU_DOORBELL_POLL_MS    1
#define VFU_DOORBELL_IDLE_MS    50
#define VFU_DOORBELL_IDLE_AFTER 100

void vfu_server_serve_client(CXLAccel *a, int fd, bool quiet)
{
    VfuSession s = { .a = a, .fd = fd, .quiet = quiet };
    AccelDMAIO io = { .rw = dma_rw, .opaque = &s };
    struct pollfd p = { .fd = fd, .events = POLLIN };
    unsigned quiet_looks = 0;

    /* A new client sees the device as a fresh open of the vfio device */
    accel_open(a);
    for (;;) {
        g_autoptr(GString) log = g_string_new(NULL);
        int n = poll(&p, 1, quiet_looks < VFU_DOORBELL_IDLE_AFTER ?
                     VFU_DOORBELL_POLL_MS : VFU_DOORBELL_IDLE_MS);
        bool ran;

        if (n < 0 && !interrupted()) {
            break;
        }
        /*
         * The doorbell is in the register page the client maps: like
         * hardware, the device notices it on its own, between messages.
         */
        ran = accel_dma_run(a, &io, log);
        if (ran && !quiet) {
            fprintf(stderr, "vfio-user-cxl-accel: DMA %s\n", log->str);
        }
        g_string_truncate(log, 0);
        if (accel_cache_run(a, &io, log)) {
            ran = true;
            if (!quiet) {
                fprintf(stderr, "vfio-user-cxl-accel: %s\n", log->str);
            }
        }
        quiet_looks = ran || n > 0 ? 0 : quiet_looks + 1;
        if (n > 0 && !serve_one(&s)) {
            break;
        }
        if (vfu_stop && *vfu_stop) {
            break;
        }
    }
    accel_dma_unmap_all(a);
}

bool vfu_server_run(CXLAccel *a, const char *path, bool quiet,
                    volatile sig_atomic_t *stop, GError **errp)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct stat st;
    bool ok = true;
    int lfd;

    vfu_stop = stop;
    if (strlen(path) >= sizeof(addr.sun_path)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG,
                    "socket path %s is too long", path);
        return false;
    }
    /* Replace a stale socket of an earlier run, but nothing else */
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                        "%s exists and is not a socket", path);
            return false;
        }
        unlink(path);
    }
    strcpy(addr.sun_path, path);
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(lfd, 1) < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot listen on %s: %s", path, strerror(errno));
        if (lfd >= 0) {
            close(lfd);
        }
        return false;
    }
    if (!quiet) {
        fprintf(stderr, "vfio-user-cxl-accel: listening on %s\n", path);
    }

    while (!*stop) {
        int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

        if (cfd < 0) {
            if (errno != EINTR && errno != ECONNABORTED) {
                g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                            "accept: %s", strerror(errno));
                ok = false;
                break;
            }
            continue;
        }
        if (!quiet) {
            fprintf(stderr, "vfio-user-cxl-accel: client connected\n");
        }
        if (a->fuzz) {
            uint64_t seed = accel_fuzz_connect(a->fuzz);

            if (!quiet) {
                fprintf(stderr, "vfio-user-cxl-accel: fuzzing this client "
                        "with seed %" PRIu64 "\n", seed);
            }
        }
        vfu_server_serve_client(a, cfd, quiet);
        close(cfd);
        if (!quiet) {
            fprintf(stderr, "vfio-user-cxl-accel: client gone\n");
        }
    }
    close(lfd);
    unlink(path);
    return ok;
}
