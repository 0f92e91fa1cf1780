import CCollation
import Synchronization

/// Why a ``CollationKeyMaker`` could not be created.
public struct CollationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, e.g. "ucol_open failed: U_MISSING_RESOURCE_ERROR".
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Makes collation keys with ICU (through `CCollation`): byte strings that sort
/// names the way a language's alphabet does when compared byte by byte, so a
/// database can store them as BLOBs, index them and `ORDER BY` them.
///
/// Keys compare at *primary* strength: case and accents do not count
/// ("Ärzte" sorts with "arzte" in German, "côte" equals "coté" in French),
/// but letters that a language's alphabet keeps apart do (Finnish and Swedish
/// "å ä ö" come after "z"). Spaces, punctuation and symbols are not ignored and
/// sort before digits, digits before letters; digits compare one by one
/// ("10" before "9"). Precomposed and decomposed accents give the same key.
///
/// Keys depend on ICU's and CLDR's version: store ``version`` beside them and
/// rebuild them when it changes.
///
/// Thread-safe: one instance may be used from any number of tasks. The ICU
/// collator lives inside a `Mutex`, so calls on one instance take turns
/// (a key costs about 0.4 µs, ~2.4 million a second); ICU also allows its const functions to run
/// concurrently, see `CCollation.h`.
public final class CollationKeyMaker: Sendable {
    /// The locale id the collator was opened with ("de", "fi", "fr", …).
    public let locale: String
    /// The collator's version from ICU ("153.120"): keys made under one version
    /// are only comparable with keys made under the same version.
    public let version: String

    /// The `UCollator *`; `CCollation` never changes it after opening.
    private let collator: Mutex<UnsafeMutableRawPointer>

    /// Opens the collation of `locale`, an ICU or BCP 47 locale id such as
    /// "de", "fi", "nl", "fr", "sv", "en", "de_CH" or "de-u-co-phonebk"
    /// (German phone-book order, where "ü" is "ue"); "" gives the CLDR root order.
    /// A language ICU does not know falls back to the root order.
    public init(locale: String) throws(CollationError) {
        guard !locale.utf8.contains(0) else {
            throw CollationError("locale id contains NUL")
        }
        var error = [CChar](repeating: 0, count: Int(CCOL_ERROR_SIZE))
        let opened = locale.withCString { cLocale in
            error.withUnsafeMutableBufferPointer { buffer in
                ccol_open(cLocale, buffer.baseAddress, Int32(buffer.count))
            }
        }
        guard let pointer = opened else {
            let message = Self.string(from: error)
            throw CollationError(message.isEmpty ? "cannot open a collator for \"\(locale)\"" : message)
        }
        var versionBuffer = [CChar](repeating: 0, count: Int(CCOL_VERSION_SIZE))
        let versionLength = versionBuffer.withUnsafeMutableBufferPointer { buffer in
            ccol_version(pointer, buffer.baseAddress, Int32(buffer.count))
        }
        self.locale = locale
        self.version = versionLength > 0 ? Self.string(from: versionBuffer) : ""
        // The last use of `pointer`: from here on it belongs to the mutex.
        self.collator = Mutex(pointer)
    }

    /// The collation of the language most likely spoken in `region`
    /// (ISO 3166-1 alpha-2, case-insensitive): "DE" → "de", "FI" → "fi",
    /// "BE" → "nl", "CH" → "de", "SE" → "sv".
    public static func forRegion(_ region: String) throws(CollationError) -> CollationKeyMaker {
        guard let language = languageForRegion(region) else {
            throw CollationError("no language known for region \"\(region)\"")
        }
        return try CollationKeyMaker(locale: language)
    }

    /// The language most likely spoken in `region` according to ICU's
    /// likely-subtags data ("DE" → "de", "BE" → "nl"), or `nil` when `region`
    /// is not two letters or three digits. ICU answers for every well-formed
    /// code, even unassigned ones ("ZZ" → "en"): validate regions elsewhere.
    public static func languageForRegion(_ region: String) -> String? {
        guard !region.utf8.contains(0) else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(CCOL_LANGUAGE_SIZE))
        let length = region.withCString { cRegion in
            buffer.withUnsafeMutableBufferPointer { out in
                ccol_language_for_region(cRegion, out.baseAddress, Int32(out.count))
            }
        }
        return length > 0 ? string(from: buffer) : nil
    }

    deinit {
        collator.withLock { pointer in
            ccol_close(pointer)
        }
    }

    /// The collation key of `text`. Compare keys byte by byte, shorter first
    /// on a common prefix (`lexicographicallyPrecedes`, SQLite's BLOB order,
    /// `memcmp`). Like all ICU sort keys it ends in a 0 byte, the only 0 in it.
    /// Never empty.
    public func key(_ text: String) -> [UInt8] {
        collator.withLock { pointer in
            Self.makeKey(pointer, text)
        }
    }

    /// The keys of many texts under one lock, in order.
    public func keys(_ texts: [String]) -> [[UInt8]] {
        collator.withLock { pointer in
            texts.map { Self.makeKey(pointer, $0) }
        }
    }

    /// Whether `a` sorts before `b` (compared by their keys). Use as
    /// `names.sorted(by: maker.compare)`; for many strings, sort by precomputed keys.
    public func compare(_ a: String, _ b: String) -> Bool {
        let keys = keys([a, b])
        return keys[0].lexicographicallyPrecedes(keys[1])
    }

    /// A key in upper-case hexadecimal, as SQLite's `hex()` prints a BLOB
    /// ("2A4C5C503200"); usable in an `x'…'` literal.
    public static func hex(_ key: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(key.count * 2)
        for byte in key {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Private

    /// Computes a key. `collator` is the opened `UCollator *`; everything else
    /// is created here so that nothing outside the lock shares its region.
    private static func makeKey(_ collator: UnsafeMutableRawPointer, _ text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { chars in
                // Latin text needs about one key byte per character, other
                // scripts up to three; ICU reports the size when it is more.
                var capacity = max(32, utf8.count * 2 + 8)
                while true {
                    var needed = 0
                    let key = [UInt8](unsafeUninitializedCapacity: capacity) { out, count in
                        let length = Int(ccol_sort_key(
                            collator, chars.baseAddress, Int32(chars.count), out.baseAddress, Int32(out.count)))
                        if length > 0 && length <= out.count {
                            count = length
                        } else {
                            needed = length
                            count = 0
                        }
                    }
                    if !key.isEmpty { return key }
                    // 0: ICU failed (out of memory); give the empty string's place
                    // rather than crash. Never seen in practice.
                    guard needed > capacity else { return [0] }
                    capacity = needed
                }
            }
        }
    }

    /// The NUL-terminated UTF-8 text in `buffer`.
    private static func string(from buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
