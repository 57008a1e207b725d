/*
 * Socket-level test of the emulated CXL Type-2 accelerator
 *
 * Runs the server in a child process on a temporary UNIX socket and
 * speaks vfio-user to it: version negotiation, the device-info capability
 * chain with a small then a big argsz, region info with the device-memory
 * fd (whose mapping must reach --mem-file), COMP_REGS access rules over
 * the wire, bad requests, and a second client getting a fresh snapshot;
 * then a --uapi v5 server: no device capability, the COMP_REGS region
 * capability, live COMP_REGS, and the memory behind the Memory Space gate
 * and cleared by a reset, through the client's own mapping.
 *
 * Copyright (c) 2026 QEMU CXL Type-2 team
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include "qemu/bswap.h"
#include "standard-headers/linux/pci_regs.h"
#include "hw/vfio-user/protocol.h"
#include "accel-vfio.h"
#include "vfio-user-server.h"

typedef struct Fixture {
    char *dir;
    char *sock;
    char *mem;
    pid_t pid;
} Fixture;

static Fixture fx;
static uint16_t next_id;

static void start_server(AccelUapi uapi)
{
    fx.dir = g_dir_make_tmp("cxl-accel-sock-XXXXXX", NULL);
    g_assert_nonnull(fx.dir);
    fx.sock = g_build_filename(fx.dir, "sock", NULL);
    fx.mem = g_build_filename(fx.dir, "mem", NULL);

    fx.pid = fork();
    g_assert_cmpint(fx.pid, >=, 0);
    if (fx.pid == 0) {
        static volatile sig_atomic_t never;
        AccelOptions o;
        CXLAccel *a;

        /* A failed assertion aborts the parent: do not outlive it */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() == 1) {
            _exit(1);
        }
        accel_options_init(&o);
        o.mem_file = fx.mem;
        o.uapi = uapi;
        a = accel_new(&o, NULL);
        if (!a || !vfu_server_run(a, fx.sock, true, &never, NULL)) {
            _exit(1);
        }
        _exit(0);
    }
}

static void stop_server(void)
{
    int status;

    kill(fx.pid, SIGKILL);
    waitpid(fx.pid, &status, 0);
    unlink(fx.sock);
    unlink(fx.mem);
    rmdir(fx.dir);
}

static int connect_server(void)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd, tries;

    g_strlcpy(addr.sun_path, fx.sock, sizeof(addr.sun_path));
    for (tries = 0; tries < 500; tries++) {
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        g_assert_cmpint(fd, >=, 0);
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
            return fd;
        }
        close(fd);
        g_usleep(10 * 1000);
    }
    g_assert_not_reached();
}

static void send_msg(int fd, uint16_t cmd, const void *payload, size_t len)
{
    VFIOUserHdr hdr = {
        .id = ++next_id, .command = cmd, .size = sizeof(hdr) + len,
        .flags = VFIO_USER_REQUEST,
    };

    g_assert_cmpint(write(fd, &hdr, sizeof(hdr)), ==, sizeof(hdr));
    if (len) {
        g_assert_cmpint(write(fd, payload, len), ==, len);
    }
}

/* Receive a reply: returns its payload length, fills hdr and *rfd */
static size_t recv_reply(int fd, VFIOUserHdr *hdr, void *buf, size_t size,
                         int *rfd)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct iovec iov = { .iov_base = hdr, .iov_len = sizeof(*hdr) };
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = control.buf, .msg_controllen = sizeof(control.buf),
    };
    struct cmsghdr *c;
    size_t len, got = 0;

    g_assert_cmpint(recvmsg(fd, &msg, MSG_WAITALL), ==, sizeof(*hdr));
    *rfd = -1;
    c = CMSG_FIRSTHDR(&msg);
    if (c && c->cmsg_type == SCM_RIGHTS) {
        memcpy(rfd, CMSG_DATA(c), sizeof(int));
    }
    g_assert_cmpuint(hdr->id, ==, next_id);
    g_assert_cmpuint(hdr->flags & VFIO_USER_TYPE, ==, VFIO_USER_REPLY);
    len = hdr->size - sizeof(*hdr);
    g_assert_cmpuint(len, <=, size);
    while (got < len) {
        ssize_t n = read(fd, (uint8_t *)buf + got, len - got);

        g_assert_cmpint(n, >, 0);
        got += n;
    }
    return len;
}

