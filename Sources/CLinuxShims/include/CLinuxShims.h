#ifndef DQ_CLINUXSHIMS_H
#define DQ_CLINUXSHIMS_H

#include <spawn.h>

/// Linux calls Swift cannot reach through Glibc (their headers are not in the module).

/// prctl(PR_SET_PDEATHSIG, signal): the kernel sends `signal` to the calling process
/// when its parent thread exits. Survives execve. Returns 0, or -1 with errno set.
int dq_set_parent_death_signal(int signal);

/// Makes a child started with `attributes` begin with no signal blocked and every
/// signal at its default action, whatever the parent blocks, ignores or handles (a
/// command must not inherit an ignored SIGINT, or a blocked SIGCHLD that would hang a
/// shell's `wait`); with `own_group`, in a process group of its own. Returns 0 or an
/// error number.
int dq_spawnattr_clean_signals(posix_spawnattr_t *attributes, int own_group);

/// prctl(PR_GET_TIMERSLACK): how late (ns) the kernel may fire the calling thread's
/// timers, so it can batch wake-ups (50 µs by default); -1 with errno set on error.
long dq_timer_slack_ns(void);

/// prctl(PR_SET_TIMERSLACK, ns) for the calling thread. Returns 0, or -1 with errno set.
int dq_set_timer_slack_ns(unsigned long ns);

/// statfs(path).f_type: the filesystem's magic number (linux/magic.h), or -1 with errno
/// set.
long long dq_filesystem_magic(const char *path);

/// Registers [base, base + length), a MAP_SHARED mapping of a file that another process
/// could truncate, with a SIGBUS handler (installed on first use): a fault inside it
/// maps private zero pages over the whole range, so the access and later ones succeed
/// (the mapping is no longer shared) instead of killing the process. Faults elsewhere
/// go to the handler that was there before. Returns 0, or -1 when every slot is taken.
int dq_guard_shared_mapping(void *base, unsigned long length);

/// Forgets a range registered with dq_guard_shared_mapping (before munmap).
void dq_unguard_shared_mapping(void *base);

/// pipe2(fds, O_CLOEXEC): both ends closed in children from the start. Returns 0, or -1
/// with errno set.
int dq_pipe_cloexec(int fds[2]);

/// eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK): a kernel counter to wake a thread sleeping in
/// poll. Returns the descriptor, or -1 with errno set.
int dq_event_counter(void);

#endif
