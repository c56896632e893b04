/// Values given as command-line options (`--chunk-size 4MiB`, `--label k=v`), read by the
/// modules so the rules are tested once and every command applies them the same way. Errors
/// are `.invalidArgument` whose message names the option; the command layer shows them as
/// usage errors (exit 64).
extension ByteCount {
    /// A size option's value (`--memory-limit`, `--chunk-size`, `--part-size`). A value that is
    /// not a size, or too large to hold, is an error naming the option, with the hint folded into
    /// the message (`--chunk-size: cannot read size 'x'; use a number…`).
    public static func parseOption(_ flag: String, _ text: String) throws -> Int64 {
        do { return try parse(text) } catch let e as ChainsnapError {
            throw ChainsnapError(.invalidArgument, "\(flag): \(e.message)" + (e.hint.map { "; \($0)" } ?? ""))
        }
    }
}

/// `KEY=VALUE` pairs of a repeatable option (`--label`, `--node-selector`).
public enum KeyValueOption {
    /// The pairs as a dictionary; a later pair with the same key wins. Each must contain `=`
    /// after a non-empty key (and before a non-empty value unless `allowEmptyValue`), or the
    /// error names `flag` and the pair (`--label 'x' must look like key=value`).
    public static func parse(_ pairs: [String], flag: String, allowEmptyValue: Bool = true) throws -> [String: String] {
        var out: [String: String] = [:]
        for p in pairs {
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex, allowEmptyValue || p.index(after: eq) != p.endIndex else {
                throw ChainsnapError(.invalidArgument, "\(flag) '\(p)' must look like key=value")
            }
            out[String(p[..<eq])] = String(p[p.index(after: eq)...])
        }
        return out
    }
}
