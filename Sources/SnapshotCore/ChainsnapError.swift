/// The error every chainsnap module throws.
///
/// It names what went wrong (`code`), the object it concerns (a path, key, chunk
/// id, URL or byte offset), the underlying cause, and — most importantly for an
/// operator at 3 a.m. — what to do next (`hint`).
public struct ChainsnapError: Error, CustomStringConvertible, Sendable {
    /// An extensible error category. Modules add their own codes as static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }
    }

    public var code: Code
    public var message: String
    /// The object the error concerns: a path, a store key, a chunk id, a URL.
    public var object: String?
    /// What the operator should do about it.
    public var hint: String?
    /// The lower-level error this one wraps, as text (errors cross module and process lines).
    public var underlying: String?
    /// Whether repeating the same operation may succeed (network faults, throttling).
    public var isRetryable: Bool

    public init(
        _ code: Code, _ message: String, object: String? = nil, hint: String? = nil,
        underlying: (any Error)? = nil, retryable: Bool = false
    ) {
        self.code = code
        self.message = message
        self.object = object
        self.hint = hint
        self.underlying = underlying.map { String(describing: $0) }
        self.isRetryable = retryable
    }

    public var description: String {
        var s = message
        if let object, !message.contains(object) { s += " (\(object))" }
        if let underlying { s += ": \(underlying)" }
        if let hint { s += "\n  hint: \(hint)" }
        return s
    }
}

extension ChainsnapError.Code {
    public static let invalidArgument = Self("invalid-argument")
    public static let io = Self("io")
    public static let notFound = Self("not-found")
    public static let corrupt = Self("corrupt")
    public static let unsafePath = Self("unsafe-path")
    public static let unsupportedFormat = Self("unsupported-format")
    public static let targetNotEmpty = Self("target-not-empty")
    public static let insufficientSpace = Self("insufficient-space")
    public static let network = Self("network")
    public static let http = Self("http")
    public static let auth = Self("auth")
    public static let codec = Self("codec")
    public static let cancelled = Self("cancelled")
    public static let rpc = Self("rpc")
    public static let chainMismatch = Self("chain-mismatch")
}
