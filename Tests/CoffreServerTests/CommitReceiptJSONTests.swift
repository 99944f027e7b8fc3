@testable import CoffreServer
import CoffreProtocol
import HTTPServer
import Foundation
import Testing

/// The commit receipt written without `JSONEncoder` must be the encoder's text byte for byte,
/// and read back by the client's decoder as the same receipt.
@Suite struct CommitReceiptJSONTests {
    @Test(arguments: [Int64(0), 1, 9, 10, 999_999, Int64(Int32.max) + 1, Int64.max, -1, Int64.min])
    func receiptMatchesTheEncoderAndRoundTrips(seq: Int64) throws {
        for replayed in [false, true] {
            let receipt = CommitReceipt(seq: seq, replayed: replayed)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            #expect(receipt.jsonBytes == Array(try encoder.encode(receipt)))
            #expect(try JSONDecoder().decode(CommitReceipt.self, from: Data(receipt.jsonBytes)) == receipt)
        }
    }

    @Test func committedAnswerCarriesTheJSONFields() throws {
        let response = HTTPServerResponse.json(encoded: CommitReceipt(seq: 3, replayed: false).jsonBytes)
        #expect(response.status == .ok)
        #expect(response.headerFields[.contentType] == "application/json")
        #expect(response.headerFields[.cacheControl] == "no-store")
        guard case .bytes(let body) = response.body else {
            Issue.record("the receipt must be a bytes body")
            return
        }
        #expect(String(decoding: body, as: UTF8.self) == #"{"replayed":false,"seq":3}"#)
    }
}
