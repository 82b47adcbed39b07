#include "CLinuxShims.h"
#include <sys/prctl.h>

int dq_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0);
}
