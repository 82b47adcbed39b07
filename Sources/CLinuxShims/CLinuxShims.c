#define _GNU_SOURCE
#include "CLinuxShims.h"
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/eventfd.h>
#include <sys/vfs.h>
#include <sys/mman.h>
#include <stdatomic.h>
#include <stdint.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

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

#define DQ_GUARDED_SLOTS 64
static _Atomic(uintptr_t) guarded_base[DQ_GUARDED_SLOTS];
static _Atomic(unsigned long) guarded_length[DQ_GUARDED_SLOTS];
static struct sigaction previous_bus_action;
static pthread_once_t bus_handler_once = PTHREAD_ONCE_INIT;

/// A slot being filled in: its base is not published yet.
#define DQ_SLOT_CLAIMED ((uintptr_t)1)

static void on_bus_error(int signal, siginfo_t *info, void *context) {
    int saved = errno;
    uintptr_t address = (uintptr_t)info->si_addr;
    // Only a fault on memory (not a SIGBUS sent with kill) can be a truncated file.
    for (int slot = 0; info->si_code > 0 && slot < DQ_GUARDED_SLOTS; slot++) {
        uintptr_t base = atomic_load(&guarded_base[slot]);
        unsigned long length = atomic_load(&guarded_length[slot]);
        if (base <= DQ_SLOT_CLAIMED || address < base || address >= base + length) continue;
        void *replaced = mmap((void *)base, length, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (replaced != MAP_FAILED) {
            errno = saved;
            return;  // the faulting access runs again, on the private pages
        }
    }
    // Not a guarded mapping: the previous handler takes it (a fault repeats under it;
    // a sent signal is sent again).
    sigaction(SIGBUS, &previous_bus_action, NULL);
    if (info->si_code <= 0) raise(SIGBUS);
    errno = saved;
    (void)signal;
    (void)context;
}

static void install_bus_handler(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_bus_error;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &previous_bus_action);
}

int dq_guard_shared_mapping(void *base, unsigned long length) {
    pthread_once(&bus_handler_once, install_bus_handler);
    for (int slot = 0; slot < DQ_GUARDED_SLOTS; slot++) {
        uintptr_t empty = 0;
        // Claim the slot, set its length, then publish the base: the handler never
        // pairs a base with another range's length.
        if (atomic_compare_exchange_strong(&guarded_base[slot], &empty, DQ_SLOT_CLAIMED)) {
            atomic_store(&guarded_length[slot], length);
            atomic_store(&guarded_base[slot], (uintptr_t)base);
            return 0;
        }
    }
    return -1;
}

void dq_unguard_shared_mapping(void *base) {
    for (int slot = 0; slot < DQ_GUARDED_SLOTS; slot++) {
        uintptr_t expected = (uintptr_t)base;
        if (atomic_compare_exchange_strong(&guarded_base[slot], &expected, DQ_SLOT_CLAIMED)) {
            atomic_store(&guarded_length[slot], 0);
            atomic_store(&guarded_base[slot], 0);
            return;
        }
    }
}

int dq_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int dq_event_counter(void) {
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}
