@testable import CoffreClient
import CoffreProtocol
import Foundation
import Testing

/// The client's direct reading of coffred's compact receipt: the same receipt as the full
/// decoder for every text it accepts, and no answer (so the decoder decides) for any other.
@Suite struct CommitReceiptCompactJSONTests {
    @Test(arguments: [Int64(0), 1, 10, 4_096, Int64(Int32.max) + 1, Int64.max, -1, -10, Int64.min])
    func encoderTextReadsAsTheDecoderReadsIt(seq: Int64) throws {
        for replayed in [false, true] {
            let receipt = CommitReceipt(seq: seq, replayed: replayed)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let text = Array(try encoder.encode(receipt))
            #expect(CommitReceipt(compactJSON: text) == receipt)
            #expect(try JSONDecoder().decode(CommitReceipt.self, from: Data(text)) == receipt)
        }
    }

    @Test(arguments: [
        "", "{", "}", "{}", #"{"replayed":false}"#, #"{"seq":1}"#,
        #"{"seq":1,"replayed":false}"#,  // other key order
        #"{ "replayed":false,"seq":1}"#, #"{"replayed": false,"seq":1}"#, #"{"replayed":false,"seq":1 }"#,
        #"{"replayed":false,"seq":1}  "#, #"{"replayed":false,"seq":1}x"#, #"{"replayed":false,"seq":1}}"#,
        #"{"replayed":False,"seq":1}"#, #"{"replayed":0,"seq":1}"#, #"{"replayed":"false","seq":1}"#,
        #"{"replayed":false,"seq":}"#, #"{"replayed":false,"seq":-}"#, #"{"replayed":false,"seq":+1}"#,
        #"{"replayed":false,"seq":01}"#, #"{"replayed":false,"seq":-0}"#, #"{"replayed":false,"seq":-01}"#,
        #"{"replayed":false,"seq":1.0}"#, #"{"replayed":false,"seq":1e3}"#, #"{"replayed":false,"seq":"1"}"#,
        #"{"replayed":false,"seq":9223372036854775808}"#, #"{"replayed":false,"seq":-9223372036854775809}"#,
        #"{"replayed":false,"seq":99999999999999999999999}"#, #"{"replayed":false,"seq":1"#,
        #"{"replayed":false,"seq":1,"seq":2}"#, #"{"replayed":false,"seq":1,"extra":true}"#,
    ])
    func anyOtherTextIsLeftToTheDecoder(text: String) {
        #expect(CommitReceipt(compactJSON: Array(text.utf8)) == nil)
    }

    @Test func hostileBytesAreLeftToTheDecoder() {
        var bytes = Array(#"{"replayed":true,"seq":12}"#.utf8)
        #expect(CommitReceipt(compactJSON: bytes) == CommitReceipt(seq: 12, replayed: true))
        // Every single-byte change of a valid receipt either still reads as the decoder reads it
        // or is refused.
        for index in bytes.indices {
            for value in [UInt8(0), 0x20, 0x2D, 0x30, 0x39, 0x7D, 0xFF] {
                let original = bytes[index]
                bytes[index] = value
                if let read = CommitReceipt(compactJSON: bytes) {
                    #expect(read == (try? JSONDecoder().decode(CommitReceipt.self, from: Data(bytes))))
                }
                bytes[index] = original
            }
        }
    }
}
