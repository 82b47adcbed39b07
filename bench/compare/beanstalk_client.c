/* beanstalk_client.c — beanstalkd (an SQS-style work queue: reserve with a
 * time-to-run lease, delete as the ack) analogues of dq's standard workloads.
 *
 * Speaks beanstalkd's text protocol over its unix socket (-l unix:PATH),
 * one command in flight at a time, so every figure includes one
 * client->server->client round trip per command.
 *
 *   w1   put <100 B> (ttr 30 s), one command per message      (dq W1, put 1/tx)
 *   w3l  reserve-with-timeout 0 + delete <id>                  (dq W3L, lease + ack;
 *        on a pre-filled tube                                    beanstalkd has no
 *                                                                remove-on-read, so
 *                                                                this is its W3 too)
 *   w5   two processes (fork): A put req, reserve rep, delete;  (dq W5, ping-pong)
 *        B reserve req, delete, put rep; 16-byte bodies
 *
 * usage: beanstalk_client SOCKET MODE N [SECONDS]
 * Rate modes stop at N messages or SECONDS, whichever first. Output: RESULT
 * lines (see common.h). Build: cc -O2 beanstalk_client.c
 */
#define _GNU_SOURCE
#include "common.h"
#include <sys/socket.h>
#include <sys/un.h>

#define TTR 30

struct conn {
    int fd;
    char buf[65536];
    size_t len;
};

static void conn_open(struct conn *c, const char *path) {
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path) die("socket path too long");
    strcpy(sa.sun_path, path);
    c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof sa)) die("connect %s", path);
    c->len = 0;
}

static void send_all(struct conn *c, const char *p, size_t n) {
    while (n) {
        ssize_t w = write(c->fd, p, n);
        if (w <= 0) die("write to beanstalkd failed");
        p += w; n -= (size_t)w;
    }
}

/* Reads until buf holds at least `need` bytes. */
static void fill(struct conn *c, size_t need) {
    while (c->len < need) {
        ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
        if (r <= 0) die("beanstalkd closed the connection");
        c->len += (size_t)r;
    }
}

static void consume(struct conn *c, size_t n) {
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

/* Reads one "\r\n"-terminated reply line into `line` (without CRLF). */
static void read_line(struct conn *c, char *line, size_t cap) {
    for (;;) {
        char *end = memmem(c->buf, c->len, "\r\n", 2);
        if (end) {
            size_t n = (size_t)(end - c->buf);
            if (n >= cap) die("reply line too long");
            memcpy(line, c->buf, n);
            line[n] = 0;
            consume(c, n + 2);
            return;
        }
        fill(c, c->len + 1);
    }
}

static void simple(struct conn *c, const char *command, const char *expect) {
    char line[256];
    send_all(c, command, strlen(command));
    read_line(c, line, sizeof line);
    if (strncmp(line, expect, strlen(expect))) die("'%.*s' -> '%s'", (int)strcspn(command, "\r"), command, line);
}

static void put(struct conn *c, const char *body, size_t len) {
    char msg[256 + BODY_LEN], line[256];
    int h = snprintf(msg, sizeof msg, "put 0 0 %d %zu\r\n", TTR, len);
    memcpy(msg + h, body, len);
    memcpy(msg + h + len, "\r\n", 2);
    send_all(c, msg, (size_t)h + len + 2);
    read_line(c, line, sizeof line);
    if (strncmp(line, "INSERTED ", 9)) die("put -> '%s'", line);
}

/* reserve-with-timeout; returns the job id (0 on TIMED_OUT), body discarded. */
static unsigned long long reserve(struct conn *c, int timeout) {
    char cmdline[64], line[256];
    unsigned long long id;
    size_t bytes;
    int n = snprintf(cmdline, sizeof cmdline, "reserve-with-timeout %d\r\n", timeout);
    send_all(c, cmdline, (size_t)n);
    read_line(c, line, sizeof line);
    if (!strcmp(line, "TIMED_OUT")) return 0;
    if (sscanf(line, "RESERVED %llu %zu", &id, &bytes) != 2) die("reserve -> '%s'", line);
    fill(c, bytes + 2);
    consume(c, bytes + 2);
    return id;
}

static void delete_job(struct conn *c, unsigned long long id) {
    char cmdline[64];
    snprintf(cmdline, sizeof cmdline, "delete %llu\r\n", id);
    simple(c, cmdline, "DELETED");
}

static void tubes(struct conn *c, const char *use, const char *watch) {
    char cmdline[128];
    snprintf(cmdline, sizeof cmdline, "use %s\r\n", use);
    simple(c, cmdline, "USING");
    snprintf(cmdline, sizeof cmdline, "watch %s\r\n", watch);
    simple(c, cmdline, "WATCHING");
    if (strcmp(watch, "default")) simple(c, "ignore default\r\n", "WATCHING");
}

static void pong(const char *path, uint64_t n, int ready_fd) {
    static struct conn connection;
    struct conn *c = &connection;
    conn_open(c, path);
    tubes(c, "rep", "req");
    barrier_signal(ready_fd);
    for (uint64_t i = 0; i < n; i++) {
        unsigned long long id = reserve(c, 60);
        if (!id) die("pong: no request for 60 s");
        delete_job(c, id);
        put(c, PING, PING_LEN);
    }
    _exit(0);
}

/* W5: the parent's connection, and what the answering process needs. */
struct w5 { struct conn *c; const char *addr; uint64_t n; };

static void w5_pong(int ready_fd, void *ctx) {
    struct w5 *w = ctx;
    close(w->c->fd);
    pong(w->addr, w->n, ready_fd);
}

static void w5_ping(void *ctx) {
    struct w5 *w = ctx;
    put(w->c, PING, PING_LEN);
    unsigned long long id = reserve(w->c, 60);
    if (!id) die("ping: no reply for 60 s");
    delete_job(w->c, id);
}

int main(int argc, char **argv) {
    struct args a = parse_args(argc, argv, "SOCKET w1|w3l|w5 N [SECONDS]");
    static struct conn connection;
    struct conn *c = &connection;
    char body[BODY_LEN];
    uint64_t done = 0, start;
    conn_open(c, a.addr);

    if (!strcmp(a.mode, "w1")) {
        tubes(c, "w1", "w1");
        start = now_ns();
        for (; done < a.n && !time_up(start, a.seconds); done++) {
            make_body(body, BODY_LEN, done);
            put(c, body, BODY_LEN);
        }
        report_rate("W1", done, now_ns() - start, "put, 1 command in flight");
    } else if (!strcmp(a.mode, "w3l")) {
        tubes(c, "w3l", "w3l");
        for (uint64_t i = 0; i < a.n; i++) { make_body(body, BODY_LEN, i); put(c, body, BODY_LEN); }
        start = now_ns();
        for (; done < a.n && !time_up(start, a.seconds); done++) {
            unsigned long long id = reserve(c, 0);
            if (!id) die("reserve: tube empty early");
            delete_job(c, id);
        }
        report_rate("W3L", done, now_ns() - start, "reserve (TTR 30 s lease) + delete; also its only W3");
    } else if (!strcmp(a.mode, "w5")) {
        tubes(c, "req", "rep");
        struct w5 w = { c, a.addr, a.n };
        ping_pong(a.n, w5_pong, w5_ping, &w, "put + reserve + delete each side, 2 processes");
    } else {
        die("unknown mode %s", a.mode);
    }
    close(c->fd);
    return 0;
}
