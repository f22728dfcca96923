import Foundation
import Testing

import Runtime

// MARK: - Helpers

/// Builds safetensors bytes by hand: u64-LE header length, header, data.
private func safetensorsBytes(header: [UInt8], data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    let length = declaredLength ?? UInt64(header.count)
    return withUnsafeBytes(of: length.littleEndian) { Array($0) } + header + data
}

private func safetensorsBytes(header: String, data: [UInt8] = []) -> [UInt8] {
    safetensorsBytes(header: Array(header.utf8), data: data)
}

private let badName = "bad.safetensors"

/// Opens hand-built bytes that must be rejected, and checks the exact error.
private func expectRejected(
    _ expected: SafeTensorsError, header: String, data: [UInt8] = [],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(throws: expected, sourceLocation: sourceLocation) {
        try SafeTensorsFile(bytes: safetensorsBytes(header: header, data: data), name: badName)
    }
}

/// One well-formed entry as header JSON.
private func entry(_ name: String, _ dtype: String, _ shape: [Int], _ begin: Int, _ end: Int) -> String {
    "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}"
}

private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("zoo-safetensors-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private func littleEndian<Value: FixedWidthInteger>(_ values: [Value]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
}

// MARK: - Round trips

@Suite("SafeTensors round trip")
struct SafeTensorsRoundTripTests {
    /// Sample bytes and the values the typed accessors must return for them.
    private static func sample(_ dtype: DType) -> (shape: [Int], bytes: [UInt8]) {
        switch dtype {
        case .float64: return ([3], littleEndian([1.5, -0.0, Double.infinity].map(\.bitPattern)))
        case .float32: return ([2, 2], littleEndian([1, -2.5, 3.25, Float.leastNonzeroMagnitude].map(\.bitPattern)))
        case .float16: return ([3], littleEndian([UInt16(0x3C00), 0xC000, 0x0001]))
        case .bfloat16: return ([2], littleEndian([UInt16(0x3F80), 0xFF80]))
        case .float8E4M3, .float8E5M2: return ([2], [0x38, 0xB8])
        case .int64: return ([2], littleEndian([Int64.min, 42]))
        case .int32: return ([1, 2], littleEndian([Int32.max, -7]))
        case .int16: return ([2], littleEndian([Int16.min, 3]))
        case .int8: return ([3], littleEndian([Int8.min, -1, 127]))
        case .uint64: return ([2], littleEndian([UInt64.max, 5]))
        case .uint32: return ([1], littleEndian([UInt32.max]))
        case .uint16: return ([2], littleEndian([UInt16.max, 1]))
        case .uint8: return ([3], [0, 128, 255])
        case .bool: return ([2], [1, 0])
        }
    }

    private static let expectedFloats: [DType: [Float]] = [
        .float64: [1.5, -0.0, .infinity],
        .float32: [1, -2.5, 3.25, .leastNonzeroMagnitude],
        .float16: [1, -2, Float(sign: .plus, exponent: -24, significand: 1)],
        .bfloat16: [1, -.infinity],
    ]

    private static let expectedIntegers: [DType: [Int64]] = [
        .int64: [.min, 42], .int32: [Int64(Int32.max), -7], .int16: [Int64(Int16.min), 3],
        .int8: [-128, -1, 127], .uint32: [Int64(UInt32.max)],
        .uint16: [65535, 1], .uint8: [0, 128, 255],
    ]

