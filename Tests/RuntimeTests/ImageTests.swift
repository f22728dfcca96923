import Foundation
import Testing

@testable import Runtime
@testable import ZooImages

// MARK: - Fixtures

private let visionFixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/vision")

private func fixtureImage(_ name: String) -> URL {
    visionFixtures.appendingPathComponent("images/\(name)")
}

private func fixtureBytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: fixtureImage(name)))
}

private let dinoConfig = visionFixtures.appendingPathComponent("models/dinov2-tiny/preprocessor_config.json")

private func referenceFile() throws -> SafeTensorsFile {
    try SafeTensorsFile(url: visionFixtures.appendingPathComponent("reference/preprocess.safetensors"))
}

/// Every fixture image with its decoded size (after EXIF orientation) and whether its pixels come
/// from a lossless file, which must then match PIL exactly.
private let fixtureImages: [(name: String, width: Int, height: Int, lossless: Bool)] = [
    ("china.jpg", 400, 300, false),
    ("flower_exif6.jpg", 270, 390, false),
    ("chelsea_cmyk.jpg", 451, 300, false),
    ("camera_gray.png", 200, 240, true),
    ("astronaut_rgba.png", 220, 260, true),
    ("coffee.webp", 420, 300, false),
    ("rocket_rgb16.png", 240, 180, true),
]

private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-image-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private func write(_ bytes: [UInt8], named name: String, in folder: URL) throws -> URL {
    let url = folder.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url
}

// MARK: - Hand-built files

/// Minimal PNG writer (stored, uncompressed zlib) for crafting test inputs.
private enum TestPNG {
    static func crc32(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body))
    }

    /// Zlib stream of stored blocks.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65_535, data.count - offset)
            let final: UInt8 = offset + length == data.count ? 1 : 0
            let inverse = ~length & 0xFFFF
            out += [final, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(inverse & 0xFF), UInt8(inverse >> 8)]
            out += data[offset..<(offset + length)]
            offset += length
        } while offset < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return out + bigEndian(b << 16 | a)
    }

    /// A non-interlaced PNG; `rows` are the packed sample bytes of each row (no filter byte).
    static func make(
        width: Int, height: Int, colorType: UInt8, bitDepth: UInt8, rows: [[UInt8]],
        before: [[UInt8]] = [], after: [[UInt8]] = []
    ) -> [UInt8] {
        let header = bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [bitDepth, colorType, 0, 0, 0]
        let raw: [UInt8] = rows.flatMap { row -> [UInt8] in [0] + row }
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let head = signature + chunk("IHDR", header) + Array(before.joined())
        return head + chunk("IDAT", zlibStored(raw)) + Array(after.joined()) + chunk("IEND", [])
    }

    /// An Adam7-interlaced 8-bit RGB PNG of `pixels` (interleaved).
    static func interlacedRGB(width: Int, height: Int, pixels: [UInt8]) -> [UInt8] {
        let passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        var raw: [UInt8] = []
        for (x0, y0, dx, dy) in passes {
            let columns = Array(stride(from: x0, to: width, by: dx)), rows = Array(stride(from: y0, to: height, by: dy))
            guard !columns.isEmpty, !rows.isEmpty else { continue }
            for y in rows {
                raw.append(0)
                for x in columns { raw += pixels[((y * width + x) * 3)..<((y * width + x) * 3 + 3)] }
            }
        }
        let header = bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 2, 0, 0, 1]
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        return signature + chunk("IHDR", header) + chunk("IDAT", zlibStored(raw)) + chunk("IEND", [])
    }

    /// An 8-bit RGB PNG of `pixels` (interleaved).
    static func rgb(
        width: Int, height: Int, pixels: [UInt8], before: [[UInt8]] = [], after: [[UInt8]] = []
    ) -> [UInt8] {
        let rows = (0..<height).map { Array(pixels[($0 * width * 3)..<(($0 + 1) * width * 3)]) }
        return make(width: width, height: height, colorType: 2, bitDepth: 8, rows: rows, before: before, after: after)
    }

    /// `png` with the IHDR width and height replaced and the CRC recomputed.
    static func withDeclaredSize(_ png: [UInt8], width: UInt32, height: UInt32) -> [UInt8] {
        var bytes = png
        bytes.replaceSubrange(16..<20, with: bigEndian(width))
        bytes.replaceSubrange(20..<24, with: bigEndian(height))
        bytes.replaceSubrange(29..<33, with: bigEndian(crc32(bytes[12..<29])))
        return bytes
    }
}

/// A TIFF block whose IFD0 holds only the orientation tag.
private func exifBlock(orientation: UInt16, bigEndian: Bool = false, prefix: Bool = false) -> [UInt8] {
    func word(_ value: UInt16) -> [UInt8] {
        bigEndian ? [UInt8(value >> 8), UInt8(value & 0xFF)] : [UInt8(value & 0xFF), UInt8(value >> 8)]
    }
    func long(_ value: UInt32) -> [UInt8] {
        let high = word(UInt16(value >> 16)), low = word(UInt16(value & 0xFFFF))
        return bigEndian ? high + low : low + high
    }
    let header: [UInt8] = (bigEndian ? Array("MM".utf8) : Array("II".utf8)) + word(42) + long(8)
    let entry = word(0x0112) + word(3) + long(1) + word(orientation) + [0, 0]
    let tiff = header + word(1) + entry + long(0)
    return (prefix ? Array("Exif\u{0}\u{0}".utf8) : []) + tiff
}

private func little24(_ value: Int) -> [UInt8] {
    [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF)]
}

private func little32(_ value: Int) -> [UInt8] { little24(value) + [UInt8(value >> 24 & 0xFF)] }

/// A RIFF chunk, padded to an even size.
private func riffChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    Array(type.utf8) + little32(data.count) + data + (data.count % 2 == 1 ? [0] : [])
}

/// A WebP file of `chunks` (after the `WEBP` tag).
private func webpFile(_ chunks: [[UInt8]]) -> [UInt8] {
    let body = Array("WEBP".utf8) + Array(chunks.joined())
    return Array("RIFF".utf8) + little32(body.count) + body
}

