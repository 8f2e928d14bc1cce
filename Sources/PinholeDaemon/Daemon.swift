import Glibc
import Logging
import PinholeConfig
import PinholeCore
import PinholeNetfilter

/// pinholed: one thread owns all state. It polls the NFLOG, conntrack and
/// control sockets, a signal pipe and a timer (spinning briefly after each
/// event, see SpinWindow); feeds the inspector; and after every round makes the
/// kernel sets match the inspector (one batch).
public final class Daemon {
    let options: DaemonOptions
    let logger: Logger
    let events: EventLog
    var loaded: LoadedPolicy
    var inspector: Inspector
    var reconciler = Reconciler()
    var stats = RuntimeStats()
    let startedAt: Instant

    let installer: RulesetInstaller
    let writer: SetElementWriter
    var nflog: NflogReader
    var conntrack: ConntrackEvents
    /// The race guard's NFQUEUE; nil when no service enforces.
    var queue: QueueReader?
    /// SYNs in that queue still waiting for their pinhole (see Daemon+RaceGuard).
    var heldSyns: [HeldSyn] = []
    /// Conntrack events read but not yet applied (see Daemon+Conntrack).
    var unappliedConntrackEvents: [ConntrackEvent] = []
    /// Inside `readNflog`: a FIN there needs the events at once (see there).
    var readingNflog = false
    var control: ControlServer!
    var signals: SignalPipe!
    var running = true
    var lastTableCheck: Instant
    var spin: SpinWindows
    /// The passive request whose pinhole path was last warmed (Daemon+Warmup).
    var warmedPassiveRequest: Instant?
    /// What the loop handled last: which spin window the next wait uses.
    var lastWaitKind = WaitKind.other
    let copyPolling: CopyPolling
    /// When the loop last read a copy (see CopyPolling).
    var lastCopyAt = Instant(nanoseconds: 0)

    /// Everything up to `ready`. Throws for anything that should stop start-up.
    public init(options: DaemonOptions, policy loaded: LoadedPolicy) throws(DaemonError) {
        self.options = options
        let journal = JournalStream.isStderr()
        LoggingSystem.bootstrap { _ in LineLogHandler(level: options.logLevel, journal: journal) }
        var logger = Logger(label: "pinholed")
        logger.logLevel = options.logLevel
        self.logger = logger
        events = EventLog(logger: logger)
        self.loaded = loaded
        inspector = Inspector(policy: loaded.policy)
        startedAt = SystemClock.now()
        lastTableCheck = startedAt
        spin = SpinWindows(limitMicroseconds: options.busyPollMicroseconds)
        copyPolling = CopyPolling(intervalMicroseconds: options.copyIntervalMicroseconds)
        let policy = loaded.policy
        let leftovers: [KernelElement]
        if NetAdminCapability.isEffective() == false { throw .noNetAdmin }
        do {
            installer = try RulesetInstaller()
            try Daemon.checkTableIsOurs(policy, installer)
            writer = try SetElementWriter()
            try Daemon.checkAttachSets(policy, writer)
            // Elements left by an earlier run (crash, kill -9): adopted below
            // if their session is still live, deleted otherwise.
            leftovers = Daemon.readSets(policy, writer, logger)
            // Bind first: another pinholed holding the group or queue fails us
            // here (EBUSY), before we touch its table.
            nflog = try NflogReader(group: policy.nflogGroup)
            if Daemon.needsRaceGuard(policy) { queue = try QueueReader(queue: Daemon.synQueueNumber(policy)) }
            conntrack = try ConntrackEvents(filter: Daemon.conntrackFilter(policy))
        } catch let e as NetfilterError {
            throw .netfilter(e)
        } catch let e as DaemonError {
            throw e
        } catch {
            throw .system("start-up", EIO)
        }
        // From the install on, a failure removes the table again, as SIGTERM
        // would: a pinholed that never got ready leaves nothing behind (not
        // even a half-installed table, whose enforce chains would drop data
        // connections with nobody to open pinholes).
        do {
            try installAndOpen(policy, leftovers: leftovers)
        } catch {
            removeOwnTable()
            throw error
        }
    }