    @Test("writer → file → reader keeps every dtype", arguments: DType.allCases)
    func roundTripEachDType(dtype: DType) throws {
        let (shape, bytes) = Self.sample(dtype)
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        try writer.add("t", dtype: dtype, shape: shape, bytes: bytes)
        try writer.add("pad", uint8s: [9])  // sorts first, so "t" starts at an odd offset

        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("round.safetensors")
        try writer.write(to: url)

        let file = try SafeTensorsFile(url: url)
        #expect(file.names == ["pad", "t"])
        #expect(file.metadata == ["format": "pt"])
        let info = try file.info("t")
        #expect(info.dtype == dtype)
        #expect(info.shape == shape)
        #expect(info.byteRange == 1..<(1 + bytes.count))
        #expect(try file.withRawBytes("t") { Array($0) } == bytes)

        if let floats = Self.expectedFloats[dtype] {
            let got = try file.floats("t")
            #expect(got.map(\.bitPattern) == floats.map(\.bitPattern))
        } else {
            #expect(throws: SafeTensorsError.wrongDType(file: url.path, tensor: "t", dtype: dtype, expected: "Float")) {
                try file.floats("t")
            }
        }
        if dtype == .uint64 {
            #expect(throws: SafeTensorsError.valueOutOfRange(file: url.path, tensor: "t", index: 0)) {
                try file.int64s("t")
            }
        } else if let integers = Self.expectedIntegers[dtype] {
            #expect(try file.int64s("t") == integers)
        } else {
            #expect(throws: SafeTensorsError.self) { try file.int64s("t") }
        }
        if dtype == .uint8 || dtype == .bool {
            #expect(try file.bytes("t") == bytes)
        } else {
            #expect(throws: SafeTensorsError.self) { try file.bytes("t") }
        }
    }

    @Test("U64 values up to Int64.max read as Int64")
    func uint64InRange() throws {
        var writer = SafeTensorsWriter()
        try writer.add("u", dtype: .uint64, shape: [2], bytes: littleEndian([UInt64(Int64.max), 5]))
        let file = try SafeTensorsFile(bytes: try writer.serialized())
        #expect(try file.int64s("u") == [Int64.max, 5])
    }

    @Test("convenience adders, default shapes, in-memory Data, and metadata")
    func convenienceAdders() throws {
        var writer = SafeTensorsWriter()
        writer.metadata = ["b": "2", "a": "é \"quoted\"\n\u{1}"]
        try writer.add("w", floats: [1, 2, 3, 4, 5, 6], shape: [2, 3])
        try writer.add("ids", int64s: [-1, 0, 1])
        try writer.add("raw", uint8s: [7, 8])
        try writer.add("scalar", floats: [0.5], shape: [])
        try writer.add("empty", floats: [], shape: [3, 0])

        let file = try SafeTensorsFile(bytes: Data(try writer.serialized()), name: "memory")
        #expect(file.names == ["empty", "ids", "raw", "scalar", "w"])
        #expect(file.metadata == writer.metadata)
        #expect(try file.floats("w") == [1, 2, 3, 4, 5, 6])
        #expect(try file.info("w").shape == [2, 3])
        #expect(try file.int64s("ids") == [-1, 0, 1])
        #expect(try file.bytes("raw") == [7, 8])
        #expect(try file.info("scalar").shape == [])
        #expect(try file.info("scalar").elementCount == 1)
        #expect(try file.floats("scalar") == [0.5])
        #expect(try file.floats("empty") == [])
        #expect(try file.info("empty").elementCount == 0)
        #expect(file.contains("w"))
        #expect(!file.contains("W"))
    }

    @Test("header is sorted by name, padded with spaces to 8 bytes, data in the same order")
    func headerLayout() throws {
        var writer = SafeTensorsWriter(metadata: ["k": "v"])
        try writer.add("b", uint8s: [2])
        try writer.add("a", uint8s: [1])
        try writer.add("C", uint8s: [3])
        let bytes = try writer.serialized()
        let length = Int(bytes[0..<8].reversed().reduce(0) { $0 << 8 | UInt64($1) })
        #expect(length % 8 == 0)
        let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        let expected =
            #"{"__metadata__":{"k":"v"},"C":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"#
            + #""a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"#
            + #""b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}"#
        #expect(header.trimmingCharacters(in: .whitespaces) == expected)
        #expect(header.count == length)
        #expect(Array(bytes[(8 + length)...]) == [3, 1, 2])
    }

    @Test("names follow data order, not header order; unaligned data reads correctly")
    func namesInDataOrder() throws {
        let header = "{" + entry("late", "F32", [1], 3, 7) + "," + entry("early", "U8", [3], 0, 3) + "}"
        let data: [UInt8] = [1, 2, 3] + littleEndian([Float(-1.5).bitPattern])
        let file = try SafeTensorsFile(bytes: safetensorsBytes(header: header, data: data))
        #expect(file.names == ["early", "late"])
        #expect(try file.floats("late") == [-1.5])
        #expect(try file.info("late").byteRange == 3..<7)
    }

    @Test("a header with leading and trailing whitespace and escapes is accepted")
    func whitespaceAndEscapes() throws {
        let header = "  \n{ \"a\\u00e9\\ud83d\\ude00\" : {\"data_offsets\":[0,1], \"shape\":[ 1 ], \"dtype\":\"U8\"} }\t  "
        let file = try SafeTensorsFile(bytes: safetensorsBytes(header: header, data: [5]))
        #expect(file.names == ["aé😀"])
        #expect(try file.bytes("aé😀") == [5])
    }

    @Test("an empty file with just '{}' is valid")
    func emptyFile() throws {
        let file = try SafeTensorsFile(bytes: safetensorsBytes(header: "{}"))
        #expect(file.names.isEmpty)
        #expect(file.metadata.isEmpty)
    }

    @Test("writing replaces the target atomically and leaves no temporary files")
    func atomicWrite() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.safetensors")
        try Data("old".utf8).write(to: url)
        var writer = SafeTensorsWriter()
        try writer.add("x", floats: [1])
        try writer.write(to: url)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["model.safetensors"])
        #expect(try SafeTensorsFile(url: url).floats("x") == [1])
    }

    @Test("writing into a missing folder fails with cannotWrite")
    func writeIntoMissingFolder() throws {
        let url = URL(fileURLWithPath: "/nonexistent-zoo-folder/model.safetensors")
        var writer = SafeTensorsWriter()
        try writer.add("x", floats: [1])
        #expect {
            try writer.write(to: url)
        } throws: { error in
            guard case SafeTensorsWriterError.cannotWrite(let file, _) = error else { return false }
            return file == url.path
        }
    }

    @Test("the writer rejects bad tensors")
    func writerRejectsBadTensors() throws {
        var writer = SafeTensorsWriter()
        try writer.add("x", floats: [1])
        #expect(throws: SafeTensorsWriterError.duplicateTensorName("x")) { try writer.add("x", floats: [2]) }
        #expect(throws: SafeTensorsWriterError.reservedName("__metadata__")) {
            try writer.add("__metadata__", uint8s: [1])
        }
        #expect(throws: SafeTensorsWriterError.negativeDimension(tensor: "n", axis: 1)) {
            try writer.add("n", dtype: .uint8, shape: [1, -1], bytes: [])
        }
        #expect(throws: SafeTensorsWriterError.elementCountOverflow(tensor: "o")) {
            try writer.add("o", dtype: .uint8, shape: [Int.max, 2], bytes: [])
        }
        #expect(throws: SafeTensorsWriterError.elementCountOverflow(tensor: "o")) {
            try writer.add("o", dtype: .float64, shape: [Int.max / 4], bytes: [])
        }
        #expect(throws: SafeTensorsWriterError.byteCountMismatch(tensor: "m", expected: 8, actual: 4)) {
            try writer.add("m", dtype: .float32, shape: [2], bytes: [0, 0, 0, 0])
        }
        #expect(writer.names == ["x"])
    }
}