/// A JPEG with an APP1 segment holding `payload` inserted right after SOI.
private func insertingAPP1(_ payload: [UInt8], into jpeg: [UInt8]) -> [UInt8] {
    let length = payload.count + 2
    return Array(jpeg.prefix(2)) + [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + jpeg.dropFirst(2)
}

/// Deterministic pseudo-random bytes (SplitMix64).
private func noise(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return UInt8(truncatingIfNeeded: z ^ (z >> 31))
    }
}

/// Mean and max absolute difference.
private func differences(_ lhs: [Float], _ rhs: [Float]) -> (max: Float, mean: Double) {
    var largest: Float = 0
    var total = 0.0
    for (a, b) in zip(lhs, rhs) {
        let difference = abs(a - b)
        largest = max(largest, difference)
        total += Double(difference)
    }
    return (largest, total / Double(max(lhs.count, 1)))
}

/// Namespace for the image suites, so `--filter ImageTests` selects them all.
enum ImageTests {}

// MARK: - Decoding the fixtures

extension ImageTests {
    @Suite("Image decoding")
    struct Decoding {
        @Test(arguments: fixtureImages.map(\.name))
        func decodesFixtureToPILSize(_ name: String) throws {
            let expected = try #require(fixtureImages.first { $0.name == name })
            let image = try ImageDecoder().decode(contentsOf: fixtureImage(name))
            #expect(image.width == expected.width)
            #expect(image.height == expected.height)
            #expect(image.pixels.count == expected.width * expected.height * 3)
        }

        @Test func exifOrientationSixRotatesClockwise() throws {
            let flower = fixtureImage("flower_exif6.jpg")
            let stored = try ImageDecoder(appliesOrientation: false).decode(contentsOf: flower)
            #expect(stored.width == 390 && stored.height == 270)
            let upright = try ImageDecoder().decode(contentsOf: flower)
            #expect(upright.width == stored.height && upright.height == stored.width)
            #expect(upright == stored.oriented(.right))
            #expect(ExifLocator.orientation(in: try fixtureBytes("flower_exif6.jpg"), format: .jpeg) == .right)
            #expect(ExifLocator.orientation(in: try fixtureBytes("china.jpg"), format: .jpeg) == .up)
        }

        @Test func detectsFormatsByMagicBytes() throws {
            #expect(ImageFormat.detect(try fixtureBytes("china.jpg")) == .jpeg)
            #expect(ImageFormat.detect(try fixtureBytes("camera_gray.png")) == .png)
            #expect(ImageFormat.detect(try fixtureBytes("coffee.webp")) == .webp)
            #expect(ImageFormat.detect(Array("GIF89a".utf8)) == nil)
        }

        @Test func greyscaleCopiesIntoAllChannels() throws {
            let image = try ImageDecoder().decode(contentsOf: fixtureImage("camera_gray.png"))
            for index in stride(from: 0, to: image.pixels.count, by: 3) {
                let pixel = image.pixels[index..<(index + 3)]
                #expect(Set(pixel).count == 1)
            }
        }

        @Test func alphaIsDroppedWithoutCompositing() throws {
            // Columns 20..39 of astronaut_rgba.png have alpha 0 but keep their colour; compositing onto
            // white would make them white.
            let image = try ImageDecoder().decode(contentsOf: fixtureImage("astronaut_rgba.png"))
            var white = 0
            for y in 0..<image.height {
                for x in 20..<40 where image[x, y] == (255, 255, 255) { white += 1 }
            }
            #expect(white < image.height * 20 / 10)
        }
    }
}

// MARK: - Parity with PIL / transformers

extension ImageTests {
    @Suite("Image preprocessing parity")
    struct Parity {
        @Test(arguments: fixtureImages.map(\.name))
        func resizeMatchesPIL(_ name: String) throws {
            let entry = try #require(fixtureImages.first { $0.name == name })
            let reference = try referenceFile()
            let preprocessor = try ImagePreprocessor(contentsOf: dinoConfig)
            let resized = preprocessor.resized(try preprocessor.decoder.decode(contentsOf: fixtureImage(name)))
            let shape = try reference.info("\(name):resized").shape
            #expect(shape == [resized.height, resized.width, 3])
            let expected = try reference.bytes("\(name):resized")
            let worst = zip(resized.pixels, expected).map { abs(Int($0) - Int($1)) }.max() ?? 0
            if entry.lossless {
                #expect(resized.pixels == expected, "PNG-derived resize must be bit-exact")
            } else {
                // Another libjpeg-turbo / libwebp build may differ by a level or two; this one matches exactly.
                #expect(worst <= 2)
            }
        }

        @Test(arguments: fixtureImages.map(\.name))
        func pixelValuesMatchTransformers(_ name: String) throws {
            let entry = try #require(fixtureImages.first { $0.name == name })
            let reference = try referenceFile()
            let preprocessor = try ImagePreprocessor(contentsOf: dinoConfig)
            let values = try preprocessor.pixelValues(contentsOf: fixtureImage(name))
            #expect(values.shape == [3, 224, 224])
            #expect(try reference.info(name).shape == [1, 3, 224, 224])
            let (largest, mean) = differences(values.scalars, try reference.floats(name))
            #expect(mean < 1.0 / 255.0)
            if entry.lossless { #expect(largest == 0) }
        }

        @Test func batchOfChinaAndCoffeeIsTheModelInput() throws {
            let reference = try referenceFile()
            let preprocessor = try ImagePreprocessor(contentsOf: dinoConfig)
            let batch = try preprocessor.batch(contentsOf: [fixtureImage("china.jpg"), fixtureImage("coffee.webp")])
            #expect(batch.shape == [2, 3, 224, 224])
            let expected = try reference.floats("china.jpg") + reference.floats("coffee.webp")
            #expect(differences(batch.scalars, expected).mean < 1.0 / 255.0)
            let images = try [fixtureImage("china.jpg"), fixtureImage("coffee.webp")].map {
                try preprocessor.decoder.decode(contentsOf: $0)
            }
            #expect(try preprocessor.batch(images).scalars == batch.scalars)
        }
    }
}

// MARK: - Hostile input

extension ImageTests {
    @Suite("Image hostile input")
    struct HostileInput {
        private func expectError(
            _ bytes: [UInt8], named name: String, limits: ImageLimits = .standard,
            sourceLocation: SourceLocation = #_sourceLocation, _ check: (ImageError) -> Bool
        ) throws {
            let folder = try temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let url = try write(bytes, named: name, in: folder)
            do {
                let image = try ImageDecoder(limits: limits).decode(contentsOf: url)
                Issue.record(
                    "decoded \(image.width)x\(image.height) from bad input \(name)", sourceLocation: sourceLocation)
            } catch {
                #expect(error.file == url.path, sourceLocation: sourceLocation)
                #expect(error.description.contains(name), sourceLocation: sourceLocation)
                #expect(check(error), "unexpected error \(error)", sourceLocation: sourceLocation)
            }
        }

