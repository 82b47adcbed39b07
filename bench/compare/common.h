/* common.h — shared helpers for the comparison clients in bench/compare/.
 *
 * Timing (CLOCK_MONOTONIC), exact nearest-rank percentiles (dq bench's come
 * from an HdrHistogram with 3 significant digits: within 0.1%), 100-byte
 * bodies for W1/W3/W3L and 16-byte bodies for W5, the two-process W5 harness,
 * and the one output format run.sh reads:
 *
 *   RESULT <TAB> workload <TAB> value <TAB> unit <TAB> notes
 */
#ifndef DQ_COMPARE_COMMON_H
#define DQ_COMPARE_COMMON_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define BODY_LEN 100   /* W1/W2/W3/W3L body size, as dq bench */
#define PING_LEN 16    /* W5 body size, as dq bench */

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "error: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

/* A body of `len` bytes: a unique decimal counter padded with 'x'
 * (unique so an LREM-style ack removes exactly the message it got). */
static void make_body(char *buf, size_t len, uint64_t i) {
    memset(buf, 'x', len);
    char num[32];
    int n = snprintf(num, sizeof num, "%llu", (unsigned long long)i);
    memcpy(buf, num, (size_t)n < len ? (size_t)n : len);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile p (0..100) of n sorted samples. */
static uint64_t pct(const uint64_t *sorted, size_t n, double p) {
    if (n == 0) return 0;
    size_t rank = (size_t)((p / 100.0) * (double)n + 0.999999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return sorted[rank - 1];
}

static void report_rate(const char *workload, uint64_t count, uint64_t elapsed_ns, const char *notes) {
    double rate = elapsed_ns ? (double)count * 1e9 / (double)elapsed_ns : 0;
    printf("RESULT\t%s\t%.0f\tmsgs/s\tn=%llu%s%s\n", workload, rate,
           (unsigned long long)count, notes && *notes ? "; " : "", notes ? notes : "");
    fflush(stdout);
}

/* samples in ns; prints the p50 as the value, p99/p99.9 in the notes. */
static void report_latency(const char *workload, uint64_t *samples, size_t n, const char *notes) {
    qsort(samples, n, sizeof *samples, cmp_u64);
    printf("RESULT\t%s\t%.1f\tus p50\tp99=%.1f us; p99.9=%.1f us; n=%zu%s%s\n", workload,
           pct(samples, n, 50) / 1000.0, pct(samples, n, 99) / 1000.0, pct(samples, n, 99.9) / 1000.0,
           n, notes && *notes ? "; " : "", notes ? notes : "");
    fflush(stdout);
}

/* Arguments shared by both clients: ADDR MODE N SECONDS.
 * A rate run stops at N messages or SECONDS, whichever comes first. */
struct args {
    const char *addr, *mode;
    uint64_t n;
    double seconds;
};

static struct args parse_args(int argc, char **argv, const char *usage) {
    if (argc < 4) die("usage: %s %s", argv[0], usage);
    struct args a = { argv[1], argv[2], strtoull(argv[3], NULL, 10), argc > 4 ? atof(argv[4]) : 10.0 };
    if (a.n == 0) die("N must be > 0");
    return a;
}

static inline int time_up(uint64_t start, double seconds) {
    return (double)(now_ns() - start) > seconds * 1e9;
}

/* Waits for a child process; dies unless it exited 0. */
static void wait_child_ok(pid_t child, const char *what) {
    int status;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("%s process failed", what);
}

/* Two-process barrier for W5: the child writes one byte when it has
 * connected and subscribed; the parent starts timing only after that. */
static void barrier_signal(int fd) { char c = 1; if (write(fd, &c, 1) != 1) die("barrier write"); }
static void barrier_wait(int fd) { char c; if (read(fd, &c, 1) != 1) die("barrier: child failed before ready"); }

/* The W5 request and reply body. */
static const char PING[PING_LEN] = "****************";

/* W5: forks the answering process (`pong(ready_fd, ctx)` connects on its own,
 * calls barrier_signal(ready_fd), answers n requests, exits 0), waits until it
 * is ready, then times n calls of `round_trip(ctx)` and reports them. */
static void ping_pong(uint64_t n, void (*pong)(int ready_fd, void *ctx), void (*round_trip)(void *ctx),
                      void *ctx, const char *notes) {
    int fds[2];
    if (pipe(fds)) die("pipe");
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) { close(fds[0]); pong(fds[1], ctx); _exit(0); }
    close(fds[1]);
    barrier_wait(fds[0]);
    uint64_t *samples = malloc(n * sizeof *samples);
    if (!samples) die("out of memory");
    for (uint64_t i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        round_trip(ctx);
        samples[i] = now_ns() - t0;
    }
    wait_child_ok(child, "pong");
    report_latency("W5", samples, n, notes);
}

#endif
