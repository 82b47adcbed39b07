import DurableQueue
import FoundationEssentials
import PostgresNIO

/// The `dq` schema on the server: its tables and the functions that do each queue
/// operation in one round trip, versioned in `dq.meta` as SQLite's file is with
/// `user_version`. Created on first use; an older version is migrated, and a newer one
/// refused. docs/SCHEMA.md describes it.
enum PostgresSchema {
    /// The version this build writes.
    static var version: Int { steps.count }

    /// How to reach each version: `steps[n]` takes the schema from version n to n + 1
    /// (from nothing, for the first), and records that version in `dq.meta`.
    static let steps = [creation, takeSaysDrained, replies, schedules, streams, sweepWaitsForLeases, operatorViews,
                        singleMessageCalls, listenerRegistry, dropsDeliveries, listenerLocks, singleEntryPublish,
                        probeByQueueIndex, publishCopiesTogether, parkedMessages]

    /// The first keys of dq's advisory locks (the second key says which one): each kind
    /// has its own, so that a lock of one kind never waits for one of another.
    enum LockSpace {
        /// A lease holder's session lock; the second key is its id (`dq.holders`).
        static let holders: Int32 = 25713
        /// Puts on one queue, until they commit; the second key is `hashtext(queue)`.
        /// (`dq.put_one`, `dq.put`, and `dq.publish_one` for its groups' copies, which
        /// repeats `dq.put_one`'s steps: a change to one belongs in the other.)
        static let puts: Int32 = 25714
        /// `dq lock NAME`: the seed of its one 64-bit key, `hashtextextended(name, 25715)`.
        static let named: Int32 = 25715
        /// Creating or migrating the schema.
        static let schema: Int32 = 25716
        /// Writes of one dict key; the second key is `hashtext(dict/key)`.
        static let dictKeys: Int32 = 25717
        /// Appends to one list, until they commit; the second key is `hashtext(list)`.
        static let lists: Int32 = 25718
        /// Leases under a queue's work limits, until they commit; the second key is `hashtext(queue)`.
        static let limits: Int32 = 25719
        /// Leases being taken for a holder, until they commit (shared; a sweep that finds
        /// the holder gone takes it exclusively); the second key is the holder's id.
        static let leasing: Int32 = 25720
        /// A session listening on a channel, shared and held by the session until
        /// `dq.unlisten`; a put tests it exclusively until it commits (`dq.put_one`, and
        /// `dq.publish_one` for each group's queue). The second key is `hashtext(channel)`.
        static let listeners: Int32 = 25721
    }

