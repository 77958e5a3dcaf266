import Testing
@testable import OSGLog

@Suite("Base64")
struct Base64Tests {
    @Test("RFC 4648 test vectors encode and decode", arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test("text that is not padded standard base64 is refused", arguments: [
        "Zg", "Zg=", "Zg===", "Z===", "Zm9v\n", " Zm9v", "Zm9v-_==", "Zm=v", "=Zm9", "Zg==Zg==",
    ])
    func refused(text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test("all byte values survive a round trip")
    func allBytes() {
        let bytes = (0...255).map(UInt8.init)
        for length in 0...bytes.count {
            #expect(Base64.decode(Base64.encode(bytes.prefix(length))) == Array(bytes.prefix(length)))
        }
    }
}
