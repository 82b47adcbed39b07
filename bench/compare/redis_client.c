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

/* LPUSHes the next batch of messages: first, first+1, ... (at most 1000, and none
 * numbered n or more); returns how many. */
static size_t lpush_batch(redisContext *c, const char *key, uint64_t first, uint64_t n) {
    size_t count = n - first < 1000 ? (size_t)(n - first) : 1000;
    lpush_many(c, key, first, count);
    return count;
}

static void prefill(redisContext *c, const char *key, uint64_t n) {
    freeReplyObject(cmd(c, "DEL %s", key));
    for (uint64_t i = 0; i < n;) i += lpush_batch(c, key, i, n);
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

/* W5: the parent's connection, and what the answering process needs. */
struct w5 { redisContext *c; const char *addr; uint64_t n; };

static void w5_pong(int ready_fd, void *ctx) {
    struct w5 *w = ctx;
    redisFree(w->c);
    pong(w->addr, w->n, ready_fd);
}

static void w5_ping(void *ctx) {
    struct w5 *w = ctx;
    freeReplyObject(cmd(w->c, "LPUSH dq:req %b", PING, (size_t)PING_LEN));
    redisReply *r = cmd(w->c, "BRPOP dq:rep 60");
    if (r->type != REDIS_REPLY_ARRAY) die("ping: no reply for 60 s");
    freeReplyObject(r);
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
        while (done < a.n && !time_up(start, a.seconds)) done += lpush_batch(c, "dq:q", done, a.n);
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
        struct w5 w = { c, a.addr, a.n };
        ping_pong(a.n, w5_pong, w5_ping, &w, "LPUSH+BRPOP each side, 2 processes");
    } else {
        die("unknown mode %s", a.mode);
    }
    redisFree(c);
    return 0;
}