static size_t call(int fd, uint16_t cmd, const void *req, size_t len,
                   void *buf, size_t size, int *rfd, uint32_t *err)
{
    VFIOUserHdr hdr;
    size_t n;
    int dummy;

    send_msg(fd, cmd, req, len);
    n = recv_reply(fd, &hdr, buf, size, rfd ? rfd : &dummy);
    if (!rfd && dummy >= 0) {
        close(dummy);
    }
    g_assert_cmpuint(hdr.command, ==, cmd);
    *err = hdr.flags & VFIO_USER_ERROR ? hdr.error_reply : 0;
    return n;
}

static void negotiate(int fd)
{
    static const char caps[] = "{\"capabilities\":{\"max_msg_fds\":16}}";
    uint8_t req[4 + sizeof(caps)], buf[512];
    uint32_t err;
    size_t n;

    memset(req, 0, 4);
    memcpy(req + 4, caps, sizeof(caps));
    n = call(fd, VFIO_USER_VERSION, req, sizeof(req), buf, sizeof(buf), NULL,
             &err);
    g_assert_cmpuint(err, ==, 0);
    g_assert_cmpuint(n, >, 4);
    g_assert_cmpuint(lduw_le_p(buf), ==, VFIO_USER_MAJOR_VER);
    g_assert_cmpuint(buf[n - 1], ==, '\0');
    g_assert_nonnull(strstr((char *)buf + 4, "\"capabilities\""));
    g_assert_nonnull(strstr((char *)buf + 4, "\"max_data_xfer_size\""));
}

static uint32_t comp_regs_io(int fd, bool write, uint64_t off,
                             uint32_t count, uint32_t val, uint32_t *err)
{
    uint8_t req[16 + 8] = { 0 }, buf[64];

    stq_le_p(req, off);
    stl_le_p(req + 8, ACCEL_COMP_REGS_REGION);
    stl_le_p(req + 12, count);
    stl_le_p(req + 16, val);
    call(fd, write ? VFIO_USER_REGION_WRITE : VFIO_USER_REGION_READ, req,
         write ? 16 + count : 16, buf, sizeof(buf), NULL, err);
    return *err || write ? 0 : ldl_le_p(buf + 16);
}

/* BAR 2: sparse areas, the shared fd, and the registers behind them */
static void check_bar(int fd)
{
    struct vfio_region_info_cap_sparse_mmap *sp;
    struct vfio_region_info *ri;
    uint8_t buf[256], req[32] = { 0 };
    uint32_t err;
    uint8_t *map;
    int rfd;
    size_t n;

    stl_le_p(req, sizeof(buf));
    stl_le_p(req + 8, VFIO_PCI_BAR0_REGION_INDEX + ACCEL_REG_BAR);
    n = call(fd, VFIO_USER_DEVICE_GET_REGION_INFO, req, sizeof(req), buf,
             sizeof(buf), &rfd, &err);
    g_assert_cmpuint(err, ==, 0);
    g_assert_cmpint(rfd, >=, 0);
    ri = (struct vfio_region_info *)buf;
    g_assert_cmpuint(n, ==, ri->argsz);
    g_assert_cmpuint(ri->flags & VFIO_REGION_INFO_FLAG_CAPS, !=, 0);
    g_assert_cmpuint(ri->cap_offset, ==, sizeof(*ri));
    sp = (void *)(buf + ri->cap_offset);
    g_assert_cmpuint(sp->header.id, ==, VFIO_REGION_INFO_CAP_SPARSE_MMAP);
    g_assert_cmpuint(sp->nr_areas, ==, 1);
    g_assert_cmpuint(sp->areas[0].offset, ==, 0);
    g_assert_cmpuint(sp->areas[0].size, ==, 2 * MiB - 64 * KiB);

    /* The mapped area shows the registers REGION_READ/WRITE see */
    map = mmap(NULL, sp->areas[0].size, PROT_READ | PROT_WRITE, MAP_SHARED,
               rfd, ri->offset + sp->areas[0].offset);
    g_assert_true(map != MAP_FAILED);
    close(rfd);
    g_assert_cmphex(ldl_le_p(map + ACCEL_REG_ID), ==, ACCEL_ID_VALUE);
    stl_le_p(map + ACCEL_REG_SCRATCH, 0xcafe);
    memset(req, 0, sizeof(req));
    stq_le_p(req, ACCEL_REG_SCRATCH);
    stl_le_p(req + 8, VFIO_PCI_BAR0_REGION_INDEX + ACCEL_REG_BAR);
    stl_le_p(req + 12, 4);
    n = call(fd, VFIO_USER_REGION_READ, req, 16, buf, sizeof(buf), NULL,
             &err);
    g_assert_cmpuint(err, ==, 0);
    g_assert_cmpuint(n, ==, 20);
    g_assert_cmphex(ldl_le_p(buf + 16), ==, 0xcafe);
    /* A reset clears the scratch register in the shared memory */
    call(fd, VFIO_USER_DEVICE_RESET, NULL, 0, buf, sizeof(buf), NULL, &err);
    g_assert_cmpuint(err, ==, 0);
    g_assert_cmphex(ldl_le_p(map + ACCEL_REG_SCRATCH), ==, 0);
    munmap(map, 2 * MiB - 64 * KiB);
}