// MARK: - Half-precision conversion

@Suite("F16 and BF16 conversion")
struct HalfFloatTests {
    static let float16Cases: [(UInt16, UInt32)] = [
        (0x0000, Float(0).bitPattern),
        (0x8000, (-Float(0)).bitPattern),
        (0x3C00, Float(1).bitPattern),
        (0xC000, Float(-2).bitPattern),
        (0x7BFF, Float(65504).bitPattern),
        (0xFBFF, Float(-65504).bitPattern),
        (0x0001, Float(sign: .plus, exponent: -24, significand: 1).bitPattern),  // min subnormal
        (0x8001, Float(sign: .minus, exponent: -24, significand: 1).bitPattern),
        (0x03FF, Float(1023 * 0x1p-24).bitPattern),  // max subnormal
        (0x0400, Float(0x1p-14).bitPattern),  // min normal
        (0x7C00, Float.infinity.bitPattern),
        (0xFC00, (-Float.infinity).bitPattern),
        (0x7E00, UInt32(0x7FC0_0000)),  // quiet NaN
        (0x7C01, UInt32(0x7F80_2000)),  // signalling NaN keeps its payload
    ]

    @Test("F16 bit patterns convert exactly", arguments: float16Cases)
    func float16(bits: UInt16, expected: UInt32) {
        #expect(HalfFloat.float(fromFloat16Bits: bits).bitPattern == expected)
    }

