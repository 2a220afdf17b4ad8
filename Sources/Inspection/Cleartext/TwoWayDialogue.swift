import Flows

/// One direction's reader of a `TwoWayDialogue`: where the direction is in
/// its stream and what it holds; stopped for good once its framing is lost.
protocol DirectionReader {
    /// A reader with nothing in it (the placeholder swapped in while the real one reads).
    init()
    /// Stream offset of the next byte to read.
    var expectedOffset: UInt64 { get set }
    /// Nothing more is read; held bytes go back to the context's budget.
    mutating func stop(_ context: inout InspectionContext)
}

extension DirectionReader {
    /// The indices of a chunk (`count` bytes at stream `offset`) not read
    /// yet, cut at `maxDepth`; `expectedOffset` moves past them. nil when
    /// the chunk adds nothing (seen already), or when it does not continue
    /// the stream (a hole before it, a direction first seen past offset 0)
    /// or the depth is reached: then the reader stops, the framing is lost.
    /// (Line readers resume instead: `LineDialogue.readLines`.)
    mutating func unread(
        _ count: Int, at offset: UInt64, maxDepth: UInt64, context: inout InspectionContext
    ) -> Range<Int>? {
        let chunkEnd = offset + UInt64(count)
        guard chunkEnd > expectedOffset else { return nil }  // seen already
        guard offset <= expectedOffset, expectedOffset < maxDepth else {
            stop(&context)
            return nil
        }
        let unread = Int(expectedOffset - offset)..<Int(min(chunkEnd, maxDepth) - offset)
        expectedOffset = offset + UInt64(unread.upperBound)
        return unread
    }
}

/// An analyzer that reads each direction with its own `DirectionReader`
/// and decides, after every call, whether anything is left to learn
/// (`settle`). The extension is its `StreamAnalyzer`: a chunk goes to the
/// direction's reader, a gap or an end stops the direction (lost bytes lose
/// the framing), and `settle` answers. Protocol-extension methods on the
/// final classes, so the `CleartextAnalyzer` switch still calls them statically.
/// (A line dialogue declares its own `gap`, `skipGap`: lines resume after lost bytes.)
protocol TwoWayDialogue: AnyObject {
    associatedtype Reader: DirectionReader
    var toServer: Reader { get set }
    var toClient: Reader { get set }
    /// Nothing more is read in either direction.
    var isDone: Bool { get }
    /// Reads one chunk of `direction` with its reader.
    func read(
        _ bytes: UnsafeRawBufferPointer, offset: UInt64, into r: inout Reader, direction: Direction,
        context: inout InspectionContext
    )
    /// The verdict after a call; once `.done`, both readers are stopped.
    func settle(_ context: inout InspectionContext) -> AnalyzerVerdict
}

extension TwoWayDialogue {
    public func ingest(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        ingestStream(bytes, direction: direction, offset: offset, context: &context)
    }

    public func gap(
        direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        stopStream(direction, context: &context)
    }

    public func end(direction: Direction, context: inout InspectionContext) {
        _ = stopStream(direction, context: &context)
    }

    /// `ingest`, for a reader that declares its own (Kerberos: datagrams bypass the streams).
    func ingestStream(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, offset: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        guard !isDone else { return .done }
        // The reader is moved out while it reads (a swap: its buffers are not copied).
        var r = Reader()
        if direction == .toServer { swap(&r, &toServer) } else { swap(&r, &toClient) }
        read(bytes, offset: offset, into: &r, direction: direction, context: &context)
        if direction == .toServer { swap(&r, &toServer) } else { swap(&r, &toClient) }
        return settle(&context)
    }

    /// `gap` and `end`: the direction stops.
    func stopStream(_ direction: Direction, context: inout InspectionContext) -> AnalyzerVerdict {
        guard !isDone else { return .done }
        if direction == .toServer { toServer.stop(&context) } else { toClient.stop(&context) }
        return settle(&context)
    }
}

/// The line dialogues (IRC, SIP/RTSP headers) read a direction's chunks as lines.
extension LoginLineReader: DirectionReader {}

extension TwoWayDialogue where Self: LineDialogue, Reader == LoginLineReader {
    func read(
        _ bytes: UnsafeRawBufferPointer, offset: UInt64, into r: inout LoginLineReader, direction: Direction,
        context: inout InspectionContext
    ) {
        readLines(bytes, offset: offset, into: &r, direction: direction, context: &context)
    }

    /// `gap` of a line dialogue: the lost bytes cost the line they fall in,
    /// not the direction, which resumes after the next line feed.
    func skipGap(
        _ direction: Direction, offset: UInt64, length: UInt64, context: inout InspectionContext
    ) -> AnalyzerVerdict {
        guard !isDone else { return .done }
        var r = LoginLineReader()
        if direction == .toServer { swap(&r, &toServer) } else { swap(&r, &toClient) }
        skipLostLines(offset: offset, length: length, into: &r, direction: direction, context: &context)
        if direction == .toServer { swap(&r, &toServer) } else { swap(&r, &toClient) }
        return settle(&context)
    }
}