static uint32_t dma_map(int fd, uint64_t iova, uint64_t size)
{
    uint8_t req[32] = { 0 }, buf[64];
    uint32_t err;

    stl_le_p(req, sizeof(struct vfio_iommu_type1_dma_map));
    stl_le_p(req + 4, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
    stq_le_p(req + 16, iova);
    stq_le_p(req + 24, size);
    call(fd, VFIO_USER_DMA_MAP, req, sizeof(req), buf, sizeof(buf), NULL,
         &err);
    return err;
}

static uint32_t dma_unmap(int fd, uint64_t iova, uint64_t size,
                          uint32_t flags)
{
    uint8_t req[24] = { 0 }, buf[64];
    uint32_t err;

    stl_le_p(req, sizeof(struct vfio_iommu_type1_dma_unmap));
    stl_le_p(req + 4, flags);
    stq_le_p(req + 8, iova);
    stq_le_p(req + 16, size);
    call(fd, VFIO_USER_DMA_UNMAP, req, sizeof(req), buf, sizeof(buf), NULL,
         &err);
    return err;
}

/* DMA_MAP/DMA_UNMAP keep the copy engine's table, with QEMU's unmap-all */
static void check_dma_maps(int fd)
{
    g_assert_cmpuint(dma_map(fd, 0x40000000, 0x100000), ==, 0);
    g_assert_cmpuint(dma_map(fd, 0x40080000, 0x100000), ==, EEXIST);
    g_assert_cmpuint(dma_unmap(fd, 0x40000000, 0x1000, 0), ==, EINVAL);
    g_assert_cmpuint(dma_unmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL), ==, 0);
    /* All gone: the same range maps again */
    g_assert_cmpuint(dma_map(fd, 0x40000000, 0x100000), ==, 0);
    g_assert_cmpuint(dma_unmap(fd, 0x40000000, 0x100000, 0), ==, 0);
}

