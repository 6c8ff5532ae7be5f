/* SPDX-License-Identifier: MIT */
/*
 * slow_reader PATH OUT BYTES_PER_SEC
 *
 * Open PATH (typically a FIFO: the open waits for a writer), copy it to
 * OUT ("-" for stdout) at roughly BYTES_PER_SEC, and exit 0 at end of
 * file.  A slow destination for zccp: reads are small and paced against
 * the clock, so the pipe behind PATH stays full and its writer waits.
 * BYTES_PER_SEC takes K, M and G suffixes (powers of 1024).
 *
 * Exit status: 0 at end of file, 1 on an I/O error, 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* About this many reads per second: pacing granularity. */
#define STEPS_PER_SECOND 50
#define MAX_STEP (64 * 1024)

static int parse_rate(const char *text, uint64_t *rate)
{
	char *end;
	unsigned long long value;

	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno || end == text)
		return -1;
	switch (*end) {
	case 'K': case 'k': value <<= 10; end++; break;
	case 'M': case 'm': value <<= 20; end++; break;
	case 'G': case 'g': value <<= 30; end++; break;
	default: break;
	}
	if (*end || value == 0)
		return -1;
	*rate = value;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double when)
{
	double delay = when - now();
	struct timespec ts;

	if (delay <= 0)
		return;
	ts.tv_sec = (time_t)delay;
	ts.tv_nsec = (long)((delay - ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[MAX_STEP];
	uint64_t rate, total = 0;
	size_t step;
	double start;
	int in, out;

	if (argc != 4 || parse_rate(argv[3], &rate) < 0) {
		fprintf(stderr, "usage: slow_reader PATH OUT BYTES_PER_SEC\n");
		return 2;
	}
	step = rate / STEPS_PER_SECOND;
	if (step == 0)
		step = 1;
	if (step > MAX_STEP)
		step = MAX_STEP;

	in = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		fprintf(stderr, "slow_reader: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	if (strcmp(argv[2], "-") == 0) {
		out = STDOUT_FILENO;
	} else {
		out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			   0644);
		if (out < 0) {
			fprintf(stderr, "slow_reader: %s: %s\n", argv[2],
				strerror(errno));
			return 1;
		}
	}

	/* The clock starts with the first byte, not when the writer
	 * shows up. */
	start = -1;
	for (;;) {
		ssize_t n = read(in, buf, step);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "slow_reader: read %s: %s\n", argv[1],
				strerror(errno));
			return 1;
		}
		if (n == 0)
			break;
		if (start < 0)
			start = now();
		if (write_all(out, buf, (size_t)n) < 0) {
			fprintf(stderr, "slow_reader: write %s: %s\n", argv[2],
				strerror(errno));
			return 1;
		}
		total += (uint64_t)n;
		sleep_until(start + (double)total / (double)rate);
	}
	if (out != STDOUT_FILENO && close(out) < 0) {
		fprintf(stderr, "slow_reader: close %s: %s\n", argv[2],
			strerror(errno));
		return 1;
	}
	return 0;
}
