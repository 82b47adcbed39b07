import DurableQueue
import FoundationEssentials
import NIOCore
import PostgresNIO

/// Requests and replies on PostgreSQL: a reply address names its caller's lease holder
/// (`ReplyAddress`), whose `dq.holders` row lives until a sweep finds its session gone.
extension PostgresEngine {
    func replyAddress() throws(DQError) -> String {
        ReplyAddress.make(holder: Int64(try keeper.holderID()))
    }

    func reply(_ reply: Reply, to address: String, acking receipt: Receipt?, on queue: String) throws(DQError) -> Bool {
        // Holder ids are PostgreSQL integers; any other address names no live caller.
        let holder = ReplyAddress.holder(of: address).flatMap { Int32(exactly: $0) }
        let counts = receipt == nil || countsTraffic()
        let done = try flag("""
            SELECT dq.reply(\(queue), \(receipt?.position), \(receipt?.token), \(address), \(holder),
                            \(ByteBuffer(bytes: reply.stored)), \(counts))
            """, retrying: false)
        if done && receipt != nil && !counts { tally.note(queue, removed: 1) }
        return done
    }
}
