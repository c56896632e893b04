import SnapshotCore

extension ChainsnapError {
    /// The process exit status for this error, as `chainsnap --help` documents it: 3 when a
    /// restore refused to replace existing data, 75 (EX_TEMPFAIL) when another run holds the
    /// target, 1 for everything else. (64, a usage error, comes from argument parsing.)
    public var exitStatus: Int32 {
        switch code {
        case .targetNotEmpty: 3
        case .targetBusy: 75
        default: 1
        }
    }
}

/// A failure whose explanation is already on stderr (a child process's own message, and a line
/// saying it failed): the command exits with `status` and adds nothing.
public struct ReportedExit: Error, Equatable, Sendable {
    public let status: Int32
    public init(status: Int32) { self.status = status }
}
