/// Decodes HPACK header blocks (RFC 7541) for one direction of an HTTP/2
/// connection, keeping the dynamic table the peer's decoder keeps.
///
/// HPACK is stateful: an entry added by one header block is referenced by
/// index in later ones, so every header block of the direction is decoded in
/// order, those of no interest included, and a block that cannot be decoded
/// (or was never seen) ends the direction.
///
/// A block's fields are written, name then value, into `scratch`, and their
/// ends listed in `fields`: the caller reads them in place after `decode`.
/// Both buffers keep their capacity between blocks (no allocation per block
/// once warm) unless a block made them larger than `keptScratch`.
/// Entries of the dynamic table are charged to the context's budget.
struct HPACKDecoder {
    /// Largest dynamic table PlainSight keeps, whatever the peer advertised
    /// (`SETTINGS_HEADER_TABLE_SIZE` may be up to 2^32-1): an encoder told it
    /// may use more, and that uses it, ends the direction (`tableOverflow`).
    static let maxTableSize = 65_536
    /// Default `SETTINGS_HEADER_TABLE_SIZE` (RFC 9113 §6.5.2).
    static let defaultTableSize = 4096
    /// Decoded bytes of one header list (names and values) kept for reading;
    /// fields past it are decoded for the table's sake and not listed.
    static let maxHeaderListSize = 65_536
    /// Scratch capacity kept between blocks.
    static let keptScratch = 4096

    enum Failure: Equatable {
        /// Not valid HPACK: a bad index, integer, string, Huffman code or size update.
        case malformed
        /// A size update above `maxTableSize` (but allowed by the peer).
        case tableOverflow
        /// The context's budget refused a new table entry.
        case budget
    }

    /// One dynamic table entry: name then value in one array.
    struct Entry {
        var bytes: [UInt8]
        var nameCount: Int
        /// Its size as RFC 7541 §4.1 counts it.
        var size: Int { bytes.count + 32 }
    }

    /// Oldest first, from `oldest`; index 62 is the newest (§2.3.3).
    var entries: [Entry] = []
    var oldest = 0
    /// Sum of the entries' sizes (§4.1).
    private(set) var size = 0
    /// The table's maximum size, as the last size update set it (§4.2).
    private(set) var maxSize = HPACKDecoder.defaultTableSize
    /// The most a size update may set: the decoding peer's `SETTINGS_HEADER_TABLE_SIZE`.
    var limit = HPACKDecoder.defaultTableSize

    /// The last block's fields, names and values back to back.
    var scratch: [UInt8] = []
    /// Per field: where its name ends and its value ends in `scratch`.
    var fields: [(nameEnd: Int, valueEnd: Int)] = []
    /// The last block's header list went past `maxHeaderListSize`.
    var truncated = false

    var entryCount: Int { entries.count - oldest }

    /// `tableSize`: the table's initial maximum, and the most a size update may set.
    init(tableSize: Int = HPACKDecoder.defaultTableSize) {
        maxSize = tableSize
        limit = tableSize
    }

    /// Decodes one complete header block (§3.2, §6); on failure the table is
    /// no longer the peer's and the caller stops the direction.
    mutating func decode(_ block: UnsafeRawBufferPointer, context: inout InspectionContext) -> Failure? {
        scratch.removeAll(keepingCapacity: true)
        fields.removeAll(keepingCapacity: true)
        truncated = false
        var cursor = HPACKCursor(block)
        var sawField = false
        while !cursor.atEnd {
            let first = cursor.peek
            let start = scratch.count
            if first & 0x80 != 0 {
                // §6.1 Indexed Header Field.
                guard let index = cursor.readInteger(prefixBits: 7), index > 0, let nameEnd = copyEntry(index) else {
                    return .malformed
                }
                sawField = true
                endField(start: start, nameEnd: nameEnd)
            } else if first & 0xe0 == 0x20 {
                // §6.3 Dynamic Table Size Update: only before the block's first field (§4.2).
                guard !sawField, let newSize = cursor.readInteger(prefixBits: 5), newSize <= limit else { return .malformed }
                guard newSize <= HPACKDecoder.maxTableSize else { return .tableOverflow }
                maxSize = newSize
                evict(toFit: 0, context: &context)
            } else {
                // §6.2 Literal Header Field: with incremental indexing (01),
                // without indexing (0000) or never indexed (0001).
                let indexing = first & 0xc0 == 0x40
                guard let index = cursor.readInteger(prefixBits: indexing ? 6 : 4) else { return .malformed }
                if index == 0 {
                    guard cursor.readString(into: &scratch) else { return .malformed }
                } else {
                    guard copyName(index) else { return .malformed }
                }
                let nameEnd = scratch.count
                guard cursor.readString(into: &scratch) else { return .malformed }
                sawField = true
                if indexing, let failure = insert(from: start, nameEnd: nameEnd, context: &context) { return failure }
                endField(start: start, nameEnd: nameEnd)
            }
        }
        return nil
    }

