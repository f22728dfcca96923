import Foundation
import Registry
import Runtime

/// Image inputs of `zoo encode` and `zoo preprocess`: `--images`, an `--input` list of paths, or
/// an already preprocessed `--pixels` tensor.
public enum ImageInput {
    /// Image URLs from `--images` or an `--input` file (one path per line, relative to the
    /// current directory; blank lines skipped).
    public static func urls(images: [String], input: String?) throws -> [URL] {
        switch (images.isEmpty, input) {
        case (false, nil):
            return images.map { URL(fileURLWithPath: $0) }
        case (true, let path?):
            return try TextInput.read(path).map(\.text).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                .map { URL(fileURLWithPath: $0) }
        case (false, _?):
            throw ZooError(.usage, "pass either --images or --input, not both")
        case (true, nil):
            throw ZooError(.usage, "pass --images PATH..., --input FILE (one image path per line) or --pixels FILE.safetensors")
        }
    }

    /// The `pixels` tensor F32 [N,3,H,W] of a safetensors file, checked.
    public static func pixels(_ path: String) throws -> Tensor {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ZooError(.noInput, "pixels file '\(path)' does not exist")
        }
        do {
            let file = try SafeTensorsFile(url: URL(fileURLWithPath: path))
            let info = try file.info("pixels")
            guard info.shape.count == 4 else {
                throw ZooError(.data, "'\(path)': tensor 'pixels' has shape \(info.shape); expected [N, 3, H, W]")
            }
            guard info.shape[1] == 3 else {
                throw ZooError(.data, "'\(path)': tensor 'pixels' has \(info.shape[1]) channels; expected 3 (RGB) in [N, 3, H, W]")
            }
            guard info.shape[0] > 0, info.shape[2] > 0, info.shape[3] > 0 else {
                throw ZooError(.data, "'\(path)': tensor 'pixels' of shape \(info.shape) is empty")
            }
            return Tensor(shape: info.shape, scalars: try file.floats("pixels"))
        } catch let error as SafeTensorsError {
            throw ZooError(.data, error.description)
        }
    }
}
