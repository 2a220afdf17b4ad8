import Decoding
import Findings
import Flows
import Inspection

/// The FTP data connections announced on control channels and not yet
/// opened (or opened, while their transfer command may still follow),
/// keyed by the listening endpoint: the FTP server's for PASV/EPSV, the FTP
/// client's for PORT/EPRT. A new TCP flow whose server endpoint is one of
/// them is that data connection.
///
/// Bounded: at most `maxEntries` (past it the entry that expires first is
/// dropped, `dropped` counts it), each kept `timeout` of capture time
/// (`expired` counts those that went unused). An open-addressing index
/// (linear probing, backward-shift deletion) with the flow table's keyed
/// hash: whoever writes the control channel picks the endpoints.
struct FTPDataExpectations {
    struct Entry {
        var address: IPAddress
        var port: UInt16
        var mode: FTPDataAnnouncement.Mode
        var transfer: FTPTransfer?
        var name: [UInt8] = []
        /// The control connection, for the data flow's record.
        var control: FlowIdentity
        var expires: Microseconds
        /// The data flow's slot and start, once it opened (a slot is reused by later flows).
        var dataFlow: (slot: Int32, start: Microseconds)?
        /// Counted in `expired` if it times out unused (not the second address kept for a NATed 227).
        var countsWhenUnused = true

        var expiresUnused: Bool { dataFlow == nil && countsWhenUnused }
    }

    /// Announced connections kept at once.
    static let maxEntries = 1024
    /// How long an announcement waits for its connection (and an opened one for its transfer command).
    static let timeout: Microseconds = 60_000_000

    let hasher: FlowHasher
    var slots: [Entry?]
    let mask: Int
    private(set) var count = 0
    /// Entries dropped because the table was full.
    private(set) var dropped: UInt64 = 0
    /// Entries that timed out before their connection opened.
    private(set) var expired: UInt64 = 0

    init(hasher: FlowHasher) {
        self.hasher = hasher
        slots = [Entry?](repeating: nil, count: 2 * FTPDataExpectations.maxEntries)
        mask = slots.count - 1
    }

    func home(_ address: IPAddress, _ port: UInt16) -> Int {
        Int(truncatingIfNeeded: hasher.hash(address: address, port: port)) & mask
    }

    func find(_ address: IPAddress, _ port: UInt16) -> Int? {
        var i = home(address, port)
        while let entry = slots[i] {
            if entry.port == port && entry.address == address { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Adds (or renews) an announced endpoint.
    mutating func announce(
        _ address: IPAddress, _ port: UInt16, mode: FTPDataAnnouncement.Mode, control: FlowIdentity, now: Microseconds,
        countsWhenUnused: Bool = true
    ) {
        let entry = Entry(
            address: address, port: port, mode: mode, control: control, expires: now &+ FTPDataExpectations.timeout,
            countsWhenUnused: countsWhenUnused)
        if let i = find(address, port) {
            slots[i] = entry
            return
        }
        if count >= FTPDataExpectations.maxEntries {
            expire(now: now)
            if count >= FTPDataExpectations.maxEntries, let oldest = firstToExpire() {
                remove(at: oldest)
                dropped &+= 1
            }
        }
        var i = home(address, port)
        while slots[i] != nil { i = (i + 1) & mask }
        slots[i] = entry
        count += 1
    }

    /// The entry announced for a new flow's listening endpoint, if one
    /// waits; it is marked as opened by `slot` (it matches once).
    mutating func open(
        _ address: IPAddress, _ port: UInt16, slot: Int32, start: Microseconds, now: Microseconds
    ) -> Entry? {
        guard count > 0, let i = find(address, port), let entry = slots[i] else { return nil }
        if entry.expires < now {
            remove(at: i)
            if entry.expiresUnused { expired &+= 1 }
            return nil
        }
        guard entry.dataFlow == nil else { return nil }
        slots[i]!.dataFlow = (slot, start)
        return entry
    }

    /// A transfer command used the endpoint: kept for a flow that opens
    /// later; returns the data flow if it already opened.
    mutating func transfer(
        _ address: IPAddress, _ port: UInt16, _ transfer: FTPTransfer, name: [UInt8], now: Microseconds
    ) -> (entry: Entry, dataFlow: (slot: Int32, start: Microseconds)?)? {
        guard let i = find(address, port), slots[i]!.expires >= now else { return nil }
        slots[i]!.transfer = transfer
        slots[i]!.name = name
        return (slots[i]!, slots[i]!.dataFlow)
    }

    /// Drops the entries past their time.
    mutating func expire(now: Microseconds) {
        guard count > 0 else { return }
        var i = 0
        while i < slots.count {
            if let entry = slots[i], entry.expires < now {
                if entry.expiresUnused { expired &+= 1 }
                remove(at: i)  // a later entry may have shifted into i: look at it again
            } else {
                i += 1
            }
        }
    }

    func firstToExpire() -> Int? {
        var best: Int?
        for i in slots.indices {
            if let entry = slots[i], best == nil || entry.expires < slots[best!]!.expires { best = i }
        }
        return best
    }

    /// Backward-shift deletion: entries after the hole that may sit in it move back.
    mutating func remove(at hole: Int) {
        var hole = hole
        slots[hole] = nil
        count -= 1
        var i = (hole + 1) & mask
        while let entry = slots[i] {
            let h = home(entry.address, entry.port)
            // The entry may move to the hole if its home is not in (hole, i] (cyclically).
            let distanceToHole = (hole - h) & mask
            let distanceToHere = (i - h) & mask
            if distanceToHole < distanceToHere {
                slots[hole] = entry
                slots[i] = nil
                hole = i
            }
            i = (i + 1) & mask
        }
    }
}
