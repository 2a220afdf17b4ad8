import Yams

/// A mapping of a rules or policy file under `Patterns/`, read through Yams' node tree with
/// every scalar taken as text (numbers are converted here). `YAMLDecoder`
/// and Yams' default tag resolution (regular expressions per scalar) cost
/// ~30M instructions for the small TLS files: most of a run's startup.
public struct PatternYAML {
    public let mapping: Node.Mapping
    /// The mapping's values by key (the first of a repeated key). Yams finds
    /// a text key by building a node for it and comparing it with each key in
    /// turn, ~13,000 instructions a lookup: a fifth of loading the rules.
    let fields: [String: Node]
    public let source: String
    /// Dotted position of this mapping in the file (`certificate`), empty at the top.
    public let position: String

    public init(_ yaml: String, source: String) throws {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml, .basic)
        } catch {
            throw PatternError("\(source): not valid YAML: \(error)")
        }
        guard let mapping = root?.mapping else { throw PatternError("\(source): expected a mapping of fields") }
        self.init(mapping: mapping, source: source, position: "")
    }

    public init(mapping: Node.Mapping, source: String, position: String) {
        self.mapping = mapping
        var fields: [String: Node] = [:]
        for (key, value) in mapping {
            if let name = key.scalar?.string, fields[name] == nil { fields[name] = value }
        }
        self.fields = fields
        self.source = source
        self.position = position
    }

    public func path(_ key: String) -> String { position.isEmpty ? key : position + "." + key }

    /// Whether the mapping has `key`.
    public func has(_ key: String) -> Bool { fields[key] != nil }

    public func value(_ key: String) throws -> Node {
        guard let node = fields[key] else { throw PatternError("\(source): missing field \(path(key))") }
        return node
    }

    public func mismatch(_ key: String, _ expected: String) -> PatternError {
        PatternError("\(at(key)): field \(path(key)): expected \(expected)")
    }

    /// Throws at the first key not in `known`: a misspelt optional field
    /// would otherwise be a default quietly taken.
    public func rejectUnknownFields(_ known: [String]) throws {
        for key in try keys() where !known.contains(key) {
            throw PatternError("\(at(key)): field \(path(key)): unknown (known: \(known.joined(separator: ", ")))")
        }
    }

    /// `file:line` of a key's value (the file alone when Yams kept no position).
    public func at(_ key: String) -> String {
        guard let line = fields[key]?.mark?.line else { return source }
        return "\(source):\(line)"
    }

    public func field(_ key: String) throws -> PatternYAML {
        guard let inner = try value(key).mapping else { throw mismatch(key, "a mapping") }
        return PatternYAML(mapping: inner, source: source, position: path(key))
    }

    public func text(_ key: String) throws -> String {
        guard let scalar = try value(key).scalar else { throw mismatch(key, "text") }
        // `key:` with nothing after it is YAML's null, not an empty text: taken
        // as one, a forgotten value would be a setting (`separators:` = none).
        guard !(scalar.string.isEmpty && scalar.style == .plain) else { throw mismatch(key, "text, not nothing ('' for an empty one)") }
        return scalar.string
    }

    public func number(_ key: String) throws -> Int {
        guard let scalar = try value(key).scalar, let n = Int(scalar.string) else { throw mismatch(key, "a number") }
        return n
    }

    public func texts(_ key: String) throws -> [String] {
        guard let list = try value(key).sequence else { throw mismatch(key, "a list") }
        return try list.map {
            guard let scalar = $0.scalar else { throw mismatch(key, "a list of text") }
            return scalar.string
        }
    }

    public func optionalTexts(_ key: String) throws -> [String]? { has(key) ? try texts(key) : nil }

    /// The keys, in file order.
    public func keys() throws -> [String] {
        try mapping.keys.map {
            guard let name = $0.scalar?.string else { throw PatternError("\(source): \(position): keys must be text") }
            return name
        }
    }
}

public struct PatternError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
