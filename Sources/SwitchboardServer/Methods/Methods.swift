/// Every method the server offers, by family. `rpc.discover`'s document must
/// list exactly these (a test checks both ways).
public enum Methods {
    static func all(_ app: Application) -> [MethodSpec] {
        system(app) + auth(app) + accounts(app) + users(app) + apiKeys(app) + events(app) + phonebook(app) + contacts(app) + interfaces(app)
    }
}
