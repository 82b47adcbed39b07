/// Settling a delivery by its receipt alone: the receipt names its group, so a process
/// that only has the receipt text (`dq ack STREAM RECEIPT`) settles it without naming
/// the group, and without making one.
extension Stream {
    /// Acks the delivery `receipt` names in its group. See `StreamGroup.ack(_:)`.
    ///
    /// For example:
    ///
    /// ```swift
    /// if let receipt = StreamReceipt(text) { try store.stream("orders").ack(receipt) }
    /// ```
    ///
    /// - Throws: `DQError.Kind.staleReceipt` if the entry was delivered again since or
    ///   already settled; `.invalidArgument` for a bad group name.
    public func ack(_ receipt: StreamReceipt) throws(DQError) {
        try settling(receipt).ack(receipt)
    }

    /// Nacks the delivery `receipt` names. See `StreamGroup.nack(_:delay:maxAttempts:failure:)`.
    ///
    /// For example:
    ///
    /// ```swift
    /// try stream.nack(receipt, delay: .seconds(5))
    /// ```
    ///
    /// - Throws: as `ack(_:)`.
    public func nack(_ receipt: StreamReceipt, delay: Duration = .zero, maxAttempts: Int = Queue.defaultMaxAttempts,
                     failure: DeliveryFailure? = nil) throws(DQError) {
        try settling(receipt).nack(receipt, delay: delay, maxAttempts: maxAttempts, failure: failure)
    }

    /// Extends the lease `receipt` names. See `StreamGroup.extend(_:by:)`.
    ///
    /// For example:
    ///
    /// ```swift
    /// try stream.extend(receipt, by: .seconds(60))
    /// ```
    ///
    /// - Throws: as `ack(_:)`.
    public func extend(_ receipt: StreamReceipt, by lease: Duration) throws(DQError) {
        try settling(receipt).extend(receipt, by: lease)
    }

    /// The group `receipt` names, as a handle only (nothing is made).
    private func settling(_ receipt: StreamReceipt) throws(DQError) -> StreamGroup {
        try Names.validate(receipt.group, what: "group name")
        return StreamGroup(stream: self, name: receipt.group)
    }

    /// Group `name` as a handle, made or not: for reading its dead letters or settling,
    /// which must not make a group.
    ///
    /// For example:
    ///
    /// ```swift
    /// let dead = try stream.existingGroup("billing").deadLetters()
    /// ```
    ///
    /// - Throws: `DQError.Kind.invalidArgument` for a bad name.
    public func existingGroup(_ name: String) throws(DQError) -> StreamGroup {
        try Names.validate(name, what: "group name")
        return StreamGroup(stream: self, name: name)
    }
}