        @Test func zeroByteFile() throws {
            try expectError([], named: "empty.jpg") { $0 == .empty(file: $0.file) }
        }

        @Test func missingFileAndFolder() throws {
            let folder = try temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let missing = folder.appendingPathComponent("missing.png")
            #expect {
                try ImageDecoder().decode(contentsOf: missing)
            } throws: { error in
                guard case .unreadable(let file, _) = error as? ImageError else { return false }
                return file == missing.path
            }
            #expect {
                try ImageDecoder().decode(contentsOf: folder)
            } throws: { error in
                guard case .unreadable(let file, _) = error as? ImageError else { return false }
                return file == folder.path
            }
        }

        @Test(arguments: ["china.jpg", "chelsea_cmyk.jpg", "camera_gray.png", "rocket_rgb16.png", "coffee.webp"])
        func truncatedFiles(_ name: String) throws {
            let bytes = try fixtureBytes(name)
            let format = try #require(ImageFormat.detect(bytes))
            for cut in [20, 100, bytes.count / 3, bytes.count / 2, bytes.count - 200] {
                try expectError(Array(bytes.prefix(cut)), named: "cut-\(cut)-\(name)") { error in
                    if case .corrupt(_, let reported, _) = error { return reported == format }
                    return false
                }
            }
        }

        @Test func garbageAfterMagicBytes() throws {
            let jpegMagic: [UInt8] = [0xFF, 0xD8, 0xFF]
            let pngMagic: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            let webpMagic = Array("RIFF".utf8) + [0x00, 0x10, 0, 0] + Array("WEBP".utf8)
            for seed in UInt64(1)...8 {
                for (magic, format) in [(jpegMagic, ImageFormat.jpeg), (pngMagic, .png), (webpMagic, .webp)] {
                    let garbage = magic + noise(count: 4096, seed: seed)
                    try expectError(garbage, named: "garbage-\(seed).\(format)") { error in
                        switch error {
                        case .corrupt(_, let reported, _), .unsupported(_, let reported, _): return reported == format
                        default: return false
                        }
                    }
                }
            }
        }

        @Test(arguments: fixtureImages.map(\.name))
        func randomlyDamagedFilesNeverCrash(_ name: String) throws {
            let original = try fixtureBytes(name)
            var outcomes = (decoded: 0, refused: 0)
            for seed in UInt64(0)..<24 {
                let random = noise(count: 32, seed: seed &* 7919 &+ UInt64(original.count))
                var damaged = original
                for index in 0..<(1 + Int(random[0] % 8)) {
                    let fraction = Int(random[2 * index + 1]) << 8 | Int(random[2 * index + 2])
                    let position = fraction * original.count / 65_536
                    damaged[max(position, 3)] = random[31 - index]
                }
                do {
                    let image = try ImageDecoder().decode(bytes: damaged, name: name)
                    #expect(image.pixels.count == image.width * image.height * 3)
                    outcomes.decoded += 1
                } catch {
                    #expect(error.file == name)
                    outcomes.refused += 1
                }
            }
            #expect(outcomes.decoded + outcomes.refused == 24)
        }

        @Test func unknownFormats() throws {
            try expectError(noise(count: 100, seed: 99), named: "noise.bin") {
                $0 == .unknownFormat(file: $0.file, detected: nil)
            }
            try expectError(Array("GIF89a".utf8) + noise(count: 100, seed: 1), named: "anim.gif") {
                $0 == .unknownFormat(file: $0.file, detected: "GIF")
            }
        }

        @Test func hugePNGDimensionsAreRefusedBeforeDecoding() throws {
            let png = try fixtureBytes("camera_gray.png")
            let wide = TestPNG.withDeclaredSize(png, width: 20_000, height: 240)
            try expectError(wide, named: "wide.png") {
                $0 == .dimensionsTooLarge(file: $0.file, format: .png, width: 20_000, height: 240, limits: .standard)
            }
            // Both sides within 16,384 but 10,001 × 10,001 is over 100 megapixels.
            let square = TestPNG.withDeclaredSize(png, width: 10_001, height: 10_001)
            try expectError(square, named: "square.png") {
                $0 == .dimensionsTooLarge(file: $0.file, format: .png, width: 10_001, height: 10_001, limits: .standard)
            }
            // The largest size the format allows.
            let maximal = TestPNG.withDeclaredSize(png, width: 0x7FFF_FFFF, height: 0x7FFF_FFFF)
            try expectError(maximal, named: "maximal.png") {
                if case .dimensionsTooLarge = $0 { return true }
                return false
            }
            // A bad IHDR CRC is corruption.
            var badCRC = wide
            badCRC[30] ^= 0xFF
            try expectError(badCRC, named: "bad-crc.png") {
                if case .corrupt(_, .png, _) = $0 { return true }
                return false
            }
        }

        @Test func hugeJPEGDimensionsAreRefusedBeforeDecoding() throws {
            var jpeg = try fixtureBytes("china.jpg")
            let sof = try #require((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
            // FF C0, length (2), precision (1), height (2), width (2).
            jpeg.replaceSubrange((sof + 5)..<(sof + 9), with: [0xEA, 0x60, 0xEA, 0x60])
            try expectError(jpeg, named: "huge.jpg") {
                $0 == .dimensionsTooLarge(
                    file: $0.file, format: .jpeg, width: 60_000, height: 60_000, limits: .standard)
            }
            jpeg.replaceSubrange((sof + 5)..<(sof + 9), with: [0x2E, 0xE0, 0x2E, 0xE0])
            try expectError(jpeg, named: "many-pixels.jpg") {
                $0 == .dimensionsTooLarge(
                    file: $0.file, format: .jpeg, width: 12_000, height: 12_000, limits: .standard)
            }
        }

