/// The mode bits every restore applies, snapshot and archive alike.
public enum RestoredModes {
    /// Permissions and the sticky bit. setuid/setgid are recorded in manifests but never
    /// applied: chain data never needs them, and a restore (often run as root) must not grant
    /// privileges a publisher chose. README "What a restore guarantees" and docs/FORMAT.md say so.
    public static let appliedBits: UInt32 = 0o1777
}
