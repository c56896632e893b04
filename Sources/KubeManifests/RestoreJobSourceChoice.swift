import SnapshotCore

extension RestoreJobSource {
    /// The source of `--from URL` or `--from-secret NAME`: exactly one must be given, else an
    /// `.invalidArgument` error saying which (neither, or both).
    public static func choose(url: String?, secret: String?) throws -> RestoreJobSource {
        switch (url, secret) {
        case (let u?, nil): return .url(u)
        case (nil, let s?): return .secret(name: s)
        case (nil, nil): throw ChainsnapError(.invalidArgument, "give --from URL, or --from-secret NAME (a Secret whose key 'url' holds it)")
        case (.some, .some): throw ChainsnapError(.invalidArgument, "give either --from or --from-secret, not both")
        }
    }
}
