import Foundation
import JobwatchCore
import Yams

/// Typed, path-aware access to a YAML document: every error names the key, the file and the line.
struct YAMLReader {
    let source: String?
    let environment: [String: String]
    let secrets: SecretLoading

    struct Mapping {
        var values: [String: Node]
        subscript(key: String) -> Node? { values[key] }
        var sortedPairs: [(String, Node)] { values.keys.sorted().map { ($0, values[$0]!) } }
    }

    func error(_ path: String, _ problem: String, _ node: Node?) -> ConfigError {
        var location = source ?? "configuration"
        if let line = node?.mark?.line { location += ":\(line)" }
        return ConfigError("\(location): \(path.isEmpty ? "the document" : path) \(problem)")
    }

    /// A mapping whose keys must all be in `known` (nil: any key).
    func mapping(_ node: Node, path: String, known: [String]?) throws -> Mapping {
        guard case .mapping(let mapping) = node else {
            throw error(path, "must be a mapping of keys to values", node)
        }
        var values: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else { throw error(path, "has a key that is not text", keyNode) }
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            if let known, !known.contains(key) {
                throw error(
                    keyPath, "is not a known key (known here: \(known.joined(separator: ", "))); check its spelling",
                    keyNode)
            }
            if values[key] != nil { throw error(keyPath, "is given twice", keyNode) }
            values[key] = value
        }
        return Mapping(values: values)
    }

    func string(_ node: Node, path: String) throws -> String {
        guard case .scalar(let scalar) = node else { throw error(path, "must be a single value", node) }
        return scalar.string
    }

    func nonEmptyString(_ node: Node, path: String) throws -> String {
        let text = try string(node, path: path).trimmingCharacters(in: .whitespaces)
        if text.isEmpty { throw error(path, "is empty", node) }
        return text
    }

    func bool(_ node: Node, path: String) throws -> Bool {
        switch try string(node, path: path).lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(path, "must be true or false", node)
        }
    }

    func number(_ node: Node, path: String, range: ClosedRange<Double>, integer: Bool = false) throws -> Double {
        let text = try string(node, path: path)
        guard let value = Double(text), value.isFinite, !integer || value.rounded() == value else {
            throw error(path, "'\(text)' is not \(integer ? "a whole number" : "a number")", node)
        }
        guard range.contains(value) else {
            throw error(
                path,
                "\(text) is out of range; use a value from \(format(range.lowerBound)) to \(format(range.upperBound))",
                node)
        }
        return value
    }

    func duration(_ node: Node, path: String) throws -> Int64 {
        let text = try string(node, path: path)
        if let problem = DurationText.problem(text) { throw error(path, problem, node) }
        return DurationText.parseMillis(text) ?? 0
    }

    /// `https://…`, or `http://` to a loopback address (simulators, tests).
    func url(_ node: Node, path: String) throws -> URL {
        let text = try nonEmptyString(node, path: path)
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty
        else {
            throw error(path, "'\(text)' is not a URL; write it like https://host/path", node)
        }
        switch scheme {
        case "https": return url
        case "http" where LoopbackAddress.isLoopback(host): return url
        case "http":
            throw error(
                path, "uses plain http to \(host); use https (plain http is allowed only for loopback addresses)", node)
        default: throw error(path, "'\(text)' must start with https://", node)
        }
    }

    /// The key names under which a secret may be given.
    func secretKeys(_ key: String) -> [String] {
        [key, "\(key)_file", "\(key)_env", "\(key)_credential"]
    }

    /// A secret given inline (`key`), in a file (`key_file`), in an environment variable (`key_env`) or as a
    /// systemd credential (`key_credential`, read from `$CREDENTIALS_DIRECTORY`); at most one of them.
    func secret(_ map: Mapping, key: String, path: String) throws -> Secret? {
        guard let secret = try rawSecret(map, key: key, path: path) else { return nil }
        let variant = secretKeys(key).first { map[$0] != nil } ?? key
        try checkPrintable(secret.value, path: "\(path).\(variant)", node: map[variant])
        return secret
    }

    /// A secret travels in HTTP headers and signatures: a control character (a line break pasted with it)
    /// would be refused by HTTP or split a header, so it is a configuration error, never sent.
    func checkPrintable(_ value: String, path: String, node: Node?) throws {
        if value.unicodeScalars.contains(where: InputRules.isControl) {
            throw error(
                path, "contains a control character (a line break or tab inside the value?); remove it", node)
        }
    }

    private func rawSecret(_ map: Mapping, key: String, path: String) throws -> Secret? {
        let given = secretKeys(key).filter { map[$0] != nil }
        let prefix = path.isEmpty ? "" : "\(path)."
        if given.count > 1 {
            throw error(
                "\(prefix)\(given[1])", "conflicts with \(prefix)\(given[0]); give the secret one way only",
                map[given[1]]
            )
        }
        guard let variant = given.first, let node = map[variant] else { return nil }
        let keyPath = "\(prefix)\(variant)"
        if variant == key, case .sequence = node {
            throw error(keyPath, "must be a single value here", node)
        }
        let text = try nonEmptyString(node, path: keyPath)
        if secrets == .skip && variant != key {
            return Secret(value: "", origin: "\(variant.dropFirst(key.count + 1)) \(text) (not read by this command)")
        }
        switch variant {
        case key:
            return Secret(value: text, origin: "inline")
        case "\(key)_file":
            return Secret(value: try readSecretFile(text, keyPath: keyPath, node: node), origin: "file \(text)")
        case "\(key)_env":
            guard let value = environment[text], !value.isEmpty else {
                throw error(
                    keyPath,
                    "names the environment variable \(text), which is not set or empty; export it or give the "
                        + "secret another way",
                    node)
            }
            return Secret(value: value, origin: "env \(text)")
        default:
            guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
                if secrets == .readWhereAvailable {
                    return Secret(
                        value: "",
                        origin: "credential \(text) (read by the service; $CREDENTIALS_DIRECTORY is not set here)")
                }
                throw error(
                    keyPath,
                    "needs $CREDENTIALS_DIRECTORY, which systemd sets for LoadCredential=; run under systemd "
                        + "or use \(key)_file",
                    node)
            }
            if text.contains("/") { throw error(keyPath, "'\(text)' must be a credential name, not a path", node) }
            return Secret(
                value: try readSecretFile("\(directory)/\(text)", keyPath: keyPath, node: node),
                origin: "credential \(text)")
        }
    }

    /// Like `secret`, but the inline form may also be a list (two secrets during a rotation).
    func secretList(_ map: Mapping, key: String, path: String) throws -> [Secret] {
        if let node = map[key], case .sequence(let list) = node {
            let others = secretKeys(key).dropFirst().filter { map[$0] != nil }
            if let other = others.first {
                throw error("\(path).\(other)", "conflicts with \(path).\(key); give the secrets one way only", node)
            }
            return try list.enumerated().map { index, item in
                let value = try nonEmptyString(item, path: "\(path).\(key)[\(index)]")
                try checkPrintable(value, path: "\(path).\(key)[\(index)]", node: item)
                return Secret(value: value, origin: "inline")
            }
        }
        return try secret(map, key: key, path: path).map { [$0] } ?? []
    }

    private func readSecretFile(_ file: String, keyPath: String, node: Node) throws -> String {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw error(
                keyPath, "names \(file), which does not exist or cannot be read; check the path and its permissions",
                node)
        }
        let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if value.isEmpty { throw error(keyPath, "names \(file), which is empty", node) }
        return value
    }

    private func format(_ value: Double) -> String {
        value.rounded() == value ? String(Int64(value)) : String(value)
    }
}
