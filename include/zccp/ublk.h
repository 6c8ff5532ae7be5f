/* SPDX-License-Identifier: MIT */
/*
 * The ublk UAPI of Linux 6.12 that Debian 12's <linux/ublk_cmd.h> (from
 * 6.1) lacks: ioctl-encoded commands (the only ones a kernel built
 * without CONFIG_BLKDEV_UBLK_LEGACY_OPCODES accepts) and newer flags.
 * Values from include/uapi/linux/ublk_cmd.h of 6.12.
 */
#ifndef ZCCP_UBLK_H
#define ZCCP_UBLK_H

#include <linux/ublk_cmd.h>
#include <linux/ioctl.h>

/* Control commands, ioctl-encoded (6.3, "ublk: add ioctl encoding"). */
#ifndef UBLK_U_CMD_GET_QUEUE_AFFINITY
#define UBLK_U_CMD_GET_QUEUE_AFFINITY \
	_IOR('u', UBLK_CMD_GET_QUEUE_AFFINITY, struct ublksrv_ctrl_cmd)
#endif
#ifndef UBLK_U_CMD_GET_DEV_INFO
#define UBLK_U_CMD_GET_DEV_INFO \
	_IOR('u', UBLK_CMD_GET_DEV_INFO, struct ublksrv_ctrl_cmd)
#endif
#ifndef UBLK_U_CMD_ADD_DEV
#define UBLK_U_CMD_ADD_DEV \
	_IOWR('u', UBLK_CMD_ADD_DEV, struct ublksrv_ctrl_cmd)
#endif
#ifndef UBLK_U_CMD_DEL_DEV
#define UBLK_U_CMD_DEL_DEV \
	_IOWR('u', UBLK_CMD_DEL_DEV, struct ublksrv_ctrl_cmd)
#endif
#ifndef UBLK_U_CMD_START_DEV
#define UBLK_U_CMD_START_DEV \
	_IOWR('u', UBLK_CMD_START_DEV, struct ublksrv_ctrl_cmd)
#endif
#ifndef UBLK_U_CMD_STOP_DEV
#define UBLK_U_CMD_STOP_DEV \
	_IOWR('u', UBLK_CMD_STOP_DEV, struct ublksrv_ctrl_cmd)
#endif
#ifndef UBLK_U_CMD_SET_PARAMS
#define UBLK_U_CMD_SET_PARAMS \
	_IOWR('u', UBLK_CMD_SET_PARAMS, struct ublksrv_ctrl_cmd)
#endif
#ifndef UBLK_U_CMD_GET_PARAMS
#define UBLK_U_CMD_GET_PARAMS \
	_IOR('u', UBLK_CMD_GET_PARAMS, struct ublksrv_ctrl_cmd)
#endif
/* GET_DEV_INFO2 (6.5, with unprivileged devices): 0x12. */
#ifndef UBLK_CMD_GET_DEV_INFO2
#define UBLK_CMD_GET_DEV_INFO2 0x12
#endif
#ifndef UBLK_U_CMD_GET_DEV_INFO2
#define UBLK_U_CMD_GET_DEV_INFO2 \
	_IOR('u', UBLK_CMD_GET_DEV_INFO2, struct ublksrv_ctrl_cmd)
#endif
/* GET_FEATURES (6.5): 64 bits of UBLK_F_* the kernel supports. */
#ifndef UBLK_U_CMD_GET_FEATURES
#define UBLK_U_CMD_GET_FEATURES _IOR('u', 0x13, struct ublksrv_ctrl_cmd)
#endif
/* DEL_DEV_ASYNC (6.9): delete without waiting for the last close. */
#ifndef UBLK_U_CMD_DEL_DEV_ASYNC
#define UBLK_U_CMD_DEL_DEV_ASYNC _IOR('u', 0x14, struct ublksrv_ctrl_cmd)
#endif
/* The length GET_FEATURES wants in ublksrv_ctrl_cmd.len (6.5). */
#ifndef UBLK_FEATURES_LEN
#define UBLK_FEATURES_LEN 8
#endif

