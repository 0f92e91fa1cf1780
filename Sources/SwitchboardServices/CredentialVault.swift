import Crypto
import Foundation
import SwitchboardCore

/// Seals interface credentials with AES-256-GCM. The key lives in the data
/// directory (mode 0600) or comes from the environment; the interface id is
/// bound in as associated data, so a sealed box copied onto another interface
/// does not open.
public struct CredentialVault: Sendable {
    let key: SymmetricKey

    public init(key: SymmetricKey) {
        self.key = key
    }

    /// A key from 32 bytes in base64 (the key file's and the environment variable's format).
    public init?(base64: String) {
        guard let data = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else { return nil }
        key = SymmetricKey(data: data)
    }

    public static func newKeyBase64() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    public func seal(_ values: [String: String], interfaceId: String) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let plain = try encoder.encode(values)
        let box = try AES.GCM.seal(plain, using: key, authenticating: Data(interfaceId.utf8))
        return Array(box.combined!)  // 12-byte nonce + ciphertext + 16-byte tag
    }

    public func open(_ sealed: [UInt8], interfaceId: String) throws -> [String: String] {
        do {
            let box = try AES.GCM.SealedBox(combined: Data(sealed))
            let plain = try AES.GCM.open(box, using: key, authenticating: Data(interfaceId.utf8))
            return try JSONDecoder().decode([String: String].self, from: plain)
        } catch {
            // Never say more: the message must not help anyone guess.
            throw SwitchboardError.conflict(
                "the stored credentials cannot be decrypted with this server's key (was the key file replaced?); set them again with interfaces.setCredentials")
        }
    }
}
