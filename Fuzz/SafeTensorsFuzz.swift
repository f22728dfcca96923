// libFuzzer entry point for the safetensors reader. Built by scripts/fuzz_safetensors.sh together
// with Sources/Runtime/SafeTensors/*.swift (which depend only on Foundation and libc).

/// Parses `size` bytes as a safetensors file. When they parse, reads every tensor through each
/// typed accessor, then checks that writing the tensors back out and re-reading the result gives
/// the same tensors; a mismatch traps so libFuzzer reports it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    guard let file = try? SafeTensorsFile(bytes: input, name: "fuzz") else { return 0 }
    var writer = SafeTensorsWriter(metadata: file.metadata)
    for tensor in file.tensors {
        exerciseAccessors(file, tensor)
        let raw = (try? file.withRawBytes(tensor.name) { [UInt8]($0) }) ?? []
        do {
            try writer.add(tensor.name, dtype: tensor.dtype, shape: tensor.shape, bytes: raw)
        } catch {
            fatalError("writer rejected a tensor the reader accepted: \(error)")
        }
    }
    checkRoundTrip(original: file, writer: writer)
    return 0
}

private func exerciseAccessors(_ file: SafeTensorsFile, _ tensor: TensorInfo) {
    let floats = try? file.floats(tensor.name)
    let integers = try? file.int64s(tensor.name)
    let bytes = try? file.bytes(tensor.name)
    if tensor.dtype.isConvertibleToFloat, floats?.count != tensor.elementCount {
        fatalError("floats() failed or returned the wrong count for \(tensor)")
    }
    if tensor.dtype.isInteger, tensor.dtype != .uint64, integers?.count != tensor.elementCount {
        fatalError("int64s() failed or returned the wrong count for \(tensor)")
    }
    if tensor.dtype == .uint8 || tensor.dtype == .bool, bytes?.count != tensor.elementCount {
        fatalError("bytes() failed or returned the wrong count for \(tensor)")
    }
}

private func checkRoundTrip(original: SafeTensorsFile, writer: SafeTensorsWriter) {
    let rewritten: SafeTensorsFile
    do {
        rewritten = try SafeTensorsFile(bytes: try writer.serialized(), name: "rewritten")
    } catch {
        fatalError("re-reading the writer's output failed: \(error)")
    }
    guard rewritten.metadata == original.metadata,
          Set(rewritten.names) == Set(original.names)
    else { fatalError("round trip changed the names or metadata") }
    for tensor in original.tensors {
        let copy = try? rewritten.info(tensor.name)
        let before = try? original.withRawBytes(tensor.name) { [UInt8]($0) }
        let after = try? rewritten.withRawBytes(tensor.name) { [UInt8]($0) }
        guard let copy, copy.dtype == tensor.dtype, copy.shape == tensor.shape, before == after
        else { fatalError("round trip changed tensor \(tensor.name)") }
    }
}