    static let bfloat16Cases: [(UInt16, UInt32)] = [
        (0x0000, Float(0).bitPattern),
        (0x8000, (-Float(0)).bitPattern),
        (0x3F80, Float(1).bitPattern),
        (0x7F7F, UInt32(0x7F7F_0000)),  // max
        (0x0001, UInt32(0x0001_0000)),  // min subnormal
        (0x0080, Float.leastNormalMagnitude.bitPattern),
        (0x7F80, Float.infinity.bitPattern),
        (0xFF80, (-Float.infinity).bitPattern),
        (0x7FC0, Float.nan.bitPattern),
    ]

    @Test("BF16 bit patterns convert exactly", arguments: bfloat16Cases)
    func bfloat16(bits: UInt16, expected: UInt32) {
        #expect(HalfFloat.float(fromBFloat16Bits: bits).bitPattern == expected)
    }

    @Test("NaN F16 and BF16 inputs stay NaN")
    func nanStaysNaN() {
        #expect(HalfFloat.float(fromFloat16Bits: 0x7E00).isNaN)
        #expect(HalfFloat.float(fromFloat16Bits: 0xFFFF).isNaN)
        #expect(HalfFloat.float(fromBFloat16Bits: 0x7FC0).isNaN)
        #expect(HalfFloat.float(fromBFloat16Bits: 0xFF81).isNaN)
    }

    #if !(os(macOS) && arch(x86_64))
    @Test("every F16 bit pattern matches Swift's Float16")
    func float16Exhaustive() {
        var mismatches = 0
        for raw in 0...UInt16.max {
            let reference = Float(Float16(bitPattern: raw))
            let converted = HalfFloat.float(fromFloat16Bits: raw)
            let same = reference.isNaN ? converted.isNaN : reference.bitPattern == converted.bitPattern
            if !same { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }
    #endif
}

// MARK: - Validation

@Suite("SafeTensors validation")
struct SafeTensorsValidationTests {
    private let f32x1 = [UInt8](repeating: 0, count: 4)

    @Test("file shorter than 8 bytes")
    func tooShort() {
        #expect(throws: SafeTensorsError.fileTooShort(file: badName, size: 3)) {
            try SafeTensorsFile(bytes: [1, 2, 3], name: badName)
        }
        #expect(throws: SafeTensorsError.fileTooShort(file: badName, size: 0)) {
            try SafeTensorsFile(bytes: [UInt8](), name: badName)
        }
    }