        @Test func customLimits() throws {
            let limits = ImageLimits(maxSide: 300, maxPixels: 1_000_000, maxFileBytes: 1 << 20)
            try expectError(try fixtureBytes("coffee.webp"), named: "coffee.webp", limits: limits) {
                $0 == .dimensionsTooLarge(file: $0.file, format: .webp, width: 420, height: 300, limits: limits)
            }
            let small = ImageLimits(maxSide: 1000, maxPixels: 1_000_000, maxFileBytes: 1000)
            try expectError(try fixtureBytes("china.jpg"), named: "china.jpg", limits: small) {
                $0 == .fileTooLarge(file: $0.file, bytes: 45_531, limit: 1000)
            }
            #expect(try ImageDecoder(limits: ImageLimits(maxSide: 400, maxPixels: 120_000)).decode(
                contentsOf: fixtureImage("china.jpg")).width == 400)
            #expect(!ImageLimits.standard.allows(width: Int.max, height: Int.max))
            #expect(!ImageLimits.standard.allows(width: -1, height: 5))
        }
    }
}

// MARK: - PIL conversions on crafted PNGs

extension ImageTests {
    @Suite("Image conversions")
    struct Conversions {
        private func decode(_ bytes: [UInt8]) throws -> RGBImage {
            try ImageDecoder().decode(bytes: bytes, name: "crafted")
        }

        @Test func sixteenBitGreyIsClippedNotScaled() throws {
            let values: [UInt16] = [0, 200, 255, 256, 1000, 65535]
            let row = values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
            let image = try decode(TestPNG.make(width: 6, height: 1, colorType: 0, bitDepth: 16, rows: [row]))
            #expect(image.pixels == [UInt8]([0, 200, 255, 255, 255, 255]).flatMap { [$0, $0, $0] })
        }

        @Test func sixteenBitColourKeepsTheHighByte() throws {
            let values: [UInt16] = [0x1234, 0xFF80, 0x00FF, 0x8000, 0x7FFF, 0xFFFF]
            let row = values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
            let rgb = try decode(TestPNG.make(width: 2, height: 1, colorType: 2, bitDepth: 16, rows: [row]))
            #expect(rgb.pixels == [18, 255, 0, 128, 127, 255])
            // RGBA 16 and grey + alpha 16: high bytes, alpha dropped.
            let rgba = try decode(
                TestPNG.make(width: 1, height: 1, colorType: 6, bitDepth: 16, rows: [Array(row.prefix(6)) + [0, 0]]))
            #expect(rgba.pixels == [18, 255, 0])
            let greyAlpha = try decode(
                TestPNG.make(width: 1, height: 1, colorType: 4, bitDepth: 16, rows: [[0x7F, 0xFF, 0, 0]]))
            #expect(greyAlpha.pixels == [127, 127, 127])
        }

        @Test func paletteLookupIgnoresTransparency() throws {
            let palette = TestPNG.chunk("PLTE", [200, 10, 10, 10, 10, 200])
            let transparency = TestPNG.chunk("tRNS", [255, 0])
            let image = try decode(
                TestPNG.make(
                    width: 3, height: 1, colorType: 3, bitDepth: 8, rows: [[0, 1, 7]], before: [palette, transparency]))
            // Index 7 is past the palette: PIL reads black.
            #expect(image.pixels == [200, 10, 10, 10, 10, 200, 0, 0, 0])
            // 2-bit indices are unpacked, not scaled.
            let packed = try decode(
                TestPNG.make(width: 3, height: 1, colorType: 3, bitDepth: 2, rows: [[0b0100_0000]], before: [palette]))
            #expect(packed.pixels == [10, 10, 200, 200, 10, 10, 200, 10, 10])
        }

        @Test func lowBitDepthGreyIsScaled() throws {
            let one = try decode(TestPNG.make(width: 2, height: 1, colorType: 0, bitDepth: 1, rows: [[0b1000_0000]]))
            #expect(one.pixels == [255, 255, 255, 0, 0, 0])
            let two = try decode(TestPNG.make(width: 4, height: 1, colorType: 0, bitDepth: 2, rows: [[0b0001_1011]]))
            #expect(two.pixels == [UInt8]([0, 85, 170, 255]).flatMap { [$0, $0, $0] })
            let four = try decode(TestPNG.make(width: 2, height: 1, colorType: 0, bitDepth: 4, rows: [[0x1F]]))
            #expect(four.pixels == [17, 17, 17, 255, 255, 255])
        }

        @Test func interlacedPNGMatchesTheSequentialOne() throws {
            let pixels = noise(count: 13 * 11 * 3, seed: 21)
            let interlaced = try decode(TestPNG.interlacedRGB(width: 13, height: 11, pixels: pixels))
            #expect(interlaced == RGBImage(width: 13, height: 11, pixels: pixels))
        }

        @Test func transparencyKeysAreIgnored() throws {
            let grey = try decode(
                TestPNG.make(
                    width: 2, height: 1, colorType: 0, bitDepth: 8, rows: [[5, 9]],
                    before: [TestPNG.chunk("tRNS", [0, 5])]))
            #expect(grey.pixels == [5, 5, 5, 9, 9, 9])
            let rgb = try decode(
                TestPNG.make(width: 1, height: 1, colorType: 2, bitDepth: 8, rows: [[1, 2, 3]],
                             before: [TestPNG.chunk("tRNS", [0, 1, 0, 2, 0, 3])]))
            #expect(rgb.pixels == [1, 2, 3])
        }

