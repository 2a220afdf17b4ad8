import Testing
@testable import Decoding

/// Runs `body` with a reader over `bytes`.
private func withReader<R>(_ bytes: [UInt8], _ body: (inout ByteReader) -> R) -> R {
    bytes.withUnsafeBytes { buffer in
        var reader = ByteReader(buffer)
        return body(&reader)
    }
}

@Suite("ByteReader")
struct ByteReaderTests {
    let bytes: [UInt8] = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09]

    @Test func readsAreBigEndianAndAdvance() {
        withReader(bytes) { r in
            #expect(r.readUInt8() == 0x01)
            #expect(r.readerIndex == 1)
            #expect(r.readUInt16() == 0x0203)
            #expect(r.readerIndex == 3)
            #expect(r.readUInt24() == 0x04_0506)
            #expect(r.readerIndex == 6)
            #expect(r.readableBytes == 3)
        }
        withReader(bytes) { r in
            #expect(r.readUInt32() == 0x0102_0304)
            #expect(r.readerIndex == 4)
        }
        withReader(bytes) { r in
            #expect(r.readUInt64() == 0x0102_0304_0506_0708)
            #expect(r.readerIndex == 8)
            #expect(r.readableBytes == 1)
        }
    }

    @Test func getReadsAtAbsoluteIndexWithoutMoving() {
        withReader(bytes) { r in
            #expect(r.getUInt8(at: 8) == 0x09)
            #expect(r.getUInt16(at: 7) == 0x0809)
            #expect(r.getUInt24(at: 6) == 0x07_0809)
            #expect(r.getUInt32(at: 5) == 0x0607_0809)
            #expect(r.getUInt64(at: 1) == 0x0203_0405_0607_0809)
            #expect(r.readerIndex == 0)
        }
    }

    @Test func littleEndianGettersSwapBytes() {
        withReader(bytes) { r in
            #expect(r.getUInt16LittleEndian(at: 0) == 0x0201)
            #expect(r.getUInt32LittleEndian(at: 1) == 0x0504_0302)
            #expect(r.getUInt16LittleEndian(at: 8) == nil)
            #expect(r.getUInt32LittleEndian(at: 6) == nil)
            #expect(r.getUInt32LittleEndian(at: -1) == nil)
        }
    }

    @Test func peekDoesNotMove() {
        withReader(bytes) { r in
            _ = r.readUInt8()
            #expect(r.peekUInt8() == 0x02)
            #expect(r.peekUInt16() == 0x0203)
            #expect(r.peekUInt32() == 0x0203_0405)
            #expect(r.readerIndex == 1)
        }
        withReader([0xff]) { r in
            #expect(r.peekUInt16() == nil)
            #expect(r.peekUInt32() == nil)
            #expect(r.peekUInt8() == 0xff)
        }
    }

    @Test func shortReadsReturnNilAndLeaveReaderIndexUnchanged() {
        withReader(bytes) { r in
            #expect(r.moveReaderIndex(forwardBy: 7) == true)
            #expect(r.readUInt24() == nil)
            #expect(r.readUInt32() == nil)
            #expect(r.readUInt64() == nil)
            #expect(r.readBytes(length: 3) == nil)
            #expect(r.readSlice(length: 3) == nil)
            #expect(r.readerIndex == 7)
            #expect(r.readUInt16() == 0x0809)
            #expect(r.readUInt8() == nil)
            #expect(r.readUInt16() == nil)
            #expect(r.readerIndex == 9)
            #expect(r.readableBytes == 0)
        }
    }

    @Test func emptyBufferYieldsNilEverywhere() {
        withReader([]) { r in
            #expect(r.readUInt8() == nil)
            #expect(r.readUInt16() == nil)
            #expect(r.readUInt24() == nil)
            #expect(r.readUInt32() == nil)
            #expect(r.readUInt64() == nil)
            #expect(r.getUInt8(at: 0) == nil)
            #expect(r.readableBytes == 0)
            #expect(r.readableView.count == 0)
            #expect(r.readBytes(length: 0)?.count == 0)
            #expect(r.readerIndex == 0)
        }
    }

    @Test func getOutOfRangeIndexReturnsNil() {
        withReader(bytes) { r in
            for index in [-1, -2, Int.min, 9, 10, Int.max] {
                #expect(r.getUInt8(at: index) == nil)
                #expect(r.getUInt16(at: index) == nil)
                #expect(r.getUInt24(at: index) == nil)
                #expect(r.getUInt32(at: index) == nil)
                #expect(r.getUInt64(at: index) == nil)
            }
            #expect(r.getUInt16(at: 8) == nil)
            #expect(r.getUInt24(at: 7) == nil)
            #expect(r.getUInt32(at: 6) == nil)
            #expect(r.getUInt64(at: 2) == nil)
        }
    }

    @Test func getBytesBounds() {
        withReader(bytes) { r in
            #expect(r.getBytes(at: 0, length: 9).map(Array.init) == bytes)
            #expect(r.getBytes(at: 3, length: 2).map(Array.init) == [0x04, 0x05])
            #expect(r.getBytes(at: 9, length: 0)?.count == 0)  // empty at the end is fine
            #expect(r.getBytes(at: 0, length: 10) == nil)
            #expect(r.getBytes(at: 8, length: 2) == nil)
            #expect(r.getBytes(at: 10, length: 0) == nil)
            #expect(r.getBytes(at: -1, length: 1) == nil)
            #expect(r.getBytes(at: -1, length: 0) == nil)
            #expect(r.getBytes(at: 0, length: -1) == nil)
            #expect(r.getBytes(at: Int.min, length: 1) == nil)
            #expect(r.getBytes(at: 0, length: Int.max) == nil)
            #expect(r.getBytes(at: 1, length: Int.max) == nil)
            #expect(r.getBytes(at: Int.max, length: Int.max) == nil)
            #expect(r.getBytes(at: Int.max, length: 1) == nil)
            #expect(r.getBytes(at: 5, length: Int.min) == nil)
        }
    }

    @Test func getBytesReturnsViewIntoSameMemory() {
        bytes.withUnsafeBytes { buffer in
            let r = ByteReader(buffer)
            let view = r.getBytes(at: 2, length: 3)!
            #expect(view.baseAddress == buffer.baseAddress! + 2)
        }
    }

    @Test func readSliceIsBoundedToItsLength() {
        withReader(bytes) { r in
            _ = r.readUInt8()
            guard var slice = r.readSlice(length: 3) else {
                Issue.record("slice missing")
                return
            }
            #expect(r.readerIndex == 4)
            #expect(slice.readerIndex == 0)
            #expect(slice.readableBytes == 3)
            #expect(slice.readUInt16() == 0x0203)
            #expect(slice.readUInt16() == nil)  // cannot overrun into the parent
            #expect(slice.getUInt8(at: 3) == nil)
            #expect(slice.readUInt8() == 0x04)
            #expect(r.readSlice(length: -1) == nil)
            #expect(r.readSlice(length: 6) == nil)
            #expect(r.readerIndex == 4)
            #expect(r.readSlice(length: 5)?.readableBytes == 5)
            #expect(r.readerIndex == 9)
            #expect(r.readSlice(length: 0)?.readableBytes == 0)
        }
    }

    @Test func readLengthPrefixedSliceUInt8() {
        withReader([0x03, 0xaa, 0xbb, 0xcc, 0xdd]) { r in
            let s = r.readLengthPrefixedSlice(UInt8.self)
            #expect(s.map { Array($0.bytes) } == [0xaa, 0xbb, 0xcc])
            #expect(r.readerIndex == 4)
        }
        withReader([0x00, 0xaa]) { r in
            #expect(r.readLengthPrefixedSlice(UInt8.self)?.readableBytes == 0)
            #expect(r.readerIndex == 1)
        }
    }

    @Test func readLengthPrefixedSliceUInt16AndUInt32() {
        withReader([0x00, 0x02, 0xaa, 0xbb, 0xcc]) { r in
            #expect(r.readLengthPrefixedSlice(UInt16.self).map { Array($0.bytes) } == [0xaa, 0xbb])
            #expect(r.readerIndex == 4)
        }
        withReader([0x00, 0x00, 0x00, 0x01, 0xee]) { r in
            #expect(r.readLengthPrefixedSlice(UInt32.self).map { Array($0.bytes) } == [0xee])
            #expect(r.readerIndex == 5)
        }
    }

    @Test func readLengthPrefixedSliceShortBodyLeavesIndexAlone() {
        withReader([0x04, 0xaa, 0xbb, 0xcc]) { r in
            #expect(r.readLengthPrefixedSlice(UInt8.self) == nil)
            #expect(r.readerIndex == 0)
        }
        withReader([0x00, 0x05, 0xaa]) { r in
            #expect(r.readLengthPrefixedSlice(UInt16.self) == nil)
            #expect(r.readerIndex == 0)
        }
        withReader([0xff, 0xff, 0xff, 0xff, 0xaa]) { r in
            #expect(r.readLengthPrefixedSlice(UInt32.self) == nil)
            #expect(r.readerIndex == 0)
        }
        withReader([0x00]) { r in
            #expect(r.readLengthPrefixedSlice(UInt16.self) == nil)  // prefix itself short
            #expect(r.readerIndex == 0)
        }
        withReader([0x01, 0x02, 0x03]) { r in
            #expect(r.readLengthPrefixedSlice(UInt32.self) == nil)
            #expect(r.readerIndex == 0)
        }
    }

    @Test
    func readLengthPrefixedSliceUInt64ReadsAnEightByteLength() {
        withReader([0, 0, 0, 0, 0, 0, 0, 0x02, 0xaa, 0xbb, 0xcc]) { r in
            #expect(r.readLengthPrefixedSlice(UInt64.self).map { Array($0.bytes) } == [0xaa, 0xbb])
            #expect(r.readerIndex == 10)
        }
    }

    @Test func moveReaderIndexBounds() {
        withReader(bytes) { r in
            #expect(r.moveReaderIndex(forwardBy: -1) == false)
            #expect(r.moveReaderIndex(forwardBy: 10) == false)
            #expect(r.moveReaderIndex(forwardBy: Int.max) == false)
            #expect(r.readerIndex == 0)
            #expect(r.moveReaderIndex(forwardBy: 0) == true)
            #expect(r.moveReaderIndex(forwardBy: 9) == true)
            #expect(r.readerIndex == 9)
            #expect(r.moveReaderIndex(forwardBy: 1) == false)
        }
    }

    @Test func readableViewIsTheUnreadTail() {
        withReader(bytes) { r in
            _ = r.readUInt32()
            #expect(Array(r.readableView) == [0x05, 0x06, 0x07, 0x08, 0x09])
            #expect(r.readableBytes == 5)
        }
    }

    @Test func readBytesReturnsExactRange() {
        withReader(bytes) { r in
            _ = r.readUInt16()
            #expect(r.readBytes(length: 4).map(Array.init) == [0x03, 0x04, 0x05, 0x06])
            #expect(r.readerIndex == 6)
            #expect(r.readBytes(length: -1) == nil)
            #expect(r.readerIndex == 6)
        }
    }
}
