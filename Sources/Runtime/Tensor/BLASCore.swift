import COpenBLAS
import Foundation

/// Which OpenBLAS kernel family ("core") runs the GEMMs, and the repair of a known misdetection.
///
/// OpenBLAS builds with `DYNAMIC_ARCH` pick their kernels from the CPU model at load time.
/// Releases older than the CPU (Debian's 0.3.21 on Sapphire or Emerald Rapids, say) do not
/// know its model number and fall back to the SSE3 `Prescott` kernels, which run GEMMs about
/// four times slower than the AVX-512 ones the CPU supports. OpenBLAS only reads its
/// `OPENBLAS_CORETYPE` override while loading, so before zoo's first BLAS call this type
/// re-runs OpenBLAS's core selection with the override set, choosing `SkylakeX` when the CPU
/// reports AVX-512 (F, CD, DQ, BW, VL) and `Haswell` when it reports AVX2 and FMA. A machine
/// that pins `OPENBLAS_CORETYPE` (CI pins `Haswell`) keeps its choice; the parity tests pass
/// under both kernel families.
///
/// Nothing changes when OpenBLAS chose anything other than `Prescott`, when
/// `OPENBLAS_CORETYPE` was already set (set it to `Prescott` to keep the fallback), outside
/// Linux, or when the library lacks the `gotoblas_dynamic_init` entry points.
public enum BLASCore {
    /// The kernel family OpenBLAS uses now, for example `SkylakeX` or `Haswell`.
    public static var name: String {
        guard let raw = openblas_get_corename() else { return "unknown" }
        return String(cString: raw)
    }

    /// Applies the repair once, if it applies; later calls return at once. ``BLAS`` calls this
    /// before its first GEMM. Returns the kernel family in use afterwards.
    @discardableResult
    public static func prepare() -> String {
        _ = preparation
        return name
    }

    /// Applies the repair if it has not run yet; cheap after the first call.
    @inline(__always)
    package static func ensurePrepared() {
        _ = preparation
    }

    /// The once-only repair; Swift runs a static initialiser exactly once, even under races.
    private static let preparation: Void = {
        #if os(Linux)
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              name.lowercased() == "prescott",
              let better = suggestedCore(cpuFlags: cpuFlags())
        else { return }
        typealias Entry = @convention(c) () -> Void
        guard let quit = dlsym(nil, "gotoblas_dynamic_quit"),
              let initialise = dlsym(nil, "gotoblas_dynamic_init")
        else { return }
        setenv("OPENBLAS_CORETYPE", better, 0)
        unsafeBitCast(quit, to: Entry.self)()
        unsafeBitCast(initialise, to: Entry.self)()
        #endif
    }()

    /// The best OpenBLAS core name for a CPU with `cpuFlags` (as in /proc/cpuinfo), or nil
    /// when it lacks AVX2.
    static func suggestedCore(cpuFlags: Set<String>) -> String? {
        if cpuFlags.isSuperset(of: ["avx512f", "avx512cd", "avx512dq", "avx512bw", "avx512vl"]) {
            return "SkylakeX"
        }
        if cpuFlags.isSuperset(of: ["avx2", "fma"]) {
            return "Haswell"
        }
        return nil
    }

    /// The feature flags of the first CPU in /proc/cpuinfo; empty where it cannot be read.
    static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
    }
}
