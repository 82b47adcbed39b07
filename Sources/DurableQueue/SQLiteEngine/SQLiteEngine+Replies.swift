/// Requests and replies on SQLite: a reply address names its caller's lease holder
/// (`ReplyAddress`), whose `holders` row lives exactly as long as the caller's process
/// is not known to be gone.
extension SQLiteEngine {
    func replyAddress() throws(DQError) -> String {
        ReplyAddress.make(holder: try holders.holderID(store: self))
    }

    func reply(_ reply: Reply, to address: String, acking receipt: Receipt?, on queue: String) throws(DQError) -> Bool {
        // Before the doorbells' file is mapped: a store open read-only touches none.
        try refuseIfReadOnly("write")
        doorbells.prepareToRing()
        var sent = false
        let found = try write { connection in
            if let receipt, !(try MessageTable.ack(connection, queue: queue, receipt: receipt, drained: drainedLanes)) {
                return false
            }
            // The sweep that finds the caller gone deletes its holder row and its replies
            // in one write transaction: a reply is put before (and deleted by it) or not at all.
            guard let holder = ReplyAddress.holder(of: address), try MessageTable.isHolder(holder, connection) else {
                return true
            }
            var inserter = MessageTable.Inserter(connection, queue: address, now: Timestamp.now())
            _ = try inserter.insert(OutgoingMessage(reply.stored))
            try inserter.finish()
            sent = true
            return true
        }
        if found && receipt != nil { traffic.removed(1, from: queue) }
        if sent { doorbells.ringAfterCommit(address, early: .none) }
        return found
    }
}

extension MessageTable {
    /// Whether `holder` is a registered lease holder not yet found gone.
    static func isHolder(_ holder: Int64, _ connection: Connection) throws -> Bool {
        let find = try connection.cachedStatement(ReplySQL.holderFind)
        defer { find.reset() }
        try find.bind(holder, at: 1)
        return try find.step()
    }

    /// Deletes every reply waiting for `holder`'s process; returns how many.
    static func dropReplies(_ connection: Connection, holder: Int64) throws -> Int {
        let prefix = ReplyAddress.prefix(holder: holder)
        let list = try connection.cachedStatement(ReplySQL.replyQueues)
        try list.bind(prefix, at: 1)
        // ':' + 1 is ';': every queue name starting with the prefix sorts below this.
        try list.bind(String(prefix.dropLast()) + ";", at: 2)
        var queues: [String] = []
        while try list.step() { queues.append(list.string(at: 0) ?? "") }
        list.reset()
        var dropped = 0
        for queue in queues { dropped += try purge(connection, queue: queue) }
        return dropped
    }
}

private enum ReplySQL {
    static let holderFind = PreparedSQL("SELECT 1 FROM holders WHERE id = ?1")
    static let replyQueues = PreparedSQL("SELECT DISTINCT queue FROM lanes WHERE queue >= ?1 AND queue < ?2")
}
