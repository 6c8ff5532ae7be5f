/* bench/timeit: run a command and report what it cost, for bench/run.
 *
 *   timeit RESULT [-c CGROUP_PROCS] PROGRAM [ARG]...
 *
 * Forks, optionally writes the child's pid into CGROUP_PROCS (so the
 * command and everything it starts run in that cgroup), execs PROGRAM and
 * waits for it.  Writes one line to RESULT:
 *
 *   wall_ns user_us sys_us maxrss_kib inblock exit_code
 *
 * from wait4(): user and sys are summed over the whole process tree,
 * maxrss is its largest process, inblock counts 512-byte blocks read from
 * block devices (the sum of /proc/PID/io read_bytes / 512).  This small
 * program exists so that the measured tree starts from a small process:
 * Linux carries the high-water RSS of the memory a process had before
 * exec() into its maxrss, and bench/run's Python is 20 MiB. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void join_cgroup(const char *procs)
{
	FILE *f = fopen(procs, "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0) {
		perror(procs);
		_exit(126);
	}
}

int main(int argc, char **argv)
{
	const char *cgroup = NULL;
	int first = 2;
	if (argc > 3 && strcmp(argv[2], "-c") == 0) {
		cgroup = argv[3];
		first = 4;
	}
	if (argc <= first) {
		fprintf(stderr, "usage: timeit RESULT [-c CGROUP_PROCS] PROGRAM [ARG]...\n");
		return 2;
	}
	long long start = now_ns();
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		if (cgroup)
			join_cgroup(cgroup);
		execvp(argv[first], argv + first);
		perror(argv[first]);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("wait4");
		return 2;
	}
	long long wall = now_ns() - start;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	FILE *out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 2;
	}
	fprintf(out, "%lld %lld %lld %ld %ld %d\n", wall,
		ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec,
		ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec,
		ru.ru_maxrss, ru.ru_inblock, code);
	return fclose(out) == 0 ? code : 2;
}
