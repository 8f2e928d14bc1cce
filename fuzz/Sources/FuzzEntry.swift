#if canImport(Glibc)
import Glibc
#endif

/// The three fuzz targets share one binary (one compile of the core);
/// FUZZ_TARGET picks which one this process runs.
enum FuzzTarget: String, Sendable {
    /// Programs of segments, conntrack events, time and restarts against an Inspector.
    case inspector
    /// One StreamReassembler against a model of the stream.
    case reassembler
    /// Raw packets through PacketDecoder and on into an Inspector.
    case decoder
}

let selectedTarget: FuzzTarget = {
    guard let name = getenv("FUZZ_TARGET").map({ String(cString: $0) }), let target = FuzzTarget(rawValue: name) else {
        fatalError("set FUZZ_TARGET to inspector, reassembler or decoder")
    }
    return target
}()

/// libFuzzer's entry point (libFuzzer supplies `main`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    switch selectedTarget {
    case .inspector:
        var program = InspectorProgram(FuzzReader(bytes))
        program.run()
    case .reassembler:
        var program = ReassemblerProgram(FuzzReader(bytes))
        program.run()
    case .decoder:
        var program = DecoderProgram()
        program.run(bytes)
    }
    return 0
}
