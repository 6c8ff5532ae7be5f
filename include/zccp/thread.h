/* SPDX-License-Identifier: MIT */
/* zccp's helper threads (digest, progress, watchdog, read-back). */
#ifndef ZCCP_THREAD_H
#define ZCCP_THREAD_H

#include <pthread.h>
#include <signal.h>

/*
 * pthread_create with SIGINT, SIGTERM and SIGHUP blocked in the new
 * thread: the handler that removes temporaries must run on the main
 * thread, never beside it while it renames; 0 or -errno.
 */
static inline int zccp_thread_create(pthread_t *thread,
				     void *(*fn)(void *), void *arg)
{
	sigset_t block, old;
	int ret;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	ret = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -ret;
}

#endif