    /// Makes sure the schema is there and current: creates or migrates it in one
    /// transaction under an advisory lock, so that processes arriving together take turns
    /// and the later ones find it done.
    ///
    /// - Throws: `DQError.Kind.badStore` for a schema written by a newer dq.
    static func prepare(_ session: PostgresSession, location: String, create: Bool) throws(PostgresFailure) {
        let found = try installed(session, location: location)
        if found == version { return }
        if found == 0 && !create {
            throw PostgresFailure(.error(DQError(.storeUnavailable, "no store at \(location) (it has no schema dq yet)")))
        }
        // The lock is taken before the transaction begins: a transaction's start reads
        // the catalog changes other sessions committed (the check above may have cached
        // "no dq.meta" while another process was creating it).
        try session.run("SELECT pg_advisory_lock(\(LockSpace.schema), 0)")
        defer { _ = try? session.run("SELECT pg_advisory_unlock(\(LockSpace.schema), 0)") }
        try session.run("BEGIN")
        do throws(PostgresFailure) {
            let current = try installed(session, location: location)
            if current == 0 { try session.run(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS dq")) }
            for step in steps[current...] { try session.simple(step) }
            try session.run("COMMIT")
        } catch {
            _ = try? session.run("ROLLBACK")
            throw error
        }
    }

    /// The version of the schema on the server (0: none yet).
    private static func installed(_ session: PostgresSession, location: String) throws(PostgresFailure) -> Int {
        let exists = try session.rows("SELECT to_regclass('dq.meta') IS NOT NULL")
        guard let row = exists.first, (try? PostgresEngine.decode(row, as: Bool.self)) == true else { return 0 }
        let rows = try session.rows("SELECT value FROM dq.meta WHERE name = 'schema_version'")
        let found = rows.first.flatMap { try? PostgresEngine.decode($0, as: Int64.self) }.map(Int.init) ?? 0
        if found > version {
            throw PostgresFailure(.error(DQError(
                .badStore, "\(location) holds dq schema version \(found), newer than this dq understands (\(version)): upgrade dq")))
        }
        return found
    }

    /// Version 1, whole.
    private static let creation = #"""
    CREATE TABLE dq.meta (name text PRIMARY KEY, value bigint NOT NULL);
    INSERT INTO dq.meta VALUES ('schema_version', 1);

    -- Message ids, and the order of messages within a priority (`seq`): a retried dead
    -- letter keeps its id and goes to the back with a new seq.
    CREATE SEQUENCE dq.message_ids AS bigint;
    CREATE SEQUENCE dq.lease_tokens AS bigint;
    CREATE SEQUENCE dq.holder_ids AS integer CYCLE;

    CREATE TABLE dq.messages (
        id bigint PRIMARY KEY,
        seq bigint NOT NULL,
        queue text NOT NULL,
        priority bigint NOT NULL,
        body bytea NOT NULL,
        dedup_key text,
        enqueued_at timestamptz NOT NULL,
        visible_at timestamptz NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        lease_token bigint,
        holder integer
    );
    CREATE INDEX messages_order ON dq.messages (queue, priority DESC, seq);
    CREATE INDEX messages_due ON dq.messages (queue, visible_at);
    CREATE UNIQUE INDEX messages_dedup ON dq.messages (queue, dedup_key) WHERE dedup_key IS NOT NULL;
    CREATE INDEX messages_holder ON dq.messages (holder) WHERE holder IS NOT NULL;

    CREATE TABLE dq.dead (
        id bigint PRIMARY KEY,
        queue text NOT NULL,
        priority bigint NOT NULL,
        body bytea NOT NULL,
        enqueued_at timestamptz NOT NULL,
        attempts integer NOT NULL,
        died_at timestamptz NOT NULL,
        last_error text,
        exit_status integer,
        signal integer
    );
    CREATE INDEX dead_queue ON dq.dead (queue, id);

    CREATE TABLE dq.holders (id integer PRIMARY KEY, since timestamptz NOT NULL DEFAULT now());

    CREATE UNLOGGED TABLE dq.traffic (
        queue text NOT NULL,
        shard integer NOT NULL,
        added bigint NOT NULL DEFAULT 0,
        removed bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (queue, shard)
    );

    CREATE TABLE dq.dict_entries (
        dict text NOT NULL, key text NOT NULL, value bytea NOT NULL, version bigint NOT NULL,
        PRIMARY KEY (dict, key)
    );
    CREATE SEQUENCE dq.versions AS bigint;
    CREATE SEQUENCE dq.list_positions AS bigint;
    CREATE TABLE dq.list_values (list text NOT NULL, position bigint NOT NULL, value bytea NOT NULL, PRIMARY KEY (list, position));
    CREATE TABLE dq.counters (name text PRIMARY KEY, value bigint NOT NULL);
    CREATE TABLE dq.events (name text PRIMARY KEY, is_set boolean NOT NULL);

    -- The LISTEN/NOTIFY channel of a queue or a piece of shared state: an identifier
    -- made from the name, which may be up to 200 bytes of any UTF-8.
    CREATE FUNCTION dq.channel(name text) RETURNS text LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT 'dq_' || left(md5(name), 24) $$;

    -- Traffic counts (statistics): the hot functions count their own only when p_count
    -- says so; between those, a process keeps its counts and adds them about once a second.
    CREATE FUNCTION dq.count_traffic(p_queue text, p_added bigint, p_removed bigint) RETURNS void LANGUAGE sql
    AS $$
        INSERT INTO dq.traffic AS t (queue, shard, added, removed) VALUES (p_queue, pg_backend_pid() % 8, p_added, p_removed)
        ON CONFLICT (queue, shard) DO UPDATE SET added = t.added + excluded.added, removed = t.removed + excluded.removed
    $$;

    -- Puts a batch on a queue. Puts on one queue take turns (the transaction-scoped
    -- advisory lock, held until commit), so ids follow commit order within a queue.
    CREATE FUNCTION dq.put(p_queue text, p_bodies bytea[], p_priorities bigint[], p_delays bigint[], p_keys text[],
                           p_count boolean)
    RETURNS TABLE (id bigint, duplicate boolean) LANGUAGE plpgsql AS $$
    DECLARE
        n integer := coalesce(cardinality(p_bodies), 0);
        v_ids bigint[];
        v_id bigint;
        v_added integer := 0;
    BEGIN
        PERFORM pg_advisory_xact_lock(25714, hashtext(p_queue));
        IF n = 0 THEN RETURN; END IF;
        IF NOT EXISTS (SELECT 1 FROM unnest(p_keys) k WHERE k <> '') THEN
            v_ids := ARRAY(SELECT nextval('dq.message_ids') FROM generate_series(1, n));
            INSERT INTO dq.messages (id, seq, queue, priority, body, enqueued_at, visible_at)
            SELECT v_ids[i], v_ids[i], p_queue, p_priorities[i], p_bodies[i], now(), now() + p_delays[i] * interval '1 microsecond'
            FROM generate_series(1, n) AS i;
            RETURN QUERY SELECT v_ids[i], false FROM generate_series(1, n) AS i;
            v_added := n;
        ELSE
            FOR i IN 1 .. n LOOP
                v_id := NULL;
                IF p_keys[i] <> '' THEN
                    SELECT m.id INTO v_id FROM dq.messages m WHERE m.queue = p_queue AND m.dedup_key = p_keys[i];
                END IF;
                IF v_id IS NOT NULL THEN
                    id := v_id; duplicate := true; RETURN NEXT;
                ELSE
                    v_id := nextval('dq.message_ids');
                    INSERT INTO dq.messages (id, seq, queue, priority, body, dedup_key, enqueued_at, visible_at)
                    VALUES (v_id, v_id, p_queue, p_priorities[i], p_bodies[i], nullif(p_keys[i], ''), now(),
                            now() + p_delays[i] * interval '1 microsecond');
                    id := v_id; duplicate := false; RETURN NEXT;
                    v_added := v_added + 1;
                END IF;
            END LOOP;
        END IF;
        IF v_added > 0 THEN
            PERFORM pg_notify(dq.channel(p_queue), '');
            IF p_count THEN PERFORM dq.count_traffic(p_queue, v_added, 0); END IF;
        END IF;
    END $$;

    -- Appends values to a list; appends to one list take turns, so positions follow
    -- commit order. Returns the list's new length.
    CREATE FUNCTION dq.append(p_list text, p_values bytea[]) RETURNS bigint LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock(25718, hashtext(p_list));
        INSERT INTO dq.list_values (list, position, value)
        SELECT p_list, nextval('dq.list_positions'), u.v FROM unnest(p_values) WITH ORDINALITY AS u(v, o) ORDER BY u.o;
        RETURN (SELECT count(*) FROM dq.list_values WHERE list = p_list);
    END $$;

    -- When nothing is deliverable: one row without an id whose seq is how long until the
    -- queue's next message falls due (µs on the server's clock, NULL if none will).
    CREATE FUNCTION dq.next_due(p_queue text) RETURNS bigint LANGUAGE sql STABLE AS $$
        SELECT (extract(epoch FROM min(visible_at) - clock_timestamp()) * 1000000)::bigint
        FROM dq.messages WHERE queue = p_queue
    $$;

    -- Removes up to p_limit deliverable messages (a get: at-most-once). With p_sweep
    -- (this process's holder id, 0 for none), first returns dead holders' leases. Takes
    -- nothing: one row with no id, saying when to look again (dq.next_due).
    CREATE FUNCTION dq.take(p_queue text, p_limit integer, p_sweep integer, p_count boolean)
    RETURNS TABLE (id bigint, seq bigint, priority bigint, body bytea, enqueued_at timestamptz, attempts integer)
    LANGUAGE plpgsql AS $$
    DECLARE n integer;
    BEGIN
        IF p_sweep IS NOT NULL THEN PERFORM dq.sweep(p_sweep); END IF;
        RETURN QUERY
        DELETE FROM dq.messages m WHERE m.id IN (
            SELECT c.id FROM dq.messages c WHERE c.queue = p_queue AND c.visible_at <= now()
            ORDER BY c.priority DESC, c.seq LIMIT p_limit FOR UPDATE SKIP LOCKED)
        RETURNING m.id, m.seq, m.priority, m.body, m.enqueued_at, m.attempts + 1;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n > 0 THEN
            IF p_count THEN PERFORM dq.count_traffic(p_queue, 0, n); END IF;
        ELSE
            RETURN QUERY SELECT NULL::bigint, dq.next_due(p_queue), NULL::bigint, NULL::bytea, NULL::timestamptz, NULL::integer;
        END IF;
    END $$;

    -- Moves the messages p_ids to the dead letters with a reason.
    CREATE FUNCTION dq.bury(p_ids bigint[], p_unsettled boolean, p_error text, p_exit integer, p_signal integer)
    RETURNS integer
    LANGUAGE plpgsql AS $$
    DECLARE n integer;
    BEGIN
        WITH b AS (DELETE FROM dq.messages m WHERE m.id = ANY(p_ids) RETURNING m.*)
        INSERT INTO dq.dead (id, queue, priority, body, enqueued_at, attempts, died_at, last_error, exit_status, signal)
        SELECT b.id, b.queue, b.priority, b.body, b.enqueued_at, b.attempts, now(),
               CASE WHEN p_unsettled
                    THEN 'not settled after ' || b.attempts || ' deliveries: its lease ran out or its consumer died'
                    ELSE p_error END,
               p_exit, p_signal
        FROM b;
        GET DIAGNOSTICS n = ROW_COUNT;
        RETURN n;
    END $$;

    -- Sweeps as dq.take does, acks p_ack (id, token pairs; any stale: nothing done, error
    -- DQ001), then leases up to p_limit deliverable messages, burying those that already
    -- had p_max_attempts deliveries and taking others in their place; none: one row with no
    -- id, as dq.take.
    CREATE FUNCTION dq.receive(p_queue text, p_limit integer, p_lease bigint, p_max_attempts integer, p_holder integer,
                               p_ack_ids bigint[], p_ack_tokens bigint[], p_sweep integer, p_count boolean)
    RETURNS TABLE (id bigint, seq bigint, priority bigint, body bytea, enqueued_at timestamptz, attempts integer,
                   token bigint, leased_until timestamptz)
    LANGUAGE plpgsql AS $$
    DECLARE
        n integer;
        v_claimed bigint[];
        v_spent bigint[];
        v_leased integer := 0;
    BEGIN
        IF p_sweep IS NOT NULL THEN PERFORM dq.sweep(p_sweep); END IF;
        IF coalesce(cardinality(p_ack_ids), 0) > 0 THEN
            DELETE FROM dq.messages m USING unnest(p_ack_ids, p_ack_tokens) AS a(id, token)
            WHERE m.id = a.id AND m.lease_token = a.token AND m.queue = p_queue;
            GET DIAGNOSTICS n = ROW_COUNT;
            IF n < cardinality(p_ack_ids) THEN
                RAISE EXCEPTION 'a receipt to ack is stale' USING ERRCODE = 'DQ001';
            END IF;
            IF p_count THEN PERFORM dq.count_traffic(p_queue, 0, n); END IF;
        END IF;
        LOOP
            v_claimed := ARRAY(
                SELECT c.id FROM dq.messages c WHERE c.queue = p_queue AND c.visible_at <= now()
                ORDER BY c.priority DESC, c.seq LIMIT p_limit - v_leased FOR UPDATE SKIP LOCKED);
            EXIT WHEN cardinality(v_claimed) = 0;
            v_spent := ARRAY(SELECT s.id FROM dq.messages s WHERE s.id = ANY(v_claimed) AND s.attempts >= p_max_attempts);
            IF cardinality(v_spent) > 0 THEN PERFORM dq.bury(v_spent, true, NULL, NULL, NULL); END IF;
            RETURN QUERY
            UPDATE dq.messages m SET attempts = m.attempts + 1, lease_token = nextval('dq.lease_tokens'), holder = p_holder,
                   visible_at = now() + p_lease * interval '1 microsecond'
            WHERE m.id = ANY(v_claimed) AND NOT m.id = ANY(v_spent)
            RETURNING m.id, m.seq, m.priority, m.body, m.enqueued_at, m.attempts, m.lease_token, m.visible_at;
            GET DIAGNOSTICS n = ROW_COUNT;
            v_leased := v_leased + n;
            EXIT WHEN cardinality(v_spent) = 0 OR v_leased >= p_limit;
        END LOOP;
        IF v_leased = 0 THEN
            RETURN QUERY SELECT NULL::bigint, dq.next_due(p_queue), NULL::bigint, NULL::bytea, NULL::timestamptz,
                NULL::integer, NULL::bigint, NULL::timestamptz;
        END IF;
    END $$;

    -- Acks one delivery: true, or false for a stale receipt.
    CREATE FUNCTION dq.ack(p_queue text, p_id bigint, p_token bigint, p_count boolean) RETURNS boolean LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM dq.messages m WHERE m.id = p_id AND m.lease_token = p_token AND m.queue = p_queue;
        IF NOT FOUND THEN RETURN false; END IF;
        IF p_count THEN PERFORM dq.count_traffic(p_queue, 0, 1); END IF;
        RETURN true;
    END $$;

    -- Returns a delivery to its queue after p_delay µs, or buries it with the failure once
    -- it has had p_max_attempts deliveries: true, or false for a stale receipt.
    CREATE FUNCTION dq.nack(p_queue text, p_id bigint, p_token bigint, p_delay bigint, p_max_attempts integer,
                            p_error text, p_exit integer, p_signal integer) RETURNS boolean LANGUAGE plpgsql AS $$
    DECLARE v_attempts integer;
    BEGIN
        SELECT m.attempts INTO v_attempts FROM dq.messages m
        WHERE m.id = p_id AND m.lease_token = p_token AND m.queue = p_queue FOR UPDATE;
        IF NOT FOUND THEN RETURN false; END IF;
        IF v_attempts >= p_max_attempts THEN
            PERFORM dq.bury(ARRAY[p_id], false, p_error, p_exit, p_signal);
        ELSE
            UPDATE dq.messages SET lease_token = NULL, holder = NULL, visible_at = now() + p_delay * interval '1 microsecond'
            WHERE id = p_id;
            PERFORM pg_notify(dq.channel(p_queue), '');
        END IF;
        RETURN true;
    END $$;

    -- Moves up to p_limit (NULL: all) ready messages of p_source in delivery order, or
    -- with p_dead its dead letters oldest first, to p_dest as new messages there; one
    -- whose dedup key p_dest holds is dropped and counted as a duplicate.
    CREATE FUNCTION dq.move(p_source text, p_dest text, p_limit bigint, p_dead boolean)
    RETURNS TABLE (moved integer, duplicates integer) LANGUAGE plpgsql AS $$
    DECLARE
        v_priorities bigint[];
        v_bodies bytea[];
        v_keys text[];
        v_id bigint;
    BEGIN
        PERFORM pg_advisory_xact_lock(25714, hashtext(p_dest));
        moved := 0; duplicates := 0;
        IF p_dead THEN
            WITH d AS (DELETE FROM dq.dead WHERE id IN (
                    SELECT c.id FROM dq.dead c WHERE c.queue = p_source ORDER BY c.id LIMIT p_limit FOR UPDATE SKIP LOCKED)
                RETURNING dq.dead.id, dq.dead.priority, dq.dead.body)
            SELECT array_agg(d.priority ORDER BY d.id), array_agg(d.body ORDER BY d.id), array_agg(NULL::text ORDER BY d.id)
            INTO v_priorities, v_bodies, v_keys FROM d;
        ELSE
            WITH d AS (DELETE FROM dq.messages WHERE id IN (
                    SELECT c.id FROM dq.messages c WHERE c.queue = p_source AND c.visible_at <= now()
                    ORDER BY c.priority DESC, c.seq LIMIT p_limit FOR UPDATE SKIP LOCKED)
                RETURNING dq.messages.seq, dq.messages.priority, dq.messages.body, dq.messages.dedup_key)
            SELECT array_agg(d.priority ORDER BY d.priority DESC, d.seq), array_agg(d.body ORDER BY d.priority DESC, d.seq),
                   array_agg(d.dedup_key ORDER BY d.priority DESC, d.seq)
            INTO v_priorities, v_bodies, v_keys FROM d;
        END IF;
        FOR i IN 1 .. coalesce(cardinality(v_bodies), 0) LOOP
            IF v_keys[i] IS NOT NULL AND EXISTS (
                    SELECT 1 FROM dq.messages m WHERE m.queue = p_dest AND m.dedup_key = v_keys[i]) THEN
                duplicates := duplicates + 1;
                CONTINUE;
            END IF;
            v_id := nextval('dq.message_ids');
            INSERT INTO dq.messages (id, seq, queue, priority, body, dedup_key, enqueued_at, visible_at)
            VALUES (v_id, v_id, p_dest, v_priorities[i], v_bodies[i], v_keys[i], now(), now());
            moved := moved + 1;
        END LOOP;
        IF moved > 0 THEN
            PERFORM pg_notify(dq.channel(p_dest), '');
            PERFORM dq.count_traffic(p_dest, moved, 0);
        END IF;
        IF NOT p_dead AND moved + duplicates > 0 THEN PERFORM dq.count_traffic(p_source, 0, moved + duplicates); END IF;
        RETURN NEXT;
    END $$;

    -- Returns the leases of holders whose session ended (their advisory lock is free) to
    -- their queues, waking the queues' readers; returns those queues.
    CREATE FUNCTION dq.sweep(p_me integer) RETURNS SETOF text LANGUAGE plpgsql AS $$
    DECLARE
        v_gone integer[];
        v_queue text;
    BEGIN
        -- A holder is gone when its lock can be taken. Taking it (until this commits)
        -- keeps a process that registers that id again waiting until its leases are back.
        v_gone := ARRAY(
            SELECT h.id FROM dq.holders h WHERE h.id <> p_me AND pg_try_advisory_xact_lock(25713, h.id));
        IF cardinality(v_gone) = 0 THEN RETURN; END IF;
        FOR v_queue IN
            WITH r AS (UPDATE dq.messages m SET visible_at = least(m.visible_at, now()), lease_token = NULL, holder = NULL
                       WHERE m.holder = ANY(v_gone) RETURNING m.queue)
            SELECT DISTINCT r.queue FROM r
        LOOP
            PERFORM pg_notify(dq.channel(v_queue), '');
            RETURN NEXT v_queue;
        END LOOP;
        DELETE FROM dq.holders WHERE id = ANY(v_gone);
    END $$;
    """#

    /// Version 2: gets claim through the primary key (`= ANY(ARRAY(…))`, which plans as
    /// an index lookup where `IN (…)` planned a join); a get asked to can say that it left
    /// its queue empty (the row with no id and no due time), so that the reader's next wait
    /// sleeps at once instead of looking first; and `dq.probe`, the once-a-second check a
    /// process's listening connection makes for the queues its readers wait on.
    private static let takeSaysDrained = #"""
    DROP FUNCTION dq.take(text, integer, integer, boolean);

    -- Removes up to p_limit deliverable messages (a get: at-most-once). With p_sweep
    -- (this process's holder id, 0 for none), first returns dead holders' leases. Takes
    -- nothing: one row with no id, saying when to look again (dq.next_due). Leaves the
    -- queue without a message, when p_say_drained: also one row with no id and no due time.
    CREATE FUNCTION dq.take(p_queue text, p_limit integer, p_sweep integer, p_count boolean, p_say_drained boolean)
    RETURNS TABLE (id bigint, seq bigint, priority bigint, body bytea, enqueued_at timestamptz, attempts integer)
    LANGUAGE plpgsql AS $$
    DECLARE n integer;
    BEGIN
        IF p_sweep IS NOT NULL THEN PERFORM dq.sweep(p_sweep); END IF;
        RETURN QUERY
        DELETE FROM dq.messages m WHERE m.id = ANY(ARRAY(
            SELECT c.id FROM dq.messages c WHERE c.queue = p_queue AND c.visible_at <= now()
            ORDER BY c.priority DESC, c.seq LIMIT p_limit FOR UPDATE SKIP LOCKED))
        RETURNING m.id, m.seq, m.priority, m.body, m.enqueued_at, m.attempts + 1;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n > 0 THEN
            IF p_count THEN PERFORM dq.count_traffic(p_queue, 0, n); END IF;
            IF p_say_drained AND NOT EXISTS (SELECT 1 FROM dq.messages x WHERE x.queue = p_queue) THEN
                RETURN QUERY SELECT NULL::bigint, NULL::bigint, NULL::bigint, NULL::bytea, NULL::timestamptz, NULL::integer;
            END IF;
        ELSE
            RETURN QUERY SELECT NULL::bigint, dq.next_due(p_queue), NULL::bigint, NULL::bytea, NULL::timestamptz, NULL::integer;
        END IF;
    END $$;

    -- The safety re-check of a process's waiting readers, made by its listening connection
    -- (SessionKeeper): returns dead holders' leases (dq.sweep, which wakes their queues),
    -- then which of p_queues hold a deliverable message.
    CREATE FUNCTION dq.probe(p_me integer, p_queues text[]) RETURNS SETOF text LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM dq.sweep(p_me);
        RETURN QUERY SELECT q FROM unnest(p_queues) AS q
            WHERE EXISTS (SELECT 1 FROM dq.messages m WHERE m.queue = q AND m.visible_at <= now());
    END $$;

    UPDATE dq.meta SET value = 2 WHERE name = 'schema_version';
    """#

    /// Version 3: requests and replies. A request names the queue its reply goes to
    /// (`reply_to`, returned by gets and receives); `dq.reply` acks a request and puts its
    /// reply in one transaction, unless the caller's holder is gone; `dq.sweep` also
    /// deletes the replies waiting for holders it finds gone.
    private static let replies = #"""
    ALTER TABLE dq.messages ADD COLUMN reply_to text;
    -- Replies waiting for their callers, found by the sweep without reading other messages.
    CREATE INDEX messages_replies ON dq.messages (queue) WHERE queue LIKE ':reply:%';

    DROP FUNCTION dq.put(text, bytea[], bigint[], bigint[], text[], boolean);

    -- Puts a batch on a queue. Puts on one queue take turns (the transaction-scoped
    -- advisory lock, held until commit), so ids follow commit order within a queue.
    -- p_reply_tos: each message's reply address ('' for none), or NULL for none at all.
    CREATE FUNCTION dq.put(p_queue text, p_bodies bytea[], p_priorities bigint[], p_delays bigint[], p_keys text[],
                           p_count boolean, p_reply_tos text[])
    RETURNS TABLE (id bigint, duplicate boolean) LANGUAGE plpgsql AS $$
    DECLARE
        n integer := coalesce(cardinality(p_bodies), 0);
        v_ids bigint[];
        v_id bigint;
        v_added integer := 0;
    BEGIN
        PERFORM pg_advisory_xact_lock(25714, hashtext(p_queue));
        IF n = 0 THEN RETURN; END IF;
        IF NOT EXISTS (SELECT 1 FROM unnest(p_keys) k WHERE k <> '') THEN
            v_ids := ARRAY(SELECT nextval('dq.message_ids') FROM generate_series(1, n));
            INSERT INTO dq.messages (id, seq, queue, priority, body, enqueued_at, visible_at, reply_to)
            SELECT v_ids[i], v_ids[i], p_queue, p_priorities[i], p_bodies[i], now(), now() + p_delays[i] * interval '1 microsecond',
                   nullif(p_reply_tos[i], '')
            FROM generate_series(1, n) AS i;
            RETURN QUERY SELECT v_ids[i], false FROM generate_series(1, n) AS i;
            v_added := n;
        ELSE
            FOR i IN 1 .. n LOOP
                v_id := NULL;
                IF p_keys[i] <> '' THEN
                    SELECT m.id INTO v_id FROM dq.messages m WHERE m.queue = p_queue AND m.dedup_key = p_keys[i];
                END IF;
                IF v_id IS NOT NULL THEN
                    id := v_id; duplicate := true; RETURN NEXT;
                ELSE
                    v_id := nextval('dq.message_ids');
                    INSERT INTO dq.messages (id, seq, queue, priority, body, dedup_key, enqueued_at, visible_at, reply_to)
                    VALUES (v_id, v_id, p_queue, p_priorities[i], p_bodies[i], nullif(p_keys[i], ''), now(),
                            now() + p_delays[i] * interval '1 microsecond', nullif(p_reply_tos[i], ''));
                    id := v_id; duplicate := false; RETURN NEXT;
                    v_added := v_added + 1;
                END IF;
            END LOOP;
        END IF;
        IF v_added > 0 THEN
            PERFORM pg_notify(dq.channel(p_queue), '');
            IF p_count THEN PERFORM dq.count_traffic(p_queue, v_added, 0); END IF;
        END IF;
    END $$;

    DROP FUNCTION dq.take(text, integer, integer, boolean, boolean);

    -- Removes up to p_limit deliverable messages (a get: at-most-once). With p_sweep
    -- (this process's holder id, 0 for none), first returns dead holders' leases. Takes
    -- nothing: one row with no id, saying when to look again (dq.next_due). Leaves the
    -- queue without a message, when p_say_drained: also one row with no id and no due time.
    CREATE FUNCTION dq.take(p_queue text, p_limit integer, p_sweep integer, p_count boolean, p_say_drained boolean)
    RETURNS TABLE (id bigint, seq bigint, priority bigint, body bytea, enqueued_at timestamptz, attempts integer,
                   reply_to text)
    LANGUAGE plpgsql AS $$
    DECLARE n integer;
    BEGIN
        IF p_sweep IS NOT NULL THEN PERFORM dq.sweep(p_sweep); END IF;
        RETURN QUERY
        DELETE FROM dq.messages m WHERE m.id = ANY(ARRAY(
            SELECT c.id FROM dq.messages c WHERE c.queue = p_queue AND c.visible_at <= now()
            ORDER BY c.priority DESC, c.seq LIMIT p_limit FOR UPDATE SKIP LOCKED))
        RETURNING m.id, m.seq, m.priority, m.body, m.enqueued_at, m.attempts + 1, m.reply_to;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n > 0 THEN
            IF p_count THEN PERFORM dq.count_traffic(p_queue, 0, n); END IF;
            IF p_say_drained AND NOT EXISTS (SELECT 1 FROM dq.messages x WHERE x.queue = p_queue) THEN
                RETURN QUERY SELECT NULL::bigint, NULL::bigint, NULL::bigint, NULL::bytea, NULL::timestamptz, NULL::integer,
                    NULL::text;
            END IF;
        ELSE
            RETURN QUERY SELECT NULL::bigint, dq.next_due(p_queue), NULL::bigint, NULL::bytea, NULL::timestamptz, NULL::integer,
                NULL::text;
        END IF;
    END $$;

    DROP FUNCTION dq.receive(text, integer, bigint, integer, integer, bigint[], bigint[], integer, boolean);

    -- Sweeps as dq.take does, acks p_ack (id, token pairs; any stale: nothing done, error
    -- DQ001), then leases up to p_limit deliverable messages, burying those that already
    -- had p_max_attempts deliveries and taking others in their place; none: one row with no
    -- id, as dq.take.
    CREATE FUNCTION dq.receive(p_queue text, p_limit integer, p_lease bigint, p_max_attempts integer, p_holder integer,
                               p_ack_ids bigint[], p_ack_tokens bigint[], p_sweep integer, p_count boolean)
    RETURNS TABLE (id bigint, seq bigint, priority bigint, body bytea, enqueued_at timestamptz, attempts integer,
                   token bigint, leased_until timestamptz, reply_to text)
    LANGUAGE plpgsql AS $$
    DECLARE
        n integer;
        v_claimed bigint[];
        v_spent bigint[];
        v_leased integer := 0;
    BEGIN
        IF p_sweep IS NOT NULL THEN PERFORM dq.sweep(p_sweep); END IF;
        IF coalesce(cardinality(p_ack_ids), 0) > 0 THEN
            DELETE FROM dq.messages m USING unnest(p_ack_ids, p_ack_tokens) AS a(id, token)
            WHERE m.id = a.id AND m.lease_token = a.token AND m.queue = p_queue;
            GET DIAGNOSTICS n = ROW_COUNT;
            IF n < cardinality(p_ack_ids) THEN
                RAISE EXCEPTION 'a receipt to ack is stale' USING ERRCODE = 'DQ001';
            END IF;
            IF p_count THEN PERFORM dq.count_traffic(p_queue, 0, n); END IF;
        END IF;
        LOOP
            v_claimed := ARRAY(
                SELECT c.id FROM dq.messages c WHERE c.queue = p_queue AND c.visible_at <= now()
                ORDER BY c.priority DESC, c.seq LIMIT p_limit - v_leased FOR UPDATE SKIP LOCKED);
            EXIT WHEN cardinality(v_claimed) = 0;
            v_spent := ARRAY(SELECT s.id FROM dq.messages s WHERE s.id = ANY(v_claimed) AND s.attempts >= p_max_attempts);
            IF cardinality(v_spent) > 0 THEN PERFORM dq.bury(v_spent, true, NULL, NULL, NULL); END IF;
            RETURN QUERY
            UPDATE dq.messages m SET attempts = m.attempts + 1, lease_token = nextval('dq.lease_tokens'), holder = p_holder,
                   visible_at = now() + p_lease * interval '1 microsecond'
            WHERE m.id = ANY(v_claimed) AND NOT m.id = ANY(v_spent)
            RETURNING m.id, m.seq, m.priority, m.body, m.enqueued_at, m.attempts, m.lease_token, m.visible_at, m.reply_to;
            GET DIAGNOSTICS n = ROW_COUNT;
            v_leased := v_leased + n;
            EXIT WHEN cardinality(v_spent) = 0 OR v_leased >= p_limit;
        END LOOP;
        IF v_leased = 0 THEN
            RETURN QUERY SELECT NULL::bigint, dq.next_due(p_queue), NULL::bigint, NULL::bytea, NULL::timestamptz,
                NULL::integer, NULL::bigint, NULL::timestamptz, NULL::text;
        END IF;
    END $$;

    -- Returns the leases of holders whose session ended (their advisory lock is free) to
    -- their queues, waking the queues' readers, and deletes the replies waiting for those
    -- holders; returns the queues woken.
    CREATE OR REPLACE FUNCTION dq.sweep(p_me integer) RETURNS SETOF text LANGUAGE plpgsql AS $$
    DECLARE
        v_gone integer[];
        v_queue text;
    BEGIN
        -- A holder is gone when its lock can be taken. Taking it (until this commits)
        -- keeps a process that registers that id again waiting until its leases are back.
        v_gone := ARRAY(
            SELECT h.id FROM dq.holders h WHERE h.id <> p_me AND pg_try_advisory_xact_lock(25713, h.id));
        IF cardinality(v_gone) = 0 THEN RETURN; END IF;
        FOR v_queue IN
            WITH r AS (UPDATE dq.messages m SET visible_at = least(m.visible_at, now()), lease_token = NULL, holder = NULL
                       WHERE m.holder = ANY(v_gone) RETURNING m.queue)
            SELECT DISTINCT r.queue FROM r
        LOOP
            PERFORM pg_notify(dq.channel(v_queue), '');
            RETURN NEXT v_queue;
        END LOOP;
        -- Waits for replies being put to these holders (dq.reply locks their rows), so
        -- that the next statement sees them.
        DELETE FROM dq.holders WHERE id = ANY(v_gone);
        DELETE FROM dq.messages m
        WHERE m.queue LIKE ':reply:%' AND m.queue LIKE ANY (ARRAY(SELECT ':reply:' || to_hex(g) || ':%' FROM unnest(v_gone) AS g));
    END $$;

    -- Acks the leased request p_id (with p_token; none when p_id is NULL) and puts p_body
    -- on the reply queue p_to, unless holder p_holder is gone: true, or false (nothing
    -- done) for a stale receipt.
    CREATE FUNCTION dq.reply(p_queue text, p_id bigint, p_token bigint, p_to text, p_holder integer, p_body bytea,
                             p_count boolean) RETURNS boolean LANGUAGE plpgsql AS $$
    DECLARE v_id bigint;
    BEGIN
        IF p_id IS NOT NULL THEN
            DELETE FROM dq.messages m WHERE m.id = p_id AND m.lease_token = p_token AND m.queue = p_queue;
            IF NOT FOUND THEN RETURN false; END IF;
            IF p_count THEN PERFORM dq.count_traffic(p_queue, 0, 1); END IF;
        END IF;
        -- Locked until commit: a sweep deleting the holder waits, then deletes the reply.
        PERFORM 1 FROM dq.holders h WHERE h.id = p_holder FOR KEY SHARE;
        IF FOUND THEN
            v_id := nextval('dq.message_ids');
            INSERT INTO dq.messages (id, seq, queue, priority, body, enqueued_at, visible_at)
            VALUES (v_id, v_id, p_to, 0, p_body, now(), now());
            PERFORM pg_notify(dq.channel(p_to), '');
        END IF;
        RETURN true;
    END $$;

    UPDATE dq.meta SET value = 3 WHERE name = 'schema_version';
    """#

    /// Version 4: schedules and work limits. Each schedule puts `body` on `queue` at the
    /// ticks of `rule`, the next at `next_due`; firing locks the due rows (`FOR UPDATE SKIP
    /// LOCKED`), so each tick is taken by one transaction. `dq.receive_limited` leases as
    /// `dq.receive` does within a queue's running limit (`dq.running`: one row per lease
    /// taken under it, counted while that lease lasts) and rate (`dq.rates`: when the next
    /// lease may be taken), holding the queue's limits lock until commit.
    private static let schedules = #"""
    CREATE TABLE dq.schedules (
        name       text        PRIMARY KEY,
        queue      text        NOT NULL,
        rule       text        NOT NULL,
        body       bytea       NOT NULL,
        next_due   timestamptz NOT NULL,
        last_fired timestamptz
    );
    CREATE INDEX schedules_due ON dq.schedules (next_due);

    CREATE TABLE dq.running (
        queue text   NOT NULL,
        id    bigint NOT NULL,
        token bigint NOT NULL,
        PRIMARY KEY (queue, id)
    );
    CREATE TABLE dq.rates (
        queue      text        PRIMARY KEY,
        next_start timestamptz NOT NULL
    );

    -- Acks, then leases up to p_limit messages as dq.receive does, but only as many as
    -- the queue's running limit p_max_running (NULL: none) and one lease per p_interval µs
    -- (NULL: no rate) allow, counted under the lock (25719, hashtext(queue)). Leasing none
    -- because of a limit gives the row with no id, its seq the µs until the rate allows one
    -- (or until the next message falls due).
    CREATE FUNCTION dq.receive_limited(p_queue text, p_limit integer, p_lease bigint, p_max_attempts integer,
                                       p_holder integer, p_ack_ids bigint[], p_ack_tokens bigint[], p_sweep integer,
                                       p_count boolean, p_max_running integer, p_interval bigint)
    RETURNS TABLE (id bigint, seq bigint, priority bigint, body bytea, enqueued_at timestamptz, attempts integer,
                   token bigint, leased_until timestamptz, reply_to text)
    LANGUAGE plpgsql AS $$
    DECLARE
        v_allowed integer := p_limit;
        v_running integer;
        v_next timestamptz;
        v_wait bigint;
        v_leased integer := 0;
        r record;
    BEGIN
        -- The acks (and the sweep) first: what they settle no longer runs.
        IF coalesce(cardinality(p_ack_ids), 0) > 0 OR p_sweep IS NOT NULL THEN
            PERFORM 1 FROM dq.receive(p_queue, 0, p_lease, p_max_attempts, p_holder, p_ack_ids, p_ack_tokens, p_sweep, p_count);
        END IF;
        PERFORM pg_advisory_xact_lock(25719, hashtext(p_queue));
        IF p_max_running IS NOT NULL THEN
            DELETE FROM dq.running u WHERE u.queue = p_queue AND NOT EXISTS (
                SELECT 1 FROM dq.messages m WHERE m.id = u.id AND m.lease_token = u.token AND m.visible_at > now());
            SELECT count(*) INTO v_running FROM dq.running u WHERE u.queue = p_queue;
            v_allowed := least(v_allowed, p_max_running - v_running);
        END IF;
        IF p_interval IS NOT NULL THEN
            SELECT t.next_start INTO v_next FROM dq.rates t WHERE t.queue = p_queue;
            IF v_next > clock_timestamp() THEN
                v_wait := (extract(epoch FROM v_next - clock_timestamp()) * 1000000)::bigint;
                v_allowed := 0;
            ELSE
                v_allowed := least(v_allowed, 1);
            END IF;
        END IF;
        IF v_allowed <= 0 THEN
            RETURN QUERY SELECT NULL::bigint, coalesce(v_wait, dq.next_due(p_queue)), NULL::bigint, NULL::bytea,
                NULL::timestamptz, NULL::integer, NULL::bigint, NULL::timestamptz, NULL::text;
            RETURN;
        END IF;
        FOR r IN SELECT * FROM dq.receive(p_queue, v_allowed, p_lease, p_max_attempts, p_holder, NULL, NULL, NULL, p_count) LOOP
            IF r.id IS NOT NULL THEN
                v_leased := v_leased + 1;
                IF p_max_running IS NOT NULL THEN
                    INSERT INTO dq.running (queue, id, token) VALUES (p_queue, r.id, r.token)
                    ON CONFLICT ON CONSTRAINT running_pkey DO UPDATE SET token = excluded.token;
                END IF;
            END IF;
            id := r.id; seq := r.seq; priority := r.priority; body := r.body; enqueued_at := r.enqueued_at;
            attempts := r.attempts; token := r.token; leased_until := r.leased_until; reply_to := r.reply_to;
            RETURN NEXT;
        END LOOP;
        IF p_interval IS NOT NULL AND v_leased > 0 THEN
            INSERT INTO dq.rates AS t (queue, next_start)
            VALUES (p_queue, clock_timestamp() + p_interval * v_leased * interval '1 microsecond')
            ON CONFLICT (queue) DO UPDATE SET next_start = excluded.next_start;
        END IF;
    END $$;

    -- A dedup key may be held only until its message is first delivered: dq.put's last
    -- argument says which (NULL: none), and dq.receive then clears the leased row's key.
    ALTER TABLE dq.messages ADD COLUMN key_until_started boolean NOT NULL DEFAULT false;

    DROP FUNCTION dq.put(text, bytea[], bigint[], bigint[], text[], boolean, text[]);

    CREATE FUNCTION dq.put(p_queue text, p_bodies bytea[], p_priorities bigint[], p_delays bigint[], p_keys text[],
                           p_count boolean, p_reply_tos text[], p_until_started boolean[])
    RETURNS TABLE (id bigint, duplicate boolean) LANGUAGE plpgsql AS $$
    DECLARE
        n integer := coalesce(cardinality(p_bodies), 0);
        v_ids bigint[];
        v_id bigint;
        v_added integer := 0;
    BEGIN
        PERFORM pg_advisory_xact_lock(25714, hashtext(p_queue));
        IF n = 0 THEN RETURN; END IF;
        IF NOT EXISTS (SELECT 1 FROM unnest(p_keys) k WHERE k <> '') THEN
            v_ids := ARRAY(SELECT nextval('dq.message_ids') FROM generate_series(1, n));
            INSERT INTO dq.messages (id, seq, queue, priority, body, enqueued_at, visible_at, reply_to)
            SELECT v_ids[i], v_ids[i], p_queue, p_priorities[i], p_bodies[i], now(), now() + p_delays[i] * interval '1 microsecond',
                   nullif(p_reply_tos[i], '')
            FROM generate_series(1, n) AS i;
            RETURN QUERY SELECT v_ids[i], false FROM generate_series(1, n) AS i;
            v_added := n;
        ELSE
            FOR i IN 1 .. n LOOP
                v_id := NULL;
                IF p_keys[i] <> '' THEN
                    SELECT m.id INTO v_id FROM dq.messages m WHERE m.queue = p_queue AND m.dedup_key = p_keys[i];
                END IF;
                IF v_id IS NOT NULL THEN
                    id := v_id; duplicate := true; RETURN NEXT;
                ELSE
                    v_id := nextval('dq.message_ids');
                    INSERT INTO dq.messages (id, seq, queue, priority, body, dedup_key, enqueued_at, visible_at, reply_to, key_until_started)
                    VALUES (v_id, v_id, p_queue, p_priorities[i], p_bodies[i], nullif(p_keys[i], ''), now(),
                            now() + p_delays[i] * interval '1 microsecond', nullif(p_reply_tos[i], ''),
                            coalesce(p_until_started[i], false));
                    id := v_id; duplicate := false; RETURN NEXT;
                    v_added := v_added + 1;
                END IF;
            END LOOP;
        END IF;
        IF v_added > 0 THEN
            PERFORM pg_notify(dq.channel(p_queue), '');
            IF p_count THEN PERFORM dq.count_traffic(p_queue, v_added, 0); END IF;
        END IF;
    END $$;

    CREATE OR REPLACE FUNCTION dq.receive(p_queue text, p_limit integer, p_lease bigint, p_max_attempts integer, p_holder integer,
                               p_ack_ids bigint[], p_ack_tokens bigint[], p_sweep integer, p_count boolean)
    RETURNS TABLE (id bigint, seq bigint, priority bigint, body bytea, enqueued_at timestamptz, attempts integer,
                   token bigint, leased_until timestamptz, reply_to text)
    LANGUAGE plpgsql AS $$
    DECLARE
        n integer;
        v_claimed bigint[];
        v_spent bigint[];
        v_leased integer := 0;
    BEGIN
        IF p_sweep IS NOT NULL THEN PERFORM dq.sweep(p_sweep); END IF;
        IF coalesce(cardinality(p_ack_ids), 0) > 0 THEN
            DELETE FROM dq.messages m USING unnest(p_ack_ids, p_ack_tokens) AS a(id, token)
            WHERE m.id = a.id AND m.lease_token = a.token AND m.queue = p_queue;
            GET DIAGNOSTICS n = ROW_COUNT;
            IF n < cardinality(p_ack_ids) THEN
                RAISE EXCEPTION 'a receipt to ack is stale' USING ERRCODE = 'DQ001';
            END IF;
            IF p_count THEN PERFORM dq.count_traffic(p_queue, 0, n); END IF;
        END IF;
        LOOP
            v_claimed := ARRAY(
                SELECT c.id FROM dq.messages c WHERE c.queue = p_queue AND c.visible_at <= now()
                ORDER BY c.priority DESC, c.seq LIMIT p_limit - v_leased FOR UPDATE SKIP LOCKED);
            EXIT WHEN cardinality(v_claimed) = 0;
            v_spent := ARRAY(SELECT s.id FROM dq.messages s WHERE s.id = ANY(v_claimed) AND s.attempts >= p_max_attempts);
            IF cardinality(v_spent) > 0 THEN PERFORM dq.bury(v_spent, true, NULL, NULL, NULL); END IF;
            RETURN QUERY
            UPDATE dq.messages m SET attempts = m.attempts + 1, lease_token = nextval('dq.lease_tokens'), holder = p_holder,
                   visible_at = now() + p_lease * interval '1 microsecond',
                   dedup_key = CASE WHEN m.key_until_started THEN NULL ELSE m.dedup_key END
            WHERE m.id = ANY(v_claimed) AND NOT m.id = ANY(v_spent)
            RETURNING m.id, m.seq, m.priority, m.body, m.enqueued_at, m.attempts, m.lease_token, m.visible_at, m.reply_to;
            GET DIAGNOSTICS n = ROW_COUNT;
            v_leased := v_leased + n;
            EXIT WHEN cardinality(v_spent) = 0 OR v_leased >= p_limit;
        END LOOP;
        IF v_leased = 0 THEN
            RETURN QUERY SELECT NULL::bigint, dq.next_due(p_queue), NULL::bigint, NULL::bytea, NULL::timestamptz,
                NULL::integer, NULL::bigint, NULL::timestamptz, NULL::text;
        END IF;
    END $$;

    UPDATE dq.meta SET value = 4 WHERE name = 'schema_version';
    """#

    /// Version 5: streams. `dq.streams` keeps each stream's last sequence, whose row lock
    /// makes publishes and group creations of one stream take turns until commit;
    /// `dq.stream_entries` is the log; `dq.stream_groups` the groups, each with the
    /// hidden queue its copies go to (a 16-byte header, sequence and publish time in µs,
    /// before the body).
    private static let streams = #"""
    CREATE TABLE dq.streams (name text PRIMARY KEY, last_seq bigint NOT NULL);
    CREATE TABLE dq.stream_entries (
        stream       text        NOT NULL,
        seq          bigint      NOT NULL,
        published_at timestamptz NOT NULL,
        dedup_key    text,
        body         bytea       NOT NULL,
        PRIMARY KEY (stream, seq)
    );
    CREATE INDEX stream_keys ON dq.stream_entries (stream, dedup_key) WHERE dedup_key IS NOT NULL;
    CREATE TABLE dq.stream_groups (
        stream     text        NOT NULL,
        grp        text        NOT NULL,
        queue      text        NOT NULL,
        start_seq  bigint      NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (stream, grp)
    );

    -- A group's copy of an entry: the header, then the body.
    CREATE FUNCTION dq.stream_copy(p_seq bigint, p_published_at timestamptz, p_body bytea) RETURNS bytea
    LANGUAGE sql IMMUTABLE AS $$
        SELECT int8send(p_seq) || int8send((extract(epoch FROM p_published_at) * 1000000)::bigint) || p_body
    $$;

    -- Deletes the prefix of a stream's log that a trim drops (beyond the newest
    -- p_max_len, older than p_max_age µs, up to p_through); returns how many went.
    CREATE FUNCTION dq.trim_stream(p_stream text, p_last bigint, p_max_len bigint, p_max_age bigint, p_through bigint)
    RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
        v_cut bigint := coalesce(p_through, 0);
        v_young bigint;
        n bigint;
    BEGIN
        IF p_max_len IS NOT NULL THEN v_cut := greatest(v_cut, p_last - p_max_len); END IF;
        IF p_max_age IS NOT NULL THEN
            SELECT e.seq INTO v_young FROM dq.stream_entries e
            WHERE e.stream = p_stream AND e.published_at >= now() - p_max_age * interval '1 microsecond' ORDER BY e.seq LIMIT 1;
            v_cut := greatest(v_cut, coalesce(v_young - 1, p_last));
        END IF;
        IF v_cut <= 0 THEN RETURN 0; END IF;
        DELETE FROM dq.stream_entries e WHERE e.stream = p_stream AND e.seq <= v_cut;
        GET DIAGNOSTICS n = ROW_COUNT;
        RETURN n;
    END $$;

    -- Puts copies of the log's entries p_from … p_through on a group's queue, 10,000 at a
    -- time (a group made --from first on a long log does not hold it all in memory at once).
    CREATE FUNCTION dq.copy_entries(p_stream text, p_queue text, p_from bigint, p_through bigint) RETURNS void
    LANGUAGE plpgsql AS $$
    DECLARE
        v_at bigint := p_from;
        v_last bigint;
        v_copies bytea[];
        v_zeros bigint[];
        v_blank text[];
    BEGIN
        LOOP
            SELECT array_agg(c.copy ORDER BY c.seq), max(c.seq) INTO v_copies, v_last FROM (
                SELECT e.seq, dq.stream_copy(e.seq, e.published_at, e.body) AS copy FROM dq.stream_entries e
                WHERE e.stream = p_stream AND e.seq BETWEEN v_at AND p_through ORDER BY e.seq LIMIT 10000) c;
            EXIT WHEN v_last IS NULL;
            v_zeros := array_fill(0::bigint, ARRAY[cardinality(v_copies)]);
            v_blank := array_fill(''::text, ARRAY[cardinality(v_copies)]);
            PERFORM 1 FROM dq.put(p_queue, v_copies, v_zeros, v_zeros, v_blank, true, NULL, NULL);
            v_at := v_last + 1;
        END LOOP;
    END $$;

    -- Publishes a batch: numbers the new entries after the stream's last sequence
    -- (holding its row until commit), appends them, puts a copy of each on every group's
    -- queue, then trims. A key held by an entry published within p_window µs adds nothing.
    CREATE FUNCTION dq.publish(p_stream text, p_bodies bytea[], p_keys text[], p_window bigint,
                               p_max_len bigint, p_max_age bigint)
    RETURNS TABLE (r_seq bigint, r_duplicate boolean) LANGUAGE plpgsql AS $$
    DECLARE
        n integer := coalesce(cardinality(p_bodies), 0);
        v_last bigint;
        v_first bigint;
        v_held bigint;
        v_copies bytea[];
        v_zeros bigint[];
        v_blank text[];
        g record;
    BEGIN
        INSERT INTO dq.streams AS s (name, last_seq) VALUES (p_stream, 0)
        ON CONFLICT (name) DO UPDATE SET last_seq = s.last_seq RETURNING s.last_seq INTO v_last;
        v_first := v_last + 1;
        IF NOT EXISTS (SELECT 1 FROM unnest(p_keys) k WHERE k <> '') THEN
            INSERT INTO dq.stream_entries (stream, seq, published_at, body)
            SELECT p_stream, v_last + i, now(), p_bodies[i] FROM generate_series(1, n) AS i;
            RETURN QUERY SELECT v_last + i, false FROM generate_series(1, n) AS i;
            v_last := v_last + n;
        ELSE
            FOR i IN 1 .. n LOOP
                v_held := NULL;
                IF p_keys[i] <> '' THEN
                    SELECT e.seq INTO v_held FROM dq.stream_entries e
                    WHERE e.stream = p_stream AND e.dedup_key = p_keys[i]
                      AND e.published_at >= now() - p_window * interval '1 microsecond'
                    ORDER BY e.seq DESC LIMIT 1;
                END IF;
                IF v_held IS NOT NULL THEN
                    r_seq := v_held; r_duplicate := true; RETURN NEXT;
                ELSE
                    v_last := v_last + 1;
                    INSERT INTO dq.stream_entries (stream, seq, published_at, dedup_key, body)
                    VALUES (p_stream, v_last, now(), nullif(p_keys[i], ''), p_bodies[i]);
                    r_seq := v_last; r_duplicate := false; RETURN NEXT;
                END IF;
            END LOOP;
        END IF;
        IF v_last >= v_first THEN
            UPDATE dq.streams SET last_seq = v_last WHERE name = p_stream;
            FOR g IN SELECT sg.queue, sg.start_seq FROM dq.stream_groups sg WHERE sg.stream = p_stream LOOP
                -- A group made from a sequence not yet published starts there.
                IF g.start_seq > v_first THEN
                    PERFORM dq.copy_entries(p_stream, g.queue, g.start_seq, v_last);
                    CONTINUE;
                END IF;
                IF v_copies IS NULL THEN
                    v_copies := ARRAY(SELECT dq.stream_copy(e.seq, e.published_at, e.body) FROM dq.stream_entries e
                                      WHERE e.stream = p_stream AND e.seq >= v_first ORDER BY e.seq);
                    v_zeros := array_fill(0::bigint, ARRAY[cardinality(v_copies)]);
                    v_blank := array_fill(''::text, ARRAY[cardinality(v_copies)]);
                END IF;
                PERFORM 1 FROM dq.put(g.queue, v_copies, v_zeros, v_zeros, v_blank, true, NULL, NULL);
            END LOOP;
        END IF;
        IF p_max_len IS NOT NULL OR p_max_age IS NOT NULL THEN
            PERFORM dq.trim_stream(p_stream, v_last, p_max_len, p_max_age, NULL);
        END IF;
    END $$;

    -- The group p_group of p_stream, made if absent (starting at p_start, NULL: after the
    -- last entry) in the transaction that copies the log from there to its queue, holding
    -- the stream's row so that no publish lands in between.
    CREATE FUNCTION dq.open_group(p_stream text, p_group text, p_queue text, p_start bigint)
    RETURNS TABLE (r_start bigint, r_created_at timestamptz) LANGUAGE plpgsql AS $$
    DECLARE
        v_last bigint;
        v_start bigint;
    BEGIN
        INSERT INTO dq.streams AS s (name, last_seq) VALUES (p_stream, 0)
        ON CONFLICT (name) DO UPDATE SET last_seq = s.last_seq RETURNING s.last_seq INTO v_last;
        RETURN QUERY SELECT g.start_seq, g.created_at FROM dq.stream_groups g WHERE g.stream = p_stream AND g.grp = p_group;
        IF FOUND THEN RETURN; END IF;
        v_start := coalesce(p_start, v_last + 1);
        INSERT INTO dq.stream_groups (stream, grp, queue, start_seq) VALUES (p_stream, p_group, p_queue, v_start);
        PERFORM dq.copy_entries(p_stream, p_queue, v_start, v_last);
        RETURN QUERY SELECT v_start, now();
    END $$;

    -- Deletes what a queue holds and the engine's rows for it (as dq drop does).
    CREATE FUNCTION dq.drop_queue(p_queue text) RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
        n bigint;
        m bigint;
    BEGIN
        DELETE FROM dq.messages WHERE queue = p_queue;
        GET DIAGNOSTICS n = ROW_COUNT;
        DELETE FROM dq.dead WHERE queue = p_queue;
        GET DIAGNOSTICS m = ROW_COUNT;
        DELETE FROM dq.traffic WHERE queue = p_queue;
        DELETE FROM dq.running WHERE queue = p_queue;
        DELETE FROM dq.rates WHERE queue = p_queue;
        RETURN n + m;
    END $$;

    -- Deletes a group and what its queue holds, holding the stream's row as a publish
    -- does (statements after the lock see what committed before it).
    CREATE FUNCTION dq.remove_group(p_stream text, p_group text) RETURNS boolean LANGUAGE plpgsql AS $$
    DECLARE
        v_queue text;
    BEGIN
        PERFORM 1 FROM dq.streams WHERE name = p_stream FOR UPDATE;
        DELETE FROM dq.stream_groups g WHERE g.stream = p_stream AND g.grp = p_group RETURNING g.queue INTO v_queue;
        IF v_queue IS NULL THEN RETURN false; END IF;
        PERFORM dq.drop_queue(v_queue);
        RETURN true;
    END $$;

    -- Deletes a stream: its log, its groups and their queues' contents, its row.
    CREATE FUNCTION dq.remove_stream(p_stream text) RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
        n bigint;
    BEGIN
        PERFORM 1 FROM dq.streams WHERE name = p_stream FOR UPDATE;
        PERFORM dq.drop_queue(g.queue) FROM dq.stream_groups g WHERE g.stream = p_stream;
        DELETE FROM dq.stream_groups WHERE stream = p_stream;
        DELETE FROM dq.stream_entries WHERE stream = p_stream;
        GET DIAGNOSTICS n = ROW_COUNT;
        DELETE FROM dq.streams WHERE name = p_stream;
        RETURN n;
    END $$;

    UPDATE dq.meta SET value = 5 WHERE name = 'schema_version';
    """#


    /// Version 6: a holder's leases are taken under its leasing lock (`(25720, holder)`,
    /// shared, until commit), which a sweep that finds the holder gone takes exclusively
    /// before it returns the holder's leases. The holder's session lock lives on its
    /// process's listening connection and its leases are taken on others, so a process
    /// killed mid-receive loses its session lock before that receive commits; the sweep
    /// now waits for that commit (and sees the lease), or, if it came first, the receive
    /// makes the holder's row again so that the next sweep returns the lease. (A sweep, made
    /// by any receive, may so wait for a dead process's statement still running, within
    /// the busy timeout.)
    private static let sweepWaitsForLeases = #"""
    CREATE OR REPLACE FUNCTION dq.sweep(p_me integer) RETURNS SETOF text LANGUAGE plpgsql AS $$
    DECLARE
        v_gone integer[];
        v_queue text;
    BEGIN
        -- A holder is gone when its lock can be taken. Taking it (until this commits)
        -- keeps a process that registers that id again waiting until its leases are back.
        v_gone := ARRAY(
            SELECT h.id FROM dq.holders h WHERE h.id <> p_me AND pg_try_advisory_xact_lock(25713, h.id));
        IF cardinality(v_gone) = 0 THEN RETURN; END IF;
        -- Waits for leases of these holders still being committed, so that the statements
        -- below (each with a new snapshot) see them.
        PERFORM pg_advisory_xact_lock(25720, g) FROM unnest(v_gone) AS g ORDER BY g;
        -- Waits for replies being put to these holders (dq.reply locks their rows), so
        -- that the reply deletion below sees them.
        DELETE FROM dq.holders WHERE id = ANY(v_gone);
        FOR v_queue IN
            WITH r AS (UPDATE dq.messages m SET visible_at = least(m.visible_at, now()), lease_token = NULL, holder = NULL
                       WHERE m.holder = ANY(v_gone) RETURNING m.queue)
            SELECT DISTINCT r.queue FROM r
        LOOP
            PERFORM pg_notify(dq.channel(v_queue), '');
            RETURN NEXT v_queue;
        END LOOP;
        DELETE FROM dq.messages m
        WHERE m.queue LIKE ':reply:%' AND m.queue LIKE ANY (ARRAY(SELECT ':reply:' || to_hex(g) || ':%' FROM unnest(v_gone) AS g));
    END $$;

    CREATE OR REPLACE FUNCTION dq.receive(p_queue text, p_limit integer, p_lease bigint, p_max_attempts integer, p_holder integer,
                               p_ack_ids bigint[], p_ack_tokens bigint[], p_sweep integer, p_count boolean)
    RETURNS TABLE (id bigint, seq bigint, priority bigint, body bytea, enqueued_at timestamptz, attempts integer,
                   token bigint, leased_until timestamptz, reply_to text)
    LANGUAGE plpgsql AS $$
    DECLARE
        n integer;
        v_claimed bigint[];
        v_spent bigint[];
        v_leased integer := 0;
    BEGIN
        IF p_sweep IS NOT NULL THEN PERFORM dq.sweep(p_sweep); END IF;
        IF coalesce(cardinality(p_ack_ids), 0) > 0 THEN
            DELETE FROM dq.messages m USING unnest(p_ack_ids, p_ack_tokens) AS a(id, token)
            WHERE m.id = a.id AND m.lease_token = a.token AND m.queue = p_queue;
            GET DIAGNOSTICS n = ROW_COUNT;
            IF n < cardinality(p_ack_ids) THEN
                RAISE EXCEPTION 'a receipt to ack is stale' USING ERRCODE = 'DQ001';
            END IF;
            IF p_count THEN PERFORM dq.count_traffic(p_queue, 0, n); END IF;
        END IF;
        IF p_holder IS NOT NULL AND p_limit > 0 THEN
            -- Until commit: a sweep that finds this holder gone waits for these leases; one
            -- that came first deleted the holder's row, made again here for the next sweep.
            PERFORM pg_advisory_xact_lock_shared(25720, p_holder);
            INSERT INTO dq.holders (id) VALUES (p_holder) ON CONFLICT ON CONSTRAINT holders_pkey DO NOTHING;
        END IF;
        LOOP
            v_claimed := ARRAY(
                SELECT c.id FROM dq.messages c WHERE c.queue = p_queue AND c.visible_at <= now()
                ORDER BY c.priority DESC, c.seq LIMIT p_limit - v_leased FOR UPDATE SKIP LOCKED);
            EXIT WHEN cardinality(v_claimed) = 0;
            v_spent := ARRAY(SELECT s.id FROM dq.messages s WHERE s.id = ANY(v_claimed) AND s.attempts >= p_max_attempts);
            IF cardinality(v_spent) > 0 THEN PERFORM dq.bury(v_spent, true, NULL, NULL, NULL); END IF;
            RETURN QUERY
            UPDATE dq.messages m SET attempts = m.attempts + 1, lease_token = nextval('dq.lease_tokens'), holder = p_holder,
                   visible_at = now() + p_lease * interval '1 microsecond',
                   dedup_key = CASE WHEN m.key_until_started THEN NULL ELSE m.dedup_key END
            WHERE m.id = ANY(v_claimed) AND NOT m.id = ANY(v_spent)
            RETURNING m.id, m.seq, m.priority, m.body, m.enqueued_at, m.attempts, m.lease_token, m.visible_at, m.reply_to;
            GET DIAGNOSTICS n = ROW_COUNT;
            v_leased := v_leased + n;
            EXIT WHEN cardinality(v_spent) = 0 OR v_leased >= p_limit;
        END LOOP;
        IF v_leased = 0 THEN
            RETURN QUERY SELECT NULL::bigint, dq.next_due(p_queue), NULL::bigint, NULL::bytea, NULL::timestamptz,
                NULL::integer, NULL::bigint, NULL::timestamptz, NULL::text;
        END IF;
    END $$;

    UPDATE dq.meta SET value = 6 WHERE name = 'schema_version';
    """#

    /// Version 7, for operators' views: `dq.lock_names`, the name of each `dq lock` key
    /// (`hashtextextended(name, 25715)`) and when it was last taken, written by the holder
    /// after it takes the lock, so that a listing of `pg_locks` can name the locks held;
    /// and `dq.deliveries` with `dq.count_deliveries`, redeliveries and first-delivery waits
    /// per queue, added by each process about once a second.
    private static let operatorViews = #"""
    CREATE TABLE dq.lock_names (key bigint PRIMARY KEY, name text NOT NULL, taken_at timestamptz NOT NULL);

    -- Delivery counts (statistics, as dq.traffic): redeliveries, and the waits of first
    -- deliveries (their sum in µs, and a count per bucket of QueueDeliveries.waitBounds).
    CREATE UNLOGGED TABLE dq.deliveries (
        queue text NOT NULL,
        shard integer NOT NULL,
        redelivered bigint NOT NULL,
        wait_us bigint NOT NULL,
        waits bigint[] NOT NULL,
        PRIMARY KEY (queue, shard)
    );
    CREATE FUNCTION dq.count_deliveries(p_queue text, p_redelivered bigint, p_wait_us bigint, p_waits bigint[])
    RETURNS void LANGUAGE sql AS $$
        INSERT INTO dq.deliveries AS d (queue, shard, redelivered, wait_us, waits)
        VALUES (p_queue, pg_backend_pid() % 8, p_redelivered, p_wait_us, p_waits)
        ON CONFLICT (queue, shard) DO UPDATE SET redelivered = d.redelivered + excluded.redelivered,
            wait_us = d.wait_us + excluded.wait_us,
            waits = ARRAY(SELECT coalesce(a, 0) + coalesce(b, 0)
                          FROM unnest(d.waits, excluded.waits) WITH ORDINALITY AS u(a, b, i) ORDER BY i)
    $$;

    UPDATE dq.meta SET value = 7 WHERE name = 'schema_version';
    """#

    /// Version 8: `dq.put_one` and `dq.take_one`, a put and a get of one message without
    /// arrays or set-returning statements, which took half of a one-message call's time on
    /// the server. Most puts and gets are of one message.
    private static let singleMessageCalls = #"""
    -- What dq.put does for a batch of one (a key of '' is none, as there): returns the new
    -- message's id, or minus the id of the message that holds the key. (A scalar costs the
    -- server less than a row: no function scan.)
    CREATE FUNCTION dq.put_one(p_queue text, p_body bytea, p_priority bigint, p_delay bigint, p_key text, p_count boolean,
                               p_reply_to text, p_until_started boolean)
    RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE v_id bigint;
    BEGIN
        PERFORM pg_advisory_xact_lock(25714, hashtext(p_queue));
        IF p_key <> '' THEN
            SELECT m.id INTO v_id FROM dq.messages m WHERE m.queue = p_queue AND m.dedup_key = p_key;
            IF FOUND THEN RETURN -v_id; END IF;
        END IF;
        v_id := nextval('dq.message_ids');
        INSERT INTO dq.messages (id, seq, queue, priority, body, dedup_key, enqueued_at, visible_at, reply_to, key_until_started)
        VALUES (v_id, v_id, p_queue, p_priority, p_body, nullif(p_key, ''), now(), now() + p_delay * interval '1 microsecond',
                nullif(p_reply_to, ''), coalesce(p_until_started, false));
        PERFORM pg_notify(dq.channel(p_queue), '');
        IF p_count THEN PERFORM dq.count_traffic(p_queue, 1, 0); END IF;
        RETURN v_id;
    END $$;

    -- What dq.take does for a limit of 1, as one row: the message (with how long it waited,
    -- in µs); or, with no id, when to look again in next_due (µs from now; NULL: the queue
    -- is empty). drained: p_say_drained, and the take left the queue without a message.
    CREATE FUNCTION dq.take_one(p_queue text, p_sweep integer, p_count boolean, p_say_drained boolean,
                                OUT id bigint, OUT priority bigint, OUT body bytea,
                                OUT enqueued_at timestamptz, OUT attempts integer, OUT reply_to text, OUT waited bigint,
                                OUT next_due bigint, OUT drained boolean)
    LANGUAGE plpgsql AS $$
    BEGIN
        IF p_sweep IS NOT NULL THEN PERFORM dq.sweep(p_sweep); END IF;
        DELETE FROM dq.messages m WHERE m.id = (
            SELECT c.id FROM dq.messages c WHERE c.queue = p_queue AND c.visible_at <= now()
            ORDER BY c.priority DESC, c.seq LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING m.id, m.priority, m.body, m.enqueued_at, m.attempts + 1, m.reply_to,
                  (extract(epoch FROM now() - m.enqueued_at) * 1000000)::bigint
        INTO id, priority, body, enqueued_at, attempts, reply_to, waited;
        IF FOUND THEN
            IF p_count THEN PERFORM dq.count_traffic(p_queue, 0, 1); END IF;
            drained := p_say_drained AND NOT EXISTS (SELECT 1 FROM dq.messages x WHERE x.queue = p_queue);
        ELSE
            next_due := dq.next_due(p_queue);
            drained := false;
        END IF;
    END $$;

    UPDATE dq.meta SET value = 8 WHERE name = 'schema_version';
    """#

    /// Version 9: a put notifies its queue only when some session listens for it
    /// (`dq.listeners`). A `NOTIFY` takes a lock for the whole cluster at commit, held
    /// through the commit's flush, so notifying puts commit one at a time even on different
    /// queues; most puts are made while no reader waits.
    private static let listenerRegistry = #"""
    -- The channels each session LISTENs on (a queue's channel is its name, as in
    -- dq.channel). Unlogged: a crash ends every session.
    CREATE UNLOGGED TABLE dq.listeners (
        channel text NOT NULL,
        backend integer NOT NULL,
        PRIMARY KEY (channel, backend)
    );

    -- Notes that this session LISTENs on p_channel; called after its LISTEN and before the
    -- look that precedes a wait. It takes the lock puts on that queue hold until they
    -- commit: a put that reads dq.listeners after this sees the row and notifies; one that
    -- read them before has committed when this returns, and the look finds its message.
    -- Also drops the rows of sessions that ended without dq.unlisten.
    CREATE FUNCTION dq.listen(p_channel text) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock(25714, hashtext(p_channel));
        INSERT INTO dq.listeners (channel, backend) VALUES (p_channel, pg_backend_pid()) ON CONFLICT DO NOTHING;
        DELETE FROM dq.listeners l WHERE l.backend <> ALL (ARRAY(SELECT a.pid FROM pg_stat_activity a WHERE a.pid IS NOT NULL));
    END $$;

    CREATE FUNCTION dq.unlisten(p_channel text) RETURNS void LANGUAGE sql AS $$
        DELETE FROM dq.listeners WHERE channel = p_channel AND backend = pg_backend_pid()
    $$;

    CREATE OR REPLACE FUNCTION dq.put_one(p_queue text, p_body bytea, p_priority bigint, p_delay bigint, p_key text, p_count boolean,
                                          p_reply_to text, p_until_started boolean)
    RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE v_id bigint;
    BEGIN
        PERFORM pg_advisory_xact_lock(25714, hashtext(p_queue));
        IF p_key <> '' THEN
            SELECT m.id INTO v_id FROM dq.messages m WHERE m.queue = p_queue AND m.dedup_key = p_key;
            IF FOUND THEN RETURN -v_id; END IF;
        END IF;
        v_id := nextval('dq.message_ids');
        INSERT INTO dq.messages (id, seq, queue, priority, body, dedup_key, enqueued_at, visible_at, reply_to, key_until_started)
        VALUES (v_id, v_id, p_queue, p_priority, p_body, nullif(p_key, ''), now(), now() + p_delay * interval '1 microsecond',
                nullif(p_reply_to, ''), coalesce(p_until_started, false));
        IF EXISTS (SELECT 1 FROM dq.listeners l WHERE l.channel = p_queue) THEN
            PERFORM pg_notify(dq.channel(p_queue), '');
        END IF;
        IF p_count THEN PERFORM dq.count_traffic(p_queue, 1, 0); END IF;
        RETURN v_id;
    END $$;

    CREATE OR REPLACE FUNCTION dq.put(p_queue text, p_bodies bytea[], p_priorities bigint[], p_delays bigint[], p_keys text[],
                                      p_count boolean, p_reply_tos text[], p_until_started boolean[])
    RETURNS TABLE (id bigint, duplicate boolean) LANGUAGE plpgsql AS $$
    DECLARE
        n integer := coalesce(cardinality(p_bodies), 0);
        v_ids bigint[];
        v_id bigint;
        v_added integer := 0;
    BEGIN
        PERFORM pg_advisory_xact_lock(25714, hashtext(p_queue));
        IF n = 0 THEN RETURN; END IF;
        IF NOT EXISTS (SELECT 1 FROM unnest(p_keys) k WHERE k <> '') THEN
            v_ids := ARRAY(SELECT nextval('dq.message_ids') FROM generate_series(1, n));
            INSERT INTO dq.messages (id, seq, queue, priority, body, enqueued_at, visible_at, reply_to)
            SELECT v_ids[i], v_ids[i], p_queue, p_priorities[i], p_bodies[i], now(), now() + p_delays[i] * interval '1 microsecond',
                   nullif(p_reply_tos[i], '')
            FROM generate_series(1, n) AS i;
            RETURN QUERY SELECT v_ids[i], false FROM generate_series(1, n) AS i;
            v_added := n;
        ELSE
            FOR i IN 1 .. n LOOP
                v_id := NULL;
                IF p_keys[i] <> '' THEN
                    SELECT m.id INTO v_id FROM dq.messages m WHERE m.queue = p_queue AND m.dedup_key = p_keys[i];
                END IF;
                IF v_id IS NOT NULL THEN
                    id := v_id; duplicate := true; RETURN NEXT;
                ELSE
                    v_id := nextval('dq.message_ids');
                    INSERT INTO dq.messages (id, seq, queue, priority, body, dedup_key, enqueued_at, visible_at, reply_to, key_until_started)
                    VALUES (v_id, v_id, p_queue, p_priorities[i], p_bodies[i], nullif(p_keys[i], ''), now(),
                            now() + p_delays[i] * interval '1 microsecond', nullif(p_reply_tos[i], ''),
                            coalesce(p_until_started[i], false));
                    id := v_id; duplicate := false; RETURN NEXT;
                    v_added := v_added + 1;
                END IF;
            END LOOP;
        END IF;
        IF v_added > 0 THEN
            IF EXISTS (SELECT 1 FROM dq.listeners l WHERE l.channel = p_queue) THEN
                PERFORM pg_notify(dq.channel(p_queue), '');
            END IF;
            IF p_count THEN PERFORM dq.count_traffic(p_queue, v_added, 0); END IF;
        END IF;
    END $$;

    UPDATE dq.meta SET value = 9 WHERE name = 'schema_version';
    """#

    /// Version 10: dropping a queue (a stream's group, a stream) also deletes its delivery
    /// counts, as it deletes its traffic counts.
    private static let dropsDeliveries = #"""
    CREATE OR REPLACE FUNCTION dq.drop_queue(p_queue text) RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
        n bigint;
        m bigint;
    BEGIN
        DELETE FROM dq.messages WHERE queue = p_queue;
        GET DIAGNOSTICS n = ROW_COUNT;
        DELETE FROM dq.dead WHERE queue = p_queue;
        GET DIAGNOSTICS m = ROW_COUNT;
        DELETE FROM dq.traffic WHERE queue = p_queue;
        DELETE FROM dq.deliveries WHERE queue = p_queue;
        DELETE FROM dq.running WHERE queue = p_queue;
        DELETE FROM dq.rates WHERE queue = p_queue;
        RETURN n + m;
    END $$;

    UPDATE dq.meta SET value = 10 WHERE name = 'schema_version';
    """#

    /// Version 11: a session notes that it listens on a queue's channel with a shared
    /// session advisory lock instead of a `dq.listeners` row, and a put tests that lock
    /// (`pg_try_advisory_xact_lock`) instead of reading the table: a function call in
    /// place of a query, about 19,000 fewer server instructions per put
    /// (docs/PERFORMANCE.md). The server drops a session's locks when the session ends.
    private static let listenerLocks = #"""
    DROP FUNCTION dq.listen(text);
    DROP FUNCTION dq.unlisten(text);
    DROP TABLE dq.listeners;

    -- Notes that this session listens on p_channel (a queue's channel is its name); called
    -- after its LISTEN and before the look that precedes a wait. A put that finds no
    -- listener holds this lock exclusively from that test until it commits, so this waits
    -- for such puts in flight and the look finds their messages; a put that tests later
    -- cannot take the lock and notifies. Shared: listeners never wait for each other. A
    -- session's own put does not conflict with its own lock, and so does not notify it:
    -- the process rings its own waiters after its puts.
    CREATE FUNCTION dq.listen(p_channel text) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_advisory_lock_shared(25721, hashtext(p_channel));
    END $$;

    CREATE FUNCTION dq.unlisten(p_channel text) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_advisory_unlock_shared(25721, hashtext(p_channel));
    END $$;

    CREATE OR REPLACE FUNCTION dq.put_one(p_queue text, p_body bytea, p_priority bigint, p_delay bigint, p_key text, p_count boolean,
                                          p_reply_to text, p_until_started boolean)
    RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
        v_hash integer := hashtext(p_queue);
        v_id bigint;
    BEGIN
        PERFORM pg_advisory_xact_lock(25714, v_hash);
        IF p_key <> '' THEN
            SELECT m.id INTO v_id FROM dq.messages m WHERE m.queue = p_queue AND m.dedup_key = p_key;
            IF FOUND THEN RETURN -v_id; END IF;
        END IF;
        v_id := nextval('dq.message_ids');
        INSERT INTO dq.messages (id, seq, queue, priority, body, dedup_key, enqueued_at, visible_at, reply_to, key_until_started)
        VALUES (v_id, v_id, p_queue, p_priority, p_body, nullif(p_key, ''), now(), now() + p_delay * interval '1 microsecond',
                nullif(p_reply_to, ''), coalesce(p_until_started, false));
        IF NOT pg_try_advisory_xact_lock(25721, v_hash) THEN
            PERFORM pg_notify(dq.channel(p_queue), '');
        END IF;
        IF p_count THEN PERFORM dq.count_traffic(p_queue, 1, 0); END IF;
        RETURN v_id;
    END $$;

    CREATE OR REPLACE FUNCTION dq.put(p_queue text, p_bodies bytea[], p_priorities bigint[], p_delays bigint[], p_keys text[],
                                      p_count boolean, p_reply_tos text[], p_until_started boolean[])
    RETURNS TABLE (id bigint, duplicate boolean) LANGUAGE plpgsql AS $$
    DECLARE
        n integer := coalesce(cardinality(p_bodies), 0);
        v_ids bigint[];
        v_id bigint;
        v_added integer := 0;
    BEGIN
        PERFORM pg_advisory_xact_lock(25714, hashtext(p_queue));
        IF n = 0 THEN RETURN; END IF;
        IF NOT EXISTS (SELECT 1 FROM unnest(p_keys) k WHERE k <> '') THEN
            v_ids := ARRAY(SELECT nextval('dq.message_ids') FROM generate_series(1, n));
            INSERT INTO dq.messages (id, seq, queue, priority, body, enqueued_at, visible_at, reply_to)
            SELECT v_ids[i], v_ids[i], p_queue, p_priorities[i], p_bodies[i], now(), now() + p_delays[i] * interval '1 microsecond',
                   nullif(p_reply_tos[i], '')
            FROM generate_series(1, n) AS i;
            RETURN QUERY SELECT v_ids[i], false FROM generate_series(1, n) AS i;
            v_added := n;
        ELSE
            FOR i IN 1 .. n LOOP
                v_id := NULL;
                IF p_keys[i] <> '' THEN
                    SELECT m.id INTO v_id FROM dq.messages m WHERE m.queue = p_queue AND m.dedup_key = p_keys[i];
                END IF;
                IF v_id IS NOT NULL THEN
                    id := v_id; duplicate := true; RETURN NEXT;
                ELSE
                    v_id := nextval('dq.message_ids');
                    INSERT INTO dq.messages (id, seq, queue, priority, body, dedup_key, enqueued_at, visible_at, reply_to, key_until_started)
                    VALUES (v_id, v_id, p_queue, p_priorities[i], p_bodies[i], nullif(p_keys[i], ''), now(),
                            now() + p_delays[i] * interval '1 microsecond', nullif(p_reply_tos[i], ''),
                            coalesce(p_until_started[i], false));
                    id := v_id; duplicate := false; RETURN NEXT;
                    v_added := v_added + 1;
                END IF;
            END LOOP;
        END IF;
        IF v_added > 0 THEN
            IF NOT pg_try_advisory_xact_lock(25721, hashtext(p_queue)) THEN
                PERFORM pg_notify(dq.channel(p_queue), '');
            END IF;
            IF p_count THEN PERFORM dq.count_traffic(p_queue, v_added, 0); END IF;
        END IF;
    END $$;

    UPDATE dq.meta SET value = 11 WHERE name = 'schema_version';
    """#

    /// Version 12: `dq.publish_one`, a publish of one entry that numbers it with one
    /// update of the stream's row (without a key) and returns a scalar.
    private static let singleEntryPublish = #"""
    -- Publishes one entry (p_key NULL or empty: none): its sequence, or minus the sequence
    -- of the entry that holds its key within p_window µs. As dq.publish, with one update
    -- of the stream's row instead of two when there is no key, and no array or set of
    -- rows: half its server time.
    CREATE FUNCTION dq.publish_one(p_stream text, p_body bytea, p_key text, p_window bigint,
                                              p_max_len bigint, p_max_age bigint)
    RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
        v_seq bigint;
        v_held bigint;
        g record;
    BEGIN
        p_key := nullif(p_key, '');
        IF p_key IS NOT NULL THEN
            -- Hold the stream's row (made if new) before looking for the key.
            INSERT INTO dq.streams AS s (name, last_seq) VALUES (p_stream, 0)
            ON CONFLICT (name) DO UPDATE SET last_seq = s.last_seq RETURNING s.last_seq INTO v_seq;
            SELECT e.seq INTO v_held FROM dq.stream_entries e
            WHERE e.stream = p_stream AND e.dedup_key = p_key
              AND e.published_at >= now() - p_window * interval '1 microsecond'
            ORDER BY e.seq DESC LIMIT 1;
            IF v_held IS NOT NULL THEN
                -- A duplicate still trims, as dq.publish does.
                IF p_max_len IS NOT NULL OR p_max_age IS NOT NULL THEN
                    PERFORM dq.trim_stream(p_stream, v_seq, p_max_len, p_max_age, NULL);
                END IF;
                RETURN -v_held;
            END IF;
        END IF;
        UPDATE dq.streams SET last_seq = last_seq + 1 WHERE name = p_stream RETURNING last_seq INTO v_seq;
        IF NOT FOUND THEN
            INSERT INTO dq.streams AS s (name, last_seq) VALUES (p_stream, 1)
            ON CONFLICT (name) DO UPDATE SET last_seq = s.last_seq + 1 RETURNING s.last_seq INTO v_seq;
        END IF;
        INSERT INTO dq.stream_entries (stream, seq, published_at, dedup_key, body) VALUES (p_stream, v_seq, now(), p_key, p_body);
        FOR g IN SELECT sg.queue, sg.start_seq FROM dq.stream_groups sg WHERE sg.stream = p_stream LOOP
            IF g.start_seq <= v_seq THEN
                PERFORM dq.put_one(g.queue, dq.stream_copy(v_seq, now(), p_body), 0, 0, NULL, true, NULL, false);
            END IF;
        END LOOP;
        IF p_max_len IS NOT NULL OR p_max_age IS NOT NULL THEN
            PERFORM dq.trim_stream(p_stream, v_seq, p_max_len, p_max_age, NULL);
        END IF;
        RETURN v_seq;
    END $$;

    UPDATE dq.meta SET value = 12 WHERE name = 'schema_version';
    """#

    /// Version 13: `dq.probe` looks at each waited queue through its own entries of
    /// `messages_due` (the earliest due time, `min`, which only that index gives in
    /// order). Its `EXISTS` planned as one scan of every due message of every queue when
    /// the statistics saw a single busy queue: 50 ms a second per waiting process beside
    /// a backlog of 490,000 messages.
    private static let probeByQueueIndex = #"""
    CREATE OR REPLACE FUNCTION dq.probe(p_me integer, p_queues text[]) RETURNS SETOF text LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM dq.sweep(p_me);
        RETURN QUERY SELECT q FROM unnest(p_queues) AS q
            WHERE (SELECT min(m.visible_at) FROM dq.messages m WHERE m.queue = q) <= now();
    END $$;

    UPDATE dq.meta SET value = 13 WHERE name = 'schema_version';
    """#

    /// Version 14: `dq.publish_one` writes its groups' copies together, each statement
    /// once for all of them (their put locks, in one order; the inserts; the notifications
    /// to groups with a listener; the traffic counts), where it called `dq.put_one` once
    /// per group: half its server time with four groups.
    private static let publishCopiesTogether = #"""
    CREATE OR REPLACE FUNCTION dq.publish_one(p_stream text, p_body bytea, p_key text, p_window bigint,
                                              p_max_len bigint, p_max_age bigint)
    RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
        v_seq bigint;
        v_held bigint;
        v_queues text[];
        v_copy bytea;
    BEGIN
        p_key := nullif(p_key, '');
        IF p_key IS NOT NULL THEN
            -- Hold the stream's row (made if new) before looking for the key.
            INSERT INTO dq.streams AS s (name, last_seq) VALUES (p_stream, 0)
            ON CONFLICT (name) DO UPDATE SET last_seq = s.last_seq RETURNING s.last_seq INTO v_seq;
            SELECT e.seq INTO v_held FROM dq.stream_entries e
            WHERE e.stream = p_stream AND e.dedup_key = p_key
              AND e.published_at >= now() - p_window * interval '1 microsecond'
            ORDER BY e.seq DESC LIMIT 1;
            IF v_held IS NOT NULL THEN
                -- A duplicate still trims, as dq.publish does.
                IF p_max_len IS NOT NULL OR p_max_age IS NOT NULL THEN
                    PERFORM dq.trim_stream(p_stream, v_seq, p_max_len, p_max_age, NULL);
                END IF;
                RETURN -v_held;
            END IF;
        END IF;
        UPDATE dq.streams SET last_seq = last_seq + 1 WHERE name = p_stream RETURNING last_seq INTO v_seq;
        IF NOT FOUND THEN
            INSERT INTO dq.streams AS s (name, last_seq) VALUES (p_stream, 1)
            ON CONFLICT (name) DO UPDATE SET last_seq = s.last_seq + 1 RETURNING s.last_seq INTO v_seq;
        END IF;
        INSERT INTO dq.stream_entries (stream, seq, published_at, dedup_key, body) VALUES (p_stream, v_seq, now(), p_key, p_body);
        -- A copy for each group that starts at or before this entry, as dq.put_one would
        -- put it (no priority, delay or key; counted).
        v_queues := ARRAY(SELECT sg.queue FROM dq.stream_groups sg WHERE sg.stream = p_stream AND sg.start_seq <= v_seq
                          ORDER BY hashtext(sg.queue), sg.queue);
        IF cardinality(v_queues) > 0 THEN
            v_copy := dq.stream_copy(v_seq, now(), p_body);
            PERFORM pg_advisory_xact_lock(25714, h) FROM (SELECT DISTINCT hashtext(q) AS h FROM unnest(v_queues) AS q) AS l ORDER BY h;
            INSERT INTO dq.messages (id, seq, queue, priority, body, enqueued_at, visible_at)
            SELECT c.v, c.v, c.q, 0, v_copy, now(), now() FROM (SELECT nextval('dq.message_ids') AS v, q FROM unnest(v_queues) AS q) AS c;
            PERFORM pg_notify(dq.channel(q), '') FROM unnest(v_queues) AS q WHERE NOT pg_try_advisory_xact_lock(25721, hashtext(q));
            INSERT INTO dq.traffic AS t (queue, shard, added, removed)
            SELECT q, pg_backend_pid() % 8, 1, 0 FROM unnest(v_queues) AS q
            ON CONFLICT (queue, shard) DO UPDATE SET added = t.added + excluded.added;
        END IF;
        IF p_max_len IS NOT NULL OR p_max_age IS NOT NULL THEN
            PERFORM dq.trim_stream(p_stream, v_seq, p_max_len, p_max_age, NULL);
        END IF;
        RETURN v_seq;
    END $$;

    UPDATE dq.meta SET value = 14 WHERE name = 'schema_version';
    """#

    /// Version 15: messages not due when written (delayed, leased, nacked with a delay)
    /// are parked, apart from their queue's due messages in `messages_order` (queue,
    /// parked, priority, seq), and found by due time in `messages_parked`; a claim unparks
    /// its queue's parked messages that have come due (`dq.unpark`), then reads the first
    /// entry under (queue, false). The claim's plan no longer depends on statistics: a
    /// session that had planned its take while its queue was small sorted every due message
    /// of a 200,000-message backlog (60–80 ms a take until the next ANALYZE). Every plpgsql
    /// function plans without sequential scans, which a plan made on a new, one-page table
    /// chose for each claim and ack. A put without a delay writes two index entries where
    /// it wrote three, and `dq.put` reads its arrays with `unnest` (subscripts read an array
    /// of bodies from its start: a put of 200,000 messages in one call took 115 s).
    private static let parkedMessages = #"""
    -- A message that is not due when written (put with a delay, leased, nacked with a delay)
    -- is parked: its entry in messages_order sits apart from its queue's due messages, and
    -- messages_parked finds it by due time. A claim first unparks its queue's parked messages
    -- that have come due, then takes the first entry of messages_order under (queue, false):
    -- its plan needs no statistics, and delayed messages never stand in the claim's way.
    -- The update after messages_order, which holds parked: an update of an unindexed column
    -- can stay on its page (HOT), and an index built over such rows is not used by
    -- transactions older than it (indcheckxmin).
    DROP INDEX dq.messages_order;
    DROP INDEX dq.messages_due;
    ALTER TABLE dq.messages ADD COLUMN parked boolean NOT NULL DEFAULT false;
    CREATE INDEX messages_order ON dq.messages (queue, parked, priority DESC, seq);
    UPDATE dq.messages SET parked = true WHERE visible_at > now();
    CREATE INDEX messages_parked ON dq.messages (queue, visible_at) WHERE parked;

    -- Unparks up to p_limit (NULL: all) of p_queue's parked messages that have come due,
    -- earliest first (those other claims hold are skipped), so that the claim after it sees
    -- them in order. A claim calls it when the earliest parked message is due (testing that
    -- inline costs less than a call), with at least 100: the rows stay locked until the
    -- claim commits, and when more come due at once a claim may take a message of lower
    -- priority than one still parked.
    CREATE FUNCTION dq.unpark(p_queue text, p_limit bigint) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE dq.messages m SET parked = false WHERE m.id = ANY(ARRAY(
            SELECT c.id FROM dq.messages c WHERE c.queue = p_queue AND c.parked AND c.visible_at <= now()
            ORDER BY c.visible_at LIMIT p_limit FOR UPDATE SKIP LOCKED));
    END $$;

    -- µs from now until p_queue's next message is due (negative: one is, held by another
    -- claim); NULL: the queue is empty. An unparked message was due when written. In
    -- plpgsql, which keeps its plans for the session: a SQL function with a FROM is planned
    -- at each call (60 µs of a 160 µs take of an empty queue before).
    CREATE OR REPLACE FUNCTION dq.next_due(p_queue text) RETURNS bigint LANGUAGE plpgsql STABLE AS $$
    BEGIN
        RETURN (extract(epoch FROM least(
            (SELECT m.visible_at FROM dq.messages m WHERE m.queue = p_queue AND NOT m.parked ORDER BY m.priority DESC, m.seq LIMIT 1),
            (SELECT min(m.visible_at) FROM dq.messages m WHERE m.queue = p_queue AND m.parked)) - clock_timestamp()) * 1000000)::bigint;
    END $$;

    CREATE OR REPLACE FUNCTION dq.probe(p_me integer, p_queues text[]) RETURNS SETOF text LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM dq.sweep(p_me);
        RETURN QUERY SELECT q FROM unnest(p_queues) AS q WHERE dq.next_due(q) <= 0;
    END $$;

    CREATE OR REPLACE FUNCTION dq.put(p_queue text, p_bodies bytea[], p_priorities bigint[], p_delays bigint[], p_keys text[],
                                      p_count boolean, p_reply_tos text[], p_until_started boolean[])
    RETURNS TABLE (id bigint, duplicate boolean) LANGUAGE plpgsql AS $$
    DECLARE
        n integer := coalesce(cardinality(p_bodies), 0);
        v_ids bigint[];
        v_id bigint;
        v_added integer := 0;
    BEGIN
        PERFORM pg_advisory_xact_lock(25714, hashtext(p_queue));
        IF n = 0 THEN RETURN; END IF;
        IF NOT EXISTS (SELECT 1 FROM unnest(p_keys) k WHERE k <> '') THEN
            v_ids := ARRAY(SELECT nextval('dq.message_ids') FROM generate_series(1, n));
            -- unnest, not p_bodies[i]: finding an element of an array of bodies reads those before it.
            INSERT INTO dq.messages (id, seq, queue, priority, body, enqueued_at, visible_at, parked, reply_to)
            SELECT v_ids[u.i], v_ids[u.i], p_queue, u.priority, u.body, now(), now() + u.delay * interval '1 microsecond',
                   u.delay > 0, nullif(u.reply_to, '')
            FROM unnest(p_bodies, p_priorities, p_delays, p_reply_tos) WITH ORDINALITY AS u(body, priority, delay, reply_to, i)
            WHERE u.i <= n;
            RETURN QUERY SELECT v_ids[i], false FROM generate_series(1, n) AS i;
            v_added := n;
        ELSE
            FOR i IN 1 .. n LOOP
                v_id := NULL;
                IF p_keys[i] <> '' THEN
                    SELECT m.id INTO v_id FROM dq.messages m WHERE m.queue = p_queue AND m.dedup_key = p_keys[i];
                END IF;
                IF v_id IS NOT NULL THEN
                    id := v_id; duplicate := true; RETURN NEXT;
                ELSE
                    v_id := nextval('dq.message_ids');
                    INSERT INTO dq.messages (id, seq, queue, priority, body, dedup_key, enqueued_at, visible_at, parked, reply_to,
                                             key_until_started)
                    VALUES (v_id, v_id, p_queue, p_priorities[i], p_bodies[i], nullif(p_keys[i], ''), now(),
                            now() + p_delays[i] * interval '1 microsecond', p_delays[i] > 0, nullif(p_reply_tos[i], ''),
                            coalesce(p_until_started[i], false));
                    id := v_id; duplicate := false; RETURN NEXT;
                    v_added := v_added + 1;
                END IF;
            END LOOP;
        END IF;
        IF v_added > 0 THEN
            IF NOT pg_try_advisory_xact_lock(25721, hashtext(p_queue)) THEN
                PERFORM pg_notify(dq.channel(p_queue), '');
            END IF;
            IF p_count THEN PERFORM dq.count_traffic(p_queue, v_added, 0); END IF;
        END IF;
    END $$;

    CREATE OR REPLACE FUNCTION dq.put_one(p_queue text, p_body bytea, p_priority bigint, p_delay bigint, p_key text, p_count boolean,
                                          p_reply_to text, p_until_started boolean)
    RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
        v_hash integer := hashtext(p_queue);
        v_id bigint;
    BEGIN
        PERFORM pg_advisory_xact_lock(25714, v_hash);
        IF p_key <> '' THEN
            SELECT m.id INTO v_id FROM dq.messages m WHERE m.queue = p_queue AND m.dedup_key = p_key;
            IF FOUND THEN RETURN -v_id; END IF;
        END IF;
        v_id := nextval('dq.message_ids');
        INSERT INTO dq.messages (id, seq, queue, priority, body, dedup_key, enqueued_at, visible_at, parked, reply_to,
                                 key_until_started)
        VALUES (v_id, v_id, p_queue, p_priority, p_body, nullif(p_key, ''), now(), now() + p_delay * interval '1 microsecond',
                p_delay > 0, nullif(p_reply_to, ''), coalesce(p_until_started, false));
        IF NOT pg_try_advisory_xact_lock(25721, v_hash) THEN
            PERFORM pg_notify(dq.channel(p_queue), '');
        END IF;
        IF p_count THEN PERFORM dq.count_traffic(p_queue, 1, 0); END IF;
        RETURN v_id;
    END $$;

    CREATE OR REPLACE FUNCTION dq.take(p_queue text, p_limit integer, p_sweep integer, p_count boolean, p_say_drained boolean)
    RETURNS TABLE (id bigint, seq bigint, priority bigint, body bytea, enqueued_at timestamptz, attempts integer,
                   reply_to text)
    LANGUAGE plpgsql AS $$
    DECLARE n integer;
    BEGIN
        IF p_sweep IS NOT NULL THEN PERFORM dq.sweep(p_sweep); END IF;
        IF (SELECT min(c.visible_at) FROM dq.messages c WHERE c.queue = p_queue AND c.parked) <= now() THEN
            PERFORM dq.unpark(p_queue, greatest(p_limit, 100));
        END IF;
        RETURN QUERY
        DELETE FROM dq.messages m WHERE m.id = ANY(ARRAY(
            SELECT c.id FROM dq.messages c WHERE c.queue = p_queue AND NOT c.parked AND c.visible_at <= now()
            ORDER BY c.priority DESC, c.seq LIMIT p_limit FOR UPDATE SKIP LOCKED))
        RETURNING m.id, m.seq, m.priority, m.body, m.enqueued_at, m.attempts + 1, m.reply_to;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n > 0 THEN
            IF p_count THEN PERFORM dq.count_traffic(p_queue, 0, n); END IF;
            IF p_say_drained AND NOT EXISTS (SELECT 1 FROM dq.messages x WHERE x.queue = p_queue) THEN
                RETURN QUERY SELECT NULL::bigint, NULL::bigint, NULL::bigint, NULL::bytea, NULL::timestamptz, NULL::integer,
                    NULL::text;
            END IF;
        ELSE
            RETURN QUERY SELECT NULL::bigint, dq.next_due(p_queue), NULL::bigint, NULL::bytea, NULL::timestamptz, NULL::integer,
                NULL::text;
        END IF;
    END $$;

    CREATE OR REPLACE FUNCTION dq.take_one(p_queue text, p_sweep integer, p_count boolean, p_say_drained boolean,
                                OUT id bigint, OUT priority bigint, OUT body bytea,
                                OUT enqueued_at timestamptz, OUT attempts integer, OUT reply_to text, OUT waited bigint,
                                OUT next_due bigint, OUT drained boolean)
    LANGUAGE plpgsql AS $$
    BEGIN
        IF p_sweep IS NOT NULL THEN PERFORM dq.sweep(p_sweep); END IF;
        IF (SELECT min(c.visible_at) FROM dq.messages c WHERE c.queue = p_queue AND c.parked) <= now() THEN
            PERFORM dq.unpark(p_queue, 100);
        END IF;
        DELETE FROM dq.messages m WHERE m.id = (
            SELECT c.id FROM dq.messages c WHERE c.queue = p_queue AND NOT c.parked AND c.visible_at <= now()
            ORDER BY c.priority DESC, c.seq LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING m.id, m.priority, m.body, m.enqueued_at, m.attempts + 1, m.reply_to,
                  (extract(epoch FROM now() - m.enqueued_at) * 1000000)::bigint
        INTO id, priority, body, enqueued_at, attempts, reply_to, waited;
        IF FOUND THEN
            IF p_count THEN PERFORM dq.count_traffic(p_queue, 0, 1); END IF;
            drained := p_say_drained AND NOT EXISTS (SELECT 1 FROM dq.messages x WHERE x.queue = p_queue);
        ELSE
            next_due := dq.next_due(p_queue);
            drained := false;
        END IF;
    END $$;

    CREATE OR REPLACE FUNCTION dq.receive(p_queue text, p_limit integer, p_lease bigint, p_max_attempts integer, p_holder integer,
                               p_ack_ids bigint[], p_ack_tokens bigint[], p_sweep integer, p_count boolean)
    RETURNS TABLE (id bigint, seq bigint, priority bigint, body bytea, enqueued_at timestamptz, attempts integer,
                   token bigint, leased_until timestamptz, reply_to text)
    LANGUAGE plpgsql AS $$
    DECLARE
        n integer;
        v_claimed bigint[];
        v_spent bigint[];
        v_leased integer := 0;
    BEGIN
        IF p_sweep IS NOT NULL THEN PERFORM dq.sweep(p_sweep); END IF;
        IF coalesce(cardinality(p_ack_ids), 0) > 0 THEN
            DELETE FROM dq.messages m USING unnest(p_ack_ids, p_ack_tokens) AS a(id, token)
            WHERE m.id = a.id AND m.lease_token = a.token AND m.queue = p_queue;
            GET DIAGNOSTICS n = ROW_COUNT;
            IF n < cardinality(p_ack_ids) THEN
                RAISE EXCEPTION 'a receipt to ack is stale' USING ERRCODE = 'DQ001';
            END IF;
            IF p_count THEN PERFORM dq.count_traffic(p_queue, 0, n); END IF;
        END IF;
        IF p_holder IS NOT NULL AND p_limit > 0 THEN
            -- Until commit: a sweep that finds this holder gone waits for these leases; one
            -- that came first deleted the holder's row, made again here for the next sweep.
            PERFORM pg_advisory_xact_lock_shared(25720, p_holder);
            INSERT INTO dq.holders (id) VALUES (p_holder) ON CONFLICT ON CONSTRAINT holders_pkey DO NOTHING;
        END IF;
        IF p_limit > 0 AND (SELECT min(c.visible_at) FROM dq.messages c WHERE c.queue = p_queue AND c.parked) <= now() THEN
            PERFORM dq.unpark(p_queue, greatest(p_limit, 100));
        END IF;
        LOOP
            v_claimed := ARRAY(
                SELECT c.id FROM dq.messages c WHERE c.queue = p_queue AND NOT c.parked AND c.visible_at <= now()
                ORDER BY c.priority DESC, c.seq LIMIT p_limit - v_leased FOR UPDATE SKIP LOCKED);
            EXIT WHEN cardinality(v_claimed) = 0;
            v_spent := ARRAY(SELECT s.id FROM dq.messages s WHERE s.id = ANY(v_claimed) AND s.attempts >= p_max_attempts);
            IF cardinality(v_spent) > 0 THEN PERFORM dq.bury(v_spent, true, NULL, NULL, NULL); END IF;
            RETURN QUERY
            UPDATE dq.messages m SET attempts = m.attempts + 1, lease_token = nextval('dq.lease_tokens'), holder = p_holder,
                   visible_at = now() + p_lease * interval '1 microsecond', parked = p_lease > 0,
                   dedup_key = CASE WHEN m.key_until_started THEN NULL ELSE m.dedup_key END
            WHERE m.id = ANY(v_claimed) AND NOT m.id = ANY(v_spent)
            RETURNING m.id, m.seq, m.priority, m.body, m.enqueued_at, m.attempts, m.lease_token, m.visible_at, m.reply_to;
            GET DIAGNOSTICS n = ROW_COUNT;
            v_leased := v_leased + n;
            EXIT WHEN cardinality(v_spent) = 0 OR v_leased >= p_limit;
        END LOOP;
        IF v_leased = 0 THEN
            RETURN QUERY SELECT NULL::bigint, dq.next_due(p_queue), NULL::bigint, NULL::bytea, NULL::timestamptz,
                NULL::integer, NULL::bigint, NULL::timestamptz, NULL::text;
        END IF;
    END $$;

    CREATE OR REPLACE FUNCTION dq.nack(p_queue text, p_id bigint, p_token bigint, p_delay bigint, p_max_attempts integer,
                            p_error text, p_exit integer, p_signal integer) RETURNS boolean LANGUAGE plpgsql AS $$
    DECLARE v_attempts integer;
    BEGIN
        SELECT m.attempts INTO v_attempts FROM dq.messages m
        WHERE m.id = p_id AND m.lease_token = p_token AND m.queue = p_queue FOR UPDATE;
        IF NOT FOUND THEN RETURN false; END IF;
        IF v_attempts >= p_max_attempts THEN
            PERFORM dq.bury(ARRAY[p_id], false, p_error, p_exit, p_signal);
        ELSE
            UPDATE dq.messages SET lease_token = NULL, holder = NULL, visible_at = now() + p_delay * interval '1 microsecond',
                                   parked = p_delay > 0
            WHERE id = p_id;
            PERFORM pg_notify(dq.channel(p_queue), '');
        END IF;
        RETURN true;
    END $$;

    CREATE OR REPLACE FUNCTION dq.move(p_source text, p_dest text, p_limit bigint, p_dead boolean)
    RETURNS TABLE (moved integer, duplicates integer) LANGUAGE plpgsql AS $$
    DECLARE
        v_priorities bigint[];
        v_bodies bytea[];
        v_keys text[];
        v_id bigint;
    BEGIN
        PERFORM pg_advisory_xact_lock(25714, hashtext(p_dest));
        moved := 0; duplicates := 0;
        IF p_dead THEN
            WITH d AS (DELETE FROM dq.dead WHERE id IN (
                    SELECT c.id FROM dq.dead c WHERE c.queue = p_source ORDER BY c.id LIMIT p_limit FOR UPDATE SKIP LOCKED)
                RETURNING dq.dead.id, dq.dead.priority, dq.dead.body)
            SELECT array_agg(d.priority ORDER BY d.id), array_agg(d.body ORDER BY d.id), array_agg(NULL::text ORDER BY d.id)
            INTO v_priorities, v_bodies, v_keys FROM d;
        ELSE
            IF (SELECT min(c.visible_at) FROM dq.messages c WHERE c.queue = p_source AND c.parked) <= now() THEN
                PERFORM dq.unpark(p_source, p_limit);
            END IF;
            WITH d AS (DELETE FROM dq.messages WHERE id IN (
                    SELECT c.id FROM dq.messages c WHERE c.queue = p_source AND NOT c.parked AND c.visible_at <= now()
                    ORDER BY c.priority DESC, c.seq LIMIT p_limit FOR UPDATE SKIP LOCKED)
                RETURNING dq.messages.seq, dq.messages.priority, dq.messages.body, dq.messages.dedup_key)
            SELECT array_agg(d.priority ORDER BY d.priority DESC, d.seq), array_agg(d.body ORDER BY d.priority DESC, d.seq),
                   array_agg(d.dedup_key ORDER BY d.priority DESC, d.seq)
            INTO v_priorities, v_bodies, v_keys FROM d;
        END IF;
        FOR i IN 1 .. coalesce(cardinality(v_bodies), 0) LOOP
            IF v_keys[i] IS NOT NULL AND EXISTS (
                    SELECT 1 FROM dq.messages m WHERE m.queue = p_dest AND m.dedup_key = v_keys[i]) THEN
                duplicates := duplicates + 1;
                CONTINUE;
            END IF;
            v_id := nextval('dq.message_ids');
            INSERT INTO dq.messages (id, seq, queue, priority, body, dedup_key, enqueued_at, visible_at)
            VALUES (v_id, v_id, p_dest, v_priorities[i], v_bodies[i], v_keys[i], now(), now());
            moved := moved + 1;
        END LOOP;
        IF moved > 0 THEN
            PERFORM pg_notify(dq.channel(p_dest), '');
            PERFORM dq.count_traffic(p_dest, moved, 0);
        END IF;
        IF NOT p_dead AND moved + duplicates > 0 THEN PERFORM dq.count_traffic(p_source, 0, moved + duplicates); END IF;
        RETURN NEXT;
    END $$;

    CREATE OR REPLACE FUNCTION dq.sweep(p_me integer) RETURNS SETOF text LANGUAGE plpgsql AS $$
    DECLARE
        v_gone integer[];
        v_queue text;
    BEGIN
        -- A holder is gone when its lock can be taken. Taking it (until this commits)
        -- keeps a process that registers that id again waiting until its leases are back.
        v_gone := ARRAY(
            SELECT h.id FROM dq.holders h WHERE h.id <> p_me AND pg_try_advisory_xact_lock(25713, h.id));
        IF cardinality(v_gone) = 0 THEN RETURN; END IF;
        -- Waits for leases of these holders still being committed, so that the statements
        -- below (each with a new snapshot) see them.
        PERFORM pg_advisory_xact_lock(25720, g) FROM unnest(v_gone) AS g ORDER BY g;
        -- Waits for replies being put to these holders (dq.reply locks their rows), so
        -- that the reply deletion below sees them.
        DELETE FROM dq.holders WHERE id = ANY(v_gone);
        FOR v_queue IN
            WITH r AS (UPDATE dq.messages m SET visible_at = least(m.visible_at, now()), parked = false, lease_token = NULL, holder = NULL
                       WHERE m.holder = ANY(v_gone) RETURNING m.queue)
            SELECT DISTINCT r.queue FROM r
        LOOP
            PERFORM pg_notify(dq.channel(v_queue), '');
            RETURN NEXT v_queue;
        END LOOP;
        DELETE FROM dq.messages m
        WHERE m.queue LIKE ':reply:%' AND m.queue LIKE ANY (ARRAY(SELECT ':reply:' || to_hex(g) || ':%' FROM unnest(v_gone) AS g));
    END $$;

    UPDATE dq.meta SET value = 15 WHERE name = 'schema_version';
    """#
}

extension PostgresSession {
    /// Runs several statements, one at a time (the extended protocol takes one per
    /// message). Statements end with `;` at the end of a line outside `$$` bodies.
    func simple(_ sql: String) throws(PostgresFailure) {
        for statement in Self.statements(sql) {
            try run(PostgresQuery(unsafeSQL: statement))
        }
    }

    static func statements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var inBody = false
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("--") && !inBody { continue }
            current += line + "\n"
            if line.ranges(of: "$$").count % 2 == 1 { inBody.toggle() }
            if !inBody && trimmed.hasSuffix(";") {
                statements.append(current)
                current = ""
            }
        }
        if !current.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { statements.append(current) }
        return statements
    }
}
