import DurableQueue
@testable import DurableQueuePostgres
import Foundation
import Logging
import PostgresNIO
import Testing

/// Statements a connection prepares once and then runs by name (`PreparedCall`): their
/// rows decode, their failures mean what an unnamed statement's do, and a statement the
/// server has forgotten is prepared again.
@Suite("PostgreSQL prepared statements")
struct PreparedCallTests {
    private func session(_ db: String) throws -> PostgresSession {
        try PostgresSession.open(PostgresAddress(db), id: 0, logger: Logger(label: "dq.test"))
    }

    @Test("values of every kind go in and rows come back decoded, on the first run and the next",
          .enabled(if: PostgresTestServer.address != nil, "DQ_TEST_POSTGRES is not set"), .timeLimit(.minutes(1)))
    func roundTrip() throws {
        let session = try session(try PostgresTestServer.freshDatabase())
        defer { session.close() }
        for body in [[UInt8](), [0, 1, 255]] {
            let call = PreparedCall("""
                SELECT $1::text, $2::text, $3::bytea, $4::bigint, $5::bigint, $6::integer, $7::boolean, $8::bigint[],
                       cardinality($9::bigint[]), ($10::bytea[])[1], ($10::bytea[])[2], $11::text[]
                """, .text("q é"), .text(nil), .bytes(body), .int8(-7), .int8(nil), .int4(nil), .bool(true),
                .int8Array([1, 2]), .int8Array([]), .bytesArray([body, [7]]), .textArray(["", "k"]))
            let row = try #require(try session.rows(call).first)
            let (text, null, bytes, number, nullNumber, nullInteger, flag, array, empty, first, second, keys) = try PostgresEngine.decode(
                row, as: (String, String?, Data, Int64, Int64?, Int32?, Bool, [Int64], Int32, Data, Data, [String]).self)
            #expect(text == "q é" && null == nil && [UInt8](bytes) == body && number == -7)
            #expect(nullNumber == nil && nullInteger == nil && flag && array == [1, 2] && empty == 0)
            #expect([UInt8](first) == body && [UInt8](second) == [7] && keys == ["", "k"])
        }
    }

    @Test("a statement the server has forgotten (DEALLOCATE) is prepared again",
          .enabled(if: PostgresTestServer.address != nil, "DQ_TEST_POSTGRES is not set"), .timeLimit(.minutes(1)))
    func forgotten() throws {
        let session = try session(try PostgresTestServer.freshDatabase())
        defer { session.close() }
        let call = PreparedCall("SELECT $1::bigint + 1", .int8(41))
        #expect(try PostgresEngine.decode(#require(try session.rows(call).first), as: Int64.self) == 42)
        try session.run("DEALLOCATE ALL")
        do {
            #expect(try PostgresEngine.decode(#require(try session.rows(call).first), as: Int64.self) == 42)
        } catch {
            Issue.record("after DEALLOCATE: \(error)")
        }
        // Through the engine: a put on the connection whose statements were dropped stores one message.
        let db = try PostgresTestServer.freshDatabase()
        let store = try Store.open(db)
        let engine = try #require(store.engine as? PostgresEngine)
        try store.queue("q").put("one")
        let sessions = PostgresTestServer.sessions(of: getpid(), on: db)  // the store's one, and this count's own
        _ = try engine.session { session throws(PostgresFailure) in try session.run("DEALLOCATE ALL") }
        try store.queue("q").put("two")
        #expect(PostgresTestServer.sessions(of: getpid(), on: db) == sessions, "the put ran on the same connection")
        #expect(try store.queue("q").get(timeout: .zero)?.text == "one")
        #expect(try store.queue("q").get(timeout: .zero)?.text == "two")
        #expect(try store.queue("q").get(timeout: .zero) == nil)
    }

    @Test("a server error and a lost connection mean what they mean for unnamed statements",
          .enabled(if: PostgresTestServer.address != nil, "DQ_TEST_POSTGRES is not set"), .timeLimit(.minutes(1)))
    func failures() throws {
        let session = try session(try PostgresTestServer.freshDatabase())
        defer { session.close() }
        do {
            _ = try session.rows(PreparedCall("SELECT 1 / $1::integer", .int4(0)))
            Issue.record("division by zero succeeded")
        } catch {
            guard case .error(let error) = error.kind else { Issue.record("\(error.kind)"); return }
            #expect(error.message.contains("22012") && error.message.contains("division by zero"), "\(error.message)")
        }
        do {
            _ = try session.rows(PreparedCall("SELECT pg_terminate_backend(pg_backend_pid()) OR $1", .bool(false)))
            Issue.record("the session outlived its own termination")
        } catch {
            guard case .connectionLost = error.kind else { Issue.record("\(error.kind)"); return }
        }
    }
}
