/// Finds the known name closest to a mistyped one, for "did you mean …?" hints.
public enum NameSuggester {
    /// The candidate with the smallest edit distance to `name`, if it is close enough
    /// (at most a third of the longer name's length, and at least 1 edit allowed).
    /// A candidate that starts with `name` wins over edit distance (the shortest such).
    public static func nearest(to name: String, in candidates: [String]) -> String? {
        let lowered = name.lowercased()
        if !lowered.isEmpty,
           let prefixed = candidates.filter({ $0.lowercased().hasPrefix(lowered) }).min(by: { $0.count < $1.count }) {
            return prefixed
        }
        let target = Array(lowered)
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(target, Array(candidate.lowercased()))
            if best == nil || distance < best!.1 { best = (candidate, distance) }
        }
        guard let (candidate, distance) = best else { return nil }
        let limit = max(2, max(target.count, candidate.count) / 3)
        return distance <= limit ? candidate : nil
    }

    /// " Did you mean 'x'?" or the empty string.
    public static func hint(for name: String, in candidates: [String]) -> String {
        guard let match = nearest(to: name, in: candidates) else { return "" }
        return " Did you mean '\(match)'?"
    }

    /// Levenshtein distance between two character arrays.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
