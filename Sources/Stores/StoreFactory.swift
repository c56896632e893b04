import SnapshotCore

/// Builds the network stores from parsed URLs and options.
enum StoreFactory {
    static func makeS3(bucket: String, prefix: String, options: StoreOptions) throws -> any ObjectStore {
        try S3Store(bucket: bucket, prefix: prefix, options: options)
    }

    static func makeHTTP(baseURL: String, options: StoreOptions) throws -> any ObjectStore {
        HTTPStore(baseURL: baseURL, options: options)
    }
}
