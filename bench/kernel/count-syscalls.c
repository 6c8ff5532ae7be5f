/* bench/kernel/count-syscalls: how often a program makes one system call.
 *
 *   count-syscalls NR PROGRAM [ARG]...
 *
 * Runs PROGRAM under ptrace, counts the entries into system call number
 * NR made by it and every thread or child it starts, and prints
 *
 *   syscalls NR COUNT
 *
 * on stderr once it has exited; the exit status is PROGRAM's (or 128 +
 * signal).  It exists because the guest of kernel/run-qemu has no strace
 * and no tracing: a static binary that counts is all it needs.  Every
 * system call stops twice under ptrace, so time a program in a separate
 * run, never under this counter. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

/* A traced thread is inside a system call between its two stops. */
#define MAX_THREADS 256

struct thread {
	pid_t tid;
	int in_syscall;
};

static struct thread threads[MAX_THREADS];

static struct thread *thread_of(pid_t tid)
{
	struct thread *free_slot = NULL;

	for (int i = 0; i < MAX_THREADS; i++) {
		if (threads[i].tid == tid)
			return &threads[i];
		if (!threads[i].tid && !free_slot)
			free_slot = &threads[i];
	}
	if (!free_slot) {
		fprintf(stderr, "count-syscalls: more than %d threads\n", MAX_THREADS);
		exit(125);
	}
	free_slot->tid = tid;
	free_slot->in_syscall = 0;
	return free_slot;
}

static void forget(pid_t tid)
{
	thread_of(tid)->tid = 0;
}

int main(int argc, char **argv)
{
	const long options = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE |
			     PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
			     PTRACE_O_EXITKILL;
	unsigned long long count = 0;
	int status, exit_status = 125;
	char *end;
	long nr;
	pid_t child;

	if (argc < 3) {
		fprintf(stderr, "usage: count-syscalls NR PROGRAM [ARG]...\n");
		return 125;
	}
	nr = strtol(argv[1], &end, 10);
	if (*end || nr < 0) {
		fprintf(stderr, "count-syscalls: bad system call number %s\n", argv[1]);
		return 125;
	}

	child = fork();
	if (child < 0) {
		perror("count-syscalls: fork");
		return 125;
	}
	if (child == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		execvp(argv[2], argv + 2);
		fprintf(stderr, "count-syscalls: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	if (waitpid(child, &status, 0) < 0 || !WIFSTOPPED(status) ||
	    ptrace(PTRACE_SETOPTIONS, child, NULL, (void *)options) < 0) {
		perror("count-syscalls: ptrace");
		return 125;
	}
	thread_of(child);
	ptrace(PTRACE_SYSCALL, child, NULL, NULL);

	for (;;) {
		int sig = 0;
		pid_t tid = waitpid(-1, &status, __WALL);

		if (tid < 0) {
			if (errno == ECHILD)
				break;
			perror("count-syscalls: waitpid");
			return 125;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (tid == child)
				exit_status = WIFEXITED(status) ?
					      WEXITSTATUS(status) :
					      128 + WTERMSIG(status);
			forget(tid);
			continue;
		}
		if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
			struct thread *t = thread_of(tid);
			struct user_regs_struct regs;

			/* count on entry; the exit stop only flips the state */
			if (!t->in_syscall &&
			    ptrace(PTRACE_GETREGS, tid, NULL, &regs) == 0 &&
			    (long)regs.orig_rax == nr)
				count++;
			t->in_syscall = !t->in_syscall;
		} else if (WSTOPSIG(status) == SIGTRAP) {
			/* a clone/fork event: the new task reports itself */
		} else if (WSTOPSIG(status) != SIGSTOP) {
			sig = WSTOPSIG(status);
		}
		ptrace(PTRACE_SYSCALL, tid, NULL, (void *)(long)sig);
	}
	fprintf(stderr, "syscalls %ld %llu\n", nr, count);
	return exit_status;
}
