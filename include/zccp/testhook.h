/* SPDX-License-Identifier: MIT */
/*
 * Points where a test acts on zccp from outside (corrupts a copy, runs
 * another zccp beside it).  An environment variable names a FIFO; zccp
 * opens it for writing to say it is there, then reads it until the test
 * closes its end.  A knob may name several points, passed in turn.
 * Without the variable nothing happens.
 */
#ifndef ZCCP_TESTHOOK_H
#define ZCCP_TESTHOOK_H

/* Wait at this point if the environment variable knob names a FIFO. */
void zccp_test_pause(const char *knob);

#endif
