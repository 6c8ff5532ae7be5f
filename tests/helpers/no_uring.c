/* SPDX-License-Identifier: MIT */
/*
 * no_uring [--errno=ENOSYS|EPERM] CMD [ARGS...]
 *
 * Run CMD where io_uring_setup, io_uring_enter and io_uring_register
 * fail with ENOSYS (the default) or EPERM, the way container runtimes'
 * default seccomp profiles make them fail (Docker, containerd and
 * podman deny them; some return EPERM, others ENOSYS).  Everything
 * else is allowed.
 *
 * A raw classic-BPF filter: no libseccomp.  The filter checks the
 * architecture first, because syscall numbers mean different things
 * under another ABI; a foreign ABI (e.g. an i386 binary on x86_64) is
 * killed rather than let through unfiltered.  On x86_64 the x32 ABI's
 * numbers (bit 30 set) are matched too.
 *
 * Exit status: CMD's, or 125 (our own failure), 126/127 (like env(1):
 * CMD found but not runnable / not found).
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The io_uring numbers are the same on every architecture that uses
 * the generic table (they were added after the tables were unified). */
#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif
#ifndef __NR_io_uring_enter
#define __NR_io_uring_enter 426
#endif
#ifndef __NR_io_uring_register
#define __NR_io_uring_register 427
#endif

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define X32_SYSCALL_BIT 0x40000000u
#elif defined(__i386__)
#define NATIVE_ARCH AUDIT_ARCH_I386
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH AUDIT_ARCH_RISCV64
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ARCH AUDIT_ARCH_PPC64LE
#elif defined(__s390x__)
#define NATIVE_ARCH AUDIT_ARCH_S390X
#elif defined(__arm__)
#define NATIVE_ARCH AUDIT_ARCH_ARM
#else
#error "no_uring: add this architecture's AUDIT_ARCH_* value"
#endif

#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS SECCOMP_RET_KILL
#endif

static void usage(FILE *out)
{
	fprintf(out, "usage: no_uring [--errno=ENOSYS|EPERM] CMD [ARGS...]\n"
		     "Run CMD with the io_uring syscalls failing with that "
		     "errno (default ENOSYS).\n");
}

static int install_filter(unsigned err)
{
	const unsigned deny = SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA);
	struct sock_filter filter[] = {
		/* [0] Refuse to interpret numbers of another ABI. */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		/* [1] */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
		/* [2] */
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		/* [3] */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
#ifdef X32_SYSCALL_BIT
		/* [4] x32 uses the same numbers with bit 30 set. */
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~X32_SYSCALL_BIT),
#endif
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_enter, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_register, 1,
			 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, deny),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};

	/* Lets an unprivileged process install a filter, and keeps
	 * set-uid programs under CMD from escaping it. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		perror("no_uring: prctl(PR_SET_NO_NEW_PRIVS)");
		return -1;
	}
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		perror("no_uring: prctl(PR_SET_SECCOMP)");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned err = ENOSYS;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		} else if (strcmp(arg, "-h") == 0 ||
			   strcmp(arg, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(arg, "--errno=ENOSYS") == 0) {
			err = ENOSYS;
		} else if (strcmp(arg, "--errno=EPERM") == 0) {
			err = EPERM;
		} else {
			fprintf(stderr, "no_uring: bad option: %s\n", arg);
			usage(stderr);
			return 125;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 125;
	}
	if (install_filter(err) < 0)
		return 125;

	/* Make sure the filter is in force before trusting it. */
	if (syscall(__NR_io_uring_setup, 0, NULL) != -1 ||
	    errno != (int)err) {
		fprintf(stderr, "no_uring: io_uring_setup is not blocked "
				"(errno %d)\n", errno);
		return 125;
	}

	execvp(argv[i], argv + i);
	fprintf(stderr, "no_uring: %s: %s\n", argv[i], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
