import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// A `zoo serve` process on an ephemeral loopback port, stopped when the test ends.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let base: URL
    private let output = Pipe()
    private let errors = Pipe()
    private let stderrBuffer = LockedText()

    /// Starts `zoo serve --port 0 ARGS --home HOME` and waits (at most 60 s) for its
    /// `listening on` line.
    init(zoo: ZooRunner, arguments: [String] = [], environment: [String: String] = [:]) throws {
        process.executableURL = ZooRunner.binary
        process.arguments = ["serve", "--port", "0"] + arguments + ["--home", zoo.home.path]
        var env = ProcessInfo.processInfo.environment
        env["SWIFT_BACKTRACE"] = "enable=no"
        env.removeValue(forKey: "ZOO_HOME")
        env.removeValue(forKey: "ZOO_API_KEY")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = output
        process.standardError = errors
        let buffer = stderrBuffer
        errors.fileHandleForReading.readabilityHandler = { handle in buffer.append(String(decoding: handle.availableData, as: UTF8.self)) }
        try process.run()
        var line = ""
        let deadline = Date().addingTimeInterval(300)
        let reader = output.fileHandleForReading
        while !line.contains("\n") && Date() < deadline && process.isRunning {
            let chunk = reader.availableData
            if chunk.isEmpty { Thread.sleep(forTimeInterval: 0.02); continue }
            line += String(decoding: chunk, as: UTF8.self)
        }
        guard let range = line.range(of: "listening on "), let url = URL(string: String(line[range.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw ServerStartError(message: "zoo serve did not start: \(line) \(buffer.text)")
        }
        base = url
    }

    deinit { stop() }

    var stderr: String { stderrBuffer.text }

    /// SIGTERM, then waits for the exit (killed after 30 s); returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(30)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        }
        return process.terminationStatus
    }

    /// One request; returns the status, headers and body.
    func request(
        _ method: String, _ path: String, json: Any? = nil, body: Data? = nil, headers: [String: String] = [:]
    ) async throws -> (status: Int, headers: [String: String], body: Data) {
        var request = URLRequest(url: base.appendingPathComponent(path))
        request.httpMethod = method
        request.timeoutInterval = 120
        if let json { request.httpBody = try JSONSerialization.data(withJSONObject: json) }
        if let body { request.httpBody = body }
        if request.httpBody != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        for (key, value) in headers { request.setValue(value, forHTTPHeaderField: key) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields { fields[String(describing: key).lowercased()] = String(describing: value) }
        return (http.statusCode, fields, data)
    }
}

struct ServerStartError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var storage = ""
    func append(_ text: String) { lock.lock(); storage += text; lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return storage }
}

/// A bare HTTP/1.1 client on a POSIX socket, for what URLSession cannot do: send a request and
/// close the connection without waiting for the answer.
enum RawHTTPClient {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Connects to 127.0.0.1:`port`, sends one POST with a JSON `body`, then closes the socket.
    static func sendAndHangUp(port: Int, path: String, body: Data) throws {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect() to port \(port) failed: errno \(errno)") }
        var message = Data("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
        message.append(body)
        try message.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var sent = 0
            while sent < raw.count {
                let n = send(fd, raw.baseAddress! + sent, raw.count - sent, 0)
                guard n > 0 else { throw Failure(description: "send() failed: errno \(errno)") }
                sent += n
            }
        }
        // Give the server a moment to read the whole request before the connection goes.
        Thread.sleep(forTimeInterval: 0.05)
    }
}