static void test_session(void)
{
    const size_t full = sizeof(struct vfio_device_info) + ACCEL_CXL_CAP_SIZE;
    static const uint8_t expect_cap[] = {
        6, 0, 1, 0,  0, 0, 0, 0,            /* id 6, version 1, next 0 */
        ACCEL_REG_BAR, 0, 0, 0,             /* BAR, reserved */
        1, 0, 0, 0,                         /* FIRMWARE_COMMITTED */
        0x00, 0x10, 0x1f, 0, 0, 0, 0, 0,    /* 2M - 64K + 0x1000 */
        9, 0, 0, 0,  10, 0, 0, 0,           /* region indices */
    };
    uint8_t buf[4096], req[64] = { 0 };
    struct vfio_device_info info;
    struct vfio_region_info ri;
    const uint64_t base_hi = ACCEL_HDM_OFFSET + A_CXL_HDM_DEC_BASE_HI;
    uint32_t err;
    uint8_t *map;
    int fd, rfd, memfd;
    size_t n;

    fd = connect_server();
    negotiate(fd);

    /* GET_INFO with room for the fixed part only, then for everything */
    stl_le_p(req, sizeof(info));
    n = call(fd, VFIO_USER_DEVICE_GET_INFO, req, 16, buf, sizeof(buf), NULL,
             &err);
    g_assert_cmpuint(err, ==, 0);
    g_assert_cmpuint(n, ==, sizeof(info));
    memcpy(&info, buf, sizeof(info));
    g_assert_cmpuint(info.argsz, ==, full);
    g_assert_cmpuint(info.cap_offset, ==, 0);
    g_assert_cmpuint(info.flags & VFIO_DEVICE_FLAGS_CXL, !=, 0);

    stl_le_p(req, info.argsz);
    n = call(fd, VFIO_USER_DEVICE_GET_INFO, req, 16, buf, sizeof(buf), NULL,
             &err);
    g_assert_cmpuint(err, ==, 0);
    g_assert_cmpuint(n, ==, full);
    memcpy(&info, buf, sizeof(info));
    g_assert_cmpuint(info.cap_offset, ==, 24);
    g_assert_cmpuint(info.num_regions, ==, VFIO_PCI_NUM_REGIONS + 2);
    g_assert_cmpmem(buf + 24, n - 24, expect_cap, sizeof(expect_cap));

    /* A truncated GET_INFO (no argsz) is refused, the server lives on */
    call(fd, VFIO_USER_DEVICE_GET_INFO, req, 2, buf, sizeof(buf), NULL,
         &err);
    g_assert_cmpuint(err, ==, EINVAL);
    call(fd, 99, NULL, 0, buf, sizeof(buf), NULL, &err);
    g_assert_cmpuint(err, ==, ENOSYS);

    /* Region info of the device memory: grow argsz, get the fd, map it */
    memset(req, 0, sizeof(req));
    stl_le_p(req, sizeof(ri));
    stl_le_p(req + 8, ACCEL_DPA_REGION);
    n = call(fd, VFIO_USER_DEVICE_GET_REGION_INFO, req, sizeof(ri), buf,
             sizeof(buf), &rfd, &err);
    g_assert_cmpuint(err, ==, 0);
    g_assert_cmpuint(n, ==, sizeof(ri));
    g_assert_cmpint(rfd, ==, -1);
    memcpy(&ri, buf, sizeof(ri));
    g_assert_cmpuint(ri.argsz, >, sizeof(ri));
    stl_le_p(req, ri.argsz);
    n = call(fd, VFIO_USER_DEVICE_GET_REGION_INFO, req, sizeof(ri), buf,
             sizeof(buf), &rfd, &err);
    g_assert_cmpuint(err, ==, 0);
    g_assert_cmpuint(n, ==, ri.argsz);
    g_assert_cmpint(rfd, >=, 0);
    memcpy(&ri, buf, sizeof(ri));
    g_assert_cmpuint(ri.size, ==, 256 * MiB);
    map = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, rfd,
               ri.offset);
    g_assert_true(map != MAP_FAILED);
    memcpy(map + 8192, "through-mmap", 13);
    munmap(map, ri.size);
    close(rfd);
    memfd = open(fx.mem, O_RDONLY);
    g_assert_cmpint(memfd, >=, 0);
    g_assert_cmpint(pread(memfd, buf, 13, 8192), ==, 13);
    g_assert_cmpstr((char *)buf, ==, "through-mmap");
    close(memfd);

    /* COMP_REGS over the wire: dwords only, shadow rules apply */
    g_assert_cmpuint(comp_regs_io(fd, false, base_hi, 4, 0, &err), ==, 0);
    g_assert_cmpuint(err, ==, 0);
    comp_regs_io(fd, true, base_hi, 4, 0x10, &err);
    g_assert_cmpuint(err, ==, 0);
    g_assert_cmpuint(comp_regs_io(fd, false, base_hi, 4, 0, &err), ==, 0x10);
    comp_regs_io(fd, true, base_hi, 2, 0x20, &err);
    g_assert_cmpuint(err, ==, EINVAL);
    comp_regs_io(fd, false, base_hi + 1, 4, 0, &err);
    g_assert_cmpuint(err, ==, EINVAL);

    check_bar(fd);
    check_dma_maps(fd);

    /* DEVICE_RESET: the shadow is re-taken, BASE reads 0 again */
    call(fd, VFIO_USER_DEVICE_RESET, NULL, 0, buf, sizeof(buf), NULL, &err);
    g_assert_cmpuint(err, ==, 0);
    g_assert_cmpuint(comp_regs_io(fd, false, base_hi, 4, 0, &err), ==, 0);
    comp_regs_io(fd, true, base_hi, 4, 0x10, &err);
    close(fd);

    /* A client that goes away mid-message does not take the server down */
    fd = connect_server();
    g_assert_cmpint(write(fd, "\1\0\1", 3), ==, 3);
    close(fd);

    /* A new client gets a fresh snapshot: BASE reads 0 again */
    fd = connect_server();
    negotiate(fd);
    g_assert_cmpuint(comp_regs_io(fd, false, base_hi, 4, 0, &err), ==, 0);
    g_assert_cmpuint(err, ==, 0);
    close(fd);
}