        @Test func animatedWebPShowsTheFirstFrame() throws {
            let plain = try fixtureBytes("coffee.webp")
            let still = try ImageDecoder().decode(bytes: plain, name: "coffee.webp")
            let frame = Array(plain[12...])
            func animation(canvasWidth: Int, canvasHeight: Int, x: Int, y: Int) -> [UInt8] {
                let vp8x = riffChunk("VP8X", [0x02, 0, 0, 0] + little24(canvasWidth - 1) + little24(canvasHeight - 1))
                let anim = riffChunk("ANIM", [255, 255, 255, 255, 0, 0])
                let position = little24(x / 2) + little24(y / 2)
                let header = position + little24(420 - 1) + little24(300 - 1) + little24(100) + [0]
                let second = header + frame
                return webpFile([vp8x, anim, riffChunk("ANMF", header + frame), riffChunk("ANMF", second)])
            }
            let full = try decode(animation(canvasWidth: 420, canvasHeight: 300, x: 0, y: 0))
            #expect(full == still)
            // A first frame smaller than the canvas leaves the rest transparent black (alpha dropped).
            let framed = try decode(animation(canvasWidth: 424, canvasHeight: 308, x: 2, y: 4))
            #expect(framed.width == 424 && framed.height == 308)
            #expect(framed[0, 0] == (0, 0, 0) && framed[423, 307] == (0, 0, 0))
            #expect(framed.centerCropped(width: 420, height: 300) == still)
        }

        @Test func eightBitAlphaIsDropped() throws {
            let greyAlpha = try decode(TestPNG.make(width: 1, height: 1, colorType: 4, bitDepth: 8, rows: [[90, 0]]))
            #expect(greyAlpha.pixels == [90, 90, 90])
            let rgba = try decode(TestPNG.make(width: 1, height: 1, colorType: 6, bitDepth: 8, rows: [[1, 2, 3, 0]]))
            #expect(rgba.pixels == [1, 2, 3])
        }

        @Test func adobeCMYKUsesPILsNaiveFormula() {
            // Stored (inverted) C, M, Y, K; PIL: nk = 255 - K, R = nk - MULDIV255(C, nk).
            let stored: [UInt8] = [255, 255, 255, 255, 0, 0, 0, 255, 155, 55, 205, 200, 10, 20, 30, 0]
            let rgb = stored.withUnsafeBufferPointer {
                PixelConverter.rgb(from: $0, layout: .invertedCMYK, pixelCount: 4)
            }
            // White; full CMY ink; C=100 M=200 Y=50 K=55 → nk 200: 200 - round(100·200/255) = 122, ...;
            // any K=255 is black.
            #expect(rgb == [255, 255, 255, 0, 0, 0, 122, 43, 161, 0, 0, 0])
            let mismatches = (0..<256).flatMap { a in (0..<256).map { b in (a, b) } }.filter { a, b in
                PixelConverter.mulDiv255(a, b) != Int((Double(a * b) / 255).rounded())
            }
            #expect(mismatches.isEmpty)
        }
    }
}

// MARK: - EXIF orientation

extension ImageTests {
    @Suite("Image EXIF orientation")
    struct Orientation {
        /// Stored 3 × 2: A B C / D E F; pixel value = letter index × 10 in red, row in green.
        private static let letters: [Character: [UInt8]] = [
            "A": [10, 0, 1], "B": [20, 0, 2], "C": [30, 0, 3], "D": [40, 1, 4], "E": [50, 1, 5], "F": [60, 1, 6],
        ]

        private static func pixels(_ layout: String) -> [UInt8] {
            layout.filter { $0 != " " && $0 != "/" }.flatMap { letters[$0]! }
        }

        /// The displayed layout for each orientation, written from the EXIF definitions.
        private static let expected: [(orientation: UInt16, width: Int, height: Int, layout: String)] = [
            (1, 3, 2, "ABC/DEF"),
            (2, 3, 2, "CBA/FED"),
            (3, 3, 2, "FED/CBA"),
            (4, 3, 2, "DEF/ABC"),
            (5, 2, 3, "AD/BE/CF"),
            (6, 2, 3, "DA/EB/FC"),
            (7, 2, 3, "FC/EB/DA"),
            (8, 2, 3, "CF/BE/AD"),
        ]

        @Test(arguments: 0..<8)
        func pngEXIfChunk(_ index: Int) throws {
            let (orientation, width, height, layout) = Self.expected[index]
            for (bigEndian, prefix, afterData) in [(false, false, false), (true, false, true), (false, true, false)] {
                let exif = exifBlock(orientation: orientation, bigEndian: bigEndian, prefix: prefix)
                let chunk = TestPNG.chunk("eXIf", exif)
                let png = TestPNG.rgb(
                    width: 3, height: 2, pixels: Self.pixels("ABC/DEF"),
                    before: afterData ? [] : [chunk], after: afterData ? [chunk] : [])
                let image = try ImageDecoder().decode(bytes: png, name: "oriented.png")
                #expect(image.width == width && image.height == height)
                #expect(image.pixels == Self.pixels(layout), "orientation \(orientation)")
            }
        }

        @Test func invalidOrientationIsIgnored() throws {
            for value: UInt16 in [0, 9, 300] {
                let chunk = TestPNG.chunk("eXIf", exifBlock(orientation: value))
                let png = TestPNG.rgb(width: 3, height: 2, pixels: Self.pixels("ABC/DEF"), before: [chunk])
                #expect(try ImageDecoder().decode(bytes: png, name: "odd.png").pixels == Self.pixels("ABC/DEF"))
            }
            let junk = TestPNG.chunk("eXIf", noise(count: 40, seed: 3))
            let png = TestPNG.rgb(width: 3, height: 2, pixels: Self.pixels("ABC/DEF"), before: [junk])
            #expect(try ImageDecoder().decode(bytes: png, name: "junk.png").pixels == Self.pixels("ABC/DEF"))
        }

        @Test func webpEXIFChunk() throws {
            let plain = try fixtureBytes("coffee.webp")
            let vp8 = Array(plain[12...])
            let vp8x = riffChunk("VP8X", [0x08, 0, 0, 0] + little24(420 - 1) + little24(300 - 1))
            let extended = webpFile([vp8x, vp8, riffChunk("EXIF", exifBlock(orientation: 6))])
            let image = try ImageDecoder().decode(bytes: extended, name: "rotated.webp")
            let upright = try ImageDecoder().decode(bytes: plain, name: "coffee.webp")
            #expect(image.width == 300 && image.height == 420)
            #expect(image == upright.oriented(.right))
        }