    /// Lists the field just written at `scratch[start...]`, or drops it when
    /// the header list has grown past `maxHeaderListSize`.
    mutating func endField(start: Int, nameEnd: Int) {
        if scratch.count > HPACKDecoder.maxHeaderListSize {
            scratch.removeSubrange(start...)
            truncated = true
        } else {
            fields.append((nameEnd, scratch.count))
        }
    }

    /// The caller has read the block's fields: buffers grown past
    /// `keptScratch` by a large block are freed (a flow keeps little between blocks).
    mutating func endBlock() {
        if scratch.capacity > HPACKDecoder.keptScratch { scratch = [] }
        if fields.capacity > HPACKDecoder.keptScratch / 16 { fields = [] }
    }

    /// Frees the table and buffers, returning the table's charge.
    mutating func release(_ context: inout InspectionContext) {
        context.release(size)
        size = 0
        entries = []
        oldest = 0
        scratch = []
        fields = []
    }

    // MARK: the tables (§2.3)

    /// Appends the name and value at `index` (static, then dynamic) to
    /// `scratch`; returns where the name ends, nil for an index not in use.
    mutating func copyEntry(_ index: Int) -> Int? {
        if index <= HPACKStaticTable.entries.count {
            let entry = HPACKStaticTable.entries[index - 1]
            HPACKStaticTable.append(entry.name, to: &scratch)
            let nameEnd = scratch.count
            HPACKStaticTable.append(entry.value, to: &scratch)
            return nameEnd
        }
        guard let k = dynamicPosition(index) else { return nil }
        let nameEnd = scratch.count + entries[k].nameCount
        scratch.append(contentsOf: entries[k].bytes)
        return nameEnd
    }

    /// Appends the name at `index` to `scratch`.
    mutating func copyName(_ index: Int) -> Bool {
        if index <= HPACKStaticTable.entries.count {
            HPACKStaticTable.append(HPACKStaticTable.entries[index - 1].name, to: &scratch)
            return true
        }
        guard let k = dynamicPosition(index) else { return false }
        scratch.append(contentsOf: entries[k].bytes[..<entries[k].nameCount])
        return true
    }

    /// The position in `entries` of dynamic index `index` (62 is the newest).
    func dynamicPosition(_ index: Int) -> Int? {
        let fromNewest = index - HPACKStaticTable.entries.count - 1
        guard fromNewest >= 0, fromNewest < entryCount else { return nil }
        return entries.count - 1 - fromNewest
    }

    /// Adds the field at `scratch[start...]` as the newest entry, evicting
    /// the oldest to make room; an entry larger than the table empties it
    /// and is not added (§4.4).
    mutating func insert(from start: Int, nameEnd: Int, context: inout InspectionContext) -> Failure? {
        let entrySize = scratch.count - start + 32
        evict(toFit: entrySize, context: &context)
        guard entrySize <= maxSize else { return nil }
        guard context.reserve(entrySize) else { return .budget }
        if oldest > 0 && oldest >= entries.count / 2 {
            entries.removeFirst(oldest)
            oldest = 0
        }
        entries.append(Entry(bytes: Array(scratch[start...]), nameCount: nameEnd - start))
        size += entrySize
        return nil
    }

    /// Evicts the oldest entries until `extra` more bytes fit in `maxSize` (§4.3, §4.4).
    mutating func evict(toFit extra: Int, context: inout InspectionContext) {
        while oldest < entries.count && size + extra > maxSize {
            let evicted = entries[oldest].size
            entries[oldest].bytes = []
            oldest += 1
            size -= evicted
            context.release(evicted)
        }
        if oldest == entries.count {
            entries.removeAll(keepingCapacity: true)
            oldest = 0
        }
    }
}
