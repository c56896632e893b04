import SnapshotCore

/// Builds the network stores. (The S3 and HTTPS stores arrive with the transfer engine.)
enum StoreFactory {
    static func makeS3(bucket: String, prefix: String, options: StoreOptions) throws -> any ObjectStore {
        throw ChainsnapError(.unsupportedFormat, "s3:// stores are not available in this build",
                             hint: "use a file:// store")
    }

    static func makeHTTP(baseURL: String, options: StoreOptions) throws -> any ObjectStore {
        throw ChainsnapError(.unsupportedFormat, "https:// stores are not available in this build",
                             hint: "use a file:// store")
    }
}