        @Test func jpegEXIFAndXMP() throws {
            let china = try fixtureBytes("china.jpg")
            let plain = try ImageDecoder().decode(bytes: china, name: "china.jpg")
            let exif = insertingAPP1(exifBlock(orientation: 3, bigEndian: true, prefix: true), into: china)
            #expect(try ImageDecoder().decode(bytes: exif, name: "exif.jpg") == plain.oriented(.down))
            let xmpPacket = Array(
                "http://ns.adobe.com/xap/1.0/\u{0}<x:xmpmeta><rdf:Description tiff:Orientation=\"8\"/>".utf8)
            let xmp = insertingAPP1(xmpPacket, into: china)
            #expect(try ImageDecoder().decode(bytes: xmp, name: "xmp.jpg") == plain.oriented(.left))
            // An EXIF orientation, even 1, takes precedence over XMP.
            let both = insertingAPP1(exifBlock(orientation: 1, prefix: true), into: xmp)
            #expect(try ImageDecoder().decode(bytes: both, name: "both.jpg") == plain)
        }

        @Test func pngXMP() throws {
            let text = Array("XML:com.adobe.xmp\u{0}\u{0}\u{0}\u{0}\u{0}<tiff:Orientation>6</tiff:Orientation>".utf8)
            let png = TestPNG.rgb(
                width: 3, height: 2, pixels: Self.pixels("ABC/DEF"), before: [TestPNG.chunk("iTXt", text)])
            #expect(try ImageDecoder().decode(bytes: png, name: "xmp.png").pixels == Self.pixels("DA/EB/FC"))
            #expect(ExifOrientation.xmpValue(Array("tiff:Orientation='6' tiff:Orientation=\"3\"".utf8)) == 3)
            #expect(ExifOrientation.xmpValue(Array("tiff:Orientation=\"x\"".utf8)) == nil)
        }

        @Test func orientationCanBeLeftAlone() throws {
            let chunk = TestPNG.chunk("eXIf", exifBlock(orientation: 6))
            let png = TestPNG.rgb(width: 3, height: 2, pixels: Self.pixels("ABC/DEF"), before: [chunk])
            let image = try ImageDecoder(appliesOrientation: false).decode(bytes: png, name: "raw.png")
            #expect(image.pixels == Self.pixels("ABC/DEF"))
        }
    }
}

// MARK: - Resize, crop and configuration

extension ImageTests {
    @Suite("Image preprocessor")
    struct Preprocessor {
        @Test func readsTheDINOv2Configuration() throws {
            let configuration = try ImagePreprocessorConfiguration(contentsOf: dinoConfig)
            #expect(configuration.doResize && configuration.doCenterCrop && configuration.doRescale)
            #expect(configuration.doNormalize && configuration.doConvertRGB)
            #expect(configuration.resizeTarget == .shortestEdge(256))
            #expect(configuration.resample == .bicubic)
            #expect(configuration.cropHeight == 224 && configuration.cropWidth == 224)
            #expect(configuration.rescaleFactor == 1.0 / 255.0)
            #expect(configuration.imageMean == [0.485, 0.456, 0.406])
            #expect(configuration.imageStd == [0.229, 0.224, 0.225])
        }

