import COpenBLAS

/// Facts about the BLAS library zoo links against, for `zoo version` and benchmark reports.
public enum BLASInfo {
    /// OpenBLAS's build configuration string (kernel, threading model, core type).
    public static var configuration: String {
        guard let raw = openblas_get_config() else { return "unknown" }
        return String(cString: raw)
    }

    /// The number of threads OpenBLAS uses for one GEMM.
    public static var threads: Int { Int(openblas_get_num_threads()) }
}