/* REGION_READ/WRITE of a dword of any region; returns what was read */
static uint32_t region_io(int fd, uint32_t region, bool write, uint64_t off,
                          uint32_t val, uint32_t *err)
{
    uint8_t req[16 + 4] = { 0 }, buf[64];

    stq_le_p(req, off);
    stl_le_p(req + 8, region);
    stl_le_p(req + 12, sizeof(val));
    stl_le_p(req + 16, val);
    call(fd, write ? VFIO_USER_REGION_WRITE : VFIO_USER_REGION_READ, req,
         write ? sizeof(req) : 16, buf, sizeof(buf), NULL, err);
    return *err || write ? 0 : ldl_le_p(buf + 16);
}

static void set_mse(int fd, bool on)
{
    uint32_t err;

    region_io(fd, VFIO_PCI_CONFIG_REGION_INDEX, true, PCI_COMMAND,
              on ? PCI_COMMAND_MEMORY : 0, &err);
    g_assert_cmpuint(err, ==, 0);
}

/* In a child, read the first byte of @p: true if that raised SIGBUS */
static bool faults_sigbus(volatile uint8_t *p)
{
    int status;
    pid_t pid = fork();

    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        (void)p[0];
        _exit(0);
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS;
}

/* --uapi v5 over the wire, on a server of its own */
static void test_v5_session(void)
{
    const uint64_t hdm = 2 * MiB - 64 * KiB + 0x1000 + ACCEL_HDM_OFFSET;
    const uint64_t far = 128 * MiB;
    struct vfio_region_info_cap_cxl_comp_regs *cr;
    struct vfio_region_info_cap_type *t;
    struct vfio_device_info info;
    struct vfio_region_info *ri;
    uint8_t buf[4096], req[32] = { 0 };
    Fixture v2 = fx;
    uint32_t err;
    uint8_t *map;
    int fd, rfd;
    size_t n;

    start_server(ACCEL_UAPI_V5);
    fd = connect_server();
    negotiate(fd);

    /* The CXL flag, no capability chain */
    stl_le_p(req, 4096);
    n = call(fd, VFIO_USER_DEVICE_GET_INFO, req, sizeof(info), buf,
             sizeof(buf), NULL, &err);
    g_assert_cmpuint(err, ==, 0);
    g_assert_cmpuint(n, ==, sizeof(info));
    memcpy(&info, buf, sizeof(info));
    g_assert_cmphex(info.flags, ==, VFIO_DEVICE_FLAGS_PCI |
                    VFIO_DEVICE_FLAGS_RESET | VFIO_DEVICE_FLAGS_CXL);
    g_assert_cmpuint(info.cap_offset, ==, 0);

    /* COMP_REGS: type, then where the HDM Decoder Capability is */
    memset(req, 0, sizeof(req));
    stl_le_p(req, sizeof(buf));
    stl_le_p(req + 8, ACCEL_COMP_REGS_REGION);
    n = call(fd, VFIO_USER_DEVICE_GET_REGION_INFO, req, sizeof(req), buf,
             sizeof(buf), NULL, &err);
    g_assert_cmpuint(err, ==, 0);
    ri = (struct vfio_region_info *)buf;
    g_assert_cmpuint(n, ==, ri->argsz);
    g_assert_cmpuint(ri->size, ==, CXL_HDM_DECODER_FIRST +
                     CXL_HDM_DECODER_STRIDE);
    t = (void *)(buf + ri->cap_offset);
    g_assert_cmpuint(t->header.id, ==, VFIO_REGION_INFO_CAP_TYPE);
    g_assert_cmpuint(t->subtype, ==, VFIO_REGION_SUBTYPE_CXL_COMP_REGS);
    g_assert_cmpuint(t->header.next, !=, 0);
    cr = (void *)(buf + t->header.next);
    g_assert_cmpuint(cr->header.id, ==, VFIO_REGION_INFO_CAP_CXL_COMP_REGS);
    g_assert_cmpuint(cr->header.version, ==, 1);
    g_assert_cmpuint(cr->bar, ==, VFIO_PCI_BAR2_REGION_INDEX);
    g_assert_cmphex(cr->offset, ==, hdm);

    /* Live BASE (the host address); writes accepted, dropped */
    g_assert_cmphex(region_io(fd, ACCEL_COMP_REGS_REGION, false,
                              A_CXL_HDM_DEC_BASE_HI, 0, &err), ==,
                    ACCEL_FW_HOST_BASE >> 32);
    region_io(fd, ACCEL_COMP_REGS_REGION, true, A_CXL_HDM_DEC_BASE_HI, 0x10,
              &err);
    g_assert_cmpuint(err, ==, 0);
    g_assert_cmphex(region_io(fd, ACCEL_COMP_REGS_REGION, false,
                              A_CXL_HDM_DEC_BASE_HI, 0, &err), ==,
                    ACCEL_FW_HOST_BASE >> 32);
    /* The decoder block through the BAR: all ones */
    g_assert_cmphex(region_io(fd, VFIO_PCI_BAR0_REGION_INDEX + ACCEL_REG_BAR,
                              false, hdm, 0, &err), ==, UINT32_MAX);

    /* The memory: mapped by the client, behind Memory Space Enable */
    memset(req, 0, sizeof(req));
    stl_le_p(req, sizeof(buf));
    stl_le_p(req + 8, ACCEL_DPA_REGION);
    call(fd, VFIO_USER_DEVICE_GET_REGION_INFO, req, sizeof(req), buf,
         sizeof(buf), &rfd, &err);
    g_assert_cmpuint(err, ==, 0);
    g_assert_cmpint(rfd, >=, 0);
    map = mmap(NULL, ACCEL_DEFAULT_MEM_SIZE, PROT_READ | PROT_WRITE,
               MAP_SHARED, rfd, 0);
    g_assert_true(map != MAP_FAILED);
    close(rfd);
    g_assert_true(faults_sigbus(map));
    region_io(fd, ACCEL_DPA_REGION, false, 0, 0, &err);
    g_assert_cmpuint(err, ==, EIO);

    set_mse(fd, true);
    stl_le_p(map + far, 0x7e57da7a);
    set_mse(fd, false);
    g_assert_true(faults_sigbus(map + far));
    region_io(fd, ACCEL_DPA_REGION, false, far, 0, &err);
    g_assert_cmpuint(err, ==, EIO);
    set_mse(fd, true);
    g_assert_cmphex(region_io(fd, ACCEL_DPA_REGION, false, far, 0, &err), ==,
                    0x7e57da7a);
    g_assert_cmphex(ldl_le_p(map + far), ==, 0x7e57da7a);

    /* A reset clears it, and leaves it gated until MSE again */
    call(fd, VFIO_USER_DEVICE_RESET, NULL, 0, buf, sizeof(buf), NULL, &err);
    g_assert_cmpuint(err, ==, 0);
    g_assert_true(faults_sigbus(map + far));
    set_mse(fd, true);
    g_assert_cmphex(ldl_le_p(map + far), ==, 0);
    munmap(map, ACCEL_DEFAULT_MEM_SIZE);
    close(fd);
    stop_server();
    fx = v2;
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    signal(SIGPIPE, SIG_IGN);
    start_server(ACCEL_UAPI_V2);
    g_test_add_func("/cxl-accel/socket/session", test_session);
    g_test_add_func("/cxl-accel/socket/v5-session", test_v5_session);
    ret = g_test_run();
    stop_server();
    return ret;
}