        @Test func configurationVariants() throws {
            func parse(_ text: String) throws(ImagePreprocessorConfigError) -> ImagePreprocessorConfiguration {
                try ImagePreprocessorConfiguration(json: Data(text.utf8), file: "p.json")
            }
            let exact = try parse(
                #"{"size": {"height": 32, "width": 48}, "crop_size": 16, "resample": 2, "image_mean": 0.5}"#)
            #expect(exact.resizeTarget == .exact(height: 32, width: 48))
            #expect(exact.cropHeight == 16 && exact.cropWidth == 16)
            #expect(exact.resample == .bilinear)
            #expect(exact.imageMean == [0.5, 0.5, 0.5])
            #expect(try parse(#"{"size": 300}"#).resizeTarget == .shortestEdge(300))
            let withNull = try parse(#"{"size": {"shortest_edge": 64, "longest_edge": null}}"#)
            #expect(withNull.resizeTarget == .shortestEdge(64))
            #expect(try parse("{}") == ImagePreprocessorConfiguration())
            #expect(throws: ImagePreprocessorConfigError.self) { try parse(#"{"resample": 0}"#) }
            #expect(throws: ImagePreprocessorConfigError.self) { try parse(#"{"size": {"longest_edge": 64}}"#) }
            #expect(throws: ImagePreprocessorConfigError.self) { try parse(#"{"image_std": [1, 0, 1]}"#) }
            #expect(throws: ImagePreprocessorConfigError.self) { try parse(#"{"image_mean": [1, 2]}"#) }
            #expect(throws: ImagePreprocessorConfigError.self) { try parse(#"{"do_resize": "yes"}"#) }
            #expect(throws: ImagePreprocessorConfigError.self) { try parse("not json") }
            let missing = URL(fileURLWithPath: "/nonexistent/preprocessor_config.json")
            #expect {
                try ImagePreprocessorConfiguration(contentsOf: missing)
            } throws: { error in
                guard case .unreadable(let file, _) = error as? ImagePreprocessorConfigError else { return false }
                return file == missing.path
            }
        }

        @Test func shortestEdgeSizeIsTruncated() {
            let configuration = ImagePreprocessorConfiguration(resizeTarget: .shortestEdge(256))
            #expect(configuration.resizedSize(width: 451, height: 300) == (384, 256))
            #expect(configuration.resizedSize(width: 400, height: 300) == (341, 256))
            #expect(configuration.resizedSize(width: 200, height: 240) == (256, 307))
            #expect(configuration.resizedSize(width: 300, height: 300) == (256, 256))
            #expect(configuration.resizedSize(width: 256, height: 999) == (256, 999))
            let off = ImagePreprocessorConfiguration(doResize: false)
            #expect(off.resizedSize(width: 451, height: 300) == (451, 300))
        }

        @Test func bilinearMatchesHandComputedWeights() {
            // 4 → 2 pixels: support 2, weights 3/7, 3/7, 1/7 and 1/7, 3/7, 3/7.
            let row: [UInt8] = [0, 100, 200, 255]
            let image = RGBImage(width: 4, height: 1, pixels: row.flatMap { [$0, $0, $0] })
            let resized = ImageResizer(filter: .bilinear).resize(image, width: 2, height: 1)
            #expect(resized.pixels == [71, 71, 71, 209, 209, 209])
        }

        /// Pillow 13.0.0's `Image.frombytes("RGB", (9, 6), b).resize((13, 3), f).tobytes()` with
        /// `b[i] = (i * 37 + 11) * (i // 7 + 1) % 256`: the width grows while the height shrinks, and
        /// PIL then runs the vertical pass first (doing the horizontal pass first gives other bytes).
        private static let pillowWidenAndFlatten: [ResampleFilter: [UInt8]] = [
            .bilinear: [
                119, 104, 64, 146, 137, 97, 159, 157, 123, 127, 128, 113, 137, 158, 84, 131, 187, 88, 99, 206, 137,
                143, 149, 151, 187, 134, 168, 222, 149, 177, 172, 119, 98, 115, 123, 85, 69, 139, 101, 114, 199, 75,
                122, 175, 62, 116, 164, 67, 77, 189, 116, 109, 192, 125, 149, 179, 143, 187, 151, 179, 159, 181, 125,
                156, 173, 104, 170, 140, 103, 172, 144, 56, 160, 150, 51, 144, 154, 64, 58, 217, 120, 102, 198, 129,
                150, 178, 154, 182, 164, 206, 165, 124, 125, 158, 115, 88, 173, 150, 127, 201, 102, 135, 189, 119,
                117, 144, 182, 84, 109, 211, 88, 103, 192, 86, 110, 159, 82,
            ],
            .bicubic: [
                118, 90, 58, 152, 136, 100, 169, 163, 135, 128, 121, 114, 141, 152, 72, 130, 193, 75, 90, 211, 134,
                137, 141, 155, 198, 126, 181, 232, 153, 188, 176, 112, 93, 105, 117, 81, 56, 140, 107, 118, 208, 74,
                126, 174, 48, 112, 156, 48, 60, 197, 111, 96, 206, 128, 154, 184, 154, 195, 147, 187, 155, 196, 119,
                145, 186, 93, 169, 132, 100, 180, 138, 44, 168, 149, 42, 151, 156, 62, 48, 221, 122, 94, 203, 130,
                157, 179, 164, 196, 162, 223, 170, 110, 121, 154, 104, 69, 173, 150, 121, 214, 85, 144, 200, 103,
                122, 142, 189, 80, 97, 227, 91, 94, 197, 90, 108, 154, 82,
            ],
        ]

        @Test(arguments: [ResampleFilter.bilinear, .bicubic])
        func wideningWhileFlatteningShrinksTheHeightFirst(_ filter: ResampleFilter) throws {
            let bytes = (0..<(9 * 6 * 3)).map { (index: Int) -> UInt8 in
                let value: Int = (index * 37 + 11) * (index / 7 + 1)
                return UInt8(value % 256)
            }
            let image = RGBImage(width: 9, height: 6, pixels: bytes)
            let resized = ImageResizer(filter: filter).resize(image, width: 13, height: 3)
            #expect(resized.pixels == Self.pillowWidenAndFlatten[filter])
        }

        @Test(arguments: ResampleFilter.allCases)
        func constantImagesStayConstant(_ filter: ResampleFilter) {
            let colour: [UInt8] = [9, 130, 251]
            let pixels = Array([[UInt8]](repeating: colour, count: 37 * 23).joined())
            let image = RGBImage(width: 37, height: 23, pixels: pixels)
            for (width, height) in [(10, 7), (80, 50), (37, 5), (3, 23)] {
                let resized = ImageResizer(filter: filter).resize(image, width: width, height: height)
                #expect(resized.width == width && resized.height == height)
                #expect(resized.pixels == Array([[UInt8]](repeating: colour, count: width * height).joined()))
            }
        }

        @Test func unchangedDimensionsSkipTheirPass() {
            let pixels = noise(count: 5 * 4 * 3, seed: 11)
            let image = RGBImage(width: 5, height: 4, pixels: pixels)
            #expect(ImageResizer().resize(image, width: 5, height: 4) == image)
            // Width unchanged: only the vertical pass runs, so each column is resized on its own.
            let taller = ImageResizer().resize(image, width: 5, height: 9)
            let column = RGBImage(
                width: 1, height: 4, pixels: (0..<4).flatMap { y in Array(pixels[(y * 15)..<(y * 15 + 3)]) })
            let resizedColumn = ImageResizer().resize(column, width: 1, height: 9)
            #expect((0..<9).allSatisfy { taller[0, $0] == resizedColumn[0, $0] })
        }

        @Test func centerCropOffsetsFloorAndPadsWithBlack() {
            let image = RGBImage(width: 5, height: 4, pixels: (0..<20).flatMap { [UInt8($0), 0, 0] })
            let cropped = image.centerCropped(width: 2, height: 3)
            // top = (4 - 3) // 2 = 0, left = (5 - 2) // 2 = 1.
            #expect(cropped.pixels.enumerated().filter { $0.offset % 3 == 0 }.map(\.element) == [1, 2, 6, 7, 11, 12])
            let padded = RGBImage(width: 1, height: 1, pixels: [7, 8, 9]).centerCropped(width: 4, height: 3)
            // top = (1 - 3) // 2 = -1, left = (1 - 4) // 2 = -2: the pixel lands at row 1, column 2.
            #expect(padded[2, 1] == (7, 8, 9))
            #expect(padded.pixels.reduce(0) { $0 + Int($1) } == 24)
        }

        @Test func rescaleAndNormaliseFollowTransformers() throws {
            let configuration = try ImagePreprocessorConfiguration(contentsOf: dinoConfig)
            let preprocessor = ImagePreprocessor(
                configuration: ImagePreprocessorConfiguration(
                    doResize: false, doCenterCrop: false, rescaleFactor: configuration.rescaleFactor,
                    imageMean: configuration.imageMean, imageStd: configuration.imageStd))
            let values = preprocessor.pixelValues(for: RGBImage(width: 2, height: 1, pixels: [0, 128, 255, 7, 8, 9]))
            #expect(values.shape == [3, 1, 2])
            func expected(_ byte: UInt8, _ channel: Int) -> Float {
                (Float(Double(byte) * (1.0 / 255.0)) - Float(configuration.imageMean[channel]))
                    / Float(configuration.imageStd[channel])
            }
            let planes = [
                expected(0, 0), expected(7, 0), expected(128, 1), expected(8, 1), expected(255, 2), expected(9, 2),
            ]
            #expect(values.scalars == planes)
        }
    }
}

// MARK: - Prefetching loader

extension ImageTests {
    @Suite("Image batch loader")
    struct BatchLoader {
        private static let smallConfiguration = ImagePreprocessorConfiguration(
            resizeTarget: .shortestEdge(8), cropHeight: 6, cropWidth: 6)