    /// Start-up from the table to the control socket: install, pick up live
    /// sessions and the pinholes they still own, then open the sockets.
    private func installAndOpen(_ policy: Policy, leftovers: [KernelElement]) throws(DaemonError) {
        do {
            try Daemon.installRuleset(policy, installer)
            let now = SystemClock.now()
            events.record(inspector.resync(dump: try conntrack.dump(), now: now))
            events.record(inspector.adopt(elements: leftovers, now: now))
            reconciler.reset(toKernel: leftovers, now: now)
        } catch {
            throw .netfilter(error)
        }
        if !leftovers.isEmpty {
            logger.notice("restart reconciliation", metadata: ["found": "\(leftovers.count)",
                                                              "adopted": "\(inspector.pinholes.count)"])
        }
        reconcile()
        signals = try SignalPipe(signals: [SIGTERM, SIGINT, SIGHUP])
        do {
            control = try ControlServer(path: options.socketPath ?? policy.socket, group: policy.socketGroup)
        } catch {
            throw .controlSocket("control socket \(options.socketPath ?? policy.socket): \(error)",
                                 restartCannotFix: (error as? ControlServerError)?.restartCannotFix ?? false)
        }
    }

    /// The event loop; returns the process exit code.
    public func run() -> Int32 {
        if options.copyIntervalMicroseconds > 0 {
            // The default slack (50 µs) would stretch each look at the copies by up to half an interval.
            do {
                try PreciseSleep.setTimerSlack(nanoseconds: 1000)
            } catch {
                logger.warning("timer slack not set", metadata: ["error": "\(error)"])
            }
        }
        logger.notice("ready", metadata: ["policy": "\(loaded.path)", "services": "\(loaded.policy.services.count)",
                                          "table": "inet \(loaded.policy.table)",
                                          "nflog_group": "\(loaded.policy.nflogGroup)",
                                          "socket": "\(options.socketPath ?? loaded.policy.socket)"])
        SystemdNotify.ready()
        while running {
            pollOnce()
        }
        shutdown()
        return 0
    }

