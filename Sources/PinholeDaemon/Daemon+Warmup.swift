import PinholeCore
import PinholeNetfilter

/// Between a client's PASV/EPSV and the server's 227/229 the daemon has
/// nothing to do but wait, and the data SYN follows the reply by one round
/// trip of the client (about 60 µs in the lab). The pinhole has to be in the
/// kernel before that SYN, or the race guard holds it. Run once every few
/// milliseconds, the path from the reply to the commit runs cold: the batch
/// alone took 22 µs to encode instead of 5, and the element's comment 8
/// instead of 3 (clock marks in a scratch build, 300 curl transfers). So
/// when a passive request is seen, that path runs once for a stand-in
/// pinhole on port 0, and nothing is sent.
extension Daemon {
    /// Once per passive request, while it awaits its reply. (The optimizer
    /// cannot drop the build: it calls into libnftnl.)
    func warmPinholePath() {
        guard let asked = inspector.lastPassiveRequest, asked != warmedPassiveRequest,
              let standIn = inspector.passiveStandIn(now: asked) else { return }
        warmedPassiveRequest = asked
        let timeoutMs = standIn.created.milliseconds(until: standIn.expires)
        writer.warm(addition(standIn.key, timeoutMs: timeoutMs, comment: standIn.elementComment))
    }
}
