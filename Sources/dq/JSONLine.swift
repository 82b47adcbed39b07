import FoundationEssentials

/// Encodes an `Encodable` value as compact JSON: keys in the order the value encodes
/// them (a synthesized `encode(to:)` follows declaration order), strings escaped as
/// `JSONText.string` does, slashes not escaped, integers exact.
///
/// dq's JSON has a documented field order (`get --json`: id, queue, priority, …), which
/// FoundationEssentials' `JSONEncoder` does not keep: on Linux it writes an object's keys
/// in hash order, different from run to run, even with a hand-written `encode(to:)`.
///
/// For example:
///
/// ```swift
/// struct Purged: Encodable { var purged: Int }
/// try JSONLine.encode(Purged(purged: 3))  // {"purged":3}
/// ```
///
/// `codingPath` is always empty, and a key encoded twice is written twice.
enum JSONLine {
    /// The value's JSON, without a trailing newline.
    static func encode(_ value: some Encodable) throws -> String {
        let root = Node()
        try root.encode(value)
        var out = ""
        root.write(to: &out)
        return out
    }
}

/// Bytes as dq's JSON carries them: their text if they are UTF-8, else their base64 (the
/// other one is nil). Every JSON output names the two the same way: a member `"F"` for
/// the text and `"F_base64"` for the base64, such as `"body"` / `"body_base64"` (`get
/// --json`) and `"value"` / `"value_base64"` (`kv items --json`, `list items --json`).
struct JSONBytes {
    let text: String?
    let base64: String?

    init(_ data: Data) {
        text = String(data: data, encoding: .utf8)
        base64 = text == nil ? data.base64EncodedString() : nil
    }
}

/// One line of `kv items --json` (`{"key":…,"value":…}`) or `list items --json`
/// (`{"index":…,"value":…}`): the item's key or index, then its value as text, or in
/// base64 if it is not UTF-8.
struct ItemJSON: Encodable {
    let key: String?
    let index: Int?
    let value: String?
    let valueBase64: String?

    enum CodingKeys: String, CodingKey { case key, index, value, valueBase64 = "value_base64" }

    init(key: String? = nil, index: Int? = nil, value: Data) {
        let bytes = JSONBytes(value)
        self.key = key
        self.index = index
        self.value = bytes.text
        valueBase64 = bytes.base64
    }
}

/// A number written with a fixed count of decimals (`12.0`), as `NumberText.fixed` does.
struct FixedDecimal: Encodable {
    /// The number's JSON text.
    let text: String

    init(_ value: Double, digits: Int) {
        text = NumberText.fixed(value, digits: digits)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Double(text) ?? 0)
    }
}

/// A `[String: Value]` encoded with its keys sorted (a `Dictionary` encodes in hash order).
struct SortedKeys<Value: Encodable>: Encodable {
    let dictionary: [String: Value]

    init(_ dictionary: [String: Value]) { self.dictionary = dictionary }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: NameKey.self)
        for key in dictionary.keys.sorted() { try container.encode(dictionary[key]!, forKey: NameKey(key)) }
    }
}

/// A coding key that is any string.
struct NameKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { nil }
}

/// One JSON value being built: a scalar's text, or an array's or object's members.
private final class Node {
    enum Kind { case scalar, array, object }
    var kind = Kind.scalar
    var text = "null"
    var elements: [Node] = []
    var members: [(key: String, node: Node)] = []

    func element() -> Node {
        let node = Node()
        elements.append(node)
        return node
    }

    func member(_ key: any CodingKey) -> Node {
        let node = Node()
        members.append((key.stringValue, node))
        return node
    }

    /// Becomes `value`: the standard library's scalars directly (their own `encode(to:)`
    /// would come back here), anything else through its `encode(to:)`.
    func encode<T: Encodable>(_ value: T) throws {
        switch value {
        case let value as String: text = JSONText.string(value)
        case let value as Bool: text = value ? "true" : "false"
        case let value as Int: text = String(value)
        case let value as Int64: text = String(value)
        case let value as Int32: text = String(value)
        case let value as Int16: text = String(value)
        case let value as Int8: text = String(value)
        case let value as UInt: text = String(value)
        case let value as UInt64: text = String(value)
        case let value as UInt32: text = String(value)
        case let value as UInt16: text = String(value)
        case let value as UInt8: text = String(value)
        case let value as Double: text = try Self.finite(value.isFinite, String(value), value)
        case let value as Float: text = try Self.finite(value.isFinite, String(value), value)
        case let value as FixedDecimal: text = value.text
        default: try value.encode(to: NodeEncoder(node: self))
        }
    }

    private static func finite(_ isFinite: Bool, _ text: String, _ value: some Encodable) throws -> String {
        guard isFinite else {
            throw EncodingError.invalidValue(value, EncodingError.Context(codingPath: [], debugDescription: "\(text) is not a JSON number"))
        }
        return text
    }

    func write(to out: inout String) {
        switch kind {
        case .scalar:
            out += text
        case .array:
            out += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { out += "," }
                element.write(to: &out)
            }
            out += "]"
        case .object:
            out += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { out += "," }
                out += JSONText.string(member.key) + ":"
                member.node.write(to: &out)
            }
            out += "}"
        }
    }
}

private struct NodeEncoder: Encoder {
    let node: Node
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.kind = .object
        return KeyedEncodingContainer(ObjectContainer(node: node))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.kind = .array
        return ArrayContainer(node: node)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { ValueContainer(node: node) }
}

private struct ObjectContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: Node
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) { _ = node.member(key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try node.member(key).encode(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey> {
        NodeEncoder(node: node.member(key)).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        NodeEncoder(node: node.member(key)).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { NodeEncoder(node: node.member(NameKey("super"))) }

    mutating func superEncoder(forKey key: Key) -> any Encoder { NodeEncoder(node: node.member(key)) }
}

private struct ArrayContainer: UnkeyedEncodingContainer {
    let node: Node
    var codingPath: [any CodingKey] { [] }
    var count: Int { node.elements.count }

    mutating func encodeNil() { _ = node.element() }

    mutating func encode<T: Encodable>(_ value: T) throws { try node.element().encode(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        NodeEncoder(node: node.element()).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        NodeEncoder(node: node.element()).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { NodeEncoder(node: node.element()) }
}

private struct ValueContainer: SingleValueEncodingContainer {
    let node: Node
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() { node.text = "null" }

    mutating func encode<T: Encodable>(_ value: T) throws { try node.encode(value) }
}