/* I/O commands on /dev/ublkcN, ioctl-encoded (6.3). */
#ifndef UBLK_U_IO_FETCH_REQ
#define UBLK_U_IO_FETCH_REQ \
	_IOWR('u', UBLK_IO_FETCH_REQ, struct ublksrv_io_cmd)
#endif
#ifndef UBLK_U_IO_COMMIT_AND_FETCH_REQ
#define UBLK_U_IO_COMMIT_AND_FETCH_REQ \
	_IOWR('u', UBLK_IO_COMMIT_AND_FETCH_REQ, struct ublksrv_io_cmd)
#endif
#ifndef UBLK_U_IO_NEED_GET_DATA
#define UBLK_U_IO_NEED_GET_DATA \
	_IOWR('u', UBLK_IO_NEED_GET_DATA, struct ublksrv_io_cmd)
#endif

/* Unprivileged devices (6.5): the caller owns /dev/ublk[bc]N. */
#ifndef UBLK_F_UNPRIVILEGED_DEV
#define UBLK_F_UNPRIVILEGED_DEV (1ULL << 5)
#endif
/* The kernel takes ioctl-encoded commands (6.3; 6.12 always sets it). */
#ifndef UBLK_F_CMD_IOCTL_ENCODE
#define UBLK_F_CMD_IOCTL_ENCODE (1ULL << 6)
#endif
/* Data moved by pread()/pwrite() on /dev/ublkcN, not a buffer (6.5). */
#ifndef UBLK_F_USER_COPY
#define UBLK_F_USER_COPY (1ULL << 7)
#endif
/* Zoned devices, needs USER_COPY (6.6). */
#ifndef UBLK_F_ZONED
#define UBLK_F_ZONED (1ULL << 8)
#endif

/* Where USER_COPY's pread()/pwrite() address a request (6.5). */
#ifndef UBLK_IO_BUF_BITS
#define UBLK_IO_BUF_OFF 0
#define UBLK_IO_BUF_BITS 25
#define UBLK_IO_BUF_BITS_MASK ((1ULL << UBLK_IO_BUF_BITS) - 1)
#define UBLK_TAG_OFF UBLK_IO_BUF_BITS
#define UBLK_TAG_BITS 16
#define UBLK_TAG_BITS_MASK ((1ULL << UBLK_TAG_BITS) - 1)
#define UBLK_QID_OFF (UBLK_TAG_OFF + UBLK_TAG_BITS)
#define UBLK_QID_BITS 12
#define UBLK_QID_BITS_MASK ((1ULL << UBLK_QID_BITS) - 1)
#define UBLK_MAX_NR_QUEUES (1U << UBLK_QID_BITS)
#endif

/* Parameter types: read-only dev_t (6.2) and zoned limits (6.6). */
#ifndef UBLK_PARAM_TYPE_DEVT
#define UBLK_PARAM_TYPE_DEVT (1 << 2)
#endif
#ifndef UBLK_PARAM_TYPE_ZONED
#define UBLK_PARAM_TYPE_ZONED (1 << 3)
#endif

/*
 * Zero copy (kernel/patches 7, with USER_COPY): this io command leads an
 * SQE group and lends request tag's pages to its IOSQE_GROUP_KBUF members.
 * 0x23 as in the series posted in 2024 (mainline 6.15 later gave 0x23 to
 * UBLK_U_IO_REGISTER_IO_BUF, which no 6.12 kernel has).
 */
#ifndef UBLK_F_SUPPORT_ZERO_COPY
#define UBLK_F_SUPPORT_ZERO_COPY (1ULL << 0)
#endif
#ifndef UBLK_U_IO_PROVIDE_IO_BUF
#define UBLK_U_IO_PROVIDE_IO_BUF _IOWR('u', 0x23, struct ublksrv_io_cmd)
#endif

#endif
