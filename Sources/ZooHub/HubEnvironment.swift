import Foundation

/// Where the Hub and its cache are, read from the variables `huggingface_hub` reads, so zoo and
/// the Python tools share one cache and one login.
public struct HubEnvironment: Sendable {
    /// The Hub's base URL (`HF_ENDPOINT`, default `https://huggingface.co`), no trailing slash.
    public var endpoint: String
    /// The cache root: `HF_HUB_CACHE`, else `HF_HOME/hub`, else `~/.cache/huggingface/hub`.
    public var cache: URL
    /// The access token: `HF_TOKEN`, else the file `HF_TOKEN_PATH`, else `HF_HOME/token`
    /// (what `huggingface-cli login` writes).
    public var token: String?
    /// `HF_HUB_OFFLINE=1`: only the cache, never the network.
    public var offline: Bool
    /// Tries per request before giving up on a 5xx, 429 or dropped connection
    /// (`ZOO_HUB_RETRIES`, default 6).
    public var attempts: Int
    /// The first retry's wait; each next one doubles, up to ``maxBackoff``
    /// (`ZOO_HUB_BACKOFF_MS`, default 500 ms).
    public var backoff: TimeInterval
    /// The longest wait between tries, also for a `Retry-After` (30 s).
    public var maxBackoff: TimeInterval = 30

    /// Reads the variables from `environment` (the process's by default).
    public init(_ environment: [String: String] = ProcessInfo.processInfo.environment) {
        func value(_ key: String) -> String? {
            guard let text = environment[key]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
            return text
        }
        let home = value("HOME") ?? NSHomeDirectory()
        let hfHome = value("HF_HOME").map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) }
            ?? URL(fileURLWithPath: home).appendingPathComponent(".cache/huggingface")
        if let cache = value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE") {
            self.cache = URL(fileURLWithPath: (cache as NSString).expandingTildeInPath)
        } else {
            self.cache = hfHome.appendingPathComponent("hub")
        }
        var endpoint = value("HF_ENDPOINT") ?? "https://huggingface.co"
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        if let token = value("HF_TOKEN") ?? value("HUGGING_FACE_HUB_TOKEN") {
            self.token = token
        } else {
            let file = value("HF_TOKEN_PATH").map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) } ?? hfHome.appendingPathComponent("token")
            self.token = (try? String(contentsOf: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines).nonEmpty
        }
        let truthy: Set<String> = ["1", "true", "yes", "on"]
        self.offline = value("HF_HUB_OFFLINE").map { truthy.contains($0.lowercased()) } ?? false
        self.attempts = value("ZOO_HUB_RETRIES").flatMap(Int.init).map { max(1, min($0, 100)) } ?? 6
        self.backoff = value("ZOO_HUB_BACKOFF_MS").flatMap(Double.init).map { max(0, $0) / 1000 } ?? 0.5
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
