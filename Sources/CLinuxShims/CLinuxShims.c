#include "CLinuxShims.h"
#include <signal.h>
#include <sys/prctl.h>
#include <sys/vfs.h>

int dq_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0);
}

long dq_timer_slack_ns(void) {
    return prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
}

int dq_set_timer_slack_ns(unsigned long ns) {
    return prctl(PR_SET_TIMERSLACK, ns, 0, 0, 0);
}

int dq_spawnattr_clean_signals(posix_spawnattr_t *attributes, int own_group) {
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    int error = posix_spawnattr_setsigmask(attributes, &none);
    if (!error) error = posix_spawnattr_setsigdefault(attributes, &all);
    if (!error && own_group) {
        flags |= POSIX_SPAWN_SETPGROUP;
        error = posix_spawnattr_setpgroup(attributes, 0);
    }
    if (!error) error = posix_spawnattr_setflags(attributes, flags);
    return error;
}

long long dq_filesystem_magic(const char *path) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    return (long long)(unsigned long long)info.f_type;
}
