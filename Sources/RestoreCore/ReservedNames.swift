/// Names chainsnap keeps at the top of a restored target; they are never part of a snapshot.
public enum ReservedNames {
    public static let marker = ".chainsnap-restore.json"
    public static let staging = ".chainsnap-staging"
    /// The `flock` file of `TargetLock`: one restore per target.
    public static let lock = ".chainsnap-lock"
    public static let all: Set<String> = [marker, staging, lock]
}