    private func pollOnce() {
        var fds: [pollfd] = []
        func add(_ fd: Int32) { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
        add(signals.readFD)
        add(nflog.fileDescriptor)
        for fd in conntrack.fileDescriptors { add(fd) }
        if let queue { add(queue.fileDescriptor) }
        let controlPolls = control.pollDescriptors  // POLLOUT for a client whose answer is not all sent
        let controlFDs = controlPolls.map(\.fd)
        fds += controlPolls
        let n = waitForEvents(&fds)
        if n < 0, errno != EINTR {
            logger.error("poll failed", metadata: ["error": "\(String(cString: strerror(errno)))"])
            return
        }
        let ready = fds.filter { $0.revents != 0 }.map(\.fd)  // a handful: no Set to hash
        if ready.contains(signals.readFD) { handleSignals() }
        // The packet path first: a client may be connecting right now. Answer
        // SYNs that already queued for the pinholes these copies opened, commit
        // the rest (a SYN that finds its element never waits for us; `reconcile`
        // answers those that queued during the commit), then the queue, and
        // only then read conntrack, whose events never open anything. Log lines
        // go last. (A SYN queued while we worked makes the next poll return at once.)
        if ready.contains(nflog.fileDescriptor) {
            _ = readNflogAnsweringQueue()
            reconcile()
            warmPinholePath()
        }
        if let queue, ready.contains(queue.fileDescriptor) { readQueue() }
        decideHeldSyns()
        if conntrack.fileDescriptors.contains(where: ready.contains) { readConntrack() }
        let now = SystemClock.now()
        events.record(inspector.expire(now: now))
        for fd in controlFDs where ready.contains(fd) {
            control.handleReady(fd: fd) { req, peer in self.answer(req, peer: peer) }
        }
        reconcile()  // everything else this round changed: released SYNs, closes, expiries, flushes
        events.flush()
        checkTable(now: now)
    }

    /// poll(2) the sockets: spin first (timeout 0) for as long as the spin
    /// window for what came last says, then sleep until an event or the next
    /// deadline (Daemon+CopyPolling). Every wait teaches that window.
    private func waitForEvents(_ fds: inout [pollfd]) -> Int32 {
        let start = SystemClock.now()
        var n: Int32 = 0
        let window = spin.spin(after: lastWaitKind, sessionsOpen: inspector.sessionCount > 0,
                               dataConnectionExpected: inspector.expectsDataConnection(now: start))
        if window > 0 {
            let until = start.nanoseconds + window
            // Yield between polls: the spin must not keep anything else that
            // is runnable here (on a small box, often the endpoints) off the CPU.
            repeat {
                n = poll(&fds, nfds_t(fds.count), 0)
                if n == 0 { sched_yield() }
            } while n == 0 && SystemClock.now().nanoseconds < until
        }
        if n == 0 { n = sleepForEvents(&fds) }
        spin.record(waited: SystemClock.now().nanoseconds - start.nanoseconds, after: lastWaitKind)
        return n
    }

    /// Wake for the next expiry, held-SYN deadline, deferred delete or batch
    /// retry, and at least every second for housekeeping.
    func pollTimeoutMs() -> Int32 {
        let now = SystemClock.now()
        // A back-off's retry time stays set after it passes (until a full
        // commit): only one still ahead is a reason to wake.
        let retry = reconciler.backoff.retryAt.flatMap { now < $0 ? $0 : nil }
        let deadlines = [inspector.nextExpiry, heldSyns.lazy.map(\.deadline).min(),
                         reconciler.nextDeferredDeadline, retry].compactMap { $0 }
        guard let next = deadlines.min() else { return 1000 }
        return Int32(min(1000, now.milliseconds(until: next) + 1))
    }

    /// `readNflog`, then the SYNs already queued for the pinholes it opened.
    /// Returns whether it opened any.
    func readNflogAnsweringQueue() -> Bool {
        let opened = inspector.counters.pinholesOpened
        readNflog()
        guard inspector.counters.pinholesOpened != opened else { return false }
        answerQueue()
        return true
    }

    func readNflog() {
        readingNflog = true
        defer { readingNflog = false }
        var segments: [TCPSegment] = []
        do {
            let result = try nflog.drain { packet in
                switch PacketDecoder.decode(packet.payload) {
                case .segment(let seg): segments.append(seg)
                case .malformed: self.inspector.countBadPacket()
                case .ignored: break
                }
            }
            if result.overflowed {
                resyncAfterNflogOverflow()
                return  // what this drain read is older than the resync too
            }
        } catch {
            logger.error("nflog read failed", metadata: ["error": "\(error)"])
        }
        // A FIN or RST closes its session's pinholes at once. Conntrack events
        // raised before it passed (a data connection that used a pinhole) are
        // already queued: read them first, so that pinhole counts as used.
        if segments.contains(where: { !$0.flags.isDisjoint(with: [.fin, .rst]) }) { readConntrack() }
        for seg in segments {
            events.record(inspector.handle(segment: seg, now: SystemClock.now()))
        }
        if let last = segments.last {
            lastWaitKind = WaitKind(segment: last)
            lastCopyAt = SystemClock.now()
        }
    }

    /// Copies were lost, so every stream may have a hole: each session starts
    /// over from a conntrack dump. Every copy and event still queued is older
    /// than that dump; handled after it, a stale SYN copy or NEW event would
    /// reopen a session the dump saw closed (its FIN copy among the lost). So
    /// first the copies are thrown away and the events applied (the dump then
    /// corrects them, and a data connection's NEW still uses up its pinhole);
    /// only what arrives after that is handled after the dump.
    /// A 227/229 among the discarded copies takes its pinhole with it: a SYN
    /// held for that pinhole is dropped at its deadline, fail closed as for a
    /// port nobody announced, and that one transfer fails. Acceptable after
    /// an overflow; accepting a SYN we cannot vouch for is not.
    private func resyncAfterNflogOverflow() {
        var discarded = 0
        do {
            discarded = try nflog.discardBacklog()
        } catch {
            logger.error("nflog read failed", metadata: ["error": "\(error)"])
        }
        // The resync below also covers a conntrack overflow met on the way.
        applyConntrackBacklog()
        inspector.restartStreams()
        resync(reason: "nflog overflow, \(discarded) stale copies discarded")
    }
}
