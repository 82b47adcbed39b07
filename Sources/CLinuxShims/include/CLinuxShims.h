#ifndef DQ_CLINUXSHIMS_H
#define DQ_CLINUXSHIMS_H

/// Linux calls Swift cannot reach through Glibc (their headers are not in the module).

/// prctl(PR_SET_PDEATHSIG, signal): the kernel sends `signal` to the calling process
/// when its parent thread exits. Survives execve. Returns 0, or -1 with errno set.
int dq_set_parent_death_signal(int signal);

#endif
