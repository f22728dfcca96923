import Foundation

/// Reads a text file line by line in 64 KiB blocks (`\n` or `\r\n` endings), holding one line.
final class LineReader {
    /// The longest line accepted.
    static let maxLineBytes = 64 << 20

    let path: String
    /// The 1-based number of the line last returned.
    private(set) var lineNumber = 0
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false

    init(path: String, what: String) throws(DatasetError) {
        self.path = path
        try DatasetPaths.requireFile(path, what: what)
        do {
            handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        } catch {
            throw DatasetError(.io, "\(path): cannot open the file: \(DatasetPaths.reason(error))")
        }
    }

    deinit {
        try? handle.close()
    }

    /// The next line without its ending, or `nil` at the end of the file.
    func nextLine() throws(DatasetError) -> [UInt8]? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[start..<newline])
                start = newline + 1
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                lineNumber += 1
                return line
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                var line = Array(buffer[start...])
                start = buffer.count
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                lineNumber += 1
                return line
            }
            guard buffer.count - start <= Self.maxLineBytes else {
                throw DatasetError(
                    .data, "\(path):\(lineNumber + 1): the line is longer than \(Self.maxLineBytes) bytes")
            }
            try fill()
        }
    }

    private func fill() throws(DatasetError) {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        do {
            if let data = try handle.read(upToCount: 1 << 16), !data.isEmpty {
                buffer.append(contentsOf: data)
            } else {
                atEnd = true
            }
        } catch {
            throw DatasetError(.io, "\(path): cannot read the file: \(DatasetPaths.reason(error))")
        }
    }
}
