/// `precondition` that keeps its message in -O builds (precondition drops it
/// there): the message is what tells which invariant a crashing input broke.
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
             file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError("invariant violated: \(message())", file: file, line: line) }
}
