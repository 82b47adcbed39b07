import DurableQueue

/// A receipt as `dq ack/nack/extend` take it: a queue's (`POSITION-ID-TOKEN`), or a
/// stream group's (`GROUP:POSITION-ID-TOKEN`, from `dq subscribe --lease --json`), in
/// which case the command's first argument names the stream.
enum SettleReceipt: Hashable, CustomStringConvertible {
    case queue(Receipt)
    case stream(StreamReceipt)

    init?(_ text: String) {
        if let receipt = Receipt(text) {
            self = .queue(receipt)
        } else if let receipt = StreamReceipt(text) {
            self = .stream(receipt)
        } else {
            return nil
        }
    }

    var description: String {
        switch self {
        case .queue(let receipt): receipt.description
        case .stream(let receipt): receipt.description
        }
    }

    /// Acks it on the queue, or the stream, called `name`.
    func ack(in store: Store, _ name: String) throws(DQError) {
        switch self {
        case .queue(let receipt): try store.queue(name).ack(receipt)
        case .stream(let receipt): try store.stream(name).ack(receipt)
        }
    }

    /// Nacks it on the queue, or the stream, called `name`.
    func nack(in store: Store, _ name: String, delay: Duration, maxAttempts: Int) throws {
        switch self {
        case .queue(let receipt): try store.queue(name).nack(receipt, delay: delay, maxAttempts: maxAttempts)
        case .stream(let receipt): try store.stream(name).nack(receipt, delay: delay, maxAttempts: maxAttempts)
        }
    }

    /// Extends its lease on the queue, or the stream, called `name`.
    func extend(in store: Store, _ name: String, by lease: Duration) throws {
        switch self {
        case .queue(let receipt): try store.queue(name).extend(receipt, by: lease)
        case .stream(let receipt): try store.stream(name).extend(receipt, by: lease)
        }
    }
}
