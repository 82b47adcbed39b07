/* redis_client.c — Redis list analogues of dq's standard workloads.
 *
 * Talks to a private redis-server over its unix socket with hiredis, one
 * command in flight at a time (no pipelining), so every figure includes one
 * client->server->client round trip per command.
 *
 *   w1   LPUSH q <100 B>, one command per message            (dq W1, put 1/tx)
 *   w2   LPUSH q <1000 x 100 B> per command                  (dq W2, batch put)
 *   w3   RPOP q on a pre-filled list                          (dq W3, get)
 *   w3l  LMOVE q q:processing RIGHT LEFT, then                (dq W3L, lease+ack:
 *        LREM q:processing 1 <body> as the ack                 the "reliable queue" pattern)
 *   w5   two processes (fork): A LPUSH req + BRPOP rep,        (dq W5, ping-pong)
 *        B BRPOP req + LPUSH rep; 16-byte bodies; RTT p50/p99
 *
 * usage: redis_client SOCKET MODE N [SECONDS]
 * Rate modes stop at N messages or SECONDS, whichever first. Output: RESULT
 * lines (see common.h). Build: cc -O2 redis_client.c -lhiredis
 */
#include "common.h"
#include <hiredis/hiredis.h>
#include <sys/wait.h>

static redisContext *connect_or_die(const char *path) {
    redisContext *c = redisConnectUnix(path);
    if (!c || c->err) die("connect %s: %s", path, c ? c->errstr : "alloc");
    return c;
}

static redisReply *cmd(redisContext *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!r) die("redis: %s", c->errstr);
    if (r->type == REDIS_REPLY_ERROR) die("redis: %s", r->str);
    return r;
}

/* LPUSH key with `count` bodies in one command (argv form). */
static void lpush_many(redisContext *c, const char *key, uint64_t first, size_t count) {
    size_t argc = count + 2;
    const char **argv = malloc(argc * sizeof *argv);
    size_t *lens = malloc(argc * sizeof *lens);
    char *bodies = malloc(count * BODY_LEN);
    argv[0] = "LPUSH"; lens[0] = 5;
    argv[1] = key; lens[1] = strlen(key);
    for (size_t i = 0; i < count; i++) {
        make_body(bodies + i * BODY_LEN, BODY_LEN, first + i);
        argv[i + 2] = bodies + i * BODY_LEN;
        lens[i + 2] = BODY_LEN;
    }
    redisReply *r = redisCommandArgv(c, (int)argc, argv, lens);
    if (!r || r->type == REDIS_REPLY_ERROR) die("LPUSH batch failed");
    freeReplyObject(r);
    free(argv); free(lens); free(bodies);
}

static void prefill(redisContext *c, const char *key, uint64_t n) {
    freeReplyObject(cmd(c, "DEL %s", key));
    for (uint64_t i = 0; i < n; i += 1000) lpush_many(c, key, i, n - i < 1000 ? n - i : 1000);
}

static void pong(const char *path, uint64_t n, int ready_fd) {
    redisContext *c = connect_or_die(path);
    barrier_signal(ready_fd);
    for (uint64_t i = 0; i < n; i++) {
        redisReply *r = cmd(c, "BRPOP dq:req 60");
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) die("pong: no request for 60 s");
        freeReplyObject(cmd(c, "LPUSH dq:rep %b", r->element[1]->str, r->element[1]->len));
        freeReplyObject(r);
    }
    redisFree(c);
    _exit(0);
}

int main(int argc, char **argv) {
    struct args a = parse_args(argc, argv, "SOCKET w1|w2|w3|w3l|w5 N [SECONDS]");
    redisContext *c = connect_or_die(a.addr);
    char body[BODY_LEN];
    uint64_t done = 0, start;

    if (!strcmp(a.mode, "w1")) {
        freeReplyObject(cmd(c, "DEL dq:q"));
        start = now_ns();
        for (; done < a.n && !time_up(start, a.seconds); done++) {
            make_body(body, BODY_LEN, done);
            freeReplyObject(cmd(c, "LPUSH dq:q %b", body, (size_t)BODY_LEN));
        }
        report_rate("W1", done, now_ns() - start, "LPUSH, 1 command in flight");
    } else if (!strcmp(a.mode, "w2")) {
        freeReplyObject(cmd(c, "DEL dq:q"));
        start = now_ns();
        for (; done < a.n && !time_up(start, a.seconds); done += 1000) lpush_many(c, "dq:q", done, 1000);
        report_rate("W2", done, now_ns() - start, "LPUSH with 1000 values per command");
    } else if (!strcmp(a.mode, "w3")) {
        prefill(c, "dq:q", a.n);
        start = now_ns();
        for (; done < a.n && !time_up(start, a.seconds); done++) {
            redisReply *r = cmd(c, "RPOP dq:q");
            if (r->type != REDIS_REPLY_STRING) die("RPOP: queue empty early");
            freeReplyObject(r);
        }
        report_rate("W3", done, now_ns() - start, "RPOP, 1 command in flight");
    } else if (!strcmp(a.mode, "w3l")) {
        prefill(c, "dq:q", a.n);
        freeReplyObject(cmd(c, "DEL dq:processing"));
        start = now_ns();
        for (; done < a.n && !time_up(start, a.seconds); done++) {
            redisReply *r = cmd(c, "LMOVE dq:q dq:processing RIGHT LEFT");
            if (r->type != REDIS_REPLY_STRING) die("LMOVE: queue empty early");
            redisReply *ack = cmd(c, "LREM dq:processing 1 %b", r->str, r->len);
            if (ack->integer != 1) die("LREM removed %lld", ack->integer);
            freeReplyObject(ack);
            freeReplyObject(r);
        }
        report_rate("W3L", done, now_ns() - start, "LMOVE to processing list + LREM ack; no lease expiry");
    } else if (!strcmp(a.mode, "w5")) {
        freeReplyObject(cmd(c, "DEL dq:req dq:rep"));
        int fds[2];
        if (pipe(fds)) die("pipe");
        fflush(stdout);
        pid_t child = fork();
        if (child < 0) die("fork");
        if (child == 0) { close(fds[0]); redisFree(c); pong(a.addr, a.n, fds[1]); }
        close(fds[1]);
        barrier_wait(fds[0]);
        uint64_t *samples = malloc(a.n * sizeof *samples);
        char ping[PING_LEN];
        memset(ping, '*', PING_LEN);
        for (; done < a.n; done++) {
            uint64_t t0 = now_ns();
            freeReplyObject(cmd(c, "LPUSH dq:req %b", ping, (size_t)PING_LEN));
            redisReply *r = cmd(c, "BRPOP dq:rep 60");
            if (r->type != REDIS_REPLY_ARRAY) die("ping: no reply for 60 s");
            freeReplyObject(r);
            samples[done] = now_ns() - t0;
        }
        wait_child_ok(child, "pong");
        report_latency("W5", samples, done, "LPUSH+BRPOP each side, 2 processes");
    } else {
        die("unknown mode %s", a.mode);
    }
    redisFree(c);
    return 0;
}
