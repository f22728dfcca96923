import Foundation

/// Expands the brace patterns of WebDataset shard lists, as the `braceexpand` Python package does
/// for the common cases: `{00000..00123}` (numeric ranges, ascending or descending, zero-padded to
/// the wider bound when either bound has a leading zero) and `{a,b,c}` (alternatives); several
/// braces multiply out, left to right.
enum BraceExpansion {
    /// The most names one pattern may expand to.
    static let maxExpansions = 1_000_000

    /// Whether `pattern` contains a brace.
    static func hasBraces(_ pattern: String) -> Bool {
        pattern.contains("{") || pattern.contains("}")
    }

    /// The expansion of `pattern`, in order.
    static func expand(_ pattern: String) throws(DatasetError) -> [String] {
        var results = [""]
        var rest = Substring(pattern)
        while !rest.isEmpty {
            guard let open = rest.firstIndex(where: { $0 == "{" || $0 == "}" }) else {
                results = results.map { $0 + rest }
                break
            }
            guard rest[open] == "{" else {
                throw DatasetError(.usage, "\(pattern): unbalanced } in the shard pattern")
            }
            let prefix = rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw DatasetError(.usage, "\(pattern): unbalanced { in the shard pattern")
            }
            let body = rest[rest.index(after: open)..<close]
            guard !body.contains("{") else {
                throw DatasetError(.usage, "\(pattern): nested braces are not supported in shard patterns")
            }
            let alternatives = try expandBody(body, pattern: pattern)
            guard results.count * alternatives.count <= maxExpansions else {
                throw DatasetError(.usage, "\(pattern): expands to more than \(maxExpansions) shards")
            }
            results = results.flatMap { head in alternatives.map { head + prefix + $0 } }
            rest = rest[rest.index(after: close)...]
        }
        return results
    }

    /// The alternatives of one brace body.
    private static func expandBody(_ body: Substring, pattern: String) throws(DatasetError) -> [String] {
        if let range = body.range(of: "..") {
            let lowText = body[..<range.lowerBound]
            let highText = body[range.upperBound...]
            guard let low = Int(lowText), let high = Int(highText), !lowText.hasPrefix("+"), !highText.hasPrefix("+")
            else {
                throw DatasetError(.usage, "\(pattern): {\(body)} is not a numeric range like {000..123}")
            }
            guard abs(high - low) < maxExpansions else {
                throw DatasetError(.usage, "\(pattern): expands to more than \(maxExpansions) shards")
            }
            let padded = hasLeadingZero(lowText) || hasLeadingZero(highText)
            let width = padded ? max(lowText.count, highText.count) : 0
            let step = low <= high ? 1 : -1
            return stride(from: low, through: high, by: step).map { format($0, width: width) }
        }
        let parts = body.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else {
            throw DatasetError(.usage, "\(pattern): {\(body)} is neither a range {a..b} nor a list {a,b}")
        }
        return parts
    }

    private static func hasLeadingZero(_ text: Substring) -> Bool {
        let digits = text.hasPrefix("-") ? text.dropFirst() : text
        return digits.count > 1 && digits.hasPrefix("0")
    }

    private static func format(_ value: Int, width: Int) -> String {
        let digits = String(abs(value))
        let padding = String(repeating: "0", count: max(0, width - digits.count - (value < 0 ? 1 : 0)))
        return (value < 0 ? "-" : "") + padding + digits
    }
}