        /// `count` small distinct PNG files in a fresh folder.
        private static func smallImages(_ count: Int) throws -> (folder: URL, urls: [URL]) {
            let folder = try temporaryFolder()
            let urls = try (0..<count).map { index in
                let pixels = noise(count: 10 * 9 * 3, seed: UInt64(index) + 100)
                let png = TestPNG.rgb(width: 10, height: 9, pixels: pixels)
                return try write(png, named: "image\(index).png", in: folder)
            }
            return (folder, urls)
        }

        private static func drain(_ loader: ImageBatchLoader) throws -> [ImageBatch] {
            var batches: [ImageBatch] = []
            while let batch = try loader.next() { batches.append(batch) }
            return batches
        }

        @Test(arguments: [1, 3])
        func keepsInputOrder(decodeThreads: Int) throws {
            let names = fixtureImages.map(\.name)
            let preprocessor = try ImagePreprocessor(contentsOf: dinoConfig)
            let loader = ImageBatchLoader(
                urls: names.map(fixtureImage), preprocessor: preprocessor, batchSize: 3, decodeThreads: decodeThreads)
            let batches = try Self.drain(loader)
            #expect(batches.map(\.count) == [3, 3, 1])
            #expect(batches.flatMap(\.urls) == names.map(fixtureImage))
            #expect(batches.allSatisfy { $0.failures.isEmpty })
            let reference = try referenceFile()
            for batch in batches {
                #expect(batch.pixels.shape == [batch.count, 3, 224, 224])
                let expected = try batch.urls.flatMap { try reference.floats($0.lastPathComponent) }
                #expect(differences(batch.pixels.scalars, expected).mean < 1.0 / 255.0)
            }
        }

        @Test func skipBadCollectsFailuresInOrder() throws {
            let (folder, good) = try Self.smallImages(5)
            defer { try? FileManager.default.removeItem(at: folder) }
            let empty = try write([], named: "empty.png", in: folder)
            let truncated = try write(Array(try fixtureBytes("china.jpg").prefix(500)), named: "cut.jpg", in: folder)
            let text = try write(Array("hello".utf8), named: "notes.txt", in: folder)
            let urls = [empty, good[0], good[1], truncated, good[2], good[3], good[4], text]
            let preprocessor = ImagePreprocessor(configuration: Self.smallConfiguration)
            let loader = ImageBatchLoader(urls: urls, preprocessor: preprocessor, batchSize: 2, skipBad: true)
            let batches = try Self.drain(loader)
            #expect(batches.flatMap(\.urls) == good)
            #expect(batches.map(\.count) == [2, 2, 1])
            #expect(batches.flatMap(\.failures).map(\.url) == [empty, truncated, text])
            #expect(batches[0].failures.map(\.url) == [empty])
            #expect(batches[1].failures.map(\.url) == [truncated])
            #expect(batches[2].failures.map(\.url) == [text])
            let errors = batches.flatMap(\.failures).map(\.error)
            #expect(errors[0] == .empty(file: empty.path))
            #expect(errors.allSatisfy { $0.description.contains(folder.path) })
            for batch in batches {
                let expected = try preprocessor.batch(contentsOf: batch.urls)
                #expect(batch.pixels.shape == [batch.count, 3, 6, 6])
                #expect(batch.pixels.scalars == expected.scalars)
            }
        }

        @Test func withoutSkipBadTheFirstErrorEndsTheSequence() throws {
            let (folder, good) = try Self.smallImages(4)
            defer { try? FileManager.default.removeItem(at: folder) }
            let bad = try write(Array(try fixtureBytes("camera_gray.png").prefix(300)), named: "cut.png", in: folder)
            let urls = [good[0], good[1], good[2], bad, good[3]]
            let loader = ImageBatchLoader(
                urls: urls, preprocessor: ImagePreprocessor(configuration: Self.smallConfiguration), batchSize: 2)
            #expect(try loader.next()?.urls == [good[0], good[1]])
            #expect(try loader.next()?.urls == [good[2]])
            #expect {
                try loader.next()
            } throws: { error in
                guard case .corrupt(let file, .png, _) = error as? ImageError else { return false }
                return file == bad.path
            }
            #expect(try loader.next() == nil)
        }

        @Test func prefetchIsBoundedAndCancellable() throws {
            let (folder, urls) = try Self.smallImages(12)
            defer { try? FileManager.default.removeItem(at: folder) }
            let loader = ImageBatchLoader(
                urls: urls, preprocessor: ImagePreprocessor(configuration: Self.smallConfiguration), batchSize: 1)
            let deadline = Date().addingTimeInterval(300)
            while loader.readyBatches < 2 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            #expect(loader.readyBatches == 2)
            Thread.sleep(forTimeInterval: 0.2)
            #expect(loader.readyBatches == 2, "the producer must wait while two batches are ready")
            #expect(try loader.next()?.urls == [urls[0]])
            loader.cancel()
            #expect(try loader.next() == nil)
        }

        @Test func emptyInputGivesNoBatches() throws {
            let preprocessor = ImagePreprocessor(configuration: Self.smallConfiguration)
            let loader = ImageBatchLoader(urls: [], preprocessor: preprocessor, batchSize: 4)
            #expect(try loader.next() == nil)
        }
    }
}
