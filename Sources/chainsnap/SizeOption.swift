import ArgumentParser
import SnapshotCore

/// Parses the value of a size option (`--memory-limit`, `--chunk-size`, `--part-size`); a value
/// that is not a size, or is too large to hold, is a usage error (exit 64) naming the option.
func parseSizeOption(_ flag: String, _ text: String) throws -> Int64 {
    try asUsageError { try ByteCount.parseOption(flag, text) }
}