    @Test("header length over 100,000,000")
    func headerTooLarge() {
        for length in [UInt64(100_000_001), .max] {
            #expect(throws: SafeTensorsError.headerTooLarge(file: badName, length: length)) {
                try SafeTensorsFile(bytes: safetensorsBytes(header: [], declaredLength: length), name: badName)
            }
        }
    }

    @Test("header length beyond the end of the file")
    func headerBeyondFile() {
        #expect(throws: SafeTensorsError.headerBeyondFile(file: badName, length: 100, fileSize: 10)) {
            try SafeTensorsFile(bytes: safetensorsBytes(header: Array("{}".utf8), declaredLength: 100), name: badName)
        }
    }

    @Test("header is not valid UTF-8")
    func invalidUTF8() {
        let cases: [([UInt8], Int)] = [
            (Array(#"{"a"#.utf8) + [0xFF] + Array(#"":1}"#.utf8), 3),
            (Array(#"{""#.utf8) + [0xED, 0xA0, 0x80] + Array(#"":1}"#.utf8), 2),  // UTF-16 surrogate
            (Array(#"{""#.utf8) + [0xC0, 0xAF] + Array(#"":1}"#.utf8), 2),  // overlong "/"
            (Array(#"{"é"#.utf8) + [0xE2, 0x82], 4),  // truncated sequence
        ]
        for (header, offset) in cases {
            #expect(throws: SafeTensorsError.headerNotUTF8(file: badName, offset: offset)) {
                try SafeTensorsFile(bytes: safetensorsBytes(header: header), name: badName)
            }
        }
    }

    @Test("header is not JSON")
    func notJSON() {
        let headers = [
            "", "{", #"{"a":}"#, "{} x", "{'a':1}", #"{"a":01}"#, #"{"a":1,}"#, #"{"a" 1}"#,
            #"{"a":tru}"#, #"{"\ud800":1}"#, #"{"\x":1}"#, "{\"a\u{1}\":1}", #"{"a":-}"#,
            #"{"a":1.}"#, #"{"a":1e}"#, "\u{0}{}",
            String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000),
        ]
        for header in headers {
            #expect("header: \(header.prefix(40))") {
                try SafeTensorsFile(bytes: safetensorsBytes(header: header), name: badName)
            } throws: { error in
                guard case SafeTensorsError.headerNotJSON(let file, _) = error else { return false }
                return file == badName
            }
        }
    }

    @Test("header JSON is not an object")
    func notObject() {
        for header in ["[]", "1", #""x""#, "null", "true"] {
            expectRejected(.headerNotObject(file: badName), header: header)
        }
    }

    @Test("tensor entry is not an object")
    func entryNotObject() {
        expectRejected(.entryNotObject(file: badName, tensor: "t"), header: #"{"t":[0,4]}"#)
        expectRejected(.entryNotObject(file: badName, tensor: "t"), header: #"{"t":"F32"}"#)
    }

    @Test("tensor entry lacks a field")
    func missingField() {
        expectRejected(
            .missingField(file: badName, tensor: "t", field: "data_offsets"),
            header: #"{"t":{"dtype":"F32","shape":[1]}}"#, data: f32x1)
        expectRejected(
            .missingField(file: badName, tensor: "t", field: "dtype"),
            header: #"{"t":{"shape":[1],"data_offsets":[0,4]}}"#, data: f32x1)
        expectRejected(
            .missingField(file: badName, tensor: "t", field: "shape"),
            header: #"{"t":{"dtype":"F32","data_offsets":[0,4]}}"#, data: f32x1)
    }

    @Test("tensor entry has an extra field")
    func extraField() {
        expectRejected(
            .unexpectedField(file: badName, tensor: "t", field: "offset"),
            header: #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"offset":0}}"#, data: f32x1)
    }

    @Test("tensor entry repeats a field")
    func duplicateField() {
        expectRejected(
            .duplicateField(file: badName, tensor: "t", field: "dtype"),
            header: #"{"t":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: f32x1)
    }

    @Test("unknown dtype, or dtype not a string")
    func unknownDType() {
        expectRejected(
            .unknownDType(file: badName, tensor: "t", dtype: "F128"),
            header: "{" + entry("t", "F128", [1], 0, 4) + "}", data: f32x1)
        expectRejected(
            .unknownDType(file: badName, tensor: "t", dtype: "f32"),
            header: "{" + entry("t", "f32", [1], 0, 4) + "}", data: f32x1)
        expectRejected(
            .dtypeNotString(file: badName, tensor: "t"),
            header: #"{"t":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}"#, data: f32x1)
    }

    @Test("negative shape dimension")
    func negativeShape() {
        expectRejected(
            .negativeDimension(file: badName, tensor: "t", axis: 1),
            header: #"{"t":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,4]}}"#, data: f32x1)
    }

    @Test("shape is not an array of integers")
    func shapeNotIntegers() {
        for shape in ["[1.0]", "[1e0]", #"["1"]"#, "1", "null", "[[1]]", "[true]"] {
            expectRejected(
                .shapeNotIntegerArray(file: badName, tensor: "t"),
                header: #"{"t":{"dtype":"F32","shape":"# + shape + #","data_offsets":[0,4]}}"#, data: f32x1)
        }
    }

    @Test("shape element count or byte size overflows")
    func shapeOverflow() {
        let shapes = [
            "[4294967296,4294967296,4294967296]",  // product overflows
            "[9223372036854775808]",  // one dimension above Int.max
            "[99999999999999999999999999]",  // above UInt64.max
            "[4611686018427387904]",  // fits, but × 4 bytes overflows
        ]
        for shape in shapes {
            expectRejected(
                .elementCountOverflow(file: badName, tensor: "t"),
                header: #"{"t":{"dtype":"F32","shape":"# + shape + #","data_offsets":[0,4]}}"#, data: f32x1)
        }
    }

    @Test("data_offsets is not two non-negative integers")
    func invalidDataOffsets() {
        let offsets = [
            "[0]", "[0,4,8]", "[]", #"[0,"4"]"#, "[-1,4]", "[0,4.0]", "4", "null",
            "[0,9223372036854775808]",
        ]
        for value in offsets {
            expectRejected(
                .invalidDataOffsets(file: badName, tensor: "t"),
                header: #"{"t":{"dtype":"F32","shape":[1],"data_offsets":"# + value + "}}", data: f32x1)
        }
    }

    @Test("data_offsets begin after end")
    func reversedDataOffsets() {
        expectRejected(
            .dataOffsetsReversed(file: badName, tensor: "t", begin: 4, end: 0),
            header: "{" + entry("t", "F32", [1], 4, 0) + "}", data: f32x1)
    }

    @Test("byte span differs from shape × dtype size")
    func byteSpanMismatch() {
        expectRejected(
            .byteSpanMismatch(file: badName, tensor: "t", expected: 8, actual: 4),
            header: "{" + entry("t", "F32", [2], 0, 4) + "}", data: f32x1)
    }

    @Test("gap between tensors")
    func gap() {
        expectRejected(
            .gapBeforeTensor(file: badName, tensor: "b", expectedBegin: 4, begin: 8),
            header: "{" + entry("a", "F32", [1], 0, 4) + "," + entry("b", "F32", [1], 8, 12) + "}",
            data: [UInt8](repeating: 0, count: 12))
    }

    @Test("overlapping tensors")
    func overlap() {
        expectRejected(
            .overlappingTensors(file: badName, tensor: "b", other: "a"),
            header: "{" + entry("a", "F32", [2], 0, 8) + "," + entry("b", "F32", [1], 4, 8) + "}",
            data: [UInt8](repeating: 0, count: 8))
        // An empty tensor placed inside another tensor's bytes also overlaps it.
        expectRejected(
            .overlappingTensors(file: badName, tensor: "e", other: "a"),
            header: "{" + entry("a", "F32", [2], 0, 8) + "," + entry("e", "F32", [0], 4, 4) + "}",
            data: [UInt8](repeating: 0, count: 8))
    }

    @Test("first tensor does not start at offset 0")
    func notStartingAtZero() {
        expectRejected(
            .dataNotStartingAtZero(file: badName, tensor: "a", begin: 4),
            header: "{" + entry("a", "F32", [1], 4, 8) + "}", data: [UInt8](repeating: 0, count: 8))
    }

    @Test("trailing bytes after the last tensor")
    func trailingBytes() {
        expectRejected(
            .trailingBytes(file: badName, count: 2),
            header: "{" + entry("a", "F32", [1], 0, 4) + "}", data: [UInt8](repeating: 0, count: 6))
        expectRejected(.trailingBytes(file: badName, count: 1), header: "{}", data: [0])
    }

    @Test("tensor ends past the data buffer")
    func beyondData() {
        expectRejected(
            .tensorBeyondData(file: badName, tensor: "a", end: 8, dataSize: 4),
            header: "{" + entry("a", "F32", [2], 0, 8) + "}", data: f32x1)
    }

    @Test("duplicate tensor name")
    func duplicateName() {
        expectRejected(
            .duplicateTensorName(file: badName, tensor: "a"),
            header: "{" + entry("a", "F32", [1], 0, 4) + "," + entry("a", "F32", [1], 4, 8) + "}",
            data: [UInt8](repeating: 0, count: 8))
    }

    @Test("__metadata__ is not a string map")
    func badMetadata() {
        expectRejected(.metadataValueNotString(file: badName, key: "k"), header: #"{"__metadata__":{"k":1}}"#)
        expectRejected(.metadataValueNotString(file: badName, key: "k"), header: #"{"__metadata__":{"k":null}}"#)
        expectRejected(.metadataNotObject(file: badName), header: #"{"__metadata__":["k","v"]}"#)
        expectRejected(.metadataNotObject(file: badName), header: #"{"__metadata__":"k"}"#)
        expectRejected(
            .duplicateMetadataKey(file: badName, key: "k"), header: #"{"__metadata__":{"k":"1","k":"2"}}"#)
    }

    @Test("looking up a missing tensor")
    func missingTensor() throws {
        let file = try SafeTensorsFile(
            bytes: safetensorsBytes(header: "{" + entry("a", "F32", [1], 0, 4) + "}", data: f32x1), name: "ok")
        #expect(throws: SafeTensorsError.missingTensor(name: "nope", file: "ok")) { try file.info("nope") }
        #expect(throws: SafeTensorsError.missingTensor(name: "nope", file: "ok")) { try file.floats("nope") }
        #expect(throws: SafeTensorsError.missingTensor(name: "nope", file: "ok")) { try file.int64s("nope") }
        #expect(throws: SafeTensorsError.missingTensor(name: "nope", file: "ok")) { try file.bytes("nope") }
        #expect(throws: SafeTensorsError.missingTensor(name: "nope", file: "ok")) {
            try file.withRawBytes("nope") { $0.count }
        }
        #expect(throws: SafeTensorsError.missingTensor(name: "__metadata__", file: "ok")) {
            try file.info("__metadata__")
        }
    }

    @Test("reading a tensor with the wrong accessor")
    func wrongDType() throws {
        var writer = SafeTensorsWriter()
        try writer.add("i", int64s: [1])
        try writer.add("f", floats: [1])
        let file = try SafeTensorsFile(bytes: try writer.serialized(), name: "ok")
        #expect(throws: SafeTensorsError.wrongDType(file: "ok", tensor: "i", dtype: .int64, expected: "Float")) {
            try file.floats("i")
        }
        #expect(throws: SafeTensorsError.wrongDType(file: "ok", tensor: "f", dtype: .float32, expected: "Int64")) {
            try file.int64s("f")
        }
        #expect(throws: SafeTensorsError.wrongDType(file: "ok", tensor: "f", dtype: .float32, expected: "UInt8")) {
            try file.bytes("f")
        }
    }

    @Test("unopenable paths and short files on disk")
    func fileSystemErrors() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("missing.safetensors")
        #expect {
            try SafeTensorsFile(url: missing)
        } throws: { error in
            guard case SafeTensorsError.cannotOpen(let file, _) = error else { return false }
            return file == missing.path
        }
        #expect {
            try SafeTensorsFile(url: folder)
        } throws: { error in
            guard case SafeTensorsError.cannotOpen(_, let reason) = error else { return false }
            return reason == "not a regular file"
        }
        let short = folder.appendingPathComponent("short.safetensors")
        try Data([1, 2, 3]).write(to: short)
        #expect(throws: SafeTensorsError.fileTooShort(file: short.path, size: 3)) {
            try SafeTensorsFile(url: short)
        }
    }

    @Test("errors describe the file, the tensor and the problem")
    func descriptions() {
        let error = SafeTensorsError.byteSpanMismatch(file: "m.safetensors", tensor: "w", expected: 8, actual: 4)
        #expect(error.file == "m.safetensors")
        #expect(error.tensor == "w")
        #expect(error.description == "m.safetensors: tensor 'w': data_offsets span 4 bytes but shape and dtype need 8")
        #expect(SafeTensorsError.trailingBytes(file: "m", count: 2).tensor == nil)
        #expect(SafeTensorsError.missingTensor(name: "x", file: "m").description == "m: no tensor named 'x'")
        #expect(SafeTensorsError.duplicateTensorName(file: "m", tensor: "a").description.contains("duplicate tensor name"))
    }
}

// MARK: - Python-written fixtures

/// Expected contents of the files in `Tests/Fixtures/safetensors`, written by
/// `scripts/make_fixtures.py` with Python's `safetensors`.
private struct FixtureManifest: Decodable {
    struct FileEntry: Decodable {
        let metadata: [String: String]?
        let tensorOrderInFile: [String]?
        let valuesFrom: String?
        let tensors: [TensorEntry]

        enum CodingKeys: String, CodingKey {
            case metadata, tensors
            case tensorOrderInFile = "tensor_order_in_file"
            case valuesFrom = "values_from"
        }
    }

    struct TensorEntry: Decodable {
        let name: String
        let dtype: String
        let shape: [Int]
        let values: [Number]?
        let bits: [UInt64]?
    }

    /// A JSON number or one of the strings "nan", "inf", "-inf".
    enum Number: Decodable {
        case integer(Int64)
        case real(Double)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let integer = try? container.decode(Int64.self) {
                self = .integer(integer)
            } else if let real = try? container.decode(Double.self) {
                self = .real(real)
            } else {
                switch try container.decode(String.self) {
                case "nan": self = .real(.nan)
                case "inf": self = .real(.infinity)
                case "-inf": self = .real(-.infinity)
                case let other:
                    throw DecodingError.dataCorruptedError(in: container, debugDescription: "bad value \(other)")
                }
            }
        }

        var double: Double {
            switch self {
            case .integer(let value): Double(value)
            case .real(let value): value
            }
        }
    }

    let files: [String: FileEntry]
}

@Suite("SafeTensors Python fixtures")
struct SafeTensorsFixtureTests {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/safetensors")
    static let manifestURL = folder.appendingPathComponent("expected.json")
    static let manifestExists = FileManager.default.fileExists(atPath: manifestURL.path)

    @Test(
        "every file in expected.json loads and matches",
        .enabled(
            if: manifestExists,
            "Tests/Fixtures/safetensors/expected.json does not exist yet; run scripts/make_fixtures.py"))
    func fixturesMatch() throws {
        let manifest = try JSONDecoder().decode(FixtureManifest.self, from: Data(contentsOf: Self.manifestURL))
        #expect(!manifest.files.isEmpty)
        for (fileName, expected) in manifest.files.sorted(by: { $0.key < $1.key }) {
            let file = try SafeTensorsFile(url: Self.folder.appendingPathComponent(fileName))
            #expect(file.metadata == (expected.metadata ?? [:]), "\(fileName)")
            if let order = expected.tensorOrderInFile {
                #expect(file.names == order, "\(fileName)")
            }
            #expect(Set(file.names) == Set(expected.tensors.map(\.name)), "\(fileName)")
            let reference = try expected.valuesFrom.map {
                try SafeTensorsFile(url: Self.folder.deletingLastPathComponent().appendingPathComponent($0))
            }
            for tensor in expected.tensors {
                try check(tensor, in: file, reference: reference, fileName: fileName)
            }
        }
    }

    private func check(
        _ expected: FixtureManifest.TensorEntry, in file: SafeTensorsFile, reference: SafeTensorsFile?,
        fileName: String
    ) throws {
        let label = "\(fileName): \(expected.name)"
        let info = try file.info(expected.name)
        #expect(info.dtype.rawValue == expected.dtype, "\(label)")
        #expect(info.shape == expected.shape, "\(label)")

        if let bits = expected.bits {
            let raw: [UInt64] = try file.withRawBytes(expected.name) { buffer in
                let width = info.dtype.byteSize
                return (0..<info.elementCount).map { index in
                    (0..<width).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64(buffer[index * width + $1]) }
                }
            }
            #expect(raw == bits, "\(label)")
        }
        if let values = expected.values {
            if info.dtype.isConvertibleToFloat {
                let floats = try file.floats(expected.name)
                #expect(floats.count == values.count, "\(label)")
                for (got, want) in zip(floats, values.map { Float($0.double) }) {
                    // Exact bits are checked above; -0.0 may come back from JSON as the integer 0.
                    #expect(want.isNaN ? got.isNaN : got == want, "\(label): \(got) vs \(want)")
                }
            } else if info.dtype.isInteger {
                let integers = values.map { if case .integer(let value) = $0 { value } else { Int64.min } }
                #expect(try file.int64s(expected.name) == integers, "\(label)")
            } else if info.dtype == .bool {
                #expect(try file.bytes(expected.name).map(Int64.init) == values.map { Int64($0.double) }, "\(label)")
            }
        }
        if let reference, info.dtype.isConvertibleToFloat {
            // Low-precision copies: values are the reference rounded to F16 or BF16.
            let got = try file.floats(expected.name)
            let want = try reference.floats(expected.name)
            #expect(got.count == want.count, "\(label)")
            let relative: Float = info.dtype == .bfloat16 ? 0x1p-8 : 0x1p-11
            let absolute: Float = info.dtype == .bfloat16 ? 0x1p-133 : 0x1p-25
            let worst = zip(got, want).map { abs($0 - $1) - relative * abs($1) - absolute }.max() ?? 0
            #expect(worst <= 0, "\(label)")
        }
    }
}
