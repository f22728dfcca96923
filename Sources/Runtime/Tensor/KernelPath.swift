import CVectorKernels

/// Which copy of zoo's C kernels (packed linear layers, GELU, softmax, LayerNorm, attention)
/// runs: AVX-512 (16 lanes), AVX2 with FMA (8) or the portable baseline (4). The widest the CPU
/// supports, unless the environment variable `ZOO_VECTOR_LANES` names another.
///
/// The AVX-512 and AVX2 copies give the same bits; the portable copy does too where its target
/// fuses multiply-adds (aarch64), and differs in the last bits on x86-64, where it rounds each
/// product (docs/RESULTS.md, "Reproducibility").
public enum KernelPath {
    /// The environment variable that forces a copy.
    public static let variable = "ZOO_VECTOR_LANES"

    /// Lanes of the copy in use: 16, 8 or 4.
    public static var lanes: Int { Int(zoo_vector_kernels_lanes()) }

    /// The widest copy this CPU runs.
    public static var widest: Int { Int(zoo_vector_kernels_widest_lanes()) }

    /// Every width this CPU runs, widest first.
    public static var supported: [Int] { [16, 8, 4].filter { zoo_vector_kernels_with_lanes(Int32($0)) != nil } }

    /// Whether the copy with `lanes` lanes fuses multiply-adds (then its results are the same
    /// bits as every other fused copy's); false when this CPU cannot run it.
    public static func fusesMultiplyAdds(lanes: Int) -> Bool {
        zoo_vector_kernels_with_lanes(Int32(lanes))?.pointee.fused == 1
    }

    /// A name for the copy with `lanes` lanes.
    public static func name(lanes: Int) -> String {
        switch lanes {
        case 16: "AVX-512"
        case 8: "AVX2+FMA"
        default: "portable"
        }
    }

    /// Why `ZOO_VECTOR_LANES` cannot be honoured.
    public struct RequestError: ReportableError, Equatable {
        /// A width that is no width, or one this CPU cannot run, is a usage error.
        public var exitStatus: ExitStatus { .usage }
        /// The variable's value as set.
        public let value: String
        /// Whether the value names a real width that this CPU lacks (else it is no width at all).
        public let unsupportedHere: Bool
        /// The widths this CPU runs.
        public let supported: [Int]

        public var description: String {
            let choices = supported.map { "\($0) (\(KernelPath.name(lanes: $0)))" }.joined(separator: ", ")
            let reason = unsupportedHere
                ? "this CPU cannot run the \(KernelPath.name(lanes: Int(value) ?? 0)) kernels"
                : "it is not a vector width"
            return "\(KernelPath.variable)=\(value) cannot be used: \(reason); this CPU supports \(choices); unset it to use the widest"
        }
    }

    /// Checks `ZOO_VECTOR_LANES` in `environment`: nil when it is unset or names a copy this CPU
    /// runs, else the error to report.
    public static func validate(_ environment: [String: String]) -> RequestError? {
        guard let value = environment[variable], !value.isEmpty else { return nil }
        if supported.map(String.init).contains(value) { return nil }
        return RequestError(value: value, unsupportedHere: ["16", "8", "4"].contains(value), supported: supported)
    }
}
