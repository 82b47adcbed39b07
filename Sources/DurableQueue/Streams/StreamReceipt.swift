import FoundationEssentials

/// Names one leased delivery of a stream entry to a group: `GROUP:RECEIPT`, the group's
/// name and the delivery's `Receipt` (`dq subscribe --lease --json` prints it as
/// `"receipt"`; `dq ack STREAM RECEIPT` reads it back).
///
/// For example:
///
/// ```swift
/// if let receipt = StreamReceipt("billing:1099511627776-1796203312701451000-9f2c") {
///     try store.stream("orders").group(receipt.group).ack(receipt)
/// }
/// ```
public struct StreamReceipt: Hashable, Sendable, LosslessStringConvertible {
    /// The group the entry was delivered to.
    public let group: String
    /// The delivery within the group's queue.
    public let receipt: Receipt

    package init(group: String, receipt: Receipt) {
        self.group = group
        self.receipt = receipt
    }

    /// Parses `GROUP:POSITION-ID-TOKEN`; `nil` if `description` is not in that form.
    /// The group is everything before the last colon.
    ///
    /// For example:
    ///
    /// ```swift
    /// let receipt = StreamReceipt("mail:1099511627776-1796203312701451000-9f2c")
    /// ```
    public init?(_ description: String) {
        guard let colon = description.lastIndex(of: ":"), colon != description.startIndex,
              let receipt = Receipt(String(description[description.index(after: colon)...])) else {
            return nil
        }
        self.init(group: String(description[..<colon]), receipt: receipt)
    }

    /// The receipt as `GROUP:POSITION-ID-TOKEN`, which `init?(_:)` reads back.
    public var description: String { group + ":" + receipt.description }
}

/// One leased delivery of a stream entry to a group (`StreamGroup.receive(lease:…)`).
public struct LeasedEntry: Sendable, Hashable {
    /// The entry delivered; `entry.attempt` counts this delivery.
    public let entry: StreamEntry
    /// Names this delivery for `StreamGroup.ack(_:)`, `nack`, `extend` and `release`.
    public let receipt: StreamReceipt
    /// When the lease runs out and the entry goes back to the group, unless settled first.
    public let leasedUntil: Date

    package init(entry: StreamEntry, receipt: StreamReceipt, leasedUntil: Date) {
        self.entry = entry
        self.receipt = receipt
        self.leasedUntil = leasedUntil
    }
}

/// An entry that failed too many deliveries within a group, with when and why it died.
public struct DeadEntry: Sendable, Hashable {
    /// The entry as it was last delivered.
    public let entry: StreamEntry
    /// When it moved to the group's dead letters.
    public let deadAt: Date
    /// Why its last delivery failed, if recorded.
    public let lastError: String?
}
