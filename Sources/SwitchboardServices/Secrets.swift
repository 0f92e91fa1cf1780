import Crypto
import Foundation

/// API key tokens: `<keyId>.<secret>`, the secret 256 random bits in base64url.
/// Only SHA-256(secret) is stored; comparison is constant-time.
public enum Secrets {
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    public static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func sha256(_ text: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(text.utf8)))
    }

    /// Compares two byte strings in time independent of where they differ.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    /// A fresh token for `keyId`, and the hash to store.
    public static func makeToken(keyId: String) -> (token: String, hash: [UInt8]) {
        let secret = base64url(randomBytes(32))
        return ("\(keyId).\(secret)", sha256(secret))
    }

    /// Splits a token into key id and secret; nil when it has not that shape.
    public static func parseToken(_ token: String) -> (keyId: String, secret: String)? {
        let trimmed = token.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let dot = trimmed.lastIndex(of: "."), trimmed.hasPrefix("key_") else { return nil }
        let keyId = String(trimmed[..<dot]), secret = String(trimmed[trimmed.index(after: dot)...])
        guard !secret.isEmpty, secret.count <= 128, keyId.count <= 64 else { return nil }
        return (keyId, secret)
    }
}
